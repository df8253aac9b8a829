//! The byte stream under a VCF or BCF reader: BGZF or plain, read whole or by index query.
//!
//! * Compression is detected from the first bytes, not the name: BGZF (gzip with the `BC` extra
//!   field) or uncompressed. Plain gzip is refused — it cannot be indexed; `bgzip` rewrites it.
//! * BGZF blocks are inflated in parallel and every block's ISIZE and CRC32 is checked
//!   ([`super::bgzf`]); a damaged block is an error naming its byte offset. A [`Stream`]
//!   remembers the first read error and returns it from then on: a damaged block can never be
//!   read as data, even by a caller that tolerates one error.
//! * A BGZF file must end with the 28-byte end-of-file block that `bgzip`, `bcftools` and htslib
//!   write. A file cut at a block boundary still inflates cleanly; the missing marker is the
//!   only sign it was truncated, so [`Stream::check_complete`] reports it.
//! * `--region` reads only the BGZF chunks that a `.tbi` or `.csi` index lists for the region
//!   ([`RegionQuery`]); the reader still filters each record by chromosome and position, since
//!   index bins are coarser than the region.
//!
//! ```no_run
//! use dash::genotype::stream::Stream;
//! let mut stream = Stream::open("cohort.vcf.gz".as_ref())?;
//! assert!(stream.is_bgzf());
//! # Ok::<(), dash::error::Error>(())
//! ```

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use noodles_bgzf as bgzf;
use noodles_core::{region::Interval, Position};
use noodles_csi::binning_index::{index::reference_sequence::bin::Chunk, merge_chunks};
use noodles_csi::BinningIndex;

use super::bgzf::BgzfReader;
use super::io::read_up_to;
use super::Region;
use crate::chrom;
use crate::error::{Error, IoResultExt, Result};

/// The end-of-file block of a BGZF file (an empty deflate block), SAM spec §4.1.2.
const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// A BGZF or plain input, readable as bytes.
pub enum Stream {
    /// BGZF-compressed (`.vcf.gz`, `.bcf`); `eof_marker` tells whether the file ends properly.
    Bgzf {
        /// The decompressing reader (boxed: it holds its batches' bookkeeping inline).
        reader: Box<BgzfReader<File>>,
        /// Whether the file ends with the BGZF end-of-file block.
        eof_marker: bool,
        /// The first read error, returned again by every later read.
        failed: Option<(io::ErrorKind, String)>,
    },
    /// Uncompressed (`.vcf`, `bcftools view -Ou`).
    Plain(BufReader<File>),
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stream::Bgzf { eof_marker, .. } => write!(f, "Stream::Bgzf(eof_marker: {eof_marker})"),
            Stream::Plain(_) => f.write_str("Stream::Plain"),
        }
    }
}

impl Stream {
    /// Opens `path`, detecting BGZF from its first bytes.
    pub fn open(path: &Path) -> Result<Stream> {
        let mut file = File::open(path).with_path(path)?;
        let mut head = [0u8; 16];
        let got = read_up_to(&mut file, &mut head).with_path(path)?;
        file.seek(SeekFrom::Start(0)).with_path(path)?;
        let gzip = got >= 2 && head[..2] == [0x1f, 0x8b];
        if !gzip {
            return Ok(Stream::Plain(BufReader::with_capacity(1 << 20, file)));
        }
        let bgzf = got == 16 && head[3] & 0x04 != 0 && head[12..14] == *b"BC";
        if !bgzf {
            return Err(Error::input(
                path,
                "gzip-compressed but not BGZF; recompress with `bgzip` (or `bcftools view -Oz`)",
            ));
        }
        let size = file.metadata().with_path(path)?.len();
        let mut tail = [0u8; 28];
        let eof_marker = size >= 28 && {
            file.seek(SeekFrom::End(-28)).with_path(path)?;
            file.read_exact(&mut tail).with_path(path)?;
            file.seek(SeekFrom::Start(0)).with_path(path)?;
            tail == BGZF_EOF
        };
        Ok(Stream::Bgzf {
            reader: Box::new(BgzfReader::new(file)),
            eof_marker,
            failed: None,
        })
    }

