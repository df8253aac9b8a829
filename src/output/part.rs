//! Where an output file's bytes go: the file itself, or a *part* of it held in memory.
//!
//! A merge split into segments ([`crate::summary::segment`]) writes each segment's share of
//! every output into a part, which the file takes in genomic order once the segments before it
//! are in: the same writer code serves both.
//!
//! ```
//! use std::io::Write;
//! use dash::output::part::FileOrPart;
//!
//! let mut file: FileOrPart<Vec<u8>> = FileOrPart::File(b"header\n".to_vec());
//! let mut part: FileOrPart<Vec<u8>> = FileOrPart::Part(Vec::new());
//! part.write_all(b"row\n").unwrap();
//! file.write_all(&part.into_part()).unwrap();
//! assert_eq!(file.into_file(), b"header\nrow\n");
//! ```

use std::io::{self, Write};

/// The bytes of an output: its file `F`, or a part in memory.
pub enum FileOrPart<F> {
    /// The file.
    File(F),
    /// A part of it, in memory.
    Part(Vec<u8>),
}

impl<F> FileOrPart<F> {
    /// The part's bytes. A file is never taken as a part: that would be a bug in the merge.
    pub fn into_part(self) -> Vec<u8> {
        match self {
            FileOrPart::Part(bytes) => bytes,
            FileOrPart::File(_) => unreachable!("only a part is absorbed"),
        }
    }

    /// The file. A part is never finished as a file: it is absorbed by one.
    pub fn into_file(self) -> F {
        match self {
            FileOrPart::File(file) => file,
            FileOrPart::Part(_) => unreachable!("a part is absorbed, not finished"),
        }
    }
}

impl<F: Write> Write for FileOrPart<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            FileOrPart::File(file) => file.write(buf),
            FileOrPart::Part(bytes) => bytes.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            FileOrPart::File(file) => file.flush(),
            FileOrPart::Part(_) => Ok(()),
        }
    }
}
