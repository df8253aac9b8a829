//! Variant selection: plink2's `--chr`, `--not-chr`, `--autosome`, `--extract` and `--exclude`.
//!
//! The selection wraps any [`BlockReader`] ([`SelectedReader`]), so every format gets the same
//! rules; it combines with `--region` (the reader's own filter) by intersection, as in plink2.
//!
//! - `--chr` and `--not-chr` take chromosome lists as plink2 does: names and codes separated by
//!   commas, ranges with a dash (`1-4,22,X`); names are normalised like every chromosome in
//!   dash (`chr1` = `1`, `23` = `X`, `PAR1`/`PAR2` = `XY`). `--autosome` is `--chr 1-22`.
//! - `--extract` and `--exclude` read variant ID files (IDs separated by whitespace, usually one
//!   per line), or with `bed0`/`bed1` interval-BED files (`CHR START END …`; `bed0` is UCSC's
//!   0-based half-open convention, `bed1` — plink 1.9's `range` — 1-based closed). Several
//!   files are concatenated. A variant is kept when `--extract` names it and `--exclude` does
//!   not; a variant whose source has no ID (`.`) matches no ID list.
//!
//! ```
//! use dash::genotype::select::VariantSelection;
//! use dash::genotype::Variant;
//! let variant = |chrom: &str, pos| Variant {
//!     chrom: chrom.into(),
//!     pos,
//!     id: ".".into(),
//!     ref_allele: "A".into(),
//!     alt_allele: "G".into(),
//! };
//! let selection = VariantSelection::default().chromosomes("1-3,X").unwrap();
//! assert!(selection.selects(&variant("2", 100)));
//! assert!(selection.selects(&variant("X", 5)));
//! assert!(!selection.selects(&variant("4", 100)));
//! ```

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::{BlockReader, GenotypeBlock, Orientation, Variant};
use crate::chrom;
use crate::error::{echo, Error, IoResultExt, Result};

/// Which variants of the genotype file enter the summary.
#[derive(Debug, Clone, Default)]
pub struct VariantSelection {
    /// `--chr`/`--autosome`: only these normalised chromosomes (`None`: all).
    only: Option<BTreeSet<String>>,
    /// `--not-chr`: never these.
    not: BTreeSet<String>,
    /// `--extract`: only variants the lists name.
    extract: Option<VariantList>,
    /// `--exclude`: never variants the lists name.
    exclude: Option<VariantList>,
    /// The flags as given, for the summary header and the log.
    description: Vec<String>,
}

impl VariantSelection {
    /// `--chr LIST`: keeps only variants on these chromosomes (see the module documentation).
    /// Given twice (or with `--autosome`), a variant must be on a chromosome of both lists.
    pub fn chromosomes(mut self, list: &str) -> Result<VariantSelection> {
        let set = parse_chromosomes("--chr", list)?;
        self.only = Some(match self.only.take() {
            Some(previous) => previous.intersection(&set).cloned().collect(),
            None => set,
        });
        self.description.push(format!("--chr {list}"));
        Ok(self)
    }

    /// `--autosome`: chromosomes 1–22 only.
    pub fn autosomes(self) -> Result<VariantSelection> {
        let mut selection = self.chromosomes("1-22")?;
        selection.description.pop();
        selection.description.push("--autosome".to_string());
        Ok(selection)
    }

    /// `--not-chr LIST`: drops variants on these chromosomes.
    pub fn not_chromosomes(mut self, list: &str) -> Result<VariantSelection> {
        self.not.extend(parse_chromosomes("--not-chr", list)?);
        self.description.push(format!("--not-chr {list}"));
        Ok(self)
    }

    /// `--extract [bed0|bed1] FILE…`: keeps only the variants these files name.
    pub fn extract(mut self, args: &[String]) -> Result<VariantSelection> {
        let list = VariantList::from_args("--extract", args)?;
        self.description.push(list.describe("--extract"));
        self.extract = Some(list);
        Ok(self)
    }

    /// `--exclude [bed0|bed1] FILE…`: drops the variants these files name.
    pub fn exclude(mut self, args: &[String]) -> Result<VariantSelection> {
        let list = VariantList::from_args("--exclude", args)?;
        self.description.push(list.describe("--exclude"));
        self.exclude = Some(list);
        Ok(self)
    }

    /// Whether `variant` is selected.
    pub fn selects(&self, variant: &Variant) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.contains(variant.chrom.as_str()))
            && !self.not.contains(variant.chrom.as_str())
            && self.extract.as_ref().is_none_or(|l| l.names(variant))
            && !self.exclude.as_ref().is_some_and(|l| l.names(variant))
    }

    /// Whether no selection was asked for.
    pub fn is_everything(&self) -> bool {
        self.description.is_empty()
    }

    /// The flags applied, e.g. `--chr 1-22`, for the summary header.
    pub fn description(&self) -> &[String] {
        &self.description
    }
}

