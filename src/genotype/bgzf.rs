//! BGZF reading (SAM spec §4.1): blocks read raw in order, inflated and checked in parallel.
//!
//! The reading thread only reads frames — the 18-byte header, `BSIZE`, the rest of the block —
//! into batches of [`BATCH_BLOCKS`] blocks. Each batch is inflated (libdeflate) on the rayon pool
//! as one task while the reader runs ahead by a few batches, so inflating overlaps parsing the
//! records of earlier blocks; with one thread, or when called from a pool worker, batches are
//! inflated inline. Every block is checked, as bgzip and bcftools check it: its header, its
//! `ISIZE` against the bytes it inflates to, and the CRC32 of those bytes against the stored
//! one. A failed check is an [`io::ErrorKind::InvalidData`] error naming the block's byte offset
//! in the file; the blocks before it are still delivered, the bytes of the bad one never are.
//!
//! ```no_run
//! use std::io::Read;
//! use dash::genotype::bgzf::BgzfReader;
//! let file = std::fs::File::open("cohort.vcf.gz")?;
//! let mut text = String::new();
//! BgzfReader::new(file).read_to_string(&mut text)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::sync::mpsc::{channel, Receiver};

use noodles_bgzf::VirtualPosition;

use super::io::read_up_to;

/// Bytes of a BGZF block header (gzip header with the `BC` extra subfield).
const HEADER_SIZE: usize = 18;
/// Bytes of the gzip trailer (CRC32, ISIZE).
const TRAILER_SIZE: usize = 8;
/// The largest inflated block.
const MAX_ISIZE: usize = 1 << 16;
/// Blocks per batch: ~4 MiB inflated, enough work per task to amortise the hand-off.
const BATCH_BLOCKS: usize = 64;
/// Raw read buffer of the file.
const FILE_BUFFER: usize = 1 << 20;

/// One block of a batch: where it is in the file and in the batch's buffers.
#[derive(Debug, Clone, Copy, Default)]
struct Frame {
    /// Byte offset of the block in the file.
    offset: u64,
    /// Offset and length of the whole block in `Batch::raw`.
    raw_at: usize,
    raw_len: usize,
    /// Inflated length (set once inflated).
    len: usize,
}

/// A run of consecutive blocks: raw, then inflated.
#[derive(Debug, Default)]
struct Batch {
    raw: Vec<u8>,
    frames: Vec<Frame>,
    /// Inflated data, block `k` at `k * MAX_ISIZE`.
    data: Vec<u8>,
    /// The error after the last good frame: reading or checking the next block failed.
    error: Option<io::Error>,
}

impl Batch {
    fn clear(&mut self) {
        self.raw.clear();
        self.frames.clear();
        self.error = None;
    }

    /// Inflates and checks every frame; at the first bad one, drops it and those after it and
    /// keeps its error (an earlier read error is then superseded, being further on).
    fn inflate(&mut self) {
        self.data.resize(self.frames.len() * MAX_ISIZE, 0);
        let mut decompressor = libdeflater::Decompressor::new();
        for k in 0..self.frames.len() {
            let frame = self.frames[k];
            let raw = &self.raw[frame.raw_at..frame.raw_at + frame.raw_len];
            let out = &mut self.data[k * MAX_ISIZE..(k + 1) * MAX_ISIZE];
            match inflate_block(&mut decompressor, raw, out) {
                Ok(len) => self.frames[k].len = len,
                Err(message) => {
                    self.frames.truncate(k);
                    self.error = Some(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("BGZF block at byte offset {}: {message}", frame.offset),
                    ));
                    return;
                }
            }
        }
    }
}

