//! Variant blocks: the identifying data, read on the reading thread, and the stored probability
//! block, kept compressed until a worker decodes it ([`super::probs`]).
//!
//! ```text
//! layout 1:  N u32 | id | rsid | chrom (u16 length + bytes each) | pos u32 | 2 × allele (u32 length + bytes)
//! layout 2:  id | rsid | chrom | pos u32 | K u16 | K × allele (u32 length + bytes)
//! then the probability block:
//!   layout 1, uncompressed: 6N bytes;       layout 1, compressed: C u32 | C bytes (inflating to 6N)
//!   layout 2, uncompressed: C u32 | C bytes; layout 2, compressed: C u32 | D u32 | C − 4 bytes (inflating to D)
//! ```
//!
//! A multi-allelic variant is split into one test per ALT allele, as for VCF. Which allele is
//! REF is not in the file: `--bgen-ref first` takes the first allele (ALTs are the others, in
//! file order), `last` and `unknown` the last one (ALTs the ones before it), as plink2's
//! `ref-first`, `ref-last` and `ref-unknown` do.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use super::header::{Compression, Header, Layout};
use super::probs::{self, BlockShape};
use super::RefMode;
use crate::chrom;
use crate::error::{Error, Result};
use crate::genotype::batch::RecordFormat;
use crate::genotype::dosage::{AltColumn, RecordSite, SampleError};
use crate::genotype::stream::Stream;

/// The largest probability block inflated (a corrupt length must not allocate without bound).
const MAX_INFLATED: u64 = 1 << 30;

/// The BGEN variant-block format, for [`crate::genotype::batch::RecordReader`].
#[derive(Debug, Clone)]
pub struct Bgen {
    layout: Layout,
    compression: Compression,
    n_samples: u32,
    reference: RefMode,
    /// Variants the header declares.
    n_variants: u32,
    /// Size of the file.
    file_len: u64,
    /// Variants read so far (reading side).
    read: u32,
    /// File offset of the next unread byte (reading side).
    at: u64,
    /// Under `--region` with a `.bgi`: the offsets of the variants to read, and the next one.
    offsets: Option<(Arc<[u64]>, usize)>,
}

/// One variant block as read: its stored (compressed) probability block and where it was.
#[derive(Debug, Default)]
pub struct BgenRecord {
    stored: Vec<u8>,
    inflated_len: usize,
    n_alleles: usize,
    /// 1-based variant number in the file (0 under a `.bgi` query, where it is unknown).
    number: u32,
    /// File offset of the block.
    offset: u64,
}

impl Bgen {
    /// The format of a file with this header; `offsets` limits reading to those blocks.
    pub fn new(
        header: &Header,
        reference: RefMode,
        file_len: u64,
        offsets: Option<Vec<u64>>,
    ) -> Bgen {
        Bgen {
            layout: header.layout,
            compression: header.compression,
            n_samples: header.n_samples,
            reference,
            n_variants: header.n_variants,
            file_len,
            read: 0,
            at: header.first_variant,
            offsets: offsets.map(|o| (Arc::from(o), 0)),
        }
    }

    /// Reads one variant block at the current offset.
    fn read_block(
        &mut self,
        input: &mut BufReader<std::fs::File>,
        record: &mut BgenRecord,
    ) -> Result<RecordSite, String> {
        let mut get = Fields {
            input,
            at: &mut self.at,
        };
        if self.layout == Layout::One {
            let n = get.u32("sample count")?;
            if n != self.n_samples {
                return Err(format!(
                    "the block is for {n} samples, but the header says {}",
                    self.n_samples
                ));
            }
        }
        let id = get.string16("variant id")?;
        let rsid = get.string16("rsid")?;
        let raw_chrom = get.string16("chromosome")?;
        let pos = get.u32("position")?;
        let n_alleles = match self.layout {
            Layout::One => 2,
            Layout::Two => usize::from(get.u16("allele count")?),
        };
        if n_alleles == 0 {
            return Err("0 alleles: a variant has at least one".to_string());
        }
        let mut alleles = Vec::with_capacity(n_alleles);
        for k in 0..n_alleles {
            let length = get.u32("allele length")?;
            let allele = get.bytes(u64::from(length), &format!("allele {}", k + 1))?;
            alleles.push(String::from_utf8_lossy(&allele).into_owned());
        }
        let n = u64::from(self.n_samples);
        let (stored, inflated) = match (self.layout, self.compression) {
            (Layout::One, Compression::None) => (6 * n, 6 * n),
            (Layout::One, _) => (u64::from(get.u32("probability block length")?), 6 * n),
            (Layout::Two, Compression::None) => {
                let c = u64::from(get.u32("probability block length")?);
                (c, c)
            }
            (Layout::Two, _) => {
                let c = get.u32("probability block length")?;
                if c < 4 {
                    return Err(format!(
                        "probability block length {c}: shorter than its own size field"
                    ));
                }
                (u64::from(c - 4), u64::from(get.u32("inflated length")?))
            }
        };
        if inflated > MAX_INFLATED {
            return Err(format!(
                "the probability block inflates to {inflated} bytes: more than dash reads (1 GiB)"
            ));
        }
        record.stored.clear();
        get.bytes_into(stored, "probability block", &mut record.stored)?;
        record.inflated_len = inflated as usize;
        record.n_alleles = n_alleles;
        if pos == 0 {
            return Err("position 0: positions start at 1".to_string());
        }
        let id = match (rsid.is_empty(), id.is_empty()) {
            (false, _) => rsid,
            (true, false) => id,
            (true, true) => ".".to_string(),
        };
        let (ref_allele, alts) = match self.reference {
            RefMode::First => {
                let alts = alleles.split_off(1);
                (alleles.pop().expect("one allele"), alts)
            }
            RefMode::Last | RefMode::Unknown => {
                let reference = alleles.pop().expect("one allele");
                (reference, alleles)
            }
        };
        Ok(RecordSite {
            chrom: chrom::normalize(&raw_chrom),
            pos: u64::from(pos),
            id,
            ref_allele,
            alts,
        })
    }
}

