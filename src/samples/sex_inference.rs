//! Sex inferred from the ploidy of non-PAR chrX calls (`dash compress --sex-from-calls`).
//!
//! The rule: a sample whose non-PAR chrX `GT` calls are all haploid is male, all diploid is
//! female; a sample with both, or with no non-missing call there, is of unknown sex — it drops
//! out of non-PAR chrX (and chrY) as any sample of unknown sex does, and the log counts it. A
//! few mixed samples (a caller's stray diploid call in a male) do not stop a run, but a file that
//! cannot be read this way does, with an error rather than a silently wrong sex for everyone:
//! no non-PAR chrX call at all, or no haploid call in any sample (males written as diploid, as
//! many imputation and joint-calling pipelines write them — every sample would be called female).
//!
//! ```
//! use dash::genotype::dosage::Call;
//! use dash::genotype::ploidy::PloidyTally;
//! use dash::samples::sex::Sex;
//! use dash::samples::sex_inference::infer;
//! let (h, d, m) = (Call::Haploid(1), Call::Diploid(0, 1), Call::Missing);
//! let tally = PloidyTally::of_calls(4, &[&[h, d, h, m], &[h, d, d, m]]);
//! let inferred = infer(&tally).unwrap();
//! assert_eq!(inferred.sex.by_sample, [Some(Sex::Male), Some(Sex::Female), None, None]);
//! assert_eq!((inferred.males, inferred.females, inferred.mixed, inferred.no_calls), (1, 1, 1, 1));
//! ```

use super::sex::{SampleSex, Sex};
use crate::genotype::ploidy::PloidyTally;

/// The source recorded in the summary (`sex_source`) for an inferred sex.
pub const SOURCE: &str = "chrx_ploidy";

/// Inferred sexes and how many samples each rule gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    /// Per genotype sample, with source [`SOURCE`].
    pub sex: SampleSex,
    /// Samples with only haploid calls.
    pub males: usize,
    /// Samples with only diploid calls.
    pub females: usize,
    /// Samples with both (unknown sex).
    pub mixed: usize,
    /// Samples with no non-missing call (unknown sex).
    pub no_calls: usize,
}

impl Inferred {
    /// The log line, e.g. `sex inferred from haploid chrX calls: 412 male, 388 female, 3 unknown
    /// (1 with haploid and diploid calls, 2 without a call)`.
    pub fn describe(&self) -> String {
        format!(
            "sex inferred from haploid chrX calls: {} male, {} female, {} unknown ({} with haploid and diploid calls, {} without a non-missing call)",
            self.males,
            self.females,
            self.mixed + self.no_calls,
            self.mixed,
            self.no_calls
        )
    }
}

/// Applies the rule (module documentation) to a tally; the error says why the file's calls
/// cannot tell sex.
pub fn infer(tally: &PloidyTally) -> Result<Inferred, String> {
    if tally.records == 0 {
        return Err("--sex-from-calls: the file has no non-PAR chrX record with GT calls to infer sex from; give sex with --sex-col".to_string());
    }
    if tally.haploid.iter().all(|&h| h == 0) {
        return Err(format!(
            "--sex-from-calls: no sample has a haploid call on the {} non-PAR chrX records, so the file writes males as diploid (or has no males) and their ploidy cannot tell sex; give sex with --sex-col",
            tally.records
        ));
    }
    let mut inferred = Inferred {
        sex: SampleSex {
            by_sample: Vec::with_capacity(tally.haploid.len()),
            source: SOURCE.to_string(),
        },
        males: 0,
        females: 0,
        mixed: 0,
        no_calls: 0,
    };
    for (&haploid, &diploid) in tally.haploid.iter().zip(&tally.diploid) {
        let sex = match (haploid > 0, diploid > 0) {
            (true, false) => {
                inferred.males += 1;
                Some(Sex::Male)
            }
            (false, true) => {
                inferred.females += 1;
                Some(Sex::Female)
            }
            (true, true) => {
                inferred.mixed += 1;
                None
            }
            (false, false) => {
                inferred.no_calls += 1;
                None
            }
        };
        inferred.sex.by_sample.push(sex);
    }
    Ok(inferred)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genotype::dosage::Call;

    #[test]
    fn files_that_cannot_tell_sex_are_refused() {
        let none = PloidyTally::of_calls(2, &[]);
        assert!(infer(&none).unwrap_err().contains("no non-PAR chrX record"));
        let diploid = [Call::Diploid(0, 0), Call::Diploid(1, 1)];
        let all_diploid = PloidyTally::of_calls(2, &[&diploid]);
        assert!(infer(&all_diploid)
            .unwrap_err()
            .contains("no sample has a haploid call"));
    }

    #[test]
    fn polyploid_calls_say_nothing() {
        let calls = [Call::Polyploid, Call::Haploid(0)];
        let inferred = infer(&PloidyTally::of_calls(2, &[&calls])).unwrap();
        assert_eq!(inferred.sex.by_sample, [None, Some(Sex::Male)]);
        assert_eq!(inferred.no_calls, 1);
        assert!(inferred.describe().contains("1 male, 0 female, 1 unknown"));
    }
}
