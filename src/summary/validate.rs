//! Values a summary cannot hold: checked at read, so that a damaged, buggy or crafted file is
//! refused with the variant or component it is about instead of skewing the regression.
//!
//! [`check_components`] — every component's n and Gram matrix per group: the intercept's
//! entry G₀₀ is n, G is symmetric with a non-negative diagonal, and |G_ab|² ≤ G_aa·G_bb.
//!
//! [`check_rows`] — per row and group, with n the summed n of the row's components: every sum
//! finite; the missing-call count `Aᵀu₀` a whole number in [0, n]; with o = n − missing
//! observed calls, Σx0 = `Aᵀx0₀` in [0, 2o], `x0·x0` in [0, 4o] and (Σx0)² ≤ o·`x0·x0`; the QC
//! missing count at least each group's missing count (QC counts cover every sample a group
//! has); the dosage sums finite; and for rows held only by PLINK 1 components (diploid hard
//! calls), `hom_ref + het + hom_alt + missing` at least each group's n, `hom_ref + het +
//! hom_alt` the observed count, `het + 2·hom_alt` the dosage sum and `het + 4·hom_alt` the sum
//! of squares. Comparisons of non-integer sums allow a relative 1e-9 for rounding.

use std::path::Path;

use rayon::prelude::*;

use super::{Header, Rows};
use crate::error::{Error, Result};

/// Relative slack of the range checks on floating-point sums.
const SLACK: f64 = 1e-9;

/// `a ≤ b` up to [`SLACK`] relative to `scale`.
fn at_most(a: f64, b: f64, scale: f64) -> bool {
    a <= b + SLACK * scale.abs().max(1.0)
}

/// The genotype format whose every call is a diploid hard call (so QC counts cover all samples).
const HARD_CALL_FORMAT: &str = "plink1-bed";

