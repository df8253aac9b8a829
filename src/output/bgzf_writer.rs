//! A BGZF writer that deflates its blocks with libdeflate, on the rayon pool when asked.
//!
//! A merge's output is mostly float text, which deflates at only ~130 MB/s a core whatever the
//! library: that makes compression the largest cost of a merge (a third of a 100-phenotype merge
//! in `perf`). Against noodles' writer on zlib-rs at its fastest level this writer
//!
//! * deflates with libdeflate at level 1, as fast per block as zlib-rs's `deflate_quick` on this
//!   text but with real Huffman codes: files a third smaller, and so a third less to checksum
//!   and write;
//! * keeps one compressor per thread instead of allocating (and zeroing) a compressor's state for
//!   every 64 KiB block — that allocation alone cost ~15% of deflate time;
//! * compresses a batch of blocks as rayon tasks, so a single file uses the pool the merge
//!   already has rather than threads of its own, and hands the compressed batch to a thread that
//!   writes it (and feeds the file's MD5) while the next batch is formatted and compressed.
//!
//! Blocks hold [`BLOCK_TEXT`] bytes of text each (the last one less), cut at fixed offsets as
//! noodles and `bgzip` cut them; the file ends with the standard empty EOF block, so `tabix`,
//! `bgzip -d` and any gzip reader take it. The bytes differ from noodles' output; the text they
//! inflate to is the same.
//!
//! ```
//! use std::io::Read;
//! use dash::output::bgzf_writer::BgzfWriter;
//!
//! let mut writer = BgzfWriter::new(Vec::new(), true);
//! writer.write_all(b"chromosome\tbase_pair_location\n1\t100\n").unwrap();
//! let file = writer.finish().unwrap();
//! let mut text = String::new();
//! noodles_bgzf::io::Reader::new(&file[..]).read_to_string(&mut text).unwrap();
//! assert_eq!(text, "chromosome\tbase_pair_location\n1\t100\n");
//! ```

use std::cell::RefCell;
use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use libdeflater::{CompressionLvl, Compressor, Crc};
use rayon::prelude::*;

/// Text bytes per block: the most a block may hold such that even a stored (incompressible)
/// block fits BGZF's 64 KiB limit; the size noodles and htslib use.
pub const BLOCK_TEXT: usize = 65280;

/// Blocks compressed as one batch on the pool: enough to keep both cores busy, small enough
/// (2 MiB of text) that formatting and compressing alternate quickly. On the caller's thread a
/// batch is one block, so that a hundred files written side by side hold 64 KiB of text each.
const BATCH_BLOCKS: usize = 32;

/// Compressed batches queued for the writing thread before the compressing side waits.
const BATCHES_AHEAD: usize = 2;

/// A BGZF block's gzip header up to `BSIZE` (RFC 1952 with the `BC` extra subfield).
const HEADER: [u8; 16] = [
    0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, b'B', b'C', 0x02, 0,
];

/// Header (with `BSIZE`) and trailer (CRC32, ISIZE) bytes around a block's deflate data.
const FRAME_OVERHEAD: usize = HEADER.len() + 2 + 8;

/// The largest block BGZF allows (`BSIZE` is the size minus one, in 16 bits).
const MAX_BLOCK: usize = 1 << 16;

/// The empty block that ends every BGZF file (SAM/BAM specification §4.1.2).
pub const EOF_BLOCK: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, b'B', b'C', 0x02, 0, 0x1b, 0, 0x03, 0, 0,
    0, 0, 0, 0, 0, 0, 0,
];

thread_local! {
    /// This thread's level-1 compressor and a stored-block fallback: reused, never reallocated.
    static COMPRESSORS: RefCell<(Compressor, Compressor)> = RefCell::new((
        Compressor::new(CompressionLvl::new(1).expect("level 1 exists")),
        Compressor::new(CompressionLvl::new(0).expect("level 0 (stored) exists")),
    ));
}

