//! The files of the per-party allele-frequency check ([`crate::merge::allele_check`]), written
//! by merge and read back by `dash report`:
//!
//! * `PREFIX.af_parties.tsv` — one row per input: its status, variants compared, outliers, the
//!   largest |Δ| and the threshold;
//! * `PREFIX.af_bins.tsv` — per input, the non-empty cells of the 50 × 50 histogram of (others'
//!   frequency bin, own frequency bin): O(inputs × bins) rows, whatever the number of variants;
//! * `PREFIX.af_outliers.tsv` — every outlier (never thinned), streamed as merge finds them.
//!
//! Parsing lives here beside the writing, so the two cannot drift apart.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::float_text::push_f64;
use crate::atomic_file::AtomicFile;
use crate::error::{Error, IoResultExt, Result};
use crate::merge::allele_check::BINS;

/// The three files under an output prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlleleCheckPaths {
    /// `PREFIX.af_parties.tsv`.
    pub parties: PathBuf,
    /// `PREFIX.af_bins.tsv`.
    pub bins: PathBuf,
    /// `PREFIX.af_outliers.tsv`.
    pub outliers: PathBuf,
}

impl AlleleCheckPaths {
    /// The paths under `prefix`.
    ///
    /// ```
    /// let p = dash::output::allele_check::AlleleCheckPaths::new("out/gwas".as_ref());
    /// assert_eq!(p.outliers.to_str(), Some("out/gwas.af_outliers.tsv"));
    /// ```
    pub fn new(prefix: &Path) -> AlleleCheckPaths {
        let p = |suffix: &str| {
            let mut name = prefix.as_os_str().to_os_string();
            name.push(suffix);
            PathBuf::from(name)
        };
        AlleleCheckPaths {
            parties: p(".af_parties.tsv"),
            bins: p(".af_bins.tsv"),
            outliers: p(".af_outliers.tsv"),
        }
    }
}

/// Header of `PREFIX.af_parties.tsv`.
pub const PARTY_COLUMNS: [&str; 8] = [
    "input",
    "party",
    "status",
    "phenotype",
    "compared",
    "outliers",
    "max_abs_difference",
    "af_diff",
];

/// Header of `PREFIX.af_bins.tsv`.
pub const BIN_COLUMNS: [&str; 4] = ["input", "others_bin", "party_bin", "variants"];

/// Header of `PREFIX.af_outliers.tsv`.
pub const OUTLIER_COLUMNS: [&str; 13] = [
    "input",
    "party",
    "chromosome",
    "base_pair_location",
    "id",
    "effect_allele",
    "other_allele",
    "af_party",
    "af_others",
    "difference",
    "observed_party",
    "observed_others",
    "flipped",
];

/// Whether an input could be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Compared with the other inputs.
    Checked,
    /// The only input: there is nothing to compare it with.
    NoOtherInput,
    /// A party of a secure set: only pooled sums exist, no per-party frequency.
    Secure,
}

