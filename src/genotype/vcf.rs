//! VCF text, plain (`.vcf`) or BGZF-compressed (`.vcf.gz`).
//!
//! The header is read leniently, as htslib reads it ([`super::header`]). Records are
//! tab-separated lines; their sample columns are split by hand from the line bytes — `GT` and
//! `DS` are the only fields read. What a call or `DS` value means is in [`super::dosage`];
//! batching and parallel decoding in [`super::batch`].
//!
//! Every record is checked, whether or not it is decoded (a FORMAT without the dosage field, no
//! testable ALT): its column count, `POS` ≥ 1, and no control byte (NUL, `\r`, …) anywhere in
//! it. As in bcftools, a trailing tab at the end of a record is ignored, and so is a missing
//! newline at the end of the file — unless the last line is visibly cut: its last sample column
//! has fewer `:`-separated subfields, or a `GT` with fewer alleles, than the column before it
//! (with one sample: fewer subfields than FORMAT lists).
//!
//! ```no_run
//! use dash::genotype::{vcf, BlockReader, DosageField, GenotypeBlock};
//! let mut reader = vcf::open("cohort.vcf.gz".as_ref(), None, DosageField::Auto)?;
//! let mut block = GenotypeBlock::default();
//! while reader.read_block(256, &mut block)? {
//!     println!("{} ALT alleles from {}", block.len(), block.variants[0].chrom);
//! }
//! # Ok::<(), dash::error::Error>(())
//! ```

use std::io::{BufRead, Read};
use std::path::Path;

use memchr::memchr_iter;

use super::batch::{RecordFormat, RecordReader};
use super::dosage::{check_ds, put_call, AltColumn, Call, Field, RecordSite, SampleError};
use super::header::{HeaderParser, VcfHeader};
use super::io::region_query;
use super::stream::{read_error_message, IndexKind, Stream};
use super::{haploid_ds, missing_ds};
use super::{DosageField, Region};
use crate::chrom;
use crate::error::{Error, Result};

/// The longest line read (header or record); longer is refused rather than buffered.
const MAX_LINE: usize = 1 << 30;

/// A VCF reader behind the block-reader interface.
pub type VcfReader = RecordReader<Vcf>;

/// Opens a VCF: parses the header, resolves the dosage field, and with `region` sets up the
/// index query (`FILE.tbi` or `FILE.csi`; a plain `.vcf` cannot be queried, as in bcftools).
pub fn open(path: &Path, region: Option<&Region>, requested: DosageField) -> Result<VcfReader> {
    let mut stream = Stream::open(path)?;
    let head = stream.fill_buf().map_err(|e| {
        Error::input(path, format!("bad header: {}", read_error_message(&e))).at("line 1")
    })?;
    if head.starts_with(b"BCF") {
        return Err(Error::input(path, "this is a BCF file: name it .bcf").at("header"));
    }
    let (header, header_lines) = read_header(&mut stream, path)?;
    let samples = header.samples.clone();
    if samples.is_empty() {
        return Err(Error::input(path, "the header names no sample").at("header"));
    }
    // A GT used but not declared is read, as htslib does ("assuming Type=String").
    let field = Field::resolve(requested, |k| k == "GT" || header.formats.contains(k), path)?;
    let query = region_query(
        path,
        &stream,
        region,
        IndexKind::TabixOrCsi,
        "--region needs a bgzip-compressed, indexed VCF: `bgzip` it, then `bcftools index`",
        || header.contigs.names(),
    )?;
    let format = Vcf {
        n_samples: samples.len(),
        field,
        // Line numbers are known only when reading from the top.
        line_no: if query.is_none() {
            Some(header_lines)
        } else {
            None
        },
        last_chrom: (Vec::new(), String::new()),
    };
    Ok(RecordReader::new(
        path.to_path_buf(),
        stream,
        format,
        samples,
        field,
        region.cloned(),
        query,
    )
    .with_chrx_length(header.chrx_length))
}

