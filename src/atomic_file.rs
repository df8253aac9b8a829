//! Output files that appear complete or not at all, and nothing left behind on failure.
//!
//! Everything dash writes goes first to a temporary name beside the target (`.NAME.tmp-PID-N`)
//! and is renamed into place only by [`AtomicFile::commit`] (or [`commit_all`] for a set).
//! Dropping an uncommitted file removes the temporary — also when the commit itself failed — so
//! an error anywhere leaves no partial output behind.
//!
//! Every temporary (and every [`OutputLock`]) is also listed in a process-wide registry, so a
//! signal handler can remove them before the process exits: see [`exit_removing_live_files`].
//! A file is created and registered under one lock, so none can appear after that clean-up.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, IoResultExt, Result};

/// Paths to remove if the process is stopped by a signal, by registration id.
static LIVE: Mutex<BTreeMap<u64, PathBuf>> = Mutex::new(BTreeMap::new());

/// The next registration id (also makes temporary names unique within the process).
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// The registry, even if a thread panicked while holding it (it is a plain map).
fn live() -> MutexGuard<'static, BTreeMap<u64, PathBuf>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `create` (which makes the file at `path`) and registers `path`, under the registry lock.
fn create_registered<T>(
    path: &Path,
    create: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<(u64, T)> {
    let mut live = live();
    let value = create()?;
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    live.insert(id, path.to_path_buf());
    Ok((id, value))
}

/// Removes the registered file `id` and forgets it.
fn remove_registered(id: u64) {
    let mut live = live();
    if let Some(path) = live.remove(&id) {
        let _ = std::fs::remove_file(path);
    }
}

/// Removes every temporary file, uncommitted output set and lock this process holds, then exits
/// with `code` — for a signal handler (`dash` exits 130 on SIGINT, 143 on SIGTERM).
///
/// The registry stays locked until the process is gone, so no thread can create a new
/// temporary in between.
pub fn exit_removing_live_files(code: i32) -> ! {
    let live = live();
    for path in live.values() {
        let _ = std::fs::remove_file(path);
    }
    std::process::exit(code)
}

/// The paths this process would remove on a signal (temporaries, outputs of a set being
/// committed, locks).
pub fn live_files() -> Vec<PathBuf> {
    live().values().cloned().collect()
}

/// A file being written under a temporary name.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
    /// The temporary's registration; `None` once it was renamed into place.
    id: Option<u64>,
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

    /// Opens `.NAME.tmp-PID-N` beside `target` with `options`.
    fn open_with(target: &Path, options: &std::fs::OpenOptions) -> Result<Self> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".to_string());
        let serial = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let temp = target.with_file_name(format!(".{name}.tmp-{}-{serial}", std::process::id()));
        let (id, file) = create_registered(&temp, || options.open(&temp))
            .map_err(|e| output_error(target, e))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::with_capacity(1 << 20, file)),
            id: Some(id),
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

    /// Flushes and syncs the temporary file and closes it (once).
    fn sync(&mut self) -> Result<()> {
        if let Some(writer) = self.writer.take() {
            let file = writer
                .into_inner()
                .map_err(|e| e.into_error())
                .with_path(&self.target)?;
            file.sync_all().with_path(&self.target)?;
        }
        Ok(())
    }

    /// Renames the synced temporary into place; the registry then lists the target instead,
    /// until [`AtomicFile::settle`] (a set being committed is removed whole on a signal).
    fn rename(&mut self) -> Result<()> {
        let id = self.id.expect("renamed once");
        let mut live = live();
        std::fs::rename(&self.temp, &self.target).map_err(|e| output_error(&self.target, e))?;
        live.insert(id, self.target.clone());
        Ok(())
    }

    /// Forgets the committed file: it stays.
    fn settle(&mut self) {
        if let Some(id) = self.id.take() {
            live().remove(&id);
        }
    }

    /// Flushes, syncs and renames the file into place. On failure the temporary is removed.
    pub fn commit(mut self) -> Result<PathBuf> {
        self.sync()?;
        self.rename()?;
        self.settle();
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
    /// An uncommitted file is removed: the temporary, or the target when it was renamed as part
    /// of a set that then failed.
    fn drop(&mut self) {
        // The buffered bytes are not written: the file is going.
        if let Some(writer) = self.writer.take() {
            let _ = writer.into_parts();
        }
        if let Some(id) = self.id.take() {
            remove_registered(id);
        }
    }
}

