//! A tab-separated list written line by line during a merge (the skipped lists, the per-party
//! filter list, the allele-check outliers): its header line at creation, under a temporary name
//! until the merge commits all its files together ([`crate::atomic_file::commit_all`]).
//!
//! A merge split into segments ([`crate::summary::segment`]) writes each segment's lines into a
//! part in memory ([`TableFile::part`]), which the file takes in genomic order
//! ([`TableFile::absorb`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::part::FileOrPart;
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};

/// One tab-separated list under construction, or a part of one.
pub struct TableFile {
    path: PathBuf,
    out: FileOrPart<AtomicFile>,
    lines: u64,
}

impl TableFile {
    /// Creates the file (under a temporary name) with its header line of `columns`.
    pub fn create(path: &Path, columns: &[&str]) -> Result<TableFile> {
        let mut file = AtomicFile::create(path)?;
        writeln!(file, "{}", columns.join("\t")).with_path(path)?;
        Ok(TableFile {
            path: path.to_path_buf(),
            out: FileOrPart::File(file),
            lines: 0,
        })
    }

    /// An empty part of this list (no header), in memory, for [`TableFile::absorb`].
    pub fn part(&self) -> TableFile {
        TableFile {
            path: self.path.clone(),
            out: FileOrPart::Part(Vec::new()),
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
        self.out
            .write_all(&part.out.into_part())
            .with_path(&self.path)?;
        self.lines += part.lines;
        Ok(())
    }

    /// The final path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The uncommitted file and the number of lines after the header.
    pub fn finish(self) -> (AtomicFile, u64) {
        (self.out.into_file(), self.lines)
    }
}
