//! Output files that appear complete or not at all.
//!
//! Everything dash writes goes first to a temporary name beside the target (`.NAME.tmp-PID`) and
//! is renamed into place only by [`AtomicFile::commit`]. Dropping an uncommitted file removes the
//! temporary, so an error anywhere leaves no partial output behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{IoResultExt, Result};

/// A file being written under a temporary name.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates the temporary file for `target`.
    pub fn create(target: impl AsRef<Path>) -> Result<Self> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        Self::open_with(target.as_ref(), &options)
    }

    /// Like [`AtomicFile::create`], but the file is readable by its owner only (mode 0600 on
    /// Unix) from the moment it exists: for secret keys.
    pub fn create_private(target: impl AsRef<Path>) -> Result<Self> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        Self::open_with(target.as_ref(), &options)
    }

    /// Opens `.NAME.tmp-PID` beside `target` with `options`.
    fn open_with(target: &Path, options: &std::fs::OpenOptions) -> Result<Self> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".to_string());
        let temp = target.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let file = options.open(&temp).with_path(&temp)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary path being written (complete once flushed).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// The buffered writer for the temporary file.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("writer present until commit")
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> Result<PathBuf> {
        let writer = self.writer.take().expect("commit called once");
        let file = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .with_path(&self.temp)?;
        file.sync_all().with_path(&self.temp)?;
        drop(file);
        std::fs::rename(&self.temp, &self.target).with_path(&self.target)?;
        Ok(self.target.clone())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Commits a set of files together: all are written first, then all renamed.
///
/// Renames are not atomic as a set, but they happen only after every file was fully written,
/// so a failure while computing leaves nothing behind.
pub fn commit_all(files: Vec<AtomicFile>) -> Result<Vec<PathBuf>> {
    files.into_iter().map(AtomicFile::commit).collect()
}