/// Where compressed blocks go: written on this thread, or on a thread of their own.
enum Sink<W> {
    Here(W),
    Thread {
        batches: SyncSender<Vec<u8>>,
        writer: JoinHandle<io::Result<W>>,
    },
}

/// Writes BGZF to `W`: text in, blocks out, in order.
pub struct BgzfWriter<W: Write + Send + 'static> {
    /// `None` only once finished.
    sink: Option<Sink<W>>,
    /// Text not yet compressed.
    text: Vec<u8>,
    /// Whether batches are compressed on the rayon pool and written by a thread of their own
    /// (one file using the whole machine) or all on the caller's thread (many files written
    /// side by side, each by one worker of the pool).
    parallel: bool,
}

impl<W: Write + Send + 'static> BgzfWriter<W> {
    /// A writer to `inner`; `parallel` as in [`BgzfWriter`]'s field (the bytes are the same
    /// either way).
    pub fn new(inner: W, parallel: bool) -> BgzfWriter<W> {
        let sink = if parallel {
            let (batches, received) = sync_channel::<Vec<u8>>(BATCHES_AHEAD);
            let writer = std::thread::spawn(move || {
                let mut inner = inner;
                for batch in received {
                    inner.write_all(&batch)?;
                }
                Ok(inner)
            });
            Sink::Thread { batches, writer }
        } else {
            Sink::Here(inner)
        };
        BgzfWriter {
            sink: Some(sink),
            text: Vec::with_capacity(batch_text(parallel)),
            parallel,
        }
    }

    /// Appends `bytes` of text; full batches of blocks are compressed and passed on.
    pub fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        // Filled up to one batch at a time, never past it: the buffer keeps the capacity it was
        // made with (a merge of 1,000 phenotypes holds 1,000 of them), and a full batch is
        // whole blocks, compressed with nothing left to move down.
        let batch = batch_text(self.parallel);
        while !bytes.is_empty() {
            let room = batch.saturating_sub(self.text.len()).max(1);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.text.extend_from_slice(now);
            bytes = rest;
            if self.text.len() >= batch {
                self.compress_buffered(false)?;
            }
        }
        Ok(())
    }

    /// Compresses the buffered whole blocks (and the partial last one when `all`) and sends
    /// them on.
    fn compress_buffered(&mut self, all: bool) -> io::Result<()> {
        let whole = if all {
            self.text.len()
        } else {
            self.text.len() / BLOCK_TEXT * BLOCK_TEXT
        };
        if whole == 0 {
            return Ok(());
        }
        let blocks = &self.text[..whole];
        let batch = if self.parallel {
            let frames: Vec<Vec<u8>> = blocks
                .par_chunks(BLOCK_TEXT)
                .map(|block| {
                    let mut frame = Vec::new();
                    push_frame(block, &mut frame);
                    frame
                })
                .collect();
            frames.concat()
        } else {
            let mut batch = Vec::with_capacity(whole);
            blocks
                .chunks(BLOCK_TEXT)
                .for_each(|block| push_frame(block, &mut batch));
            batch
        };
        self.text.drain(..whole);
        self.send(batch)
    }

    /// Passes compressed bytes to the sink.
    fn send(&mut self, batch: Vec<u8>) -> io::Result<()> {
        match self.sink.as_mut().expect("not finished") {
            Sink::Here(inner) => inner.write_all(&batch),
            Sink::Thread { batches, .. } => batches
                .send(batch)
                // The writing thread stopped on an error: `finish` returns it.
                .or(Ok(())),
        }
    }

    /// Ends the text so far with a (short) block, then passes on `blocks`: whole BGZF blocks
    /// compressed elsewhere ([`BgzfWriter::finish_blocks`] of a part of the same file, made on
    /// another thread). BGZF readers and tabix take blocks of any size, so the text the file
    /// inflates to is the same as if it had been written here.
    pub fn append_blocks(&mut self, blocks: Vec<u8>) -> io::Result<()> {
        self.compress_buffered(true)?;
        self.send(blocks)
    }

    /// Compresses what is left (the last block short) and returns the inner writer, with no EOF
    /// block: the blocks of a part of a file, for [`BgzfWriter::append_blocks`].
    pub fn finish_blocks(mut self) -> io::Result<W> {
        self.compress_buffered(true)?;
        self.sink.take().expect("not finished").into_inner()
    }

    /// Compresses what is left, writes the EOF block and returns the inner writer (with any
    /// error the writing thread met).
    pub fn finish(mut self) -> io::Result<W> {
        self.compress_buffered(true)?;
        self.send(EOF_BLOCK.to_vec())?;
        self.sink.take().expect("not finished").into_inner()
    }
}