impl Status {
    /// The word in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Checked => "checked",
            Status::NoOtherInput => "no_other_input",
            Status::Secure => "secure",
        }
    }

    /// Why an input was not checked, for people.
    pub fn explain(self) -> &'static str {
        match self {
            Status::Checked => "checked against the pooled frequency of the other inputs",
            Status::NoOtherInput => "the only input: there is no other party to compare it with",
            Status::Secure => {
                "a secure set reveals only pooled sums, so no party's own frequency exists to check"
            }
        }
    }

    fn parse(text: &str) -> Option<Status> {
        [Status::Checked, Status::NoOtherInput, Status::Secure]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One row of `PREFIX.af_parties.tsv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyRow {
    /// The input's number, from 1 in argument order (secure parties: roster order).
    pub input: usize,
    /// Its party names, joined with `+` (a merged summary holds several).
    pub party: String,
    /// Whether it was checked.
    pub status: Status,
    /// The phenotype whose samples the frequencies are over.
    pub phenotype: String,
    /// Variants compared.
    pub compared: u64,
    /// Of those, outliers.
    pub outliers: u64,
    /// The largest |own − others|.
    pub max_abs_difference: f64,
    /// The outlier threshold (`--af-diff`).
    pub af_diff: f64,
}

/// One outlier.
#[derive(Debug, Clone, PartialEq)]
pub struct OutlierRow {
    /// The input's number (from 1).
    pub input: usize,
    /// Its party names.
    pub party: String,
    /// Chromosome as in the summaries.
    pub chrom: String,
    /// Position.
    pub pos: u64,
    /// Variant ID as in the summaries.
    pub id: String,
    /// Effect allele (ALT of the reported orientation).
    pub effect_allele: String,
    /// Other allele.
    pub other_allele: String,
    /// The input's effect-allele frequency.
    pub af_party: f64,
    /// The other inputs' pooled effect-allele frequency.
    pub af_others: f64,
    /// Observed calls of the input.
    pub observed_party: f64,
    /// Observed calls of the others.
    pub observed_others: f64,
    /// The input's row was the other way round and was flipped.
    pub flipped: bool,
}

impl OutlierRow {
    /// `af_party − af_others`.
    pub fn difference(&self) -> f64 {
        self.af_party - self.af_others
    }
}

fn push_row(out: &mut String, fields: &[&str]) {
    out.push_str(&fields.join("\t"));
    out.push('\n');
}

fn float(x: f64) -> String {
    let mut s = String::new();
    push_f64(&mut s, x);
    s
}

/// Writes `PREFIX.af_parties.tsv`; returns the uncommitted file.
pub fn write_parties(path: &Path, rows: &[PartyRow]) -> Result<AtomicFile> {
    let mut text = String::new();
    push_row(&mut text, &PARTY_COLUMNS);
    for r in rows {
        push_row(
            &mut text,
            &[
                &r.input.to_string(),
                &r.party,
                r.status.as_str(),
                &r.phenotype,
                &r.compared.to_string(),
                &r.outliers.to_string(),
                &float(r.max_abs_difference),
                &float(r.af_diff),
            ],
        );
    }
    write_text(path, &text)
}

/// Writes `PREFIX.af_bins.tsv` from each checked input's histogram (`bins[others * BINS +
/// own]`), non-empty cells only; returns the uncommitted file.
pub fn write_bins<'a>(
    path: &Path,
    histograms: impl IntoIterator<Item = (usize, &'a [u64])>,
) -> Result<AtomicFile> {
    let mut text = String::new();
    push_row(&mut text, &BIN_COLUMNS);
    for (input, bins) in histograms {
        for (cell, &count) in bins.iter().enumerate().filter(|(_, c)| **c > 0) {
            let (others, own) = (cell / BINS, cell % BINS);
            push_row(
                &mut text,
                &[
                    &input.to_string(),
                    &others.to_string(),
                    &own.to_string(),
                    &count.to_string(),
                ],
            );
        }
    }
    write_text(path, &text)
}

fn write_text(path: &Path, text: &str) -> Result<AtomicFile> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(text.as_bytes()).with_path(path)?;
    Ok(file)
}

/// Streams outliers to `PREFIX.af_outliers.tsv` as merge finds them.
pub struct OutlierWriter {
    table: super::table::TableFile,
    line: String,
}

impl OutlierWriter {
    /// Creates the file (under a temporary name) with its header.
    pub fn create(path: &Path) -> Result<OutlierWriter> {
        Ok(OutlierWriter {
            table: super::table::TableFile::create(path, &OUTLIER_COLUMNS)?,
            line: String::new(),
        })
    }

    /// An empty part of the list, in memory, for [`OutlierWriter::absorb`].
    pub fn part(&self) -> OutlierWriter {
        OutlierWriter {
            table: self.table.part(),
            line: String::new(),
        }
    }

    /// Appends the outliers of `part` (from [`OutlierWriter::part`]).
    pub fn absorb(&mut self, part: OutlierWriter) -> Result<()> {
        self.table.absorb(part.table)
    }

    /// Appends one outlier.
    pub fn append(&mut self, r: &OutlierRow) -> Result<()> {
        self.line.clear();
        push_row(
            &mut self.line,
            &[
                &r.input.to_string(),
                &r.party,
                &r.chrom,
                &r.pos.to_string(),
                &r.id,
                &r.effect_allele,
                &r.other_allele,
                &float(r.af_party),
                &float(r.af_others),
                &float(r.difference()),
                &float(r.observed_party),
                &float(r.observed_others),
                if r.flipped { "yes" } else { "no" },
            ],
        );
        let line = self.line.strip_suffix('\n').unwrap_or(&self.line);
        self.table.write_line(format_args!("{line}"))
    }

    /// The finished, uncommitted file.
    pub fn finish(self) -> AtomicFile {
        self.table.finish().0
    }
}

/// What `dash report` reads back of the check.
#[derive(Debug, Clone, PartialEq)]
pub struct AlleleCheckData {
    /// One row per input.
    pub parties: Vec<PartyRow>,
    /// Per party row, its histogram (`bins[others * BINS + own]`).
    pub histograms: Vec<Vec<u64>>,
    /// Per party row, every outlier as (others, own) frequency: what the plot draws.
    pub outlier_points: Vec<Vec<(f32, f32)>>,
    /// Per party row, the outliers with the largest |Δ|, largest first (at most the number asked
    /// for): what the page lists.
    pub top_outliers: Vec<Vec<OutlierRow>>,
}

/// Reads the check's files under `prefix`, keeping the `top` largest outliers of each input in
/// full; `None` when merge wrote no check (an older merge). Memory: the histograms, 8 bytes per
/// outlier, and the kept rows.
pub fn read(prefix: &Path, top: usize) -> Result<Option<AlleleCheckData>> {
    let paths = AlleleCheckPaths::new(prefix);
    let parties = match std::fs::File::open(&paths.parties) {
        Ok(file) => read_parties(&paths.parties, BufReader::new(file))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&paths.parties, e)),
    };
    let slot = |path: &Path, line: usize, input: usize| {
        parties
            .iter()
            .position(|p| p.input == input)
            .ok_or_else(|| {
                Error::input(
                    path,
                    format!("input {input} is not in {}", paths.parties.display()),
                )
                .at(format!("line {line}"))
            })
    };
    let mut histograms = vec![vec![0u64; BINS * BINS]; parties.len()];
    for_each_row(&paths.bins, &BIN_COLUMNS, |line, fields| {
        let at = |k: usize| number::<usize>(&paths.bins, line, BIN_COLUMNS[k], fields[k]);
        let (input, others, own) = (at(0)?, at(1)?, at(2)?);
        let count = number::<u64>(&paths.bins, line, BIN_COLUMNS[3], fields[3])?;
        if others >= BINS || own >= BINS {
            return Err(Error::input(
                &paths.bins,
                format!("bin ({others}, {own}) is outside the {BINS} × {BINS} histogram"),
            )
            .at(format!("line {line}")));
        }
        histograms[slot(&paths.bins, line, input)?][others * BINS + own] += count;
        Ok(())
    })?;
    let mut outlier_points = vec![Vec::new(); parties.len()];
    let mut top_outliers: Vec<Vec<OutlierRow>> = vec![Vec::new(); parties.len()];
    for_each_row(&paths.outliers, &OUTLIER_COLUMNS, |line, f| {
        let path = &paths.outliers;
        let frequency = |k: usize| -> Result<f64> {
            let v = number::<f64>(path, line, OUTLIER_COLUMNS[k], f[k])?;
            match (0.0..=1.0).contains(&v) {
                true => Ok(v),
                false => Err(Error::input(
                    path,
                    format!("{} {v} is not a frequency in [0, 1]", OUTLIER_COLUMNS[k]),
                )
                .at(format!("line {line}"))),
            }
        };
        let row = OutlierRow {
            input: number(path, line, OUTLIER_COLUMNS[0], f[0])?,
            party: f[1].to_string(),
            chrom: f[2].to_string(),
            pos: number(path, line, OUTLIER_COLUMNS[3], f[3])?,
            id: f[4].to_string(),
            effect_allele: f[5].to_string(),
            other_allele: f[6].to_string(),
            af_party: frequency(7)?,
            af_others: frequency(8)?,
            observed_party: number(path, line, OUTLIER_COLUMNS[10], f[10])?,
            observed_others: number(path, line, OUTLIER_COLUMNS[11], f[11])?,
            flipped: f[12] == "yes",
        };
        let k = slot(path, line, row.input)?;
        outlier_points[k].push((row.af_others as f32, row.af_party as f32));
        keep_largest(&mut top_outliers[k], row, top);
        Ok(())
    })?;
    Ok(Some(AlleleCheckData {
        parties,
        histograms,
        outlier_points,
        top_outliers,
    }))
}

