//! Disclosure control on the per-variant sums of a plaintext summary (`--min-cell K`).
//!
//! Each released per-variant sum is over a *cell* of samples; with `--min-cell K` no cell holds
//! 1 … K−1 samples. The cells, each checked over the whole file (the QC counts) and over every
//! phenotype group (the group's sums):
//!
//! * **carriers** — hard calls: the ALT carriers (het + hom-ALT) and the REF carriers (het +
//!   hom-REF); dosages: the expected ALT and REF allele counts (`Σx` and `2·n_obs − Σx`), above 0
//!   and below K. A group's carrier counts come exactly from its sums: with s = Σx0 (the
//!   intercept entry of `Aᵀx0`) and q = x0·x0 over hard calls, hom-ALT = (q − s)/2 and
//!   ALT carriers = s − hom-ALT;
//! * **observed calls** — 1 … K−1 observed calls (the rest missing) pin down those few;
//! * **per sex** on non-PAR chrX (the split QC counts, [`crate::summary::sex_qc`]) — each
//!   sex's ALT and REF carriers (a hemizygous male ALT is a carrier) or allele counts, and its
//!   observed calls, as above: 2 male ALT carriers among 300 carriers pin down those 2 men;
//!
//! a variant failing either gets **no row** ("absent" for this party, which merge handles
//! exactly) and is listed in the party's local `OUT.suppressed.tsv`, which is not shared.
//!
//! * **missing calls** — 1 … K−1 missing calls in the file or in a group would make `Aᵀu` the sum
//!   of those few samples' fields. Dropping such variants would lose many, so instead the
//!   variant's missing calls are imputed **locally** with the party's observed mean μ (over the
//!   file's observed calls) before release. Exactly, per group: `Aᵀx0 += μ·Aᵀu`,
//!   `x0·x0 += μ²·m_g` (m_g, the group's missing count, is `Aᵀu`'s intercept entry), then
//!   `Aᵀu := 0`; the QC `missing` count becomes 0 (the hard-call counts stay as observed). Merge
//!   then sees no missing call for this party at this variant (a sex's 1 … K−1 missing calls
//!   on a non-PAR chrX row trigger the same, and its missing count becomes 0 too); the result differs from pooled
//!   imputation only in using this party's mean for its own few missing calls. The number of
//!   such variants is recorded in the header ([`crate::summary::Disclosure`]).
//!
//! With K ≤ 1 nothing is checked and rows pass unchanged.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::summary::{Rows, Variant};

/// Below this, a dosage count is 0 (sums of 3-decimal dosages are not exact in f64).
const ZERO: f64 = 1e-9;

/// The names of the rules applied at compress, as recorded in the header.
pub const PLAIN_RULES: [&str; 7] = [
    "phenotype_group",
    "group_difference",
    "categorical_level",
    "variant_carriers",
    "variant_observed_calls",
    "missing_calls_imputed_locally",
    "xchr_carriers_by_sex",
];

/// The rules applied by a secure compress; the per-variant rule is applied to the pooled counts
/// at merge.
pub const SECURE_RULES: [&str; 4] = [
    "phenotype_group",
    "group_difference",
    "categorical_level",
    "pooled_carriers_at_merge",
];

/// The per-variant rules of one party.
#[derive(Debug, Clone)]
pub struct VariantRules {
    /// K; 0 or 1 checks nothing.
    pub min_cell: u64,
    /// Whether the calls are hard calls (GT), so carriers can be counted; else dosages.
    pub hard_calls: bool,
    /// Samples per group.
    pub group_sizes: Vec<usize>,
    /// Each group's phenotypes, for reasons.
    pub group_labels: Vec<String>,
}

/// A variant given no row, and why.
#[derive(Debug, Clone)]
pub struct Suppressed {
    /// The variant.
    pub variant: Variant,
    /// E.g. `alt_carriers=2` or `group [y2]: ref_carriers=3`.
    pub reason: String,
}

/// One block after the rules.
#[derive(Debug, Default)]
pub struct Screened {
    /// The rows to write.
    pub rows: Rows,
    /// The variants left out.
    pub suppressed: Vec<Suppressed>,
    /// Rows whose missing calls were imputed locally.
    pub imputed: u64,
}