/// Inflates one whole block (header … trailer) into `out`; returns the inflated length.
fn inflate_block(
    decompressor: &mut libdeflater::Decompressor,
    raw: &[u8],
    out: &mut [u8],
) -> Result<usize, String> {
    let trailer = &raw[raw.len() - TRAILER_SIZE..];
    let stored_crc = u32::from_le_bytes(trailer[..4].try_into().expect("4 bytes"));
    let isize = u32::from_le_bytes(trailer[4..].try_into().expect("4 bytes")) as usize;
    if isize > MAX_ISIZE {
        return Err(format!(
            "ISIZE {isize} is larger than a BGZF block can hold ({MAX_ISIZE})"
        ));
    }
    let deflated = &raw[HEADER_SIZE..raw.len() - TRAILER_SIZE];
    let len = decompressor
        .deflate_decompress(deflated, out)
        .map_err(|e| match e {
            libdeflater::DecompressionError::InsufficientSpace => {
                format!("the data inflate to more than {MAX_ISIZE} bytes (ISIZE says {isize})")
            }
            libdeflater::DecompressionError::BadData => "invalid deflate data".to_string(),
        })?;
    if len != isize {
        return Err(format!(
            "the data inflate to {len} bytes, but ISIZE says {isize}"
        ));
    }
    let crc = libdeflater::crc32(&out[..len]);
    if crc != stored_crc {
        return Err(format!(
            "CRC32 checksum mismatch: stored {stored_crc:08x}, data {crc:08x} (the block is damaged)"
        ));
    }
    Ok(len)
}

/// Whether `header` is a BGZF block header (gzip, deflate, `FEXTRA` with the 6-byte `BC`
/// subfield), as noodles and htslib write and require it.
fn is_bgzf_header(header: &[u8]) -> bool {
    header[..4] == [0x1f, 0x8b, 0x08, 0x04] && header[10..16] == [6, 0, b'B', b'C', 2, 0]
}

/// A batch being inflated on the pool, or inflated already.
enum InFlight {
    Pool(Receiver<Batch>),
    Ready(Batch),
}

/// A BGZF reader: [`Read`], [`BufRead`], and seekable to a [`VirtualPosition`].
pub struct BgzfReader<R = File> {
    file: io::BufReader<R>,
    /// File offset of the next frame to read.
    next_offset: u64,
    /// Whether the file has no more frames (or reading them failed).
    exhausted: bool,
    /// Batches read, in order, being inflated.
    ahead: VecDeque<InFlight>,
    /// The batch being served.
    current: Batch,
    /// Its block being served, and the position in that block.
    block: usize,
    pos: usize,
    /// Spent batches, their buffers reused.
    spare: Vec<Batch>,
}

