//! The ploidy of each sample's non-PAR chrX calls in a VCF/BCF: what `--sex-from-calls` infers
//! sex from (the rule is [`crate::samples::sex_inference`]).
//!
//! Sex is a field of every summary from its first row, so the calls are tallied in a pass of
//! their own before the genotype pass: through the `.tbi`/`.csi` index when the file has one
//! (only chrX is read), else by a first scan of the whole file, as bcftools reads an unindexed
//! file. The pass reads chrX of the whole file whatever `--region`, `--chr` or `--extract` the
//! genotype pass uses, so every region shard of a party infers the same sexes. Only `GT` is
//! read; a missing call (`.`, `./.`, `./1`) and a call of more than two alleles say nothing
//! about ploidy and are not counted.

use std::path::{Path, PathBuf};

use super::batch::{RecordFormat, RecordReader};
use super::dosage::Call;
use super::{bcf, find_by_prefix, vcf, DosageField, Region};
use crate::error::{Error, Result};

/// Per sample, how many of its non-PAR chrX calls were haploid and how many diploid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PloidyTally {
    /// Haploid calls per sample (file order).
    pub haploid: Vec<u32>,
    /// Diploid calls per sample (file order).
    pub diploid: Vec<u32>,
    /// Records tallied.
    pub records: u64,
    /// How the records were found: the index read, or `None` for a scan of the whole file.
    pub index: Option<PathBuf>,
}

impl PloidyTally {
    fn new(n_samples: usize, index: Option<PathBuf>) -> PloidyTally {
        PloidyTally {
            haploid: vec![0; n_samples],
            diploid: vec![0; n_samples],
            records: 0,
            index,
        }
    }

    /// Counts one record's calls.
    ///
    /// ```
    /// use dash::genotype::dosage::Call;
    /// use dash::genotype::ploidy::PloidyTally;
    /// let mut tally = PloidyTally::of_calls(3, &[&[Call::Haploid(1), Call::Diploid(0, 1), Call::Missing]]);
    /// assert_eq!((tally.haploid, tally.diploid), (vec![1, 0, 0], vec![0, 1, 0]));
    /// ```
    pub fn count(&mut self, calls: &[Call]) {
        for (sample, call) in calls.iter().enumerate() {
            match call {
                Call::Haploid(_) => self.haploid[sample] += 1,
                Call::Diploid(..) => self.diploid[sample] += 1,
                Call::Missing | Call::Polyploid => {}
            }
        }
        self.records += 1;
    }

    /// The tally of these records' calls (`n_samples` each), as if read from a file.
    pub fn of_calls(n_samples: usize, records: &[&[Call]]) -> PloidyTally {
        let mut tally = PloidyTally::new(n_samples, None);
        records.iter().for_each(|calls| tally.count(calls));
        tally
    }
}

/// Tallies the ploidy of every `GT` call of the VCF/BCF at `path` (or a bare prefix) on the
/// chrX positions `non_par` selects (normalised chromosome `X`, position).
pub fn tally_chrx(path: &Path, non_par: impl Fn(u64) -> bool) -> Result<PloidyTally> {
    let resolved = find_by_prefix(path)?.map(|(found, _)| found);
    let path = resolved.as_deref().unwrap_or(path);
    let lower = path.to_string_lossy().to_ascii_lowercase();
    let keep = |chrom: &str, pos: u64| chrom == "X" && non_par(pos);
    if lower.ends_with(".bcf") {
        let index = index_beside(path, &[".csi"]);
        let reader = bcf::open(path, chrx(&index).as_ref(), DosageField::Gt)?;
        return tally(reader, index, keep);
    }
    if [".vcf", ".vcf.gz", ".vcf.bgz"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        // A plain `.vcf` has no index: a `.tbi` beside it is for another file.
        let index = match lower.ends_with(".vcf") {
            true => None,
            false => index_beside(path, &[".tbi", ".csi"]),
        };
        let reader = vcf::open(path, chrx(&index).as_ref(), DosageField::Gt)?;
        return tally(reader, index, keep);
    }
    Err(Error::usage(format!(
        "--sex-from-calls reads the ploidy of VCF/BCF GT calls, and {} is not a VCF or BCF: a .bed/.pgen codes males' chrX calls as diploid and has sex in its .fam/.psam; for a BGEN give --sex-col",
        path.display()
    )))
}

/// All of chrX, when there is an index to read it through.
fn chrx(index: &Option<PathBuf>) -> Option<Region> {
    index.as_ref().map(|_| Region {
        chrom: "X".to_string(),
        start: 1,
        end: u64::MAX,
    })
}

/// The first index file `path` + one of `extensions` that exists.
fn index_beside(path: &Path, extensions: &[&str]) -> Option<PathBuf> {
    extensions
        .iter()
        .map(|ext| {
            let mut name = path.as_os_str().to_owned();
            name.push(ext);
            PathBuf::from(name)
        })
        .find(|candidate| candidate.is_file())
}

fn tally<F: RecordFormat>(
    mut reader: RecordReader<F>,
    index: Option<PathBuf>,
    keep: impl Fn(&str, u64) -> bool,
) -> Result<PloidyTally> {
    let mut tally = PloidyTally::new(crate::genotype::BlockReader::samples(&reader).len(), index);
    reader.for_each_gt_calls(
        |site| keep(&site.chrom, site.pos),
        |calls| tally.count(calls),
    )?;
    Ok(tally)
}