impl VariantRules {
    /// Applies the rules to one block's rows.
    pub fn screen(&self, mut rows: Rows) -> Screened {
        if self.min_cell <= 1 {
            return Screened {
                rows,
                ..Screened::default()
            };
        }
        let mut keep = vec![true; rows.len()];
        let mut suppressed = Vec::new();
        let mut imputed = 0;
        for (r, kept) in keep.iter_mut().enumerate() {
            if let Some(reason) = self.small_cell(&rows, r) {
                *kept = false;
                suppressed.push(Suppressed {
                    variant: rows.variants[r].clone(),
                    reason,
                });
            } else if self.impute_locally(&mut rows, r) {
                imputed += 1;
            }
        }
        if !suppressed.is_empty() {
            rows = retain(rows, &keep);
        }
        Screened {
            rows,
            suppressed,
            imputed,
        }
    }

    /// Whether `count` (of samples or alleles) is a small cell: above 0, below K.
    fn is_small(&self, count: f64) -> bool {
        count > ZERO && count < self.min_cell as f64
    }

    /// Why row `r` must not be released, if it must not.
    fn small_cell(&self, rows: &Rows, r: usize) -> Option<String> {
        let qc = &rows.qc[r];
        let observed = qc.observed as f64;
        let hard = self.hard_calls && qc.hom_ref + qc.het + qc.hom_alt > 0;
        let (alt, reference) = if hard {
            ((qc.het + qc.hom_alt) as f64, (qc.het + qc.hom_ref) as f64)
        } else {
            (qc.dosage_sum, 2.0 * observed - qc.dosage_sum)
        };
        if let Some(reason) = self.cells(hard, alt, reference, observed) {
            return Some(reason);
        }
        if let Some(reason) = qc.by_sex.as_ref().and_then(|split| self.sex_cells(split)) {
            return Some(reason);
        }
        for (g, sums) in rows.groups.iter().enumerate() {
            let j = sums.width;
            let (s, m, q) = (sums.atx0[r * j], sums.atu[r * j], sums.x0x0[r]);
            let observed = self.group_sizes[g] as f64 - m;
            let (alt, reference) = if self.hard_calls {
                let hom_alt = (q - s) / 2.0;
                (s - hom_alt, observed - hom_alt)
            } else {
                (s, 2.0 * observed - s)
            };
            if let Some(reason) = self.cells(self.hard_calls, alt, reference, observed) {
                return Some(format!("group [{}]: {reason}", self.group_labels[g]));
            }
        }
        None
    }

    /// The first small cell of either sex's calls on a non-PAR chrX row (the per-sex QC
    /// counts, [`crate::summary::sex_qc`]): its ALT and REF carriers (a hemizygous male carrier
    /// is a carrier) or allele counts, and its observed calls.
    fn sex_cells(&self, split: &crate::summary::sex_qc::SexQc) -> Option<String> {
        for (label, calls) in [("males", &split.male), ("females", &split.female)] {
            let observed = calls.observed as f64;
            let hard = self.hard_calls && calls.all_hard() && calls.observed > 0;
            let (alt, reference) = match hard {
                true => (
                    (calls.het + calls.hom_alt) as f64,
                    (calls.het + calls.hom_ref) as f64,
                ),
                false => (calls.dosage_sum, 2.0 * observed - calls.dosage_sum),
            };
            if let Some(reason) = self.cells(hard, alt, reference, observed) {
                return Some(format!("{label}: {reason}"));
            }
        }
        None
    }

    /// The first small cell among carriers (or allele counts) and observed calls.
    fn cells(&self, hard: bool, alt: f64, reference: f64, observed: f64) -> Option<String> {
        let unit = if hard { "carriers" } else { "allele_count" };
        if self.is_small(alt) {
            return Some(format!("alt_{unit}={}", round(alt)));
        }
        if self.is_small(reference) {
            return Some(format!("ref_{unit}={}", round(reference)));
        }
        if self.is_small(observed) {
            return Some(format!("observed_calls={observed}"));
        }
        None
    }

