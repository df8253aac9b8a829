//! Line reading shared by the `.pvar` and `.psam` parsers: plain or Zstandard-compressed text,
//! lines split on runs of tabs and spaces, a bound on line length.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::{Error, IoResultExt, Result};

/// The longest line read; longer is refused rather than buffered.
const MAX_LINE: u64 = 1 << 26;

/// The lines of a text file, numbered from 1, `\r\n` or `\n` ended.
pub struct Lines<'a> {
    path: &'a Path,
    reader: Box<dyn BufRead + 'a>,
    line_no: usize,
    buffer: Vec<u8>,
}

impl<'a> Lines<'a> {
    /// Opens `path`; a name ending in `.zst` is decompressed.
    pub fn open(path: &'a Path) -> Result<Lines<'a>> {
        let file = File::open(path).with_path(path)?;
        let reader: Box<dyn BufRead> = if path.to_string_lossy().ends_with(".zst") {
            let decoder = zstd::stream::read::Decoder::new(file).with_path(path)?;
            Box::new(BufReader::with_capacity(1 << 16, decoder))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, file))
        };
        Ok(Lines {
            path,
            reader,
            line_no: 0,
            buffer: Vec::new(),
        })
    }

    /// The next line (without its line end) and its number; `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<(usize, &str)>> {
        self.buffer.clear();
        self.line_no += 1;
        let at = self.line_no;
        let got = Read::take(&mut self.reader, MAX_LINE)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|e| Error::io(self.path, e).at(format!("line {at}")))?;
        if got == 0 {
            return Ok(None);
        }
        if got as u64 == MAX_LINE && self.buffer.last() != Some(&b'\n') {
            return Err(Error::input(
                self.path,
                format!("a line longer than {} MiB", MAX_LINE >> 20),
            )
            .at(format!("line {at}")));
        }
        while matches!(self.buffer.last(), Some(b'\n' | b'\r')) {
            self.buffer.pop();
        }
        let text = std::str::from_utf8(&self.buffer)
            .map_err(|_| Error::input(self.path, "not UTF-8 text").at(format!("line {at}")))?;
        Ok(Some((at, text)))
    }
}

/// The fields of a line: separated by runs of tabs and spaces.
pub fn fields(line: &str) -> impl Iterator<Item = &str> {
    line.split([' ', '\t']).filter(|f| !f.is_empty())
}