impl<R: Read + Send + 'static> BgzfReader<R> {
    /// A reader at the start of `inner`.
    pub fn new(inner: R) -> BgzfReader<R> {
        BgzfReader {
            file: io::BufReader::with_capacity(FILE_BUFFER, inner),
            next_offset: 0,
            exhausted: false,
            ahead: VecDeque::new(),
            current: Batch::default(),
            block: 0,
            pos: 0,
            spare: Vec::new(),
        }
    }

    /// Batches to keep in flight: one per pool thread and one more, or none (inline).
    fn depth() -> usize {
        if rayon::current_num_threads() > 1 && rayon::current_thread_index().is_none() {
            rayon::current_num_threads() + 1
        } else {
            0
        }
    }

    /// Reads the next batch of raw frames; a read error ends the batch and the file.
    fn read_batch(&mut self) -> Batch {
        let mut batch = self.spare.pop().unwrap_or_default();
        batch.clear();
        while batch.frames.len() < BATCH_BLOCKS && !self.exhausted {
            match self.read_frame(&mut batch) {
                Ok(true) => {}
                Ok(false) => self.exhausted = true,
                Err(e) => {
                    batch.error = Some(e);
                    self.exhausted = true;
                }
            }
        }
        batch
    }

    /// Appends the next frame to `batch`; `false` at the end of the file.
    fn read_frame(&mut self, batch: &mut Batch) -> io::Result<bool> {
        let offset = self.next_offset;
        let at = batch.raw.len();
        batch.raw.resize(at + HEADER_SIZE, 0);
        let got = read_up_to(&mut self.file, &mut batch.raw[at..])?;
        if got == 0 {
            batch.raw.truncate(at);
            return Ok(false);
        }
        let damaged = |what: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("BGZF block at byte offset {offset}: {what}"),
            )
        };
        if got < HEADER_SIZE {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the file ends inside the header of the BGZF block at byte offset {offset}"
                ),
            ));
        }
        let header = &batch.raw[at..];
        if !is_bgzf_header(header) {
            return Err(damaged("invalid BGZF block header".to_string()));
        }
        let size = usize::from(u16::from_le_bytes([header[16], header[17]])) + 1;
        if size < HEADER_SIZE + TRAILER_SIZE {
            return Err(damaged(format!("block size {size} is too small")));
        }
        batch.raw.resize(at + size, 0);
        let got = read_up_to(&mut self.file, &mut batch.raw[at + HEADER_SIZE..])?;
        if got < size - HEADER_SIZE {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the file ends inside the BGZF block at byte offset {offset}"),
            ));
        }
        batch.frames.push(Frame {
            offset,
            raw_at: at,
            raw_len: size,
            len: 0,
        });
        self.next_offset += size as u64;
        Ok(true)
    }

    /// Starts reading (and inflating) batches until `depth` are ahead.
    fn read_ahead(&mut self, depth: usize) {
        while self.ahead.len() < depth.max(1) && !self.exhausted {
            let mut batch = self.read_batch();
            if depth == 0 {
                batch.inflate();
                self.ahead.push_back(InFlight::Ready(batch));
            } else {
                let (send, receive) = channel();
                rayon::spawn(move || {
                    batch.inflate();
                    let _ = send.send(batch);
                });
                self.ahead.push_back(InFlight::Pool(receive));
            }
        }
    }

    /// Makes the next batch current, its first block not yet entered (`block` is one before
    /// it); `Ok(false)` at the end of the file.
    fn load_batch(&mut self) -> io::Result<bool> {
        let depth = Self::depth();
        self.read_ahead(depth);
        let Some(next) = self.ahead.pop_front() else {
            return Ok(false);
        };
        let batch = match next {
            InFlight::Ready(batch) => batch,
            InFlight::Pool(receive) => receive
                .recv()
                .map_err(|_| io::Error::other("a BGZF inflation task failed"))?,
        };
        let spent = std::mem::replace(&mut self.current, batch);
        self.spare.push(spent);
        // Start reading the next batches before this one is parsed.
        self.read_ahead(depth);
        self.block = usize::MAX;
        self.pos = 0;
        Ok(true)
    }

    /// Moves to the next non-empty block; `Ok(false)` at the end of the data. A damaged block
    /// is an error once the blocks before it were served.
    fn next_block(&mut self) -> io::Result<bool> {
        loop {
            let next = self.block.wrapping_add(1);
            if next < self.current.frames.len() {
                self.block = next;
                self.pos = 0;
                if self.current.frames[next].len > 0 {
                    return Ok(true);
                }
                continue;
            }
            if let Some(error) = self.current.error.take() {
                // Nothing after a damaged block is read; the stream above remembers the error.
                self.exhausted = true;
                self.ahead.clear();
                return Err(error);
            }
            if !self.load_batch()? {
                return Ok(false);
            }
        }
    }

    /// The bytes of the current block not yet consumed.
    fn available(&self) -> &[u8] {
        match self.current.frames.get(self.block) {
            Some(frame) => {
                let start = self.block * MAX_ISIZE;
                &self.current.data[start + self.pos..start + frame.len]
            }
            None => &[],
        }
    }

    /// The virtual position of the next unread byte; at the end of a block, the start of the
    /// next one (as htslib and noodles report it).
    pub fn virtual_position(&self) -> VirtualPosition {
        match self.current.frames.get(self.block) {
            Some(frame) if self.pos < frame.len => {
                VirtualPosition::try_from((frame.offset, self.pos as u16))
                    .unwrap_or(VirtualPosition::MIN)
            }
            Some(frame) => VirtualPosition::try_from((frame.offset + frame.raw_len as u64, 0))
                .unwrap_or(VirtualPosition::MIN),
            None => {
                VirtualPosition::try_from((self.next_offset, 0)).unwrap_or(VirtualPosition::MIN)
            }
        }
    }
}