    /// Imputes row `r`'s missing calls with the party's observed mean when some file or group
    /// count of missing calls is small (see the [module docs](self)); returns whether it did.
    fn impute_locally(&self, rows: &mut Rows, r: usize) -> bool {
        let qc = &mut rows.qc[r];
        let small_in_group = rows.groups.iter().any(|sums| {
            let m = sums.atu[r * sums.width];
            self.is_small(m)
        });
        let small_in_sex = qc.by_sex.as_ref().is_some_and(|split| {
            self.is_small(split.male.missing as f64) || self.is_small(split.female.missing as f64)
        });
        if !(self.is_small(qc.missing as f64) || small_in_group || small_in_sex) {
            return false;
        }
        let observed = qc.observed;
        if observed == 0 {
            return false; // every call missing: no cell below K (n ≥ K), nothing to impute with
        }
        let mean = qc.dosage_sum / observed as f64;
        for sums in &mut rows.groups {
            let j = sums.width;
            let missing = sums.atu[r * j];
            let (atx0, atu) = (
                &mut sums.atx0[r * j..(r + 1) * j],
                &mut sums.atu[r * j..(r + 1) * j],
            );
            for (x, u) in atx0.iter_mut().zip(atu.iter_mut()) {
                *x += mean * *u;
                *u = 0.0;
            }
            sums.x0x0[r] += mean * mean * missing;
        }
        qc.missing = 0;
        if let Some(split) = &mut qc.by_sex {
            (split.male.missing, split.female.missing) = (0, 0);
        }
        true
    }
}

/// A count for a reason: integral counts without decimals.
fn round(count: f64) -> String {
    if count.fract() == 0.0 {
        format!("{count}")
    } else {
        format!("{count:.3}")
    }
}

/// The rows whose `keep` entry is true.
fn retain(rows: Rows, keep: &[bool]) -> Rows {
    let mut out = Rows::with_widths(rows.groups.iter().map(|g| g.width));
    let kept = || keep.iter().enumerate().filter(|(_, &k)| k).map(|(r, _)| r);
    for r in kept() {
        out.variants.push(rows.variants[r].clone());
        out.components.push(rows.components[r].clone());
        out.qc.push(rows.qc[r].clone());
    }
    for (to, from) in out.groups.iter_mut().zip(&rows.groups) {
        let j = from.width;
        for r in kept() {
            to.atx0.extend_from_slice(from.atx0(r));
            to.atu.extend_from_slice(from.atu(r));
            to.x0x0.push(from.x0x0[r]);
        }
        debug_assert_eq!(to.atx0.len(), to.x0x0.len() * j);
    }
    out
}

/// `OUT.suppressed.tsv` beside the summary `OUT.parquet` (`OUT` is the `--out` path without
/// its `.parquet`).
pub fn suppressed_path(out: &Path) -> PathBuf {
    let text = out.to_string_lossy();
    let stem = text.strip_suffix(".parquet").unwrap_or(&text);
    PathBuf::from(format!("{stem}.suppressed.tsv"))
}

/// Columns of the suppressed list.
pub const SUPPRESSED_COLUMNS: [&str; 6] = ["chrom", "pos", "id", "ref", "alt", "reason"];

/// The local list of suppressed variants, written under a temporary name (owner-only).
pub struct SuppressedList {
    file: AtomicFile,
    path: PathBuf,
    /// Variants listed so far.
    pub count: u64,
}

impl SuppressedList {
    /// Creates the list beside the summary `out`.
    pub fn create(out: &Path) -> Result<SuppressedList> {
        let path = suppressed_path(out);
        let mut file = AtomicFile::create_private(&path)?;
        writeln!(file, "{}", SUPPRESSED_COLUMNS.join("\t")).with_path(&path)?;
        Ok(SuppressedList {
            file,
            path,
            count: 0,
        })
    }

    /// Appends variants.
    pub fn write(&mut self, suppressed: &[Suppressed]) -> Result<()> {
        for s in suppressed {
            let v = &s.variant;
            writeln!(
                self.file,
                "{}\t{}\t{}\t{}\t{}\t{}",
                v.chrom, v.pos, v.id, v.ref_allele, v.alt_allele, s.reason
            )
            .with_path(&self.path)?;
            self.count += 1;
        }
        Ok(())
    }

