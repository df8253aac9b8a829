//! A tab-separated list written line by line during a merge (the skipped lists, the per-party
//! filter list): its header line at creation, under a temporary name until the merge commits
//! all its files together ([`crate::atomic_file::commit_all`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};

/// One tab-separated list under construction.
pub struct TableFile {
    path: PathBuf,
    file: AtomicFile,
    lines: u64,
}

impl TableFile {
    /// Creates the file (under a temporary name) with its header line of `columns`.
    pub fn create(path: &Path, columns: &[&str]) -> Result<TableFile> {
        let mut file = AtomicFile::create(path)?;
        writeln!(file, "{}", columns.join("\t")).with_path(path)?;
        Ok(TableFile {
            path: path.to_path_buf(),
            file,
            lines: 0,
        })
    }

    /// Appends one line (`line` without its newline).
    pub fn write_line(&mut self, line: std::fmt::Arguments) -> Result<()> {
        writeln!(self.file, "{line}").with_path(&self.path)?;
        self.lines += 1;
        Ok(())
    }

    /// The final path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The uncommitted file and the number of lines after the header.
    pub fn finish(self) -> (AtomicFile, u64) {
        (self.file, self.lines)
    }
}