impl<R: Read + Seek + Send + 'static> BgzfReader<R> {
    /// Moves to `position`: the block at its compressed offset, then its offset inside the
    /// inflated block.
    pub fn seek(&mut self, position: VirtualPosition) -> io::Result<()> {
        let (offset, within) = (position.compressed(), usize::from(position.uncompressed()));
        // Batches in flight finish on the pool and are dropped there.
        self.ahead.clear();
        self.current.clear();
        self.block = 0;
        self.pos = 0;
        self.file.seek(SeekFrom::Start(offset))?;
        self.next_offset = offset;
        self.exhausted = false;
        if within == 0 {
            return Ok(());
        }
        let outside = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("virtual position {offset}:{within} is outside its BGZF block"),
            )
        };
        if !self.load_batch()? {
            return Err(outside());
        }
        match self.current.frames.first() {
            Some(frame) if frame.offset == offset && within <= frame.len => {
                self.block = 0;
                self.pos = within;
                Ok(())
            }
            Some(_) => Err(outside()),
            None => Err(self.current.error.take().unwrap_or_else(outside)),
        }
    }
}

impl<R: Read + Send + 'static> BufRead for BgzfReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.available().is_empty() && !self.next_block()? {
            return Ok(&[]);
        }
        Ok(self.available())
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(
            self.current
                .frames
                .get(self.block)
                .map_or(0, |frame| frame.len),
        );
    }
}

impl<R: Read + Send + 'static> Read for BgzfReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    /// Compresses `data` with noodles' writer (blocks of up to 64 KiB, the EOF block).
    fn bgzf(data: &[u8]) -> Vec<u8> {
        let mut writer = noodles_bgzf::io::Writer::new(Vec::new());
        writer.write_all(data).unwrap();
        writer.finish().unwrap()
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("line {i}\t{}\n", i * 7919 % 1000).into_bytes())
            .collect()
    }

    #[test]
    fn reads_what_noodles_writes() {
        let data = text(200_000);
        let mut out = Vec::new();
        BgzfReader::new(Cursor::new(bgzf(&data)))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn seeks_to_virtual_positions_as_noodles_does() {
        let data = text(200_000);
        let file = bgzf(&data);
        let mut ours = BgzfReader::new(Cursor::new(file.clone()));
        let mut theirs = noodles_bgzf::io::Reader::new(Cursor::new(file.clone()));
        let mut marks = Vec::new();
        let mut line = Vec::new();
        for k in 0.. {
            line.clear();
            let position = theirs.virtual_position();
            assert_eq!(ours.virtual_position(), position, "line {k}");
            if theirs.read_until(b'\n', &mut line).unwrap() == 0 {
                break;
            }
            let mut mine = Vec::new();
            ours.read_until(b'\n', &mut mine).unwrap();
            assert_eq!(mine, line);
            if k % 9973 == 0 {
                marks.push((position, line.clone()));
            }
        }
        for (position, line) in marks.iter().rev() {
            ours.seek(*position).unwrap();
            let mut mine = Vec::new();
            ours.read_until(b'\n', &mut mine).unwrap();
            assert_eq!(&mine, line);
        }
    }

    #[test]
    fn a_damaged_block_names_its_offset_and_is_never_served() {
        let data = text(100_000);
        let file = bgzf(&data);
        // The second block: flip a bit of its stored CRC32.
        let second = usize::from(u16::from_le_bytes([file[16], file[17]])) + 1;
        let size = usize::from(u16::from_le_bytes([file[second + 16], file[second + 17]])) + 1;
        let mut damaged = file.clone();
        damaged[second + size - 8] ^= 1;
        let mut reader = BgzfReader::new(Cursor::new(damaged));
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        let message = error.to_string();
        assert!(
            message.contains(&format!("byte offset {second}")) && message.contains("CRC32"),
            "{message}"
        );
        let first_len = out.len();
        assert!(first_len <= MAX_ISIZE && data.starts_with(&out));

        // ISIZE one larger: the data inflate to fewer bytes than it says.
        let mut damaged = file.clone();
        damaged[second + size - 4] ^= 1;
        let error = BgzfReader::new(Cursor::new(damaged))
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(error.to_string().contains("ISIZE"), "{error}");

        // Cut inside a block.
        let error = BgzfReader::new(Cursor::new(file[..second + 10].to_vec()))
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }
}