/// Parses a plink2 chromosome list: `1-4,22, X`.
fn parse_chromosomes(flag: &str, list: &str) -> Result<BTreeSet<String>> {
    let bad = |what: &str| Error::usage(format!("{flag} '{}': {what}", echo(list)));
    let mut set = BTreeSet::new();
    for item in list.split([',', ' ', '\t']).filter(|s| !s.is_empty()) {
        match item.split_once('-') {
            Some((from, to)) => {
                let rank = |name: &str| match chrom::order(&chrom::normalize(name)) {
                    (n @ 1..=26, "") => Ok(n),
                    _ => Err(bad(&format!(
                        "'{}' in a range is not a chromosome code 1-22, X, Y, XY or MT",
                        echo(name)
                    ))),
                };
                let (from, to) = (rank(from)?, rank(to)?);
                if from > to {
                    return Err(bad(&format!("the range '{}' is reversed", echo(item))));
                }
                set.extend((from..=to).map(code_name));
            }
            None => {
                set.insert(chrom::normalize(item));
            }
        }
    }
    if set.is_empty() {
        return Err(bad("names no chromosome"));
    }
    Ok(set)
}

/// The normalised name of chromosome code `n` (1–26, plink's numbering).
fn code_name(n: u32) -> String {
    match n {
        23 => "X".to_string(),
        24 => "Y".to_string(),
        25 => "XY".to_string(),
        26 => "MT".to_string(),
        n => n.to_string(),
    }
}

/// The variants named by `--extract` or `--exclude` files.
#[derive(Debug, Clone)]
struct VariantList {
    /// How the files were read.
    kind: ListKind,
    /// The files, for the description.
    paths: Vec<PathBuf>,
    /// Variant IDs ([`ListKind::Ids`]).
    ids: HashSet<String>,
    /// Per normalised chromosome, 1-based closed intervals sorted by start and merged so they do
    /// not overlap (the BED kinds).
    intervals: HashMap<String, Vec<(u64, u64)>>,
}

/// The form of a variant list file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    /// Variant IDs.
    Ids,
    /// Interval BED, 0-based half-open.
    Bed0,
    /// Interval BED, 1-based closed.
    Bed1,
}

impl VariantList {
    /// Reads the files of `--extract [bed0|bed1] FILE…`.
    fn from_args(flag: &str, args: &[String]) -> Result<VariantList> {
        let (kind, files) = match args.first().map(String::as_str) {
            Some("bed0") => (ListKind::Bed0, &args[1..]),
            Some("bed1" | "range") => (ListKind::Bed1, &args[1..]),
            _ => (ListKind::Ids, args),
        };
        if files.is_empty() {
            return Err(Error::usage(format!("{flag} needs a file")));
        }
        let mut list = VariantList {
            kind,
            paths: files.iter().map(PathBuf::from).collect(),
            ids: HashSet::new(),
            intervals: HashMap::new(),
        };
        for path in list.paths.clone() {
            match kind {
                ListKind::Ids => list.read_ids(&path)?,
                ListKind::Bed0 | ListKind::Bed1 => list.read_intervals(&path)?,
            }
        }
        for intervals in list.intervals.values_mut() {
            intervals.sort_unstable();
            let mut merged: Vec<(u64, u64)> = Vec::with_capacity(intervals.len());
            for &(start, end) in intervals.iter() {
                match merged.last_mut() {
                    Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
                    _ => merged.push((start, end)),
                }
            }
            *intervals = merged;
        }
        Ok(list)
    }

    fn read_ids(&mut self, path: &Path) -> Result<()> {
        let file = File::open(path).with_path(path)?;
        let before = self.ids.len();
        for line in BufReader::new(file).lines() {
            let line = line.with_path(path)?;
            self.ids.extend(line.split_whitespace().map(str::to_string));
        }
        if self.ids.len() == before {
            return Err(Error::input(path, "names no variant ID"));
        }
        Ok(())
    }

