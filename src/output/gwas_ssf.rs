//! GWAS-SSF summary statistics (the GWAS Catalog standard), BGZF-compressed.
//!
//! Columns, in order: the eight mandatory ones, then the optional ones dash knows, then
//! `source_id` (the source's variant ID when it is not an rsID, which goes in `rsid`) and, for
//! dosage inputs, `info` (the pooled MACH r², clamped to [0, 1] as the specification requires).
//! Rows come sorted by chromosome and position, so `tabix -s1 -b2 -e2 -S1` indexes the file.
//! Missing values are `#NA`. The p-value is written from its logarithm, so `3.2e-412` appears as
//! such.
//!
//! `variant_id` is `CHR_POS_REF_ALT`, which the specification's `^[A-Za-z0-9_]+$` accepts for
//! every ACGT allele. An allele outside `[ACGT]+` (`N`, `-`, `*`, `I`/`D` codes) is written as
//! `LONG_STRING` in `effect_allele`/`other_allele`, the one other value the specification allows
//! there, and `variant_id` carries it when it is alphanumeric (else `#NA`): the row stays valid
//! and the allele is never replaced by a different base.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

use super::bgzf_writer::BgzfWriter;
use super::float_text::{push_f64, push_u64};
use super::meta::Md5Writer;
use super::part::FileOrPart;
use super::variant_columns::VariantColumns;
use super::MISSING;
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::merge::{CaseControlCounts, Merged, VariantResult};
use crate::pvalue;
use crate::regression::Outcome;

/// The mandatory and standard optional columns, in file order; [`EXTRA_COLUMNS`] follow.
pub const COLUMNS: [&str; 13] = [
    "chromosome",
    "base_pair_location",
    "effect_allele",
    "other_allele",
    "beta",
    "standard_error",
    "effect_allele_frequency",
    "p_value",
    "variant_id",
    "rsid",
    "n",
    "t_statistic",
    "neg_log_10_p_value",
];

/// Columns after [`COLUMNS`]: the source ID, always; `info`, for dosage inputs.
pub const EXTRA_COLUMNS: [&str; 2] = ["source_id", "info"];

/// Columns after [`EXTRA_COLUMNS`] for a case/control phenotype: the cases and controls among
/// the variant's samples (GWAS-SSF has only `n`; it allows extra columns, and its metadata's
/// `case_count`/`control_count` hold the totals).
pub const CASE_CONTROL_COLUMNS: [&str; 2] = ["n_cases", "n_controls"];

/// The allele text GWAS-SSF allows in place of an allele that is not `[ACGT]+`.
pub const LONG_STRING: &str = "LONG_STRING";

/// What a written GWAS-SSF file holds, for its metadata.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Rows written (tested variants).
    pub rows: u64,
    /// Largest n among the rows.
    pub max_n: u64,
    /// MD5 (hex) of the compressed file.
    pub md5: String,
}

/// Rows formatted as one unit of parallel work.
const FORMAT_CHUNK: usize = 1024;

/// Rows formatted before their text goes to the compressor: bounds the text held at once.
const FORMAT_WINDOW: usize = 16 * FORMAT_CHUNK;

/// Rows formatted at once by a file written on one worker, side by side with others: about
/// 40 KiB of text, less than a BGZF block, in a buffer each such file keeps.
const HERE_CHUNK: usize = 256;

/// Writes the tested variants of one phenotype, window by window of a merge.
///
/// Rows are formatted in parallel chunks and BGZF blocks compressed on the pool
/// ([`BgzfWriter`]), both in file order, so the bytes are those of a sequential writer: blocks
/// are cut at the same offsets of the text whatever the chunking or the windows.
pub struct GwasSsfWriter {
    path: std::path::PathBuf,
    writer: BgzfWriter<FileOrPart<Md5Writer<Unbuffered>>>,
    /// Whether rows are formatted in parallel chunks (the blocks are compressed on the pool
    /// too); else they are formatted on the caller's thread into `text`.
    parallel: bool,
    /// The caller's thread's formatted rows, reused from chunk to chunk: a fresh buffer per
    /// chunk cost page faults on every one of a many-phenotype merge's chunks.
    text: String,
    written: Written,
    with_info: bool,
    /// Per-party case and control counts: adds [`CASE_CONTROL_COLUMNS`].
    case_control: Option<CaseControlCounts>,
    /// Rows with −log10 p below this are left out (`--pheno-out-min-log10p`; −∞ keeps all).
    min_neg_log10_p: f64,
}

impl GwasSsfWriter {
    /// Creates the file (under a temporary name) and writes the column header; `with_info` adds
    /// the `info` column. Its BGZF blocks are compressed on the pool when `parallel`, or on the
    /// thread writing (when many files are written side by side; the bytes are the same either
    /// way).
    pub fn create(path: &Path, with_info: bool, parallel: bool) -> Result<GwasSsfWriter> {
        GwasSsfWriter::create_with_counts(path, with_info, None, parallel)
    }

