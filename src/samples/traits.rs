//! Recognising case/control phenotypes as plink2 codes them, without changing a value.
//!
//! plink2 reads a phenotype whose values are 1 and 2 (with 0, -9 and NA missing) as
//! case/control: 1 control, 2 case. dash fits the same linear model to it either way — the
//! values and the missing samples stay exactly as read — but says so, and merge reports case and
//! control counts. A column of 0, 1 and 2 is where the two readings part: plink2 would take 0 as
//! missing and fit a case/control model, dash keeps 0 as a value; the log says so.
//!
//! ```
//! use dash::samples::traits::{classify, TraitKind};
//! assert_eq!(classify([1.0, 2.0, 2.0].into_iter()), TraitKind::CaseControl);
//! assert_eq!(classify([0.0, 1.0, 2.0].into_iter()), TraitKind::ZeroOneTwo);
//! assert_eq!(classify([1.5, 2.0].into_iter()), TraitKind::Quantitative);
//! ```

/// What a phenotype column looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraitKind {
    /// Any other values.
    Quantitative,
    /// Only 1 and 2, both present: plink2's case/control coding.
    CaseControl,
    /// Only 0, 1 and 2 with 0 and 2 present: case/control to plink2 (0 missing), numbers here.
    ZeroOneTwo,
}

/// Classifies the non-missing values of one phenotype.
pub fn classify(values: impl Iterator<Item = f64>) -> TraitKind {
    let mut seen = [false; 3];
    for v in values {
        match v {
            0.0 => seen[0] = true,
            1.0 => seen[1] = true,
            2.0 => seen[2] = true,
            _ => return TraitKind::Quantitative,
        }
    }
    match seen {
        [false, true, true] => TraitKind::CaseControl,
        [true, _, true] => TraitKind::ZeroOneTwo,
        _ => TraitKind::Quantitative,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_both_codes_make_a_case_control_trait() {
        assert_eq!(classify([2.0, 2.0].into_iter()), TraitKind::Quantitative);
        assert_eq!(classify([1.0, 1.0].into_iter()), TraitKind::Quantitative);
        assert_eq!(classify([0.0, 1.0].into_iter()), TraitKind::Quantitative);
        assert_eq!(classify(std::iter::empty()), TraitKind::Quantitative);
        assert_eq!(classify([0.0, 2.0].into_iter()), TraitKind::ZeroOneTwo);
        assert_eq!(
            classify([1.0, 2.0, 3.0].into_iter()),
            TraitKind::Quantitative
        );
    }
}