/// Reads the `##` meta lines and the `#CHROM` line ([`super::header`]); returns the header and
/// its line count.
fn read_header(stream: &mut Stream, path: &Path) -> Result<(VcfHeader, u64)> {
    let mut parser = HeaderParser::default();
    let mut line = Vec::new();
    let mut line_no = 0u64;
    loop {
        line.clear();
        let got = read_line(stream, &mut line).map_err(|e| {
            Error::input(path, format!("bad header: {}", read_error_message(&e)))
                .at(format!("line {}", line_no + 1))
        })?;
        line_no += 1;
        let at = || format!("line {line_no}");
        if got == 0 {
            return Err(Error::input(path, "bad header: no #CHROM line").at(at()));
        }
        trim_newline(&mut line);
        if !line.starts_with(b"#") {
            return Err(Error::input(path, "bad header: a record before the #CHROM line").at(at()));
        }
        let done = parser
            .line(&line)
            .map_err(|e| Error::input(path, format!("bad header: {e}")).at(at()))?;
        if done {
            break;
        }
    }
    let header = parser
        .finish()
        .map_err(|e| Error::input(path, format!("bad header: {e}")).at("header"))?;
    Ok((header, line_no))
}

/// Reads one line into `line` (newline included), refusing lines longer than [`MAX_LINE`]
/// instead of growing the buffer without bound.
fn read_line(stream: &mut Stream, line: &mut Vec<u8>) -> std::io::Result<usize> {
    let got = Read::take(&mut *stream, MAX_LINE as u64).read_until(b'\n', line)?;
    if got == MAX_LINE && line.last() != Some(&b'\n') {
        return Err(std::io::Error::other(format!(
            "a line longer than {} MiB (not a VCF?)",
            MAX_LINE >> 20
        )));
    }
    Ok(got)
}

/// Removes the line's `\n` (and a `\r` before it); returns whether there was one.
fn trim_newline(line: &mut Vec<u8>) -> bool {
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        return true;
    }
    false
}

/// The VCF text record format.
#[derive(Debug, Clone)]
pub struct Vcf {
    n_samples: usize,
    field: Field,
    /// Lines read so far, header included (`None` under a region query).
    line_no: Option<u64>,
    /// The last chromosome seen, raw and normalised: files are sorted, so this saves work.
    last_chrom: (Vec<u8>, String),
}

/// One VCF line and where its parts are.
#[derive(Debug, Default)]
pub struct VcfRecord {
    line: Vec<u8>,
    /// Offset of the first sample column.
    samples_at: usize,
    /// Which `:`-separated subfield of a sample column holds the dosage field.
    key: Option<usize>,
    /// Which subfield holds `GT`, when the dosage field is `DS` (a haploid `GT` doubles it).
    gt_key: Option<usize>,
    /// A `DS` record on chrX, chrY or MT, which must have `GT` ([`super::haploid_ds`]).
    needs_gt: bool,
    /// ALT alleles of the record (for checking GT allele numbers and DS counts).
    n_alts: u32,
    /// 1-based line number, when known.
    line_no: Option<u64>,
}

impl RecordFormat for Vcf {
    type Record = VcfRecord;
    const NAME: &'static str = "vcf";

    fn read(
        &mut self,
        stream: &mut Stream,
        path: &Path,
        record: &mut VcfRecord,
    ) -> Result<Option<RecordSite>> {
        loop {
            record.line.clear();
            let next = self.line_no.map(|n| n + 1);
            let at = || match next {
                Some(n) => format!("line {n}"),
                None => "a record in the region".to_string(),
            };
            let got = read_line(stream, &mut record.line)
                .map_err(|e| Error::input(path, read_error_message(&e)).at(at()))?;
            if got == 0 {
                return Ok(None);
            }
            self.line_no = next;
            record.line_no = next;
            let terminated = trim_newline(&mut record.line);
            if record.line.is_empty() {
                continue;
            }
            let site = self
                .parse_fixed(record)
                .map_err(|message| Error::input(path, message).at(at()))?;
            if !terminated {
                self.check_unterminated(record)
                    .map_err(|message| Error::input(path, message).at(at()))?;
            }
            return Ok(Some(site));
        }
    }