/// Commits a set of files together: all are flushed and synced first, then all renamed.
///
/// If any step fails, every file of the set is removed — also those already renamed into place —
/// so a failed run never leaves part of a set (a phenotype's results without its metadata, or
/// one run's metadata beside another's results). A signal during the renames removes the set too.
pub fn commit_all(mut files: Vec<AtomicFile>) -> Result<Vec<PathBuf>> {
    sync_concurrently(&mut files)?;
    for file in &mut files {
        file.rename()?;
    }
    Ok(files
        .iter_mut()
        .map(|file| {
            file.settle();
            file.target.clone()
        })
        .collect())
}

/// How many files [`commit_all`] syncs at once.
const CONCURRENT_SYNCS: usize = 16;

/// Flushes and syncs `files`, [`CONCURRENT_SYNCS`] at a time.
///
/// Syncing is waiting on the disk, not computing: a many-phenotype merge commits hundreds of
/// files (five per phenotype), and one `fsync` after another left the process idle for over a
/// second at its end. Concurrent syncs of one file system share its journal commits.
fn sync_concurrently(files: &mut [AtomicFile]) -> Result<()> {
    if files.len() < 2 {
        return files.iter_mut().try_for_each(AtomicFile::sync);
    }
    let per_thread = files.len().div_ceil(CONCURRENT_SYNCS);
    std::thread::scope(|scope| {
        let syncing: Vec<_> = files
            .chunks_mut(per_thread)
            .map(|chunk| scope.spawn(|| chunk.iter_mut().try_for_each(AtomicFile::sync)))
            .collect();
        // Every thread is joined before the first error is returned, so no sync outlives the set.
        let results: Vec<Result<()>> = syncing
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect();
        results.into_iter().collect()
    })
}

/// The error for a failure to create or rename an output: it names the folder when that is the
/// problem (not the hidden temporary), else the output.
fn output_error(target: &Path, error: std::io::Error) -> Error {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match std::fs::metadata(dir) {
        Err(_) => Error::io(
            dir,
            std::io::Error::new(
                error.kind(),
                "the output directory does not exist (create it first)",
            ),
        ),
        Ok(m) if !m.is_dir() => Error::io(
            dir,
            std::io::Error::new(error.kind(), "is not a directory (the output's folder)"),
        ),
        Ok(_) => Error::io(target, error),
    }
}

/// Refuses an output whose folder does not exist, before any work is done.
pub fn check_output_dir(target: &Path) -> Result<()> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => return Ok(()),
    };
    if dir.is_dir() {
        return Ok(());
    }
    Err(output_error(
        target,
        std::io::Error::from(std::io::ErrorKind::NotFound),
    ))
}

/// An output already in place that belongs to a set not yet complete (e.g. merge's
/// `--summary-out` before the per-phenotype files are committed): removed when dropped, and on
/// a signal, unless [`Provisional::keep`] was called.
#[derive(Debug)]
pub struct Provisional {
    id: Option<u64>,
}

impl Provisional {
    /// Takes charge of the file at `path`.
    pub fn new(path: &Path) -> Provisional {
        let mut live = live();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        live.insert(id, path.to_path_buf());
        Provisional { id: Some(id) }
    }

    /// The set is complete: the file stays.
    pub fn keep(mut self) {
        if let Some(id) = self.id.take() {
            live().remove(&id);
        }
    }
}

impl Drop for Provisional {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            remove_registered(id);
        }
    }
}

/// An exclusive lock on an output (`OUT.lock` beside it) for the length of a run, so two runs
/// writing the same output cannot mix their files. The lock file is removed when the lock is
/// dropped (and on a signal).
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    id: u64,
    _file: File,
}