/// Reads the fields of a variant block, counting the offset; errors say which field was cut.
struct Fields<'a> {
    input: &'a mut BufReader<std::fs::File>,
    at: &'a mut u64,
}

impl Fields<'_> {
    fn exact<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut buf = [0u8; N];
        self.input.read_exact(&mut buf).map_err(|e| cut(what, &e))?;
        *self.at += N as u64;
        Ok(buf)
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        self.exact::<2>(what).map(u16::from_le_bytes)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        self.exact::<4>(what).map(u32::from_le_bytes)
    }

    /// `length` bytes appended to `out`; the allocation grows only with bytes actually read.
    fn bytes_into(&mut self, length: u64, what: &str, out: &mut Vec<u8>) -> Result<(), String> {
        let got = (&mut *self.input)
            .take(length)
            .read_to_end(out)
            .map_err(|e| cut(what, &e))?;
        *self.at += got as u64;
        if (got as u64) < length {
            return Err(format!(
                "truncated: the file ends inside the {what} ({got} of {length} bytes)"
            ));
        }
        Ok(())
    }

    fn bytes(&mut self, length: u64, what: &str) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.bytes_into(length, what, &mut out)?;
        Ok(out)
    }

    fn string16(&mut self, what: &str) -> Result<String, String> {
        let length = self.u16(what)?;
        let bytes = self.bytes(u64::from(length), what)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn cut(what: &str, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::UnexpectedEof => format!("truncated: the file ends inside the {what}"),
        _ => format!("cannot read the {what}: {error}"),
    }
}

impl RecordFormat for Bgen {
    type Record = BgenRecord;
    const NAME: &'static str = "bgen";

    fn read(
        &mut self,
        stream: &mut Stream,
        path: &Path,
        record: &mut BgenRecord,
    ) -> Result<Option<RecordSite>> {
        let Stream::Plain(input) = stream else {
            return Err(Error::input(path, "a BGEN file is read uncompressed"));
        };
        let number = match &mut self.offsets {
            Some((offsets, next)) => {
                let Some(&offset) = offsets.get(*next) else {
                    return Ok(None);
                };
                *next += 1;
                if offset >= self.file_len {
                    return Err(Error::input(
                        path,
                        format!("the .bgi index points to byte {offset}, past the end of the file ({} bytes)", self.file_len),
                    ));
                }
                if offset != self.at {
                    input.seek(SeekFrom::Start(offset)).map_err(|e| {
                        Error::input(path, format!("cannot seek to byte {offset}: {e}"))
                    })?;
                    self.at = offset;
                }
                0
            }
            None => {
                if self.read == self.n_variants {
                    return Ok(None);
                }
                self.read + 1
            }
        };
        self.read += 1;
        record.number = number;
        record.offset = self.at;
        let offset = self.at;
        self.read_block(input, record).map(Some).map_err(|message| {
            let at = match number {
                0 => format!("the variant at byte {offset}"),
                n => format!("variant {n} of {} (at byte {offset})", self.n_variants),
            };
            Error::input(path, message).at(at)
        })
    }

    fn size(record: &BgenRecord) -> usize {
        record.stored.len()
    }

    fn has_field(&self, _record: &BgenRecord) -> bool {
        true
    }

    fn decode(
        &self,
        record: &BgenRecord,
        alts: &[u32],
        columns: &mut [AltColumn],
    ) -> Result<(), SampleError> {
        // ALT number `alt` (1-based among the ALTs) is file allele `alt` when REF is first,
        // `alt − 1` when REF is last.
        let shift = usize::from(self.reference == RefMode::First);
        let alleles: Vec<usize> = alts.iter().map(|&a| a as usize - 1 + shift).collect();
        let shape = BlockShape {
            layout: self.layout,
            compression: self.compression,
            n_samples: self.n_samples as usize,
            n_alleles: record.n_alleles,
            inflated_len: record.inflated_len,
        };
        probs::decode(&record.stored, &shape, &alleles, columns)
    }

    fn location(&self, record: &BgenRecord, site: &RecordSite) -> String {
        let place = format!("{}:{} {}", site.chrom, site.pos, site.id);
        match record.number {
            0 => format!("variant {place} at byte {}", record.offset),
            n => format!("variant {n} ({place}) at byte {}", record.offset),
        }
    }
}