    fn check_undecoded(&self, record: &VcfRecord) -> Result<(), String> {
        let data = &record.line[record.samples_at..];
        let columns = memchr_iter(b'\t', data).count() + 1;
        if columns != self.n_samples {
            return Err(self.column_count_error(columns).message);
        }
        match data.iter().position(|&b| b < 0x20 && b != b'\t') {
            Some(at) => {
                let sample = memchr_iter(b'\t', &data[..at]).count();
                Err(format!(
                    "byte {:#04x} (a control character) in the column of sample {}",
                    data[at],
                    sample + 1
                ))
            }
            None => Ok(()),
        }
    }

    fn size(record: &VcfRecord) -> usize {
        record.line.len()
    }

    fn has_field(&self, record: &VcfRecord) -> bool {
        // A `DS` read takes a record's `GT` calls where it has no `DS` ([`missing_ds`]).
        record.key.is_some() || record.gt_key == Some(0)
    }

    fn decode(
        &self,
        record: &VcfRecord,
        alts: &[u32],
        columns: &mut [AltColumn],
    ) -> Result<(), SampleError> {
        let key = record.key.unwrap_or(0);
        let data = &record.line[record.samples_at..];
        if record.needs_gt && record.gt_key.is_none() {
            return Err(SampleError::record(haploid_ds::missing_gt_message()));
        }
        // Samples whose `GT` is haploid: their `DS` is doubled after the loop.
        let mut haploid = Vec::new();
        // Samples whose `DS` is missing, with their `GT` call when it comes first in FORMAT:
        // plink2 takes the hard call ([`missing_ds`]).
        let mut without_ds = Vec::new();
        let falls_back = record.gt_key == Some(0);
        let mut start = 0;
        // One ALT read from a one-ALT record: a DS value goes straight into its column.
        let single = record.n_alts == 1 && columns.len() == 1;
        for sample in 0..self.n_samples {
            if start > data.len() {
                return Err(self.column_count_error(sample));
            }
            let Column { end, value } = Column::scan(data, start, key);
            // `GT` first and `DS` second (`GT:DS`): `GT` ends where the scan found `DS`.
            let gt = match (record.gt_key, key, value) {
                (None, _, _) => None,
                (Some(0), 1, Some((from, _))) => Some(&data[start..from - 1]),
                (Some(gt_key), _, _) => Some(subfield(data, start, end, gt_key)),
            };
            if end < data.len() && data[end] != b'\t' {
                return Err(SampleError::at(
                    sample,
                    format!(
                        "byte {:#04x} (a control character) in its column",
                        data[end]
                    ),
                ));
            }
            // An empty value is missing, as htslib reads it (`bcftools norm -m-` writes them).
            // A record without the field (`GT` only, read for `DS`) has no value at all.
            let value = value
                .filter(|_| record.key.is_some())
                .map(|(from, to)| &data[from..to])
                .filter(|v| !v.is_empty());
            match self.field {
                Field::Gt => {
                    let call = match value {
                        None => Call::Missing,
                        Some(text) => match parse_common_gt(text) {
                            Some(call) => call,
                            None => parse_gt(text).map_err(|m| SampleError::at(sample, m))?,
                        },
                    };
                    if call.max_allele() > record.n_alts {
                        return Err(SampleError::at(
                            sample,
                            format!(
                                "GT allele {} but the record has {} ALT allele(s)",
                                call.max_allele(),
                                record.n_alts
                            ),
                        ));
                    }
                    match (&mut *columns, alts) {
                        ([column], [alt]) => column.put_call(*alt, sample, call),
                        (columns, alts) => put_call(columns, alts, sample, call),
                    }
                }
                Field::Ds => {
                    match value.filter(|_| single).and_then(parse_common_ds) {
                        Some(dosage) => columns[0].put_dosage(sample, dosage),
                        None => put_ds(columns, alts, sample, value, record.n_alts)?,
                    }
                    if gt.is_some_and(haploid_ds::is_haploid_gt) {
                        haploid.push(sample as u32);
                    }
                    if falls_back && matches!(value, None | Some(b".")) {
                        let call = match gt {
                            None | Some(b"") => Call::Missing,
                            Some(text) => parse_gt(text).map_err(|m| SampleError::at(sample, m))?,
                        };
                        without_ds.push((sample as u32, call));
                    }
                }
            }
            start = end + 1;
        }
        if start <= data.len() {
            return Err(self.column_count_error(memchr_iter(b'\t', data).count() + 1));
        }
        haploid_ds::double_haploid(columns, &haploid)?;
        missing_ds::fill_from_calls(columns, alts, &without_ds, record.n_alts)
    }

