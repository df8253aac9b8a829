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

    /// The inputs taken together do not allow the request, and no single file is to blame (e.g.
    /// lists with no variant in common).
    pub fn inputs(message: impl Into<String>) -> Self {
        Error {
            kind: Kind::Input,
            path: None,
            location: None,
            message: message.into(),
        }
    }

    /// Re-classifies a usage error as an input error. The jobs apply it to every error found
    /// once the input files are being read: the command line alone could not have shown it, so
    /// it is not a usage error (exit 1, not 2; see [`Error::exit_code`]).
    pub fn found_in_inputs(mut self) -> Self {
        if self.kind == Kind::Usage {
            self.kind = Kind::Input;
        }
        self
    }

    /// The process exit code: 2 for a usage error (the command line is wrong on its own: a
    /// value that does not parse, flags that exclude each other, a name given twice), 1 for
    /// everything else (a file missing, unreadable, malformed or not matching the flags; a model
    /// that cannot be fitted; a failed write).
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::Usage => 2,
            Kind::Input | Kind::Io | Kind::Model => 1,
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
            write_escaped(f, &path.display().to_string(), usize::MAX)?;
            f.write_str(": ")?;
        }
        if let Some(location) = &self.location {
            write_escaped(f, location, MAX_WORD)?;
            f.write_str(": ")?;
        }
        // Messages from lower layers (parquet, serde) may carry newlines; keep the error on one
        // line. Values a message echoes from a file are escaped and capped (see [`echo`]), so a
        // binary or garbled input cannot make a huge or terminal-breaking error line.
        let mut written = 0;
        for part in self.message.lines().filter(|l| !l.trim().is_empty()) {
            if written > 0 {
                f.write_str(" ")?;
                written += 1;
            }
            for (k, word) in part.trim().split(' ').enumerate() {
                if k > 0 {
                    f.write_str(" ")?;
                    written += 1;
                }
                if written >= MAX_MESSAGE {
                    return f.write_str("…");
                }
                written += write_escaped(f, word, MAX_WORD)?;
            }
        }
        Ok(())
    }
}

/// Longest run of non-space characters an error line shows before cutting it with `…`.
const MAX_WORD: usize = 160;

/// Characters of a message after which the rest is left out.
const MAX_MESSAGE: usize = 2000;

/// Longest value [`echo`] shows.
const MAX_ECHO: usize = 80;

/// Writes `text` with control characters escaped (`\0`, `\t`, `\r`, `\n`, `\xNN`), cut after
/// `max` characters with `…`; returns the characters written.
fn write_escaped(f: &mut impl fmt::Write, text: &str, max: usize) -> Result<usize, fmt::Error> {
    let mut written = 0;
    for c in text.chars() {
        if written >= max {
            f.write_str("…")?;
            return Ok(written + 1);
        }
        written += match c {
            '\0' => f.write_str("\\0").map(|()| 2)?,
            '\t' => f.write_str("\\t").map(|()| 2)?,
            '\r' => f.write_str("\\r").map(|()| 2)?,
            '\n' => f.write_str("\\n").map(|()| 2)?,
            c if (c as u32) < 0x100 && c.is_control() => {
                write!(f, "\\x{:02x}", c as u32).map(|()| 4)?
            }
            c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32).map(|()| 8)?,
            c => f.write_char(c).map(|()| 1)?,
        };
    }
    Ok(written)
}

/// A value from a file, ready to quote in an error message: control characters escaped and cut
/// after 80 characters.
///
/// ```
/// assert_eq!(dash::error::echo("a\0b\tc"), "a\\0b\\tc");
/// assert_eq!(dash::error::echo(&"x".repeat(100)).chars().count(), 81);
/// ```
pub fn echo(value: &str) -> String {
    let mut out = String::new();
    write_escaped(&mut out, value, MAX_ECHO).expect("writing to a String");
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_stays_short_and_printable() {
        let value = "x\0\t\u{1b}".repeat(10_000);
        let e = Error::input(
            "a.pheno",
            format!("non-numeric value '{value}'\nsecond part"),
        )
        .at("line 3");
        let line = e.to_string();
        assert!(line.starts_with("a.pheno: line 3: non-numeric value 'x\\0\\t\\x1b"));
        assert!(line.ends_with("… second part"), "{line}");
        assert!(line.chars().count() < 300, "{}", line.len());
        assert!(!line.chars().any(char::is_control));

        let words = "word ".repeat(5_000);
        let long = Error::model(words).to_string();
        assert!(long.chars().count() <= MAX_MESSAGE + 10);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn usage_errors_found_in_inputs_are_input_errors() {
        assert_eq!(Error::usage("--threads 0").exit_code(), 2);
        assert_eq!(Error::usage("x").found_in_inputs().exit_code(), 1);
        assert_eq!(Error::inputs("no variant in common").exit_code(), 1);
        assert_eq!(Error::model("rank-deficient").exit_code(), 1);
    }
}
