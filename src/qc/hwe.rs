//! The Hardy–Weinberg exact test of one biallelic variant (Wigginton, Cutler & Abecasis 2005,
//! *Am J Hum Genet* 76:887), with plink2's definition of the p-value and its `midp` variant.
//!
//! Given `n` genotypes with `r` copies of the rarer allele, the probability of `h` heterozygotes
//! (h ≡ r mod 2) is proportional to `2^h / (h! · ((r−h)/2)! · (n − h − (r−h)/2)!)`. The p-value
//! is the total probability of the het counts no more likely than the observed one; the mid-p
//! counts the het counts exactly as likely as the observed one (ties, the observed included)
//! half. Probabilities are walked outward from near the mode with the recurrence between
//! neighbouring het counts, so no factorial is formed, and a walk stops once its terms no longer
//! change the sums in f64 (as plink2 does: hundreds of thousands of samples cost a few hundred
//! steps, not a step per het count).
//!
//! ```
//! use dash::qc::hwe::hwe_p;
//! // 10 het, 20 hom-REF, 70 hom-ALT: far from equilibrium.
//! assert!(hwe_p(10, 20, 70, false) < 1e-9);
//! // The expected counts for allele frequency 0.5: as close as it gets.
//! assert_eq!(hwe_p(50, 25, 25, false), 1.0);
//! ```

/// Relative difference below which two probabilities are ties (plink2 uses the same margin, so
/// that rounding in the recurrence does not split an exact tie).
const TIE: f64 = 1.0 / (1u64 << 44) as f64;

/// Terms below this fraction of the observed probability are dropped (they are past f64's
/// resolution of the sums, which hold the observed term).
const NEGLIGIBLE: f64 = 1.0 / (1u64 << 60) as f64;

/// The exact-test p-value (`midp`: the mid-p) of `het` heterozygotes and the two homozygote
/// counts. With no genotype observed the only table is the observed one: 1, or 0.5 for the mid-p.
pub fn hwe_p(het: u64, hom_1: u64, hom_2: u64, midp: bool) -> f64 {
    let (hom_rare, hom_common) = (hom_1.min(hom_2), hom_1.max(hom_2));
    let genotypes = het + hom_rare + hom_common;
    if genotypes == 0 {
        // One possible table, the observed one: a tie with itself (plink2 gives the same).
        return if midp { 0.5 } else { 1.0 };
    }
    let rare = 2 * hom_rare + het;
    // Near the most likely het count, with the parity of `rare`.
    let mut mode = rare * (2 * genotypes - rare) / (2 * genotypes);
    if mode % 2 != rare % 2 {
        mode += 1;
    }
    let walk = Walk {
        genotypes: genotypes as f64,
        rare,
        mode,
    };
    // The observed het count's probability relative to the mode's (1).
    let observed = walk.relative(het);
    if observed == 0.0 {
        return 0.0; // below f64's range relative to the mode: far past any threshold
    }
    let mut sums = Sums {
        observed,
        ..Sums::default()
    };
    sums.add(1.0);
    walk.down(&mut sums);
    walk.up(&mut sums);
    let tail = if midp {
        sums.below + 0.5 * sums.ties
    } else {
        sums.below + sums.ties
    };
    (tail / sums.total).min(1.0)
}

/// The distribution of het counts of one variant, from the mode outward.
struct Walk {
    genotypes: f64,
    rare: u64,
    mode: u64,
}

/// Running sums: all terms, those less likely than the observed, those tied with it.
#[derive(Default)]
struct Sums {
    observed: f64,
    total: f64,
    below: f64,
    ties: f64,
}

impl Sums {
    fn add(&mut self, p: f64) {
        self.total += p;
        if p < self.observed * (1.0 - TIE) {
            self.below += p;
        } else if p <= self.observed * (1.0 + TIE) {
            self.ties += p;
        }
    }

    /// Whether a term past the mode is too small to matter any more.
    fn negligible(&self, p: f64) -> bool {
        p < self.observed * NEGLIGIBLE
    }
}

impl Walk {
    /// Homozygotes of the rare and common allele at `h` hets.
    fn homs(&self, h: u64) -> (f64, f64) {
        let hom_rare = ((self.rare - h) / 2) as f64;
        (hom_rare, self.genotypes - h as f64 - hom_rare)
    }

    /// P(h − 2) / P(h).
    fn step_down(&self, h: u64) -> f64 {
        let (hom_rare, hom_common) = self.homs(h);
        (h as f64) * (h as f64 - 1.0) / (4.0 * (hom_rare + 1.0) * (hom_common + 1.0))
    }

    /// P(h + 2) / P(h).
    fn step_up(&self, h: u64) -> f64 {
        let (hom_rare, hom_common) = self.homs(h);
        4.0 * hom_rare * hom_common / ((h as f64 + 2.0) * (h as f64 + 1.0))
    }

    /// P(h) / P(mode).
    fn relative(&self, h: u64) -> f64 {
        let mut p = 1.0;
        let mut at = self.mode;
        while at > h {
            p *= self.step_down(at);
            at -= 2;
        }
        while at < h {
            p *= self.step_up(at);
            at += 2;
        }
        p
    }

    /// Adds the terms below the mode.
    fn down(&self, sums: &mut Sums) {
        let (mut h, mut p) = (self.mode, 1.0);
        while h >= 2 {
            p *= self.step_down(h);
            h -= 2;
            sums.add(p);
            if sums.negligible(p) {
                break;
            }
        }
    }

    /// Adds the terms above the mode.
    fn up(&self, sums: &mut Sums) {
        let (mut h, mut p) = (self.mode, 1.0);
        while h + 2 <= self.rare {
            p *= self.step_up(h);
            h += 2;
            sums.add(p);
            if sums.negligible(p) {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The p-value by the definition: every het count's probability from log-factorials,
    /// summed over the counts no more likely than the observed one.
    fn by_definition(het: u64, hom_1: u64, hom_2: u64) -> f64 {
        let n = het + hom_1 + hom_2;
        let rare = 2 * hom_1.min(hom_2) + het;
        let ln_fact = |k: u64| (1..=k).map(|i| (i as f64).ln()).sum::<f64>();
        let ln_p = |h: u64| {
            let hom_rare = (rare - h) / 2;
            h as f64 * 2f64.ln() - ln_fact(h) - ln_fact(hom_rare) - ln_fact(n - h - hom_rare)
        };
        let all: Vec<f64> = (rare % 2..=rare)
            .step_by(2)
            .map(|h| ln_p(h).exp())
            .collect();
        let observed = ln_p(het).exp();
        let total: f64 = all.iter().sum();
        all.iter()
            .filter(|&&p| p <= observed * (1.0 + 1e-12))
            .sum::<f64>()
            / total
    }

    #[test]
    fn matches_the_definition() {
        for (het, hom_1, hom_2) in [(0, 5, 5), (3, 10, 1), (57, 30, 13), (1, 0, 99), (12, 0, 0)] {
            let (got, want) = (
                hwe_p(het, hom_1, hom_2, false),
                by_definition(het, hom_1, hom_2),
            );
            assert!(
                (got - want).abs() <= 1e-12 * want.max(1e-300),
                "{het} {hom_1} {hom_2}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn monomorphic_and_empty_are_one() {
        assert_eq!(hwe_p(0, 0, 0, false), 1.0);
        assert_eq!(hwe_p(0, 40, 0, false), 1.0);
    }

    #[test]
    fn midp_is_below_p() {
        let (p, midp) = (hwe_p(57, 30, 13, false), hwe_p(57, 30, 13, true));
        assert!(midp < p && midp > 0.0);
    }
}