/// Keeps the `top` rows of largest |Δ| in `kept`, largest first.
fn keep_largest(kept: &mut Vec<OutlierRow>, row: OutlierRow, top: usize) {
    let distance = |r: &OutlierRow| r.difference().abs();
    let at = kept.partition_point(|k| distance(k) >= distance(&row));
    if at < top {
        kept.insert(at, row);
        kept.truncate(top);
    }
}

fn read_parties(path: &Path, reader: impl BufRead) -> Result<Vec<PartyRow>> {
    let mut rows = Vec::new();
    read_rows(path, reader, &PARTY_COLUMNS, |line, f| {
        let status = Status::parse(f[2]).ok_or_else(|| {
            Error::input(path, format!("unknown status '{}'", f[2])).at(format!("line {line}"))
        })?;
        rows.push(PartyRow {
            input: number(path, line, PARTY_COLUMNS[0], f[0])?,
            party: f[1].to_string(),
            status,
            phenotype: f[3].to_string(),
            compared: number(path, line, PARTY_COLUMNS[4], f[4])?,
            outliers: number(path, line, PARTY_COLUMNS[5], f[5])?,
            max_abs_difference: number(path, line, PARTY_COLUMNS[6], f[6])?,
            af_diff: number(path, line, PARTY_COLUMNS[7], f[7])?,
        });
        Ok(())
    })?;
    Ok(rows)
}