    fn gt_calls(&self, record: &VcfRecord, calls: &mut Vec<Call>) -> Result<(), SampleError> {
        calls.clear();
        let key = record.key.unwrap_or(0);
        let data = &record.line[record.samples_at..];
        let mut start = 0;
        for sample in 0..self.n_samples {
            if start > data.len() {
                return Err(self.column_count_error(sample));
            }
            let Column { end, value } = Column::scan(data, start, key);
            let call = match value.map(|(from, to)| &data[from..to]) {
                None | Some(b"") => Call::Missing,
                Some(text) => parse_gt(text).map_err(|m| SampleError::at(sample, m))?,
            };
            calls.push(call);
            start = end + 1;
        }
        // The genotype pass checks the rest of the record (control bytes, allele numbers).
        Ok(())
    }

    fn location(&self, record: &VcfRecord, site: &RecordSite) -> String {
        match record.line_no {
            Some(n) => format!("line {n} ({}:{})", site.chrom, site.pos),
            None => format!("record at {}:{}", site.chrom, site.pos),
        }
    }
}

impl Vcf {
    fn column_count_error(&self, found: usize) -> SampleError {
        SampleError::record(format!(
            "{found} sample columns, but the header names {} samples",
            self.n_samples
        ))
    }

    /// Parses CHROM … FORMAT and finds the sample columns and the dosage subfield. A trailing
    /// tab after the last sample column is dropped.
    fn parse_fixed(&mut self, record: &mut VcfRecord) -> Result<RecordSite, String> {
        if record.line.last() == Some(&b'\t')
            && memchr_iter(b'\t', &record.line).count() == 9 + self.n_samples
        {
            record.line.pop();
        }
        let line = &record.line;
        // Offsets of the first nine tabs: the ends of CHROM … FORMAT.
        let mut tabs = [0usize; 9];
        let mut found = 0;
        for (slot, at) in tabs.iter_mut().zip(memchr_iter(b'\t', line)) {
            *slot = at;
            found += 1;
        }
        if found < 9 {
            return Err(if found >= 7 {
                format!(
                    "no sample columns, but the header names {} samples",
                    self.n_samples
                )
            } else {
                format!(
                    "{} tab-separated columns; a VCF record has at least 8",
                    found + 1
                )
            });
        }
        let column = |k: usize| {
            let start = if k == 0 { 0 } else { tabs[k - 1] + 1 };
            &line[start..tabs[k]]
        };
        let text = |k: usize| String::from_utf8_lossy(column(k)).into_owned();
        if let Some(at) = line[..tabs[8]].iter().position(|&b| b < 0x20 && b != b'\t') {
            let k = memchr_iter(b'\t', &line[..at]).count();
            return Err(format!(
                "byte {:#04x} (a control character) in column {}",
                line[at],
                ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"][k]
            ));
        }

        let raw_chrom = column(0);
        if self.last_chrom.0 != raw_chrom {
            self.last_chrom = (
                raw_chrom.to_vec(),
                chrom::normalize(&String::from_utf8_lossy(raw_chrom)),
            );
        }
        let pos = std::str::from_utf8(column(1))
            .ok()
            .and_then(|p| p.parse::<u64>().ok())
            .ok_or_else(|| format!("POS '{}' is not a whole number", text(1)))?;
        if pos == 0 {
            return Err("POS 0: positions start at 1".to_string());
        }
        let alts: Vec<String> = column(4)
            .split(|&b| b == b',')
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let site = RecordSite {
            chrom: self.last_chrom.1.clone(),
            pos,
            id: text(2),
            ref_allele: text(3),
            alts,
        };
        record.n_alts = if column(4) == b"." {
            0
        } else {
            site.alts.len() as u32
        };
        let wanted = self.field.key().as_bytes();
        record.key = column(8).split(|&b| b == b':').position(|k| k == wanted);
        (record.gt_key, record.needs_gt) = match self.field {
            Field::Ds => (
                column(8).split(|&b| b == b':').position(|k| k == b"GT"),
                haploid_ds::haploid_chromosome(&site.chrom),
            ),
            Field::Gt => (None, false),
        };
        record.samples_at = tabs[8] + 1;
        Ok(site)
    }

