//! Sex chromosomes in the summary contract: the chrX model, the genome build and the
//! pseudo-autosomal regions (DESIGN §6 "Sex chromosomes").
//!
//! plink2's `--glm` adds sex as a covariate on chrX and, under `--xchr-model`, codes male
//! dosages there 0..1 (model 1) or 0..2 (model 2, its default), or skips chrX (model 0). Which
//! variants get that treatment depends on the pseudo-autosomal regions (PAR1/PAR2): as in
//! plink2, every variant coded `X` is treated as X, unless the PARs were split off
//! (`--split-par`, which needs the build), and variants coded `XY` (PAR1/PAR2) are
//! pseudo-autosomal. Every summary records these choices ([`SexChromosomes`]); merge refuses to
//! pool summaries made under different ones, since the sums would mean different things.
//!
//! ```
//! use dash::summary::sex::{Build, SexChromosomes, XchrModel};
//! let split = SexChromosomes { xchr_model: XchrModel::Diploid, build: Some(Build::Grch38), split_par: true };
//! assert!(split.is_sex_modelled("X", 3_000_000));
//! assert!(!split.is_sex_modelled("X", 2_781_479)); // PAR1 of GRCh38
//! assert!(!split.is_sex_modelled("XY", 3_000_000));
//! assert!(!split.is_sex_modelled("7", 3_000_000));
//! ```

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// plink2's `--xchr-model`: how non-PAR chrX enters the regression.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum XchrModel {
    /// `0`: chrX is skipped.
    Skip,
    /// `1`: sex covariate on chrX, males coded 0..1 (half their 0..2 dosage).
    Haploid,
    /// `2` (plink2's default): sex covariate on chrX, males coded 0..2.
    #[default]
    Diploid,
}

impl XchrModel {
    /// The model of its plink2 number.
    pub fn from_number(number: u8) -> Option<XchrModel> {
        match number {
            0 => Some(XchrModel::Skip),
            1 => Some(XchrModel::Haploid),
            2 => Some(XchrModel::Diploid),
            _ => None,
        }
    }

    /// Its plink2 number.
    pub fn number(self) -> u8 {
        match self {
            XchrModel::Skip => 0,
            XchrModel::Haploid => 1,
            XchrModel::Diploid => 2,
        }
    }

    /// The largest dosage of a male call on non-PAR chrX: the `c` of the exact flip
    /// `x' = c − x` (females and every other variant: 2).
    pub fn male_ploidy(self) -> f64 {
        match self {
            XchrModel::Haploid => 1.0,
            XchrModel::Skip | XchrModel::Diploid => 2.0,
        }
    }
}

impl Serialize for XchrModel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.number())
    }
}

impl<'de> Deserialize<'de> for XchrModel {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = u8::deserialize(deserializer)?;
        XchrModel::from_number(number).ok_or_else(|| {
            serde::de::Error::custom(format!("xchr_model {number} is not 0, 1 or 2"))
        })
    }
}

/// A human genome build, as `--build 37|38` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Build {
    /// GRCh37 (hg19).
    #[serde(rename = "GRCh37")]
    Grch37,
    /// GRCh38 (hg38).
    #[serde(rename = "GRCh38")]
    Grch38,
}

impl Build {
    /// The build of `--build` text: `37`, `38`, `GRCh37`, `GRCh38`, `hg19`, `hg38`, `b37`, `b38`.
    pub fn parse(text: &str) -> Option<Build> {
        match text.to_ascii_lowercase().as_str() {
            "37" | "b37" | "grch37" | "hg19" => Some(Build::Grch37),
            "38" | "b38" | "grch38" | "hg38" => Some(Build::Grch38),
            _ => None,
        }
    }

    /// The build whose chrX has this length (a VCF header's `##contig=<ID=X,length=…>`).
    pub fn from_chrx_length(length: u64) -> Option<Build> {
        match length {
            155_270_560 => Some(Build::Grch37),
            156_040_895 => Some(Build::Grch38),
            _ => None,
        }
    }

