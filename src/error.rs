//! One error type for the whole tool.
//!
//! Every error renders as a single line that names the file, the place in it (line, record or
//! column) when known, and what is wrong — the form a user can act on without a stack trace:
//!
//! ```
//! use dash::error::Error;
//! let e = Error::input("cohort.pheno", "non-numeric value 'abc' in column 'y1'").at("line 12");
//! assert_eq!(e.to_string(), "cohort.pheno: line 12: non-numeric value 'abc' in column 'y1'");
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure this is; decides nothing but the exit code and how the line reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file's content is malformed or inconsistent.
    Input,
    /// The operating system refused an operation on a file.
    Io,
    /// The request cannot be carried out with these inputs (e.g. rank-deficient covariates).
    Model,
    /// The command line itself is wrong.
    Usage,
}

/// A one-line, user-facing error.
#[derive(Debug)]
pub struct Error {
    kind: Kind,
    path: Option<PathBuf>,
    location: Option<String>,
    message: String,
}

impl Error {
    /// A problem with the content of `path`.
    pub fn input(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Input,
            path: Some(path.as_ref().to_path_buf()),
            location: None,
            message: message.into(),
        }
    }

    /// An I/O failure on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error {
            kind: Kind::Io,
            path: Some(path.as_ref().to_path_buf()),
            location: None,
            message: source.to_string(),
        }
    }

    /// The model cannot be fitted (no file is to blame).
    pub fn model(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Model,
            path: None,
            location: None,
            message: message.into(),
        }
    }

    /// The command line is inconsistent.
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Usage,
            path: None,
            location: None,
            message: message.into(),
        }
    }

    /// Adds the place inside the file, e.g. `"line 12"` or `"variant 3 (rs123)"`.
    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Names the file when the error was raised without one.
    pub fn in_file(mut self, path: impl AsRef<Path>) -> Self {
        if self.path.is_none() {
            self.path = Some(path.as_ref().to_path_buf());
        }
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The message without file and location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        // Messages from lower layers (parquet, serde) may carry newlines; keep the error on one line.
        let mut first = true;
        for part in self.message.lines().filter(|l| !l.trim().is_empty()) {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(part.trim())?;
            first = false;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Attaches a path to I/O results: `File::open(p).with_path(p)?`.
pub trait IoResultExt<T> {
    /// Converts the I/O error into an [`Error`] naming `path`.
    fn with_path(self, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoResultExt<T> for std::io::Result<T> {
    fn with_path(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::io(path, e))
    }
}