    /// [`GwasSsfWriter::create`], with the [`CASE_CONTROL_COLUMNS`] of a case/control phenotype
    /// when `case_control` is given.
    pub fn create_with_counts(
        path: &Path,
        with_info: bool,
        case_control: Option<CaseControlCounts>,
        parallel: bool,
    ) -> Result<GwasSsfWriter> {
        let file = FileOrPart::File(Md5Writer::new(Unbuffered(AtomicFile::create(path)?)));
        let mut writer = BgzfWriter::new(file, parallel);
        let extra = &EXTRA_COLUMNS[..1 + usize::from(with_info)];
        let counts = match case_control {
            Some(_) => &CASE_CONTROL_COLUMNS[..],
            None => &[],
        };
        let mut header = COLUMNS
            .iter()
            .chain(extra)
            .chain(counts)
            .copied()
            .collect::<Vec<_>>()
            .join("\t");
        header.push('\n');
        writer.write_all(header.as_bytes()).with_path(path)?;
        Ok(GwasSsfWriter {
            path: path.to_path_buf(),
            writer,
            parallel,
            text: String::new(),
            written: Written::default(),
            with_info,
            case_control,
            min_neg_log10_p: f64::NEG_INFINITY,
        })
    }

    /// Leaves out the rows whose −log10 p is below `min_neg_log10_p` (`--pheno-out-min-log10p`,
    /// for PheWAS-scale runs): the file then lists only the stronger associations.
    pub fn keeping_from(self, min_neg_log10_p: f64) -> GwasSsfWriter {
        GwasSsfWriter {
            min_neg_log10_p,
            ..self
        }
    }

    /// Appends the tested variants among the sites of one window (`results` one per site),
    /// `columns` the window's variant-only columns (formatted once for every phenotype's file).
    pub fn append(
        &mut self,
        merged: &Merged,
        columns: &VariantColumns,
        results: &[VariantResult],
    ) -> Result<()> {
        debug_assert_eq!(columns.with_info(), self.with_info);
        debug_assert_eq!(merged.sites.len(), results.len());
        if !self.parallel {
            return self.append_here(merged, columns, results);
        }
        for (window_start, results) in (0..)
            .step_by(FORMAT_WINDOW)
            .zip(results.chunks(FORMAT_WINDOW))
        {
            let row = self.row_format();
            let window: Vec<Lines> = results
                .par_chunks(FORMAT_CHUNK)
                .enumerate()
                .map(|(chunk, results)| {
                    let mut lines = Lines {
                        text: String::with_capacity(results.len() * 160),
                        rows: 0,
                        max_n: 0,
                    };
                    let first = window_start + chunk * FORMAT_CHUNK;
                    push_rows(&mut lines, merged, columns, first, results, &row);
                    lines
                })
                .collect();
            for lines in window {
                self.write(&lines)?;
            }
        }
        Ok(())
    }

    /// [`GwasSsfWriter::append`] on this thread: one of many files written side by side, each
    /// by one worker of the pool.
    fn append_here(
        &mut self,
        merged: &Merged,
        columns: &VariantColumns,
        results: &[VariantResult],
    ) -> Result<()> {
        let mut lines = Lines {
            text: std::mem::take(&mut self.text),
            rows: 0,
            max_n: 0,
        };
        for (first, results) in (0..).step_by(HERE_CHUNK).zip(results.chunks(HERE_CHUNK)) {
            lines.text.clear();
            (lines.rows, lines.max_n) = (0, 0);
            let row = self.row_format();
            push_rows(&mut lines, merged, columns, first, results, &row);
            self.write(&lines)?;
        }
        self.text = lines.text;
        Ok(())
    }

    /// What every row of this file holds besides the test and the variant's columns.
    fn row_format(&self) -> RowFormat<'_> {
        RowFormat {
            case_control: self.case_control.as_ref(),
            min_neg_log10_p: self.min_neg_log10_p,
        }
    }

    /// Passes formatted lines to the compressor.
    fn write(&mut self, lines: &Lines) -> Result<()> {
        self.writer
            .write_all(lines.text.as_bytes())
            .with_path(&self.path)?;
        self.written.rows += lines.rows;
        self.written.max_n = self.written.max_n.max(lines.max_n);
        Ok(())
    }

    /// An empty part of this file, its rows compressed into BGZF blocks in memory on the thread
    /// writing them, for [`GwasSsfWriter::absorb`] (a merge split into segments writes each
    /// segment's rows into a part).
    pub fn part(&self) -> GwasSsfWriter {
        GwasSsfWriter {
            path: self.path.clone(),
            writer: BgzfWriter::new(FileOrPart::Part(Vec::new()), false),
            parallel: false,
            text: String::new(),
            written: Written::default(),
            with_info: self.with_info,
            case_control: self.case_control.clone(),
            min_neg_log10_p: self.min_neg_log10_p,
        }
    }

    /// Appends the rows of `part` (from [`GwasSsfWriter::part`]): its blocks as they are.
    pub fn absorb(&mut self, part: GwasSsfWriter) -> Result<()> {
        let blocks = part.writer.finish_blocks().with_path(&self.path)?;
        self.writer
            .append_blocks(blocks.into_part())
            .with_path(&self.path)?;
        self.written.rows += part.written.rows;
        self.written.max_n = self.written.max_n.max(part.written.max_n);
        Ok(())
    }

    /// Completes the compressed stream; returns the uncommitted file and what it holds.
    pub fn finish(self) -> Result<(AtomicFile, Written)> {
        let file = self.writer.finish().with_path(&self.path)?.into_file();
        let (Unbuffered(file), md5) = file.finish();
        let written = Written {
            md5,
            ..self.written
        };
        Ok((file, written))
    }
}

