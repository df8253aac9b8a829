//! Checks on the sample fields before any sum leaves the party: sums that overflow f64, and the
//! disclosure-control minimums on phenotype groups and categorical levels (`--min-cell`).
//!
//! A cell is a set of samples whose sums the summary releases on their own. With `--min-cell K`
//! every such set over the sample fields holds 0 or at least K samples:
//!
//! * every phenotype group has at least K samples;
//! * two groups differ by 0 or at least K samples each way (else subtracting their Gram matrices
//!   isolates the few samples in one but not the other);
//! * in every group, every level of a categorical covariate and its complement hold 0 or at least
//!   K samples.
//!
//! The per-variant rules (carriers, missing calls) are applied as the variants are summed
//! (`crate::compress::disclosure`). Errors name the covariate, level or group and the count,
//! never a sample.

use std::path::Path;

use rayon::prelude::*;

use super::covariates::Covariates;
use super::groups::{Group, Phenotypes};
use super::matching::Matching;
use super::numeric::NeumaierSum;
use super::table::Table;
use crate::error::{Error, Result};

/// Refuses a phenotype or numeric covariate column whose sum or sum of squares over the usable
/// samples is not finite in f64 (a value such as 1e200): the summary would hold `inf`/`NaN`.
/// The error names the file, the line and column of the largest value, and the value.
pub(super) fn finite_sums(
    pheno: &Table,
    covar: Option<&Table>,
    matching: &Matching,
    covariates: &Covariates,
    phenotypes: &Phenotypes,
) -> Result<()> {
    // Column by column on the pool (a hundred phenotypes are two million compensated sums);
    // the first failing column in order is the one named, as in a loop.
    let columns: Vec<(&str, &[Option<f64>])> = phenotypes.columns().collect();
    let checked: Vec<Result<()>> = columns
        .par_iter()
        .map(|&(name, values)| check_column(pheno, name, values, &matching.pheno_rows, "phenotype"))
        .collect();
    checked.into_iter().collect::<Result<()>>()?;
    if let (Some(table), Some(rows)) = (covar, matching.covar_rows.as_ref()) {
        for (name, values) in covariates.numeric_columns() {
            check_column(table, name, values, rows, "covariate")?;
        }
    }
    Ok(())
}

/// [`finite_sums`] for one column of `table`.
fn check_column(
    table: &Table,
    name: &str,
    values: &[Option<f64>],
    rows: &[Option<usize>],
    what: &str,
) -> Result<()> {
    let (mut sum, mut squares) = (NeumaierSum::default(), NeumaierSum::default());
    let mut largest: Option<(usize, f64)> = None;
    for (i, v) in values.iter().enumerate() {
        let Some(v) = *v else { continue };
        sum.add(v);
        squares.add(v * v);
        if largest.is_none_or(|(_, l)| v.abs() > l.abs()) {
            largest = Some((i, v));
        }
    }
    if sum.value().is_finite() && squares.value().is_finite() {
        return Ok(());
    }
    let (i, _) = largest.expect("a non-finite sum has terms");
    let row = rows[i].expect("a value has a row");
    let column = table.column_index(name)?;
    Err(Error::input(
        table.path(),
        format!(
            "column {} ('{name}'): value '{}' is too large: the sum of squares of {what} '{name}' \
             overflows f64 (rescale the column)",
            table.file_column(column),
            table.value(row, column)
        ),
    )
    .at(format!("line {}", table.line(row))))
}

/// Refuses a group whose Gram matrix or centring is not finite (two large columns whose cross
/// product overflows), naming the sum.
pub(super) fn finite_grams(groups: &[Group]) -> Result<()> {
    for group in groups {
        let j = group.fields.len();
        let gram = group.gram();
        let bad = (0..j * j)
            .find(|&k| !gram[k].is_finite())
            .map(|k| (k / j, k % j))
            .or_else(|| {
                (0..j)
                    .find(|&a| !group.shift[a].is_finite())
                    .map(|a| (a, 0))
            });
        if let Some((a, b)) = bad {
            return Err(Error::model(format!(
                "phenotype group [{}]: the sum of '{}' × '{}' overflows f64 (rescale the column)",
                group.phenotypes.join(", "),
                group.fields[a].name,
                group.fields[b].name
            )));
        }
    }
    Ok(())
}

/// Whether `count` is a small cell under `min_cell`: 1 … K−1 samples.
pub(crate) fn is_small(count: usize, min_cell: u64) -> bool {
    count > 0 && (count as u64) < min_cell
}

/// The disclosure minimums on groups and categorical levels (see the [module docs](self)).
/// `min_cell` ≤ 1 checks nothing.
pub(super) fn minimums(
    min_cell: u64,
    groups: &[Group],
    covariates: &Covariates,
    pheno: &Path,
    covar: Option<&Path>,
) -> Result<()> {
    if min_cell <= 1 {
        return Ok(());
    }
    let label = |g: &Group| format!("[{}]", g.phenotypes.join(", "));
    for group in groups {
        if is_small(group.n(), min_cell) {
            return Err(Error::input(
                pheno,
                format!(
                    "phenotype group {} has {} samples, fewer than --min-cell {min_cell}",
                    label(group),
                    group.n()
                ),
            ));
        }
    }
    for (k, first) in groups.iter().enumerate() {
        for second in &groups[k + 1..] {
            let (only_first, only_second) = differences(&first.samples, &second.samples);
            if is_small(only_first, min_cell) || is_small(only_second, min_cell) {
                return Err(Error::input(
                    pheno,
                    format!(
                        "phenotype groups {} and {} differ by {only_first} and {only_second} samples, \
                         fewer than --min-cell {min_cell}: subtracting their sums would single those \
                         samples out (make their missing values agree)",
                        label(first),
                        label(second)
                    ),
                ));
            }
        }
    }
    let covar = covar.unwrap_or(pheno);
    for (name, levels, values) in covariates.categorical_columns() {
        for group in groups {
            let mut counts = vec![0usize; levels.len()];
            for &i in &group.samples {
                counts[values[i as usize].expect("group samples have every covariate")] += 1;
            }
            for (level, &count) in levels.iter().zip(&counts) {
                let rest = group.n() - count;
                let problem = if is_small(count, min_cell) {
                    format!("is held by {count} samples")
                } else if is_small(rest, min_cell) {
                    format!("leaves {rest} samples with another level")
                } else {
                    continue;
                };
                return Err(Error::input(
                    covar,
                    format!(
                        "covariate '{name}' level '{level}' {problem} in phenotype group {}, \
                         fewer than --min-cell {min_cell} (merge rare levels, or drop the covariate)",
                        label(group)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// How many of the ascending `a` are not in the ascending `b`, and the other way round.
fn differences(a: &[u32], b: &[u32]) -> (usize, usize) {
    let (mut i, mut j, mut only_a, mut only_b) = (0, 0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                only_a += 1;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                only_b += 1;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    (only_a + a.len() - i, only_b + b.len() - j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_count_both_ways() {
        assert_eq!(differences(&[1, 2, 3, 5], &[2, 3, 4]), (2, 1));
        assert_eq!(differences(&[], &[1]), (0, 1));
        assert!(!is_small(0, 5) && is_small(1, 5) && is_small(4, 5) && !is_small(5, 5));
        assert!(!is_small(1, 1) && !is_small(1, 0));
    }
}
