//! Some bytes of a file held in memory, read by the Parquet decoder as if it were the file.
//!
//! A `--region` read verifies each row group's bytes against the footer's digests before it
//! decodes them ([`super::integrity`]). Holding the bytes it hashed and decoding from them reads
//! each row group once, where decoding from the file read it a second time — and decodes exactly
//! the bytes that were verified, not a later state of the file.

use bytes::{Buf, Bytes};
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

/// Bytes `offset..offset + bytes.len()` of a file.
///
/// ```
/// use dash::summary::byte_span::ByteSpan;
/// use parquet::file::reader::ChunkReader;
///
/// let span = ByteSpan::new(100, b"abcdef".to_vec());
/// assert_eq!(&span.get_bytes(102, 3).unwrap()[..], b"cde");
/// assert!(span.get_bytes(99, 2).is_err()); // before the span: never read from elsewhere
/// assert!(span.get_bytes(104, 3).is_err()); // past its end
/// ```
#[derive(Debug, Clone)]
pub struct ByteSpan {
    offset: u64,
    bytes: Bytes,
}

impl ByteSpan {
    /// The bytes of a file from `offset` on.
    pub fn new(offset: u64, bytes: Vec<u8>) -> ByteSpan {
        ByteSpan {
            offset,
            bytes: Bytes::from(bytes),
        }
    }

    /// The span's bytes from file offset `start`, `length` of them (to its end when `None`).
    fn slice(&self, start: u64, length: Option<usize>) -> parquet::errors::Result<Bytes> {
        let outside = || {
            ParquetError::EOF(format!(
                "read at byte {start} outside the verified bytes {}..{}",
                self.offset,
                self.offset + self.bytes.len() as u64
            ))
        };
        let from = start.checked_sub(self.offset).ok_or_else(outside)? as usize;
        let to = match length {
            Some(length) => from.checked_add(length).ok_or_else(outside)?,
            None => self.bytes.len(),
        };
        if from > self.bytes.len() || to > self.bytes.len() {
            return Err(outside());
        }
        Ok(self.bytes.slice(from..to))
    }
}

impl Length for ByteSpan {
    /// The length of the file up to the span's end (the decoder reads only inside the span).
    fn len(&self) -> u64 {
        self.offset + self.bytes.len() as u64
    }
}

impl ChunkReader for ByteSpan {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(self.slice(start, None)?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.slice(start, Some(length))
    }
}