/// Formatted lines of a run of sites.
struct Lines {
    text: String,
    /// Lines (tested variants) in `text`.
    rows: u64,
    /// Their largest n.
    max_n: u64,
}

/// What the rows of one file hold besides the test.
struct RowFormat<'a> {
    /// Adds the case and control counts.
    case_control: Option<&'a CaseControlCounts>,
    /// Rows with −log10 p below this are left out.
    min_neg_log10_p: f64,
}

/// Appends to `lines` the lines of the tested variants that `format` keeps among the window's
/// sites from `first` on (`results` one per site).
fn push_rows(
    lines: &mut Lines,
    merged: &Merged,
    columns: &VariantColumns,
    first: usize,
    results: &[VariantResult],
    format: &RowFormat,
) {
    let RowFormat {
        case_control,
        min_neg_log10_p,
    } = *format;
    let line = &mut lines.text;
    let (mut rows, mut max_n) = (0, 0);
    for (index, result) in (first..).zip(results) {
        let Outcome::Tested(association) = result.outcome else {
            continue;
        };
        let neg_log10_p = pvalue::neg_log10_p(association.ln_p);
        if neg_log10_p < min_neg_log10_p {
            continue;
        }
        let Some(variant) = columns.get(index) else {
            continue;
        };
        // Written field by field into one buffer: no String per value. Floats are the shortest
        // text that reads back to the same f64 (as `{:?}` writes them).
        line.push_str(variant.head);
        push_f64(line, association.beta);
        line.push('\t');
        push_f64(line, association.se);
        line.push('\t');
        if result.eaf.is_finite() {
            push_f64(line, result.eaf);
        } else {
            line.push_str(MISSING);
        }
        line.push('\t');
        pvalue::push_p_value(line, association.ln_p);
        line.push('\t');
        line.push_str(variant.middle);
        push_u64(line, result.n);
        line.push('\t');
        push_f64(line, association.t);
        line.push('\t');
        push_f64(line, neg_log10_p);
        line.push('\t');
        line.push_str(variant.tail);
        if let Some(counts) = case_control {
            // Counts that do not add up to the test's n (no sample set of that size) are not
            // the test's counts, and are not written.
            let site = &merged.sites[index];
            match counts.at_site(merged, site, result.n) {
                Some((cases, controls)) => {
                    let _ = write!(line, "\t{cases}\t{controls}");
                }
                None => {
                    let _ = write!(line, "\t{MISSING}\t{MISSING}");
                }
            }
        }
        line.push('\n');
        rows += 1;
        max_n = max_n.max(result.n);
    }
    lines.rows += rows;
    lines.max_n = lines.max_n.max(max_n);
}

/// The GWAS-SSF file written past its [`AtomicFile`]'s 1 MiB buffer: the BGZF writer hands
/// over whole compressed blocks (25 KiB and more), so that buffer only copied them, and a merge
/// of 1,000 phenotypes filled 1,000 of them (1 GiB of its peak memory).
struct Unbuffered(AtomicFile);

impl Write for Unbuffered {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.writer().get_mut().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.writer().get_mut().flush()
    }
}

/// Whether alleles this text can go in a `variant_id` (`CHR_POS_REF_ALT`): alphanumeric.
pub fn fits_variant_id(ref_allele: &str, alt_allele: &str) -> bool {
    let fits = |a: &str| !a.is_empty() && a.bytes().all(|b| b.is_ascii_alphanumeric());
    fits(ref_allele) && fits(alt_allele)
}

/// An allele as GWAS-SSF allows it: itself when `[ACGT]+`, else [`LONG_STRING`].
pub fn allele(text: &str) -> &str {
    let acgt = !text.is_empty()
        && text
            .bytes()
            .all(|b| matches!(b.to_ascii_uppercase(), b'A' | b'C' | b'G' | b'T'));
    if acgt {
        text
    } else {
        LONG_STRING
    }
}

/// Whether an id is a dbSNP rsID (`rs` and digits).
pub fn is_rsid(id: &str) -> bool {
    id.len() > 2 && id.starts_with("rs") && id[2..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alleles_outside_acgt_are_long_string() {
        assert_eq!(allele("ACGT"), "ACGT");
        assert_eq!(allele("acg"), "acg");
        for odd in ["N", "-", "*", "I", "0", ""] {
            assert_eq!(allele(odd), LONG_STRING, "{odd}");
        }
    }
}