/// Calls `row` with the line number and fields of every data row of the file at `path`.
fn for_each_row(
    path: &Path,
    columns: &[&str],
    row: impl FnMut(usize, &[&str]) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::open(path).with_path(path)?;
    read_rows(path, BufReader::new(file), columns, row)
}

/// Reads a TSV whose header must be `columns`, calling `row` on each data line.
fn read_rows(
    path: &Path,
    reader: impl BufRead,
    columns: &[&str],
    mut row: impl FnMut(usize, &[&str]) -> Result<()>,
) -> Result<()> {
    let mut lines = reader.lines();
    let header = lines
        .next()
        .transpose()
        .with_path(path)?
        .unwrap_or_default();
    if header.split('\t').ne(columns.iter().copied()) {
        return Err(Error::input(
            path,
            format!("the header is not the expected '{}'", columns.join(" ")),
        )
        .at("line 1"));
    }
    for (k, line) in lines.enumerate() {
        let line = line.with_path(path)?;
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != columns.len() {
            return Err(Error::input(
                path,
                format!(
                    "{} fields where the header has {}",
                    fields.len(),
                    columns.len()
                ),
            )
            .at(format!("line {}", k + 2)));
        }
        row(k + 2, &fields)?;
    }
    Ok(())
}

/// Field `text` of column `column` as a number, or an error naming the line.
fn number<T: std::str::FromStr>(path: &Path, line: usize, column: &str, text: &str) -> Result<T> {
    text.parse().map_err(|_| {
        Error::input(path, format!("{column} '{text}' is not a number")).at(format!("line {line}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_outliers_are_kept_largest_first() {
        let row = |d: f64| OutlierRow {
            input: 1,
            party: "a".into(),
            chrom: "1".into(),
            pos: 1,
            id: ".".into(),
            effect_allele: "A".into(),
            other_allele: "G".into(),
            af_party: 0.5 + d,
            af_others: 0.5,
            observed_party: 10.0,
            observed_others: 10.0,
            flipped: false,
        };
        let mut kept = Vec::new();
        for d in [0.3, -0.45, 0.25, 0.4, -0.21] {
            keep_largest(&mut kept, row(d), 3);
        }
        let kept: Vec<f64> = kept.iter().map(|r| r.difference()).collect();
        assert_eq!(kept.len(), 3);
        assert!((kept[0] + 0.45).abs() < 1e-12 && (kept[1] - 0.4).abs() < 1e-12);
        assert!((kept[2] - 0.3).abs() < 1e-12);
    }
}