    /// The last position of PAR1 and the first of PAR2 on chrX, as plink2's `--split-par b37`
    /// and `b38` place them.
    pub fn par_bounds(self) -> (u64, u64) {
        match self {
            Build::Grch37 => (2_699_520, 154_931_044),
            Build::Grch38 => (2_781_479, 155_701_383),
        }
    }

    /// Whether a chrX position lies in PAR1 or PAR2.
    pub fn in_par(self, pos: u64) -> bool {
        let (par1_end, par2_start) = self.par_bounds();
        pos <= par1_end || pos >= par2_start
    }
}

impl fmt::Display for Build {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Build::Grch37 => "GRCh37",
            Build::Grch38 => "GRCh38",
        })
    }
}

/// What a summary's sums on the sex chromosomes mean: the header's `sex_chromosomes`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SexChromosomes {
    /// `--xchr-model` at compress.
    pub xchr_model: XchrModel,
    /// `--build` (or the build a VCF header's chrX length shows); `None` when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    /// `--split-par`: chrX positions in PAR1/PAR2 (by `build`) are pseudo-autosomal.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub split_par: bool,
}

impl SexChromosomes {
    /// Whether a variant (normalised chromosome) gets the chrX model: the sex covariate and
    /// the male coding of `xchr_model`. PAR variants (`XY`, or X inside a split PAR) do not.
    pub fn is_sex_modelled(&self, chrom: &str, pos: u64) -> bool {
        if chrom != "X" {
            return false;
        }
        match (self.split_par, self.build) {
            (true, Some(build)) => !build.in_par(pos),
            _ => true,
        }
    }

    /// The sample set of a row's sums, `None` for the group's every sample: non-PAR chrX (under
    /// models 1 and 2) is fitted on the samples of known sex, chrY on the males.
    pub fn row_sample_set(&self, chrom: &str, pos: u64) -> Option<SampleSet> {
        if chrom == "Y" {
            return Some(SampleSet::Males);
        }
        let fitted_with_sex = self.xchr_model != XchrModel::Skip;
        (fitted_with_sex && self.is_sex_modelled(chrom, pos)).then_some(SampleSet::KnownSex)
    }

    /// One line for the log, e.g. `--xchr-model 2, build GRCh38, PAR split off`.
    pub fn describe(&self) -> String {
        let build = self
            .build
            .map_or_else(|| "build not given".to_string(), |b| format!("build {b}"));
        let par = if self.split_par {
            "PAR split off (pseudo-autosomal)"
        } else {
            "PAR treated as chrX, as plink2 does without --split-par"
        };
        format!("--xchr-model {}, {build}, {par}", self.xchr_model.number())
    }
}

/// A sex-chromosome sample set: the subset of a phenotype group whose sums plink2's `--glm`
/// uses on some rows (a group of the header marked with it, [`super::GroupLayout::sample_set`]).
///
/// * non-PAR chrX under `--xchr-model 1`/`2`: the samples of **known sex** (plink2 drops the
///   others there and keeps them everywhere else, and under `no-x-sex`);
/// * chrY: the **males** (plink2 fits chrY on males only, without the sex covariate, their
///   calls coded 0..1; [`haploid_coding`]).
///
/// ```
/// use dash::summary::sex::{SampleSet, SexChromosomes};
/// let record = SexChromosomes::default();
/// assert_eq!(record.row_sample_set("X", 5_000_000), Some(SampleSet::KnownSex));
/// assert_eq!(record.row_sample_set("Y", 5_000_000), Some(SampleSet::Males));
/// assert_eq!(record.row_sample_set("XY", 5_000_000), None);
/// assert_eq!(record.row_sample_set("MT", 100), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleSet {
    /// The group's samples of known sex: the sums of non-PAR chrX rows fitted with sex.
    KnownSex,
    /// The group's males: the sums of chrY rows.
    Males,
}

