//! Numeric helpers: the missing-value codes, number parsing and compensated summation.

/// Missing-value codes: `NA`, `nan`, `.`, empty; and `-9` when `minus_nine` — plink2's default
/// for phenotypes and covariates alike, turned off by `--no-input-missing-phenotype`.
pub fn is_missing(text: &str, minus_nine: bool) -> bool {
    matches!(text, "" | "." | "NA" | "na" | "NaN" | "nan" | "NAN")
        || (minus_nine && is_minus_nine(text))
}

fn is_minus_nine(text: &str) -> bool {
    // Only a text with a minus sign can be −9: the others skip the parse.
    text.starts_with('-') && text.parse::<f64>().is_ok_and(|v| v == -9.0)
}

/// A value that may be a missing code, parsed once: `Some(None)` for a missing code (as
/// [`is_missing`] says), `Some(Some(v))` for a finite number, `None` for anything else.
///
/// ```
/// use dash::samples::numeric::parse_or_missing;
/// assert_eq!(parse_or_missing("1.5", true), Some(Some(1.5)));
/// assert_eq!(parse_or_missing("-9.0", true), Some(None));
/// assert_eq!(parse_or_missing("-9", false), Some(Some(-9.0)));
/// assert_eq!(parse_or_missing("NA", false), Some(None));
/// assert_eq!(parse_or_missing("x", true), None);
/// ```
pub fn parse_or_missing(text: &str, minus_nine: bool) -> Option<Option<f64>> {
    if is_missing(text, false) {
        return Some(None);
    }
    let value = parse_number(text)?;
    Some(Some(value).filter(|&v| !(minus_nine && v == -9.0)))
}

/// Parses a finite number; `None` when the text is not one.
pub fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Neumaier's compensated sum: error independent of the number of terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// Adds a term.
    pub fn add(&mut self, term: f64) {
        let total = self.sum + term;
        self.compensation += if self.sum.abs() >= term.abs() {
            (self.sum - total) + term
        } else {
            (term - total) + self.sum
        };
        self.sum = total;
    }

    /// The compensated total.
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// Adds `scale · row[k]` to the compensated sums `(sums[k], compensations[k])` for every `k`:
/// [`NeumaierSum::add`] over a row of sums at once, kept as two plain slices so the loop has no
/// branch and vectorises.
///
/// The error of each addition comes from Knuth's TwoSum (six operations, no comparison) rather
/// than Neumaier's branch on the larger magnitude. Both compute the *exact* rounding error of
/// `sum + term`, which is unique, so every compensation, and the total `sum + compensation`,
/// equals [`NeumaierSum`]'s to the bit (finite values).
///
/// ```
/// use dash::samples::numeric::{add_scaled_compensated, NeumaierSum};
/// let (mut sums, mut compensations) = (vec![0.0; 2], vec![0.0; 2]);
/// let mut reference = [NeumaierSum::default(); 2];
/// for (scale, row) in [(1.0, [1e16, 1.0]), (1.0, [1.0, -1e16]), (-1.0, [1e16, 1e16])] {
///     add_scaled_compensated(&mut sums, &mut compensations, scale, &row);
///     for (r, x) in reference.iter_mut().zip(row) {
///         r.add(scale * x);
///     }
/// }
/// assert_eq!(sums[0] + compensations[0], 1.0);
/// assert_eq!(sums[1] + compensations[1], reference[1].value());
/// ```
#[inline]
pub fn add_scaled_compensated(
    sums: &mut [f64],
    compensations: &mut [f64],
    scale: f64,
    row: &[f64],
) {
    let compensations = &mut compensations[..sums.len()];
    let row = &row[..sums.len()];
    for ((sum, compensation), &x) in sums.iter_mut().zip(compensations).zip(row) {
        let term = scale * x;
        let total = *sum + term;
        let term_part = total - *sum;
        *compensation += (*sum - (total - term_part)) + (term - term_part);
        *sum = total;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The branch-free compensated row gives [`NeumaierSum`]'s totals to the bit, also where
    /// the terms cancel and span many magnitudes.
    #[test]
    fn branch_free_compensation_equals_neumaier() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            unit * 10f64.powi((state % 33) as i32 - 16)
        };
        let width = 37;
        let (mut sums, mut compensations) = (vec![0.0; width], vec![0.0; width]);
        let mut reference = vec![NeumaierSum::default(); width];
        for _ in 0..5_000 {
            let scale = next();
            let row: Vec<f64> = (0..width).map(|_| next()).collect();
            add_scaled_compensated(&mut sums, &mut compensations, scale, &row);
            for (r, x) in reference.iter_mut().zip(&row) {
                r.add(scale * x);
            }
        }
        for k in 0..width {
            assert_eq!(
                (sums[k] + compensations[k]).to_bits(),
                reference[k].value().to_bits(),
                "k = {k}"
            );
        }
    }

    /// [`parse_or_missing`] decides as the two steps it replaced: a missing code (the codes, or
    /// any text that parses to −9, as `is_missing` read it before the `-` shortcut), else a
    /// finite number, else an error.
    #[test]
    fn one_parse_decides_as_two() {
        let texts = [
            "", ".", "NA", "nan", "NaN", "NAN", "Nan", "-9", "-9.0", "-9.000", "-9e0", "-90e-1",
            "-09", "9", "+9", "-9.5", "-8.99999", "-inf", "inf", "-", "--9", "1e400", "-0", "0",
            "1.5", "abc", " 1", "-9 ",
        ];
        for minus_nine in [true, false] {
            for text in texts {
                let old_missing = is_missing(text, false)
                    || (minus_nine && text.parse::<f64>().is_ok_and(|v| v == -9.0));
                assert_eq!(is_missing(text, minus_nine), old_missing, "{text:?}");
                let two_steps = match old_missing {
                    true => Some(None),
                    false => parse_number(text).map(Some),
                };
                assert_eq!(parse_or_missing(text, minus_nine), two_steps, "{text:?}");
            }
        }
    }
}