impl<W: Write + Send + 'static> Drop for BgzfWriter<W> {
    /// An unfinished writer (a merge that failed) waits for its writing thread to drop the inner
    /// writer, so an uncommitted output is removed before the process reports the error and
    /// exits.
    fn drop(&mut self) {
        if let Some(sink) = self.sink.take() {
            let _ = sink.into_inner();
        }
    }
}

impl<W: Write + Send + 'static> Sink<W> {
    /// The inner writer, once every batch sent is written (or the error that stopped it).
    fn into_inner(self) -> io::Result<W> {
        match self {
            Sink::Here(inner) => Ok(inner),
            Sink::Thread { batches, writer } => {
                drop(batches);
                writer
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }
        }
    }
}

/// Text bytes compressed at once: a batch of blocks on the pool, one block on the caller's thread.
fn batch_text(parallel: bool) -> usize {
    if parallel {
        BATCH_BLOCKS * BLOCK_TEXT
    } else {
        BLOCK_TEXT
    }
}

/// Appends one BGZF block holding `text` (at most [`BLOCK_TEXT`] bytes) to `out`: deflated at
/// level 1, or stored when deflating would not fit the block size limit.
fn push_frame(text: &[u8], out: &mut Vec<u8>) {
    debug_assert!(text.len() <= BLOCK_TEXT);
    COMPRESSORS.with_borrow_mut(|(fastest, stored)| {
        let start = out.len();
        out.extend_from_slice(&HEADER);
        out.extend_from_slice(&[0, 0]); // BSIZE, set below
        let data = out.len();
        let bound = fastest.deflate_compress_bound(text.len());
        out.resize(data + bound, 0);
        let mut size = fastest
            .deflate_compress(text, &mut out[data..])
            .expect("the buffer holds the compressor's bound");
        if size + FRAME_OVERHEAD > MAX_BLOCK {
            let bound = stored.deflate_compress_bound(text.len());
            out.resize(data + bound, 0);
            size = stored
                .deflate_compress(text, &mut out[data..])
                .expect("the buffer holds the compressor's bound");
        }
        out.truncate(data + size);
        let mut crc = Crc::new();
        crc.update(text);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        let block_size = u16::try_from(out.len() - start - 1).expect("a block fits 64 KiB");
        out[data - 2..data].copy_from_slice(&block_size.to_le_bytes());
    });
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// Text like a GWAS-SSF file's: numbers with many digits, some repetition.
    fn float_text(rows: usize) -> Vec<u8> {
        let mut text = String::new();
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for row in 0..rows {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let value = (x >> 11) as f64 / (1u64 << 53) as f64;
            text.push_str(&format!("1\t{row}\tA\tG\t{value:?}\t{}\n", value * 1e-3));
        }
        text.into_bytes()
    }

    /// Noise: no block of it deflates below its size.
    fn noise(len: usize) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    fn inflate(file: &[u8]) -> Vec<u8> {
        let mut text = Vec::new();
        noodles_bgzf::io::Reader::new(file)
            .read_to_end(&mut text)
            .unwrap();
        text
    }

    /// Each block's header, `BSIZE` and ISIZE, walked from the start: (block sizes, text sizes).
    fn blocks(file: &[u8]) -> Vec<(usize, usize)> {
        let mut at = 0;
        let mut sizes = Vec::new();
        while at < file.len() {
            assert_eq!(file[at..at + 16], HEADER, "block header at {at}");
            let size = usize::from(u16::from_le_bytes([file[at + 16], file[at + 17]])) + 1;
            let end = at + size;
            let isize = u32::from_le_bytes(file[end - 4..end].try_into().unwrap()) as usize;
            sizes.push((size, isize));
            at = end;
        }
        assert_eq!(at, file.len());
        sizes
    }

    #[test]
    fn text_inflates_back_the_same_in_both_modes_and_in_any_pieces() {
        let text = float_text(200_000); // ~9 MB: several batches and a partial last block
        for parallel in [false, true] {
            let mut writer = BgzfWriter::new(Vec::new(), parallel);
            for piece in text.chunks(100_003) {
                writer.write_all(piece).unwrap();
            }
            let file = writer.finish().unwrap();
            assert_eq!(inflate(&file), text, "parallel {parallel}");
            assert!(file.ends_with(&EOF_BLOCK));
            let sizes = blocks(&file);
            let (last, full) = sizes[..sizes.len() - 1].split_last().unwrap();
            assert!(full.iter().all(|&(_, text)| text == BLOCK_TEXT));
            assert_eq!(last.1, text.len() % BLOCK_TEXT);
            assert!(
                file.len() < text.len(),
                "deflated: {} of {}",
                file.len(),
                text.len()
            );
        }
    }

    #[test]
    fn the_text_buffer_never_grows_past_one_batch() {
        // Pieces smaller and larger than a batch (one block on the caller's thread, 32 on the
        // pool): the buffer keeps its capacity and the blocks are cut at the same offsets.
        let text = float_text(100_000);
        for parallel in [false, true] {
            for piece in [1_000, BLOCK_TEXT + 1, 3 * BATCH_BLOCKS * BLOCK_TEXT / 2] {
                let mut writer = BgzfWriter::new(Vec::new(), parallel);
                let capacity = writer.text.capacity();
                for piece in text.chunks(piece) {
                    writer.write_all(piece).unwrap();
                    assert_eq!(writer.text.capacity(), capacity, "piece {}", piece.len());
                }
                let file = writer.finish().unwrap();
                assert_eq!(inflate(&file), text, "parallel {parallel}, piece {piece}");
                let mut whole = BgzfWriter::new(Vec::new(), parallel);
                whole.write_all(&text).unwrap();
                assert_eq!(file, whole.finish().unwrap(), "piece {piece}");
            }
        }
    }

    #[test]
    fn both_modes_write_the_same_bytes() {
        let text = float_text(50_000);
        let write = |parallel| {
            let mut writer = BgzfWriter::new(Vec::new(), parallel);
            writer.write_all(&text).unwrap();
            writer.finish().unwrap()
        };
        assert_eq!(write(false), write(true));
    }

    #[test]
    fn incompressible_blocks_are_stored_within_the_size_limit() {
        let text = noise(3 * BLOCK_TEXT + 17);
        let mut writer = BgzfWriter::new(Vec::new(), true);
        writer.write_all(&text).unwrap();
        let file = writer.finish().unwrap();
        assert_eq!(inflate(&file), text);
        assert!(blocks(&file).iter().all(|&(size, _)| size <= MAX_BLOCK));
    }

    #[test]
    fn no_text_is_just_the_eof_block() {
        let file = BgzfWriter::new(Vec::new(), false).finish().unwrap();
        assert_eq!(file, EOF_BLOCK);
    }

    #[test]
    fn a_failing_sink_is_an_error_at_finish() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        for parallel in [false, true] {
            let mut writer = BgzfWriter::new(Full, parallel);
            let wrote = writer.write_all(&float_text(100_000));
            let finished = wrote.and_then(|()| writer.finish().map(drop));
            assert_eq!(finished.unwrap_err().to_string(), "disk full");
        }
    }
}
