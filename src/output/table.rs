//! A tab-separated list written line by line during a merge (the skipped lists, the per-party
//! filter list, the allele-check outliers): its header line at creation, under a temporary name
//! until the merge commits all its files together ([`crate::atomic_file::commit_all`]).
//!
//! A merge split into segments ([`crate::summary::segment`]) writes each segment's lines into a
//! part in memory ([`TableFile::part`]), which the file takes in genomic order
//! ([`TableFile::absorb`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};

/// One tab-separated list under construction, or a part of one.
pub struct TableFile {
    path: PathBuf,
    out: Out,
    lines: u64,
}

/// Where a list's lines go.
enum Out {
    File(AtomicFile),
    Part(Vec<u8>),
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Out::File(file) => file.write(buf),
            Out::Part(bytes) => bytes.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Out::File(file) => file.flush(),
            Out::Part(_) => Ok(()),
        }
    }
}

impl TableFile {
    /// Creates the file (under a temporary name) with its header line of `columns`.
    pub fn create(path: &Path, columns: &[&str]) -> Result<TableFile> {
        let mut file = AtomicFile::create(path)?;
        writeln!(file, "{}", columns.join("\t")).with_path(path)?;
        Ok(TableFile {
            path: path.to_path_buf(),
            out: Out::File(file),
            lines: 0,
        })
    }

    /// An empty part of this list (no header), in memory, for [`TableFile::absorb`].
    pub fn part(&self) -> TableFile {
        TableFile {
            path: self.path.clone(),
            out: Out::Part(Vec::new()),
            lines: 0,
        }
    }

    /// Appends one line (`line` without its newline).
    pub fn write_line(&mut self, line: std::fmt::Arguments) -> Result<()> {
        writeln!(self.out, "{line}").with_path(&self.path)?;
        self.lines += 1;
        Ok(())
    }

    /// Appends the lines of `part` (from [`TableFile::part`]).
    pub fn absorb(&mut self, part: TableFile) -> Result<()> {
        let Out::Part(bytes) = part.out else {
            unreachable!("only a part is absorbed")
        };
        self.out.write_all(&bytes).with_path(&self.path)?;
        self.lines += part.lines;
        Ok(())
    }

    /// The final path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The uncommitted file and the number of lines after the header.
    pub fn finish(self) -> (AtomicFile, u64) {
        let Out::File(file) = self.out else {
            unreachable!("a part is absorbed, not finished")
        };
        (file, self.lines)
    }
}