impl OutputLock {
    /// The lock path of `output`: `OUTPUT.lock`.
    pub fn path_for(output: &Path) -> PathBuf {
        let mut name = output.as_os_str().to_os_string();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock of `output`, or refuses when another process holds it.
    pub fn acquire(output: &Path) -> Result<OutputLock> {
        let path = Self::path_for(output);
        loop {
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create(true).truncate(false);
            let file = options.open(&path).map_err(|e| output_error(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::io(
                        &path,
                        std::io::Error::new(
                            std::io::ErrorKind::WouldBlock,
                            format!(
                                "another dash is writing {} (wait for it to finish, or choose another --out)",
                                output.display()
                            ),
                        ),
                    ))
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
            // The holder before us removes the file before unlocking it: if it did, our handle
            // is to a file no longer at `path`, and the lock means nothing. Register under the
            // registry lock so a signal cannot leave it.
            let registered =
                create_registered(&path, || Ok(same_file(&file, &path))).with_path(&path)?;
            match registered {
                (id, true) => {
                    return Ok(OutputLock {
                        path,
                        id,
                        _file: file,
                    })
                }
                (id, false) => {
                    // Not ours: forget it without removing another run's lock file.
                    live().remove(&id);
                }
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for OutputLock {
    /// Removes the lock file while still holding the lock; closing the file then releases it.
    fn drop(&mut self) {
        remove_registered(self.id);
    }
}

/// Whether the open `file` is the one at `path`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether the open `file` is the one at `path` (assumed elsewhere).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Registered paths inside `dir` (other tests share the registry).
    fn live_in(dir: &Path) -> Vec<PathBuf> {
        live_files()
            .into_iter()
            .filter(|p| p.starts_with(dir))
            .collect()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_uncommitted_or_failed_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = AtomicFile::create(dir.path().join("a.txt")).unwrap();
        file.write_all(b"partial").unwrap();
        assert_eq!(live_in(dir.path()).len(), 1);
        drop(file);
        assert!(names(dir.path()).is_empty());

        // The target is a folder: the rename fails, and the temporary goes too.
        std::fs::create_dir(dir.path().join("b.txt")).unwrap();
        std::fs::write(dir.path().join("b.txt/x"), "x").unwrap();
        let mut file = AtomicFile::create(dir.path().join("b.txt")).unwrap();
        file.write_all(b"whole").unwrap();
        assert!(file.commit().is_err());
        assert_eq!(names(dir.path()), ["b.txt"]);
        assert!(live_in(dir.path()).is_empty());
    }

    #[test]
    fn a_set_is_committed_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str| {
            let mut f = AtomicFile::create(dir.path().join(name)).unwrap();
            f.write_all(name.as_bytes()).unwrap();
            f
        };
        std::fs::create_dir(dir.path().join("2.txt")).unwrap();
        std::fs::write(dir.path().join("2.txt/x"), "x").unwrap();
        let result = commit_all(vec![make("1.txt"), make("2.txt"), make("3.txt")]);
        assert!(result.is_err());
        assert_eq!(names(dir.path()), ["2.txt"]);

        let done = commit_all(vec![make("4.txt"), make("5.txt")]).unwrap();
        assert_eq!(done.len(), 2);
        assert_eq!(names(dir.path()), ["2.txt", "4.txt", "5.txt"]);
        assert!(live_in(dir.path()).is_empty());
    }

    #[test]
    fn a_set_larger_than_the_concurrent_syncs_is_committed_in_order_with_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let count = 2 * CONCURRENT_SYNCS + 3;
        let files = (0..count)
            .map(|k| {
                let mut f = AtomicFile::create(dir.path().join(format!("{k:03}.txt"))).unwrap();
                f.write_all(format!("file {k}").as_bytes()).unwrap();
                f
            })
            .collect();
        let done = commit_all(files).unwrap();
        for (k, path) in done.iter().enumerate() {
            assert_eq!(path, &dir.path().join(format!("{k:03}.txt")));
            assert_eq!(std::fs::read_to_string(path).unwrap(), format!("file {k}"));
        }
        assert_eq!(names(dir.path()).len(), count);
        assert!(live_in(dir.path()).is_empty());
    }

    #[test]
    fn an_output_has_one_writer_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("result");
        let lock = OutputLock::acquire(&out).unwrap();
        assert_eq!(lock.path(), dir.path().join("result.lock"));
        let second = OutputLock::acquire(&out).unwrap_err().to_string();
        assert!(second.contains("another dash is writing"), "{second}");
        drop(lock);
        assert!(names(dir.path()).is_empty());
        let again = OutputLock::acquire(&out).unwrap();
        drop(again);
        assert!(live_in(dir.path()).is_empty());
    }

    #[test]
    fn a_provisional_file_goes_unless_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.parquet");
        std::fs::write(&path, "x").unwrap();
        drop(Provisional::new(&path));
        assert!(!path.exists());
        std::fs::write(&path, "x").unwrap();
        Provisional::new(&path).keep();
        assert!(path.exists());
        assert!(live_in(dir.path()).is_empty());
    }
}