    /// Puts the list in place.
    pub fn commit(self) -> Result<PathBuf> {
        self.file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::QcCounts;

    /// One group of 10 samples, fields [intercept, y]; rows from (s, q, m, y-sum) with the
    /// file = the group.
    fn rows(cells: &[(f64, f64, f64, QcCounts)]) -> Rows {
        let mut rows = Rows::with_widths([2]);
        for (k, (s, q, m, qc)) in cells.iter().cloned().enumerate() {
            rows.variants.push(Variant {
                chrom: "1".into(),
                pos: k as u64 + 1,
                id: format!("v{k}").into(),
                ref_allele: "A".into(),
                alt_allele: "G".into(),
            });
            rows.components.push(crate::summary::ComponentSet::One(0));
            rows.qc.push(qc);
            rows.groups[0].atx0.extend([s, 0.5 * s]);
            rows.groups[0].atu.extend([m, 0.25 * m]);
            rows.groups[0].x0x0.push(q);
        }
        rows
    }

    fn qc(hom_ref: u64, het: u64, hom_alt: u64, missing: u64) -> QcCounts {
        QcCounts::from_hard_calls(hom_ref, het, hom_alt, missing)
    }

    fn rules(k: u64) -> VariantRules {
        VariantRules {
            min_cell: k,
            hard_calls: true,
            group_sizes: vec![10],
            group_labels: vec!["y".into()],
        }
    }

    #[test]
    fn suppresses_small_carrier_cells_and_imputes_few_missing() {
        let input = rows(&[
            // 2 hom-ALT: ALT carriers 2 → suppressed.
            (4.0, 8.0, 0.0, qc(8, 0, 2, 0)),
            // 5 het, 5 hom-REF: kept as is.
            (5.0, 5.0, 0.0, qc(5, 5, 0, 0)),
            // 5 het, 3 hom-REF, 2 missing: imputed with mean 5/8.
            (5.0, 5.0, 2.0, qc(3, 5, 0, 2)),
        ]);
        let screened = rules(5).screen(input.clone());
        assert_eq!(screened.suppressed.len(), 1);
        assert_eq!(screened.suppressed[0].reason, "alt_carriers=2");
        assert_eq!(screened.imputed, 1);
        let out = &screened.rows;
        assert_eq!(out.len(), 2);
        assert_eq!(out.groups[0].atx0(0), &[5.0, 2.5]);
        let mean = 5.0 / 8.0;
        assert_eq!(out.groups[0].atx0(1), &[5.0 + 2.0 * mean, 2.5 + 0.5 * mean]);
        assert_eq!(out.groups[0].atu(1), &[0.0, 0.0]);
        assert_eq!(out.groups[0].x0x0[1], 5.0 + mean * mean * 2.0);
        assert_eq!(out.qc[1].missing, 0);
        // K = 1: nothing changes.
        let same = rules(1).screen(input.clone());
        assert_eq!(same.rows, input);
        assert!(same.suppressed.is_empty());
    }

    #[test]
    fn group_cells_come_from_the_sums() {
        // The file has 5 ALT carriers, but the group (6 of 10 samples) only 1 het.
        let mut rules = rules(5);
        rules.group_sizes = vec![6];
        let input = rows(&[(1.0, 1.0, 0.0, qc(5, 5, 0, 0))]);
        let screened = rules.screen(input);
        assert_eq!(screened.suppressed[0].reason, "group [y]: alt_carriers=1");
    }

    #[test]
    fn dosages_use_expected_allele_counts() {
        let mut rules = rules(5);
        rules.hard_calls = false;
        let dosage = |sum: f64, missing: u64| QcCounts {
            missing,
            observed: 10 - missing,
            dosage_sum: sum,
            ..QcCounts::default()
        };
        let input = rows(&[
            // Expected ALT count 3.2 of 20 alleles: suppressed.
            (3.2, 2.0, 0.0, dosage(3.2, 0)),
            // 17.5 of 20: the REF side, 2.5, is the small cell.
            (17.5, 31.0, 0.0, dosage(17.5, 0)),
            // 8 of 20, and 0 ALT: both fine.
            (8.0, 9.0, 0.0, dosage(8.0, 0)),
            (0.0, 0.0, 0.0, dosage(0.0, 0)),
        ]);
        let screened = rules.screen(input);
        let reasons: Vec<&str> = screened
            .suppressed
            .iter()
            .map(|s| s.reason.as_str())
            .collect();
        assert_eq!(
            reasons,
            ["alt_allele_count=3.200", "ref_allele_count=2.500"]
        );
        assert_eq!(screened.rows.len(), 2);
    }

    #[test]
    fn suppressed_list_sits_beside_the_summary() {
        assert_eq!(
            suppressed_path(Path::new("out/a.parquet")),
            Path::new("out/a.suppressed.tsv")
        );
        assert_eq!(
            suppressed_path(Path::new("out/a")),
            Path::new("out/a.suppressed.tsv")
        );
    }
}