    fn read_intervals(&mut self, path: &Path) -> Result<()> {
        let file = File::open(path).with_path(path)?;
        let mut count = 0;
        for (index, line) in BufReader::new(file).lines().enumerate() {
            let line = line.with_path(path)?;
            let fields: Vec<&str> = line.split_whitespace().collect();
            let at = || format!("line {}", index + 1);
            if fields.is_empty()
                || fields[0].starts_with('#')
                || fields[0] == "track"
                || fields[0] == "browser"
            {
                continue;
            }
            let [chrom, start, end, ..] = fields[..] else {
                return Err(Error::input(
                    path,
                    "an interval-BED line needs at least 3 columns: CHR START END",
                )
                .at(at()));
            };
            let number = |text: &str, what: &str| {
                text.parse::<u64>().map_err(|_| {
                    Error::input(
                        path,
                        format!("{what} '{}' is not a non-negative integer", echo(text)),
                    )
                    .at(at())
                })
            };
            let (start, end) = (number(start, "start")?, number(end, "end")?);
            // Both conventions become 1-based closed [first, last].
            let (first, last) = match self.kind {
                ListKind::Bed0 => (start + 1, end),
                _ => (start, end),
            };
            if last < first || (self.kind == ListKind::Bed1 && first == 0) {
                return Err(Error::input(
                    path,
                    format!(
                        "the interval {start}-{end} is empty or not {}",
                        match self.kind {
                            ListKind::Bed0 => "0-based half-open (bed0)",
                            _ => "1-based closed (bed1)",
                        }
                    ),
                )
                .at(at()));
            }
            self.intervals
                .entry(chrom::normalize(chrom))
                .or_default()
                .push((first, last));
            count += 1;
        }
        if count == 0 {
            return Err(Error::input(path, "holds no interval"));
        }
        Ok(())
    }

    /// Whether the list names `variant`.
    fn names(&self, variant: &Variant) -> bool {
        match self.kind {
            ListKind::Ids => self.ids.contains(variant.id.as_str()),
            ListKind::Bed0 | ListKind::Bed1 => self
                .intervals
                .get(variant.chrom.as_str())
                .is_some_and(|list| {
                    let after = list.partition_point(|&(start, _)| start <= variant.pos);
                    after > 0 && variant.pos <= list[after - 1].1
                }),
        }
    }

    /// `--extract bed1 ranges.bed`.
    fn describe(&self, flag: &str) -> String {
        let modifier = match self.kind {
            ListKind::Ids => "",
            ListKind::Bed0 => " bed0",
            ListKind::Bed1 => " bed1",
        };
        let names: Vec<String> = self
            .paths
            .iter()
            .map(|p| {
                p.file_name()
                    .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
            })
            .collect();
        format!("{flag}{modifier} {}", names.join(" "))
    }
}

/// A reader that yields only the selected variants of another.
pub struct SelectedReader {
    inner: Box<dyn BlockReader>,
    selection: VariantSelection,
    /// Variants read and left out.
    dropped: u64,
    /// Variants kept.
    kept: u64,
}

impl SelectedReader {
    /// Wraps `inner`; a selection of everything is better left unwrapped.
    pub fn new(inner: Box<dyn BlockReader>, selection: VariantSelection) -> SelectedReader {
        SelectedReader {
            inner,
            selection,
            dropped: 0,
            kept: 0,
        }
    }
}

impl BlockReader for SelectedReader {
    super::describe_as_inner!(inner);