    /// The last line of the file has no newline: refuses it when its last sample column is
    /// visibly cut (see the module notes).
    fn check_unterminated(&self, record: &VcfRecord) -> Result<(), String> {
        let line = &record.line;
        let format = &line[..record.samples_at - 1];
        let format = &format[format
            .iter()
            .rposition(|&b| b == b'\t')
            .map_or(0, |k| k + 1)..];
        let gt_first = format.split(|&b| b == b':').next() == Some(b"GT");
        let data = &line[record.samples_at..];
        let (before, last) = match data.iter().rposition(|&b| b == b'\t') {
            Some(k) => {
                let start = data[..k]
                    .iter()
                    .rposition(|&b| b == b'\t')
                    .map_or(0, |j| j + 1);
                (&data[start..k], &data[k + 1..])
            }
            None => (format, data),
        };
        let subfields = |column: &[u8]| memchr_iter(b':', column).count() + 1;
        let alleles = |column: &[u8]| {
            let gt = column.split(|&b| b == b':').next().unwrap_or_default();
            gt.iter().filter(|&&b| b == b'/' || b == b'|').count() + 1
        };
        let cut = subfields(last) < subfields(before)
            || (gt_first && before != format && alleles(last) < alleles(before));
        if cut {
            let show = |c: &[u8]| String::from_utf8_lossy(c).into_owned();
            return Err(format!(
                "the file ends inside this line: it has no newline, and its last column '{}' is shorter than '{}' before it (cut short?)",
                show(last),
                show(before)
            ));
        }
        Ok(())
    }
}

/// Where one sample column ends and where its dosage subfield is, found in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Column {
    /// The first byte after the column: its tab, a control byte, or the end of the data.
    end: usize,
    /// The `key`-th `:`-separated subfield, as a range of the data; `None` when the column has
    /// fewer (VCF allows trailing subfields to be dropped).
    value: Option<(usize, usize)>,
}

impl Column {
    /// Scans the column starting at `start` up to its first byte below 0x20 (the tab, or a
    /// control byte that the caller refuses), noting the subfield `key` on the way.
    ///
    /// Sample columns are a few bytes long and vary in length, so a byte loop mispredicts its
    /// exit at every column. A column of under 16 bytes is found instead from two 8-byte words:
    /// bit masks of its control bytes and colons (exact per byte, no carries between bytes),
    /// their lowest set bits the boundaries. Longer columns, and the last 15 bytes of the data,
    /// take the byte loop.
    #[inline(always)]
    fn scan(data: &[u8], start: usize, key: usize) -> Column {
        if let Some(window) = data.get(start..start + 16) {
            let low = u64::from_le_bytes(window[..8].try_into().expect("8 bytes"));
            let high = u64::from_le_bytes(window[8..].try_into().expect("8 bytes"));
            let control = u128::from(control_bytes(low)) | (u128::from(control_bytes(high)) << 64);
            if control != 0 {
                let end = control.trailing_zeros() as usize / 8;
                let within = (1u128 << (8 * end)) - 1;
                let mut colons =
                    (u128::from(colon_bytes(low)) | (u128::from(colon_bytes(high)) << 64)) & within;
                let mut from = Some(0);
                for _ in 0..key {
                    from = (colons != 0).then(|| colons.trailing_zeros() as usize / 8 + 1);
                    colons &= colons.wrapping_sub(1);
                }
                let to = match colons {
                    0 => end,
                    c => c.trailing_zeros() as usize / 8,
                };
                return Column {
                    end: start + end,
                    value: from.map(|from| (start + from, start + to)),
                };
            }
        }
        Column::scan_bytes(data, start, key)
    }

    /// [`Column::scan`] byte by byte.
    fn scan_bytes(data: &[u8], start: usize, key: usize) -> Column {
        let (mut from, mut to) = (if key == 0 { Some(start) } else { None }, None);
        let mut colons = 0;
        let mut end = start;
        while let Some(&b) = data.get(end) {
            if b < 0x20 {
                break;
            }
            if b == b':' {
                colons += 1;
                if colons == key {
                    from = Some(end + 1);
                } else if colons == key + 1 {
                    to = Some(end);
                }
            }
            end += 1;
        }
        Column {
            end,
            value: from.map(|from| (from, to.unwrap_or(end))),
        }
    }
}