    /// Whether the input is BGZF-compressed (and so can be indexed).
    pub fn is_bgzf(&self) -> bool {
        matches!(self, Stream::Bgzf { .. })
    }

    /// The BGZF virtual position of the next unread byte (`None` for plain input).
    pub fn virtual_position(&self) -> Option<bgzf::VirtualPosition> {
        match self {
            Stream::Bgzf { reader, .. } => Some(reader.virtual_position()),
            Stream::Plain(_) => None,
        }
    }

    /// Errors when a BGZF file lacks its end-of-file block, i.e. was cut short.
    pub fn check_complete(&self, path: &Path) -> Result<()> {
        match self {
            Stream::Bgzf {
                eof_marker: false, ..
            } => Err(Error::input(
                path,
                "truncated: the BGZF end-of-file block is missing (was the file copied completely?)",
            )),
            _ => Ok(()),
        }
    }

    fn seek(&mut self, position: bgzf::VirtualPosition) -> io::Result<()> {
        match self {
            Stream::Bgzf { reader, .. } => reader.seek(position),
            Stream::Plain(_) => Err(io::Error::other("plain input cannot seek")),
        }
    }
}

/// Returns the remembered error, or runs `read` and remembers its error.
fn sticky<T>(
    failed: &mut Option<(io::ErrorKind, String)>,
    read: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    if let Some((kind, message)) = failed {
        return Err(io::Error::new(*kind, message.clone()));
    }
    read().inspect_err(|e| *failed = Some((e.kind(), e.to_string())))
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Bgzf { reader, failed, .. } => sticky(failed, move || reader.read(buf)),
            Stream::Plain(reader) => reader.read(buf),
        }
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        match self {
            Stream::Bgzf { reader, failed, .. } => sticky(failed, move || reader.read_exact(buf)),
            Stream::Plain(reader) => reader.read_exact(buf),
        }
    }
}

impl BufRead for Stream {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Stream::Bgzf { reader, failed, .. } => sticky(failed, move || reader.fill_buf()),
            Stream::Plain(reader) => reader.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            Stream::Bgzf { reader, .. } => reader.consume(amount),
            Stream::Plain(reader) => reader.consume(amount),
        }
    }
}

/// Says what a failed read means, for an error naming the file and record.
///
/// ```
/// use std::io;
/// use dash::genotype::stream::read_error_message;
/// let e = io::Error::from(io::ErrorKind::UnexpectedEof);
/// assert!(read_error_message(&e).starts_with("truncated"));
/// ```
pub fn read_error_message(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::UnexpectedEof => {
            "truncated: the file ends inside a BGZF block or record".to_string()
        }
        io::ErrorKind::InvalidData => format!("corrupt BGZF data: {error}"),
        io::ErrorKind::Other => error.to_string(),
        _ => format!("cannot read: {error}"),
    }
}

/// Which index files a format may have beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// `FILE.tbi` or `FILE.csi` (bgzipped VCF).
    TabixOrCsi,
    /// `FILE.csi` (BCF).
    Csi,
}

/// A loaded `.tbi`/`.csi` index.
pub struct LoadedIndex {
    /// The index file read.
    pub path: PathBuf,
    index: Box<dyn BinningIndex>,
}

impl std::fmt::Debug for LoadedIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedIndex")
            .field("path", &self.path)
            .finish()
    }
}

impl LoadedIndex {
    /// Loads the index beside `data` (`data.tbi`, then `data.csi`), or errors naming `data`.
    pub fn load(data: &Path, kind: IndexKind) -> Result<LoadedIndex> {
        let beside = |ext: &str| {
            let mut name = data.as_os_str().to_owned();
            name.push(ext);
            PathBuf::from(name)
        };
        let (tbi, csi) = (beside(".tbi"), beside(".csi"));
        if kind == IndexKind::TabixOrCsi && tbi.exists() {
            check_index_file(&tbi)?;
            let index = noodles_tabix::fs::read(&tbi)
                .map_err(|e| Error::input(&tbi, format!("unreadable tabix index: {e}")))?;
            return Ok(LoadedIndex {
                path: tbi,
                index: Box::new(index),
            });
        }
        if csi.exists() {
            check_index_file(&csi)?;
            let index = noodles_csi::fs::read(&csi)
                .map_err(|e| Error::input(&csi, format!("unreadable CSI index: {e}")))?;
            return Ok(LoadedIndex {
                path: csi,
                index: Box::new(index),
            });
        }
        let wanted = match kind {
            IndexKind::TabixOrCsi => "no .tbi or .csi index",
            IndexKind::Csi => "no .csi index",
        };
        Err(Error::input(
            data,
            format!("--region needs an index, but there is {wanted} beside it; create one with `bcftools index`"),
        ))
    }