    fn read_block(&mut self, max_variants: usize, block: &mut GenotypeBlock) -> Result<bool> {
        // A block the selection empties is not the end of input: read on.
        loop {
            if !self.inner.read_block(max_variants, block)? {
                return Ok(false);
            }
            let keep: Vec<bool> = block
                .variants
                .iter()
                .map(|v| self.selection.selects(v))
                .collect();
            let kept = keep.iter().filter(|&&k| k).count();
            self.kept += kept as u64;
            self.dropped += (keep.len() - kept) as u64;
            if kept > 0 {
                retain(block, &keep);
                return Ok(true);
            }
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = self.inner.notes();
        notes.push(format!(
            "{}: {} variants kept, {} left out",
            self.selection.description().join(", "),
            self.kept,
            self.dropped
        ));
        notes
    }
}

/// Keeps the variants `v` of `block` with `keep[v]`, in order, with their calls and counts.
pub(crate) fn retain(block: &mut GenotypeBlock, keep: &[bool]) {
    let n = block.n_samples;
    let bpv = block.bytes_per_variant;
    let packed = block.is_packed();
    let counted = block.qc.len() == keep.len();
    let mut to = 0;
    for (from, _) in keep.iter().enumerate().filter(|(_, &k)| k) {
        if from != to {
            block.variants.swap(to, from);
            if packed {
                block
                    .packed
                    .copy_within(from * bpv..(from + 1) * bpv, to * bpv);
            } else {
                block.dosages.copy_within(from * n..(from + 1) * n, to * n);
            }
            if counted {
                block.qc.swap(to, from);
                block.missing.swap(to, from);
            }
        }
        to += 1;
    }
    block.variants.truncate(to);
    if packed {
        block.packed.truncate(to * bpv);
    } else {
        block.dosages.truncate(to * n);
    }
    if counted {
        block.qc.truncate(to);
        block.missing.truncate(to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genotype::QcCounts;

    fn variant(chrom: &str, pos: u64, id: &str) -> Variant {
        Variant {
            chrom: chrom.into(),
            pos,
            id: id.into(),
            ref_allele: "A".into(),
            alt_allele: "C".into(),
        }
    }

    #[test]
    fn chromosome_lists_follow_plink2() {
        let set = parse_chromosomes("--chr", "1-3, chr22,x,PAR1").unwrap();
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            ["1", "2", "22", "3", "X", "XY"]
        );
        let set = parse_chromosomes("--chr", "21-X").unwrap();
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["21", "22", "X"]);
        assert!(parse_chromosomes("--chr", "3-1").is_err());
        assert!(parse_chromosomes("--chr", "1-contigA").is_err());
        assert!(parse_chromosomes("--chr", " , ").is_err());
    }

    #[test]
    fn lists_select_by_id_and_interval() {
        let dir = tempfile::tempdir().unwrap();
        let ids = dir.path().join("ids.txt");
        std::fs::write(&ids, "rs1 rs2\nrs3\n").unwrap();
        let bed = dir.path().join("r.bed");
        std::fs::write(&bed, "track x\nchr1\t99\t200\n1 150 300\n2 10 11\n").unwrap();
        let arg = |p: &Path| p.display().to_string();

        let s = VariantSelection::default().extract(&[arg(&ids)]).unwrap();
        assert!(s.selects(&variant("1", 5, "rs2")));
        assert!(!s.selects(&variant("1", 5, "rs4")));
        assert!(!s.selects(&variant("1", 5, ".")));

        // bed0: [99, 200) and [150, 300) → positions 100..=300; [10, 11) → 11.
        let s = VariantSelection::default()
            .extract(&["bed0".into(), arg(&bed)])
            .unwrap();
        let kept: Vec<u64> = [99, 100, 200, 300, 301]
            .into_iter()
            .filter(|&p| s.selects(&variant("1", p, ".")))
            .collect();
        assert_eq!(kept, [100, 200, 300]);
        assert!(s.selects(&variant("2", 11, ".")));
        assert!(!s.selects(&variant("2", 10, ".")));

        // bed1: [99, 200] and [150, 300]; excluding them.
        let s = VariantSelection::default()
            .exclude(&["bed1".into(), arg(&bed)])
            .unwrap();
        assert!(!s.selects(&variant("1", 99, ".")));
        assert!(s.selects(&variant("1", 98, ".")));
        assert!(!s.selects(&variant("2", 10, ".")));
    }

    #[test]
    fn bad_interval_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let bed = dir.path().join("r.bed");
        std::fs::write(&bed, "1 100 200\n1 x 5\n").unwrap();
        let e = VariantSelection::default()
            .extract(&["bed1".into(), bed.display().to_string()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("r.bed: line 2: start 'x'"), "{e}");
        std::fs::write(&bed, "1 200 100\n").unwrap();
        let e = VariantSelection::default()
            .extract(&["bed0".into(), bed.display().to_string()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1: the interval 200-100 is empty"), "{e}");
    }

    #[test]
    fn retain_compacts_dense_and_packed_blocks() {
        let mut block = GenotypeBlock {
            variants: vec![
                variant("1", 1, "a"),
                variant("1", 2, "b"),
                variant("1", 3, "c"),
            ],
            dosages: vec![0.0, 1.0, 1.0, 2.0, 2.0, 0.0],
            n_samples: 2,
            missing: vec![vec![], vec![1], vec![]],
            qc: vec![QcCounts::default(); 3],
            ..GenotypeBlock::default()
        };
        retain(&mut block, &[false, true, true]);
        assert_eq!(block.variants.len(), 2);
        assert_eq!(block.variants[0].id, "b");
        assert_eq!(block.dosages, [1.0, 2.0, 2.0, 0.0]);
        assert_eq!(block.missing, [vec![1], vec![]]);

        let mut block = GenotypeBlock {
            variants: vec![
                variant("1", 1, "a"),
                variant("1", 2, "b"),
                variant("1", 3, "c"),
            ],
            packed: vec![0x11, 0x22, 0x33],
            bytes_per_variant: 1,
            n_samples: 4,
            ..GenotypeBlock::default()
        };
        retain(&mut block, &[true, false, true]);
        assert_eq!(block.packed, [0x11, 0x33]);
        assert_eq!(block.variants[1].id, "c");
    }
}