/// The high bit of every byte of `word` that is not zero, exactly (adding 0x7f to the low
/// seven bits cannot carry into the next byte).
#[inline(always)]
fn nonzero_bytes(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    (((word & LOW7) + LOW7) | word) & !LOW7
}

/// The high bit of every byte of `word` below 0x20 (a tab, newline or other control byte).
#[inline(always)]
fn control_bytes(word: u64) -> u64 {
    !nonzero_bytes(word & 0xe0e0_e0e0_e0e0_e0e0) & 0x8080_8080_8080_8080
}

/// The high bit of every byte of `word` that is `:`.
#[inline(always)]
fn colon_bytes(word: u64) -> u64 {
    !nonzero_bytes(word ^ 0x3a3a_3a3a_3a3a_3a3a) & 0x8080_8080_8080_8080
}

/// Powers of ten exactly representable as `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A plain decimal `DS` value in [0, 2] — digits, optionally `.` and more digits, at most 15
/// digits in all — or `None` for anything else (the general parser then reads it, or says what
/// is wrong).
///
/// The value is exactly what `str::parse::<f64>` gives: the digits without the point are an
/// integer below 2⁵³ and the power of ten is exact, so one division, which IEEE 754 rounds
/// correctly, is the correctly rounded value of the decimal (Clinger's fast path).
///
/// ```
/// # use dash::genotype::vcf::parse_common_ds;
/// for text in ["0", "2", "1.5", "0.08844", "1.99999999999999", "0.000"] {
///     assert_eq!(parse_common_ds(text.as_bytes()), Some(text.parse::<f64>().unwrap()));
/// }
/// for text in ["2.001", "-0", "1e-3", ".5", "1.", "0.1234567890123456", "nan", "1,0"] {
///     assert_eq!(parse_common_ds(text.as_bytes()), None, "{text}");
/// }
/// ```
#[inline(always)]
pub fn parse_common_ds(text: &[u8]) -> Option<f64> {
    if let [d @ b'0'..=b'2'] = *text {
        return Some(f64::from(d - b'0'));
    }
    if text.is_empty() || text.len() > 16 {
        return None;
    }
    let (mut mantissa, mut point, mut digits) = (0u64, None, 0usize);
    for (k, &b) in text.iter().enumerate() {
        let d = b.wrapping_sub(b'0');
        if d < 10 {
            mantissa = mantissa * 10 + u64::from(d);
            digits += 1;
        } else if b == b'.' && point.is_none() && k > 0 && k + 1 < text.len() {
            point = Some(k);
        } else {
            return None;
        }
    }
    if digits > 15 {
        return None;
    }
    let decimals = point.map_or(0, |k| text.len() - k - 1);
    let value = mantissa as f64 / POW10[decimals];
    (value <= 2.0).then_some(value)
}

/// Parses a `GT` value: alleles separated by `/` or `|`, `.` for missing.
///
/// ```
/// use dash::genotype::{dosage::Call, vcf::parse_gt};
/// assert_eq!(parse_gt(b"0|1"), Ok(Call::Diploid(0, 1)));
/// assert_eq!(parse_gt(b"./1"), Ok(Call::Missing));
/// assert_eq!(parse_gt(b"2"), Ok(Call::Haploid(2)));
/// assert_eq!(parse_gt(b"0/1/1"), Ok(Call::Polyploid));
/// assert!(parse_gt(b"0/x").is_err());
/// ```
pub fn parse_gt(text: &[u8]) -> Result<Call, String> {
    if let Some(call) = parse_common_gt(text) {
        return Ok(call);
    }
    let bad = || format!("GT '{}' is not a genotype", String::from_utf8_lossy(text));
    let mut alleles = [None; 2];
    let mut count = 0;
    for part in text.split(|&b| b == b'/' || b == b'|') {
        let allele = match part {
            b"." => None,
            digits if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => Some(
                std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| d.parse::<u32>().ok())
                    .ok_or_else(bad)?,
            ),
            _ => return Err(bad()),
        };
        if let Some(slot) = alleles.get_mut(count) {
            *slot = allele;
        }
        count += 1;
    }
    if count > alleles.len() {
        return Ok(Call::Polyploid);
    }
    Ok(Call::from_alleles(&alleles[..count]))
}