/// Checks every component's n and Gram matrices (their sizes and finiteness are checked before).
pub fn check_components(path: &Path, header: &Header) -> Result<()> {
    for component in &header.components {
        for (k, group) in component.groups.iter().enumerate() {
            let j = header.groups[k].fields.len();
            let g = |a: usize, b: usize| group.gram[a * j + b];
            let at = || format!("component '{}' group {k}", component.party);
            let bad = |message: String| Err(Error::input(path, message).at(at()));
            let n = group.n as f64;
            if g(0, 0) != n {
                return bad(format!(
                    "n = {} but the Gram matrix's intercept entry is {}",
                    group.n,
                    g(0, 0)
                ));
            }
            for a in 0..j {
                if g(a, a) < 0.0 {
                    return bad(format!(
                        "negative diagonal entry {} of the Gram matrix (field {a})",
                        g(a, a)
                    ));
                }
                for b in 0..a {
                    let (x, y) = (g(a, b), g(b, a));
                    let scale = x.abs().max(y.abs()).max((g(a, a) * g(b, b)).sqrt());
                    if (x - y).abs() > SLACK * scale {
                        return bad(format!(
                            "the Gram matrix is not symmetric: entry ({a},{b}) is {x}, ({b},{a}) is {y}"
                        ));
                    }
                    if !at_most(x * x, g(a, a) * g(b, b), g(a, a) * g(b, b)) {
                        return bad(format!(
                            "impossible Gram matrix: entry ({a},{b}) = {x} exceeds the root of its diagonal entries' product"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Checks every row's sums and QC counts against each other and the components' n; the error
/// names the first bad row's variant and its row in the file (`rows` are the file's rows from
/// `first_row` on).
pub fn check_rows(path: &Path, header: &Header, rows: &Rows, first_row: usize) -> Result<()> {
    check_rows_from(path, header, rows, 0, first_row)
}

/// [`check_rows`] of the rows of `rows` from `from` on (row `from` being the file's row
/// `first_row`): the rows a batch appended to those held before it.
pub fn check_rows_from(
    path: &Path,
    header: &Header,
    rows: &Rows,
    from: usize,
    first_row: usize,
) -> Result<()> {
    let hard_calls: Vec<bool> = header
        .components
        .iter()
        .map(|c| c.source.format == HARD_CALL_FORMAT)
        .collect();
    // A party that imputed a few missing calls locally (disclosure control) reports them as
    // neither missing nor counted: its counts may fall short of n by up to K − 1.
    let imputed_locally = header.components.iter().any(|c| {
        c.disclosure
            .as_ref()
            .is_some_and(|d| d.locally_imputed_variants > 0)
    });
    let first_bad = (from..rows.len())
        .into_par_iter()
        .find_first(|&r| check_row(header, rows, &hard_calls, imputed_locally, r).is_err());
    match first_bad {
        None => Ok(()),
        Some(r) => {
            let message =
                check_row(header, rows, &hard_calls, imputed_locally, r).expect_err("found bad");
            let v = &rows.variants[r];
            Err(Error::input(path, message).at(format!(
                "row {} (variant {}:{} {}/{}{})",
                first_row + (r - from) + 1,
                v.chrom,
                v.pos,
                v.ref_allele,
                v.alt_allele,
                if v.id.is_empty() || v.id == "." {
                    String::new()
                } else {
                    format!(" {}", v.id)
                }
            )))
        }
    }
}

/// The problem with row `r`, if any.
fn check_row(
    header: &Header,
    rows: &Rows,
    hard_calls: &[bool],
    imputed_locally: bool,
    r: usize,
) -> std::result::Result<(), String> {
    let components = &rows.components[r];
    let qc = &rows.qc[r];
    if !(qc.dosage_sum.is_finite() && qc.dosage_sq_sum.is_finite()) {
        return Err(format!(
            "non-finite dosage_sum {} or dosage_sq_sum {}",
            qc.dosage_sum, qc.dosage_sq_sum
        ));
    }
    // Under `--xchr-model 1` a male's coded non-PAR chrX dosage (0, ½, 1) is not a genotype:
    // those rows carry no genotype counts.
    let chrx = &header.sex_chromosomes;
    let males_halved = chrx.xchr_model == super::sex::XchrModel::Haploid
        && chrx.is_sex_modelled(&rows.variants[r].chrom, rows.variants[r].pos);
    let all_hard = !males_halved && components.iter().all(|&c| hard_calls[c as usize]);
    for (k, sums) in rows.groups.iter().enumerate() {
        let (atx0, atu, x0x0) = (sums.atx0(r), sums.atu(r), sums.x0x0[r]);
        let what = || format!("group {k} ({})", header.groups[k].phenotypes.join(","));
        if atx0
            .iter()
            .chain(atu)
            .chain([&x0x0])
            .any(|v| !v.is_finite())
        {
            return Err(format!("non-finite value in the sums of {}", what()));
        }
        let n: f64 = components
            .iter()
            .map(|&c| header.components[c as usize].groups[k].n as f64)
            .sum();
        let missing = atu[0];
        if !(0.0..=n).contains(&missing) || missing.fract() != 0.0 {
            return Err(format!(
                "{}: missing-call count {missing} is not a whole number from 0 to the group's n {n}",
                what()
            ));
        }
        let observed = n - missing;
        let sum = atx0[0];
        if !at_most(0.0, sum, 2.0 * observed) || !at_most(sum, 2.0 * observed, 2.0 * observed) {
            return Err(format!(
                "{}: ALT dosage sum {sum} is outside [0, 2 × {observed} observed calls]",
                what()
            ));
        }
        if !at_most(0.0, x0x0, 4.0 * observed)
            || !at_most(x0x0, 4.0 * observed, 4.0 * observed)
            || !at_most(
                sum * sum,
                observed * x0x0,
                (sum * sum).max(observed * x0x0.abs()),
            )
        {
            return Err(format!(
                "{}: sum of squared dosages {x0x0} is impossible with dosage sum {sum} over {observed} observed calls",
                what()
            ));
        }
        if (qc.missing as f64) < missing {
            return Err(format!(
                "QC missing count {} is below the {missing} missing calls of {}",
                qc.missing,
                what()
            ));
        }
        let total = qc.hom_ref as f64 + qc.het as f64 + qc.hom_alt as f64 + qc.missing as f64;
        if all_hard && !imputed_locally && total < n {
            return Err(format!(
                "QC counts (hom-ref {} + het {} + hom-alt {} + missing {}) add up to fewer samples than the n {n} of {}",
                qc.hom_ref,
                qc.het,
                qc.hom_alt,
                qc.missing,
                what()
            ));
        }
    }
    if let Some(split) = &qc.by_sex {
        let hard = components.iter().all(|&c| hard_calls[c as usize]);
        check_sex_split(header, &rows.variants[r], qc, split, hard)?;
    }
    if all_hard && qc.het as f64 + 2.0 * qc.hom_alt as f64 != qc.dosage_sum {
        return Err(format!(
            "dosage_sum {} is not het {} + 2 × hom-alt {} of hard calls",
            qc.dosage_sum, qc.het, qc.hom_alt
        ));
    }
    if all_hard && qc.het as f64 + 4.0 * qc.hom_alt as f64 != qc.dosage_sq_sum {
        return Err(format!(
            "dosage_sq_sum {} is not het {} + 4 × hom-alt {} of hard calls",
            qc.dosage_sq_sum, qc.het, qc.hom_alt
        ));
    }
    if all_hard && qc.hom_ref + qc.het + qc.hom_alt != qc.observed {
        return Err(format!(
            "observed count {} is not hom-ref {} + het {} + hom-alt {} of hard calls",
            qc.observed, qc.hom_ref, qc.het, qc.hom_alt
        ));
    }
    Ok(())
}

/// The problem with a row's per-sex chrX QC counts ([`super::sex_qc`]), if any: only on
/// non-PAR chrX rows, within the totals, each sex's dosage sum possible for its observed calls,
/// and (hard calls) its genotypes adding up to its observed calls and dosage sum.
fn check_sex_split(
    header: &Header,
    variant: &super::Variant,
    qc: &super::QcCounts,
    split: &super::sex_qc::SexQc,
    hard: bool,
) -> std::result::Result<(), String> {
    if !header
        .sex_chromosomes
        .is_sex_modelled(&variant.chrom, variant.pos)
    {
        return Err("per-sex QC counts on a row that is not non-PAR chrX".to_string());
    }
    let (male, female) = (&split.male, &split.female);
    if male.observed + female.observed > qc.observed || male.missing + female.missing > qc.missing {
        return Err(format!(
            "per-sex QC counts (observed {} + {}, missing {} + {}) exceed the totals (observed {}, missing {})",
            male.observed, female.observed, male.missing, female.missing, qc.observed, qc.missing
        ));
    }
    for (label, calls) in [("male", male), ("female", female)] {
        let observed = calls.observed as f64;
        let possible = calls.dosage_sum.is_finite()
            && at_most(0.0, calls.dosage_sum, 2.0 * observed)
            && at_most(calls.dosage_sum, 2.0 * observed, 2.0 * observed);
        if !possible {
            return Err(format!(
                "{label} dosage sum {} is outside [0, 2 × {} observed calls]",
                calls.dosage_sum, calls.observed
            ));
        }
        let genotypes = calls.hom_ref + calls.het + calls.hom_alt;
        if hard
            && (genotypes != calls.observed
                || (calls.het + 2 * calls.hom_alt) as f64 != calls.dosage_sum)
        {
            return Err(format!(
                "{label} counts (hom-ref {}, het {}, hom-alt {}) do not give the {} observed hard calls and dosage sum {}",
                calls.hom_ref, calls.het, calls.hom_alt, calls.observed, calls.dosage_sum
            ));
        }
    }
    Ok(())
}