impl SampleSet {
    /// Its name in the header and the log.
    pub fn name(self) -> &'static str {
        match self {
            SampleSet::KnownSex => "known_sex",
            SampleSet::Males => "males",
        }
    }

    /// Whether a row (normalised chromosome, position) holds sums over this set.
    pub fn holds(self, record: &SexChromosomes, chrom: &str, pos: u64) -> bool {
        record.row_sample_set(chrom, pos) == Some(self)
    }
}

/// The dosage scale plink2's `--glm` fits a chromosome with: ½ on chrY and MT, whose calls it
/// codes 0..1 (a haploid call imports as the homozygous one, 0/2, and is halved), 1 elsewhere
/// (chrX follows `--xchr-model`, applied at compress).
///
/// ```
/// use dash::summary::sex::haploid_coding;
/// assert_eq!(haploid_coding("Y"), 0.5);
/// assert_eq!(haploid_coding("MT"), 0.5);
/// assert_eq!(haploid_coding("X"), 1.0);
/// ```
pub fn haploid_coding(chrom: &str) -> f64 {
    match chrom {
        "Y" | "MT" => 0.5,
        _ => 1.0,
    }
}

/// The record every file agrees on (`files`: each file and its record, in argument order); a
/// one-line error naming the first two files that differ and how.
pub fn agreed(files: &[(&Path, SexChromosomes)]) -> Result<SexChromosomes> {
    let Some(&(first, record)) = files.first() else {
        return Ok(SexChromosomes::default());
    };
    for &(other, theirs) in &files[1..] {
        let differs = |what: &str, mine: String, them: String| {
            Err(Error::usage(format!(
                "{} was compressed with {what} {mine} and {} with {what} {them}: summaries made under different {what} settings cannot be pooled (compress them alike)",
                first.display(),
                other.display(),
            )))
        };
        if theirs.xchr_model != record.xchr_model {
            let number = |m: XchrModel| m.number().to_string();
            return differs(
                "--xchr-model",
                number(record.xchr_model),
                number(theirs.xchr_model),
            );
        }
        if theirs.build != record.build {
            let name = |b: Option<Build>| b.map_or_else(|| "(none)".to_string(), |b| b.to_string());
            return differs("--build", name(record.build), name(theirs.build));
        }
        if theirs.split_par != record.split_par {
            let name = |split: bool| if split { "on" } else { "off" }.to_string();
            return differs(
                "--split-par",
                name(record.split_par),
                name(theirs.split_par),
            );
        }
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_form_is_the_contract() {
        let record = SexChromosomes {
            xchr_model: XchrModel::Haploid,
            build: Some(Build::Grch37),
            split_par: true,
        };
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(
            json,
            r#"{"xchr_model":1,"build":"GRCh37","split_par":true}"#
        );
        assert_eq!(
            serde_json::from_str::<SexChromosomes>(&json).unwrap(),
            record
        );
        let default = serde_json::to_string(&SexChromosomes::default()).unwrap();
        assert_eq!(default, r#"{"xchr_model":2}"#);
        assert!(serde_json::from_str::<SexChromosomes>(r#"{"xchr_model":3}"#).is_err());
    }

    #[test]
    fn par_bounds_are_plink2s() {
        let b37 = Build::Grch37;
        assert!(b37.in_par(60_001) && b37.in_par(2_699_520) && !b37.in_par(2_699_521));
        assert!(!b37.in_par(154_931_043) && b37.in_par(154_931_044));
        let unsplit = SexChromosomes {
            build: Some(b37),
            ..SexChromosomes::default()
        };
        assert!(unsplit.is_sex_modelled("X", 60_001));
    }

    #[test]
    fn builds_from_text_and_contig_length() {
        assert_eq!(Build::parse("38"), Some(Build::Grch38));
        assert_eq!(Build::parse("hg19"), Some(Build::Grch37));
        assert_eq!(Build::parse("36"), None);
        assert_eq!(Build::from_chrx_length(156_040_895), Some(Build::Grch38));
        assert_eq!(Build::from_chrx_length(1), None);
    }
}