    /// Reference sequence names stored in the index (tabix and VCF CSI), by index id.
    pub fn names(&self) -> Option<Vec<String>> {
        self.index.header().map(|h| {
            h.reference_sequence_names()
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect()
        })
    }

    /// The BGZF chunks holding records of `region`, sorted and disjoint; `names[id]` is the
    /// file's spelling of reference sequence `id`.
    pub fn chunks(&self, names: &[String], region: &Region) -> Result<Vec<Chunk>> {
        // The largest position the index's bins can address.
        let bits = u32::from(self.index.min_shift()) + 3 * u32::from(self.index.depth());
        let max = (1u64 << bits.min(62)) - 1;
        if region.start > max {
            return Ok(Vec::new());
        }
        let start = to_position(region.start);
        let interval: Interval = if region.end >= max {
            (start..).into()
        } else {
            (start..=to_position(region.end)).into()
        };
        let count = self.index.reference_sequences().count();
        let mut chunks = Vec::new();
        for (id, name) in names.iter().enumerate().take(count) {
            if chrom::normalize(name) != region.chrom {
                continue;
            }
            let found = self
                .index
                .query(id, interval)
                .map_err(|e| Error::input(&self.path, format!("index query failed: {e}")))?;
            chunks.extend(found);
        }
        chunks.sort_by_key(|c| c.start());
        Ok(merge_chunks(&chunks))
    }
}

/// The largest inflated index read.
const MAX_INDEX_BYTES: u64 = 1 << 30;

/// Checks an index file before noodles reads it: noodles sizes allocations from its counts
/// (a corrupt bin count asked for 38 GB and aborted), so every count is checked here against the
/// bytes left ([`check_index`]).
fn check_index_file(path: &Path) -> Result<()> {
    let file = File::open(path).with_path(path)?;
    let mut data = Vec::new();
    Read::take(bgzf::io::Reader::new(file), MAX_INDEX_BYTES)
        .read_to_end(&mut data)
        .map_err(|e| {
            Error::input(
                path,
                format!("unreadable index: {}", read_error_message(&e)),
            )
        })?;
    check_index(&data).map_err(|m| Error::input(path, format!("corrupt index: {m}")))
}

/// A cursor over an inflated index.
struct Walk<'a> {
    data: &'a [u8],
    at: usize,
}

impl Walk<'_> {
    fn skip(&mut self, n: usize) -> Result<(), String> {
        match self.at.checked_add(n).filter(|&end| end <= self.data.len()) {
            Some(end) => {
                self.at = end;
                Ok(())
            }
            None => Err(format!("the index ends inside a field at byte {}", self.at)),
        }
    }

    fn i32(&mut self) -> Result<i32, String> {
        let at = self.at;
        self.skip(4)?;
        Ok(i32::from_le_bytes(
            self.data[at..at + 4].try_into().expect("4 bytes"),
        ))
    }

    /// A count of entries of at least `each` bytes, which the bytes left must hold.
    fn count(&mut self, what: &str, each: usize) -> Result<usize, String> {
        let at = self.at;
        let n = self.i32()?;
        let left = self.data.len() - self.at;
        match usize::try_from(n) {
            Ok(n) if n.saturating_mul(each) <= left => Ok(n),
            _ => Err(format!(
                "{what} {n} at byte {at}: more than the {left} bytes left can hold"
            )),
        }
    }
}