/// The common shapes of `GT` — `a/b`, `a|b`, `a` with one-digit alleles — or `None`.
///
/// Kept apart from [`parse_gt`] so that the hot loop handles no error value.
#[inline(always)]
fn parse_common_gt(text: &[u8]) -> Option<Call> {
    let digit = |b: u8| b.wrapping_sub(b'0') < 10;
    match *text {
        [a, b'/' | b'|', b] if digit(a) && digit(b) => {
            Some(Call::Diploid(u32::from(a - b'0'), u32::from(b - b'0')))
        }
        [a] if digit(a) => Some(Call::Haploid(u32::from(a - b'0'))),
        _ => None,
    }
}

/// The `key`-th `:`-separated subfield of the sample column `data[start..end]` (empty when the
/// column has fewer). `GT` comes first in FORMAT, so its end is the column's first colon.
#[inline(always)]
fn subfield(data: &[u8], start: usize, end: usize, key: usize) -> &[u8] {
    let column = &data[start..end];
    if key == 0 {
        return memchr::memchr(b':', column).map_or(column, |at| &column[..at]);
    }
    column.split(|&b| b == b':').nth(key).unwrap_or_default()
}

/// Records one sample's `DS` value (`Number=A`: one value per ALT, `.` missing).
fn put_ds(
    columns: &mut [AltColumn],
    alts: &[u32],
    sample: usize,
    value: Option<&[u8]>,
    n_alts: u32,
) -> Result<(), SampleError> {
    let text = match value {
        None | Some(b".") => {
            columns.iter_mut().for_each(|c| c.put_missing(sample));
            return Ok(());
        }
        Some(text) => text,
    };
    let count = text.split(|&b| b == b',').count();
    if count != n_alts as usize {
        return Err(SampleError::at(
            sample,
            format!(
                "DS '{}' has {count} value(s), but the record has {n_alts} ALT allele(s)",
                String::from_utf8_lossy(text)
            ),
        ));
    }
    for (column, &alt) in columns.iter_mut().zip(alts) {
        // The ALT's value: the (alt − 1)-th comma-separated entry.
        let entry = if n_alts == 1 {
            text
        } else {
            text.split(|&b| b == b',')
                .nth(alt as usize - 1)
                .unwrap_or_default()
        };
        if entry == b"." || entry.is_empty() {
            column.put_missing(sample);
            continue;
        }
        let parsed = std::str::from_utf8(entry)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .ok_or_else(|| {
                SampleError::at(
                    sample,
                    format!(
                        "DS value '{}' is not a number",
                        String::from_utf8_lossy(entry)
                    ),
                )
            })?;
        let dosage = check_ds(parsed).map_err(|m| SampleError::at(sample, m))?;
        column.put_dosage(sample, dosage);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gt_shapes() {
        assert_eq!(parse_gt(b"0/0"), Ok(Call::Diploid(0, 0)));
        assert_eq!(parse_gt(b"1|0"), Ok(Call::Diploid(1, 0)));
        assert_eq!(parse_gt(b"10/2"), Ok(Call::Diploid(10, 2)));
        assert_eq!(parse_gt(b"./."), Ok(Call::Missing));
        assert_eq!(parse_gt(b".|."), Ok(Call::Missing));
        assert_eq!(parse_gt(b"."), Ok(Call::Missing));
        assert_eq!(parse_gt(b"1/."), Ok(Call::Missing));
        assert_eq!(parse_gt(b"1"), Ok(Call::Haploid(1)));
        for bad in [&b""[..], b"0/", b"a", b"0-1", b"0//1", b"-1/0"] {
            assert!(parse_gt(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_gt(b"0/1/1"), Ok(Call::Polyploid));
        assert_eq!(parse_gt(b"0/1/./1"), Ok(Call::Polyploid));
        assert!(parse_gt(b"0/1/x").is_err());
    }

    #[test]
    fn columns_and_subfields() {
        fn scan(data: &[u8], key: usize) -> (usize, Option<&[u8]>) {
            let c = Column::scan(data, 0, key);
            (c.end, c.value.map(|(from, to)| &data[from..to]))
        }
        assert_eq!(scan(b"0/1:0.9:3\t1", 0), (9, Some(&b"0/1"[..])));
        assert_eq!(scan(b"0/1:0.9:3\t1", 1), (9, Some(&b"0.9"[..])));
        assert_eq!(scan(b"0/1:0.9:3", 2), (9, Some(&b"3"[..])));
        assert_eq!(scan(b"0/1\t0.5:1", 1), (3, None));
        assert_eq!(scan(b"0/1:\n", 1), (4, Some(&b""[..])));
        assert_eq!(scan(b"", 0), (0, Some(&b""[..])));
        assert_eq!(scan(b"\t", 1), (0, None));
        let c = Column::scan(b"a:b\tc:0.25:x", 4, 1);
        assert_eq!((c.end, c.value), (12, Some((6, 10))));
        // The word path equals the byte loop on every column shape near its 16-byte window.
        let shapes: [&[u8]; 9] = [
            b"0/1:0.9575",
            b"./.:.",
            b"1",
            b"",
            b":",
            b"::a:",
            b"0|1:1.2:3:4:5:6:7",
            b"\x7f:\x80:\xff",
            b"0/1;:;",
        ];
        for shape in shapes {
            for pad in 0..20 {
                for end in [&b"\t"[..], b"\n", b"\r", b"\x00", b"\x1f", b""] {
                    let mut data = vec![b'x'; pad];
                    data.extend_from_slice(shape);
                    data.extend_from_slice(end);
                    data.extend_from_slice(b"0/0:1.5\t1/1:2:x\t");
                    for start in [0, pad] {
                        for key in 0..4 {
                            assert_eq!(
                                Column::scan(&data, start, key),
                                Column::scan_bytes(&data, start, key),
                                "{:?} from {start}, key {key}",
                                String::from_utf8_lossy(&data)
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn common_ds_equals_the_standard_parser() {
        // Every value of up to four decimals in [0, 2], and longer ones near the edges.
        for k in 0..=20_000u32 {
            for text in [
                format!("{}", f64::from(k) / 1e4),
                format!("{:.4}", f64::from(k) / 1e4),
            ] {
                let want = text.parse::<f64>().unwrap();
                assert_eq!(parse_common_ds(text.as_bytes()), Some(want), "{text}");
            }
        }
        for text in [
            "1.99999999999999",
            "0.00000000000001",
            "000000000000002",
            "1.23456789012345",
        ] {
            assert_eq!(
                parse_common_ds(text.as_bytes()),
                text.parse::<f64>().ok(),
                "{text}"
            );
        }
        // Sixteen digits and more: left to the standard parser.
        assert_eq!(parse_common_ds(b"0.000000000000001"), None);
        for text in [
            "2.0000000000001",
            "3",
            "1..2",
            "1.2.3",
            "0x1",
            "+1",
            "inf",
            " 1",
            "1 ",
        ] {
            assert_eq!(parse_common_ds(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn ds_values_per_alt() {
        let (mut d1, mut d2) = (vec![0.0; 2], vec![0.0; 2]);
        let mut columns = [AltColumn::new(&mut d1), AltColumn::new(&mut d2)];
        put_ds(&mut columns, &[1, 2], 0, Some(b"0.25,1.5"), 2).unwrap();
        put_ds(&mut columns, &[1, 2], 1, Some(b".,0.5"), 2).unwrap();
        assert_eq!(columns[0].dosages, &[0.25, 0.0]);
        assert_eq!(columns[0].missing, &[1]);
        assert_eq!(columns[1].dosages, &[1.5, 0.5]);
        assert!(put_ds(&mut columns, &[1, 2], 0, Some(b"0.2"), 2).is_err());
        assert!(put_ds(&mut columns, &[1, 2], 0, Some(b"0.2,2.5"), 2).is_err());
        assert!(put_ds(&mut columns, &[1, 2], 0, Some(b"0.2,nan"), 2).is_err());
        assert!(put_ds(&mut columns, &[1, 2], 0, Some(b"0.2,x"), 2).is_err());
    }
}