/// Walks an inflated `.tbi` or `.csi` (the tabix and CSI specs), checking every count.
///
/// ```
/// use dash::genotype::stream::check_index;
/// // TBI: n_ref 1, six header ints, l_nm 2 ("1\0"), one reference with n_bin 1 …
/// let mut tbi = b"TBI\x01".to_vec();
/// for v in [1i32, 2, 1, 2, 0, 35, 0, 2] { tbi.extend(v.to_le_bytes()); }
/// tbi.extend(b"1\0");
/// tbi.extend(1i32.to_le_bytes()); // n_bin
/// tbi.extend(4681u32.to_le_bytes()); // bin
/// tbi.extend(0i32.to_le_bytes()); // n_chunk
/// tbi.extend(0i32.to_le_bytes()); // n_intv
/// assert!(check_index(&tbi).is_ok());
/// tbi[38..42].copy_from_slice(&i32::MAX.to_le_bytes()); // a corrupt n_bin
/// assert!(check_index(&tbi).unwrap_err().starts_with("n_bin 2147483647 at byte 38"));
/// ```
pub fn check_index(data: &[u8]) -> Result<(), String> {
    let mut w = Walk { data, at: 0 };
    w.skip(4)?;
    match &data[..4] {
        b"TBI\x01" => {
            let n_ref = w.count("n_ref", 8)?;
            w.skip(4 * 6)?; // format, col_seq, col_beg, col_end, meta, skip
            let l_nm = w.count("l_nm", 1)?;
            w.skip(l_nm)?;
            for _ in 0..n_ref {
                let n_bin = w.count("n_bin", 8)?;
                for _ in 0..n_bin {
                    w.skip(4)?; // bin
                    let n_chunk = w.count("n_chunk", 16)?;
                    w.skip(16 * n_chunk)?;
                }
                let n_intv = w.count("n_intv", 8)?;
                w.skip(8 * n_intv)?;
            }
        }
        b"CSI\x01" => {
            let (min_shift, depth) = (w.i32()?, w.i32()?);
            if !(0..=62).contains(&min_shift)
                || !(0..=20).contains(&depth)
                || min_shift + 3 * depth > 62
            {
                return Err(format!(
                    "min_shift {min_shift} and depth {depth} are out of range"
                ));
            }
            let l_aux = w.count("l_aux", 1)?;
            w.skip(l_aux)?;
            let n_ref = w.count("n_ref", 4)?;
            for _ in 0..n_ref {
                let n_bin = w.count("n_bin", 16)?;
                for _ in 0..n_bin {
                    w.skip(12)?; // bin, loffset
                    let n_chunk = w.count("n_chunk", 16)?;
                    w.skip(16 * n_chunk)?;
                }
            }
        }
        other => return Err(format!("magic {other:02x?} is neither TBI nor CSI")),
    }
    Ok(())
}

fn to_position(value: u64) -> Position {
    Position::try_from(value as usize).unwrap_or(Position::MIN)
}

/// Walks the chunks of a region query, seeking the stream from one to the next.
#[derive(Debug)]
pub struct RegionQuery {
    chunks: Vec<Chunk>,
    next: usize,
    end: Option<bgzf::VirtualPosition>,
}

impl RegionQuery {
    /// A query over `chunks` (sorted, disjoint).
    pub fn new(chunks: Vec<Chunk>) -> RegionQuery {
        RegionQuery {
            chunks,
            next: 0,
            end: None,
        }
    }

    /// Positions `stream` at the next record inside the query's chunks; `false` when done.
    ///
    /// Never seeks backwards: a record that straddles a chunk end is read once, and a following
    /// chunk that starts before the stream's position continues from there.
    pub fn advance(&mut self, stream: &mut Stream) -> io::Result<bool> {
        loop {
            let here = stream.virtual_position().unwrap_or_default();
            if let Some(end) = self.end {
                if here < end {
                    return Ok(true);
                }
            }
            let Some(chunk) = self.chunks.get(self.next) else {
                return Ok(false);
            };
            self.next += 1;
            if chunk.end() <= here && self.end.is_some() {
                continue;
            }
            if self.end.is_none() || chunk.start() > here {
                stream.seek(chunk.start())?;
            }
            self.end = Some(chunk.end());
        }
    }
}
