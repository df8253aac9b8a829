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
//! [`hwe_x_p`] is the exact test for a chrX variant of Graffelman & Weir (2016, *Heredity*
//! 116:558), plink2's `--hardy`/`--hwe` rule on non-PAR chrX: females contribute genotypes,
//! males (hemizygous) alleles, and the test conditions on the total allele count.
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

/// The genotype counts the chrX test reads: the females' genotypes and the males' alleles (a
/// hemizygous call; heterozygous male calls are left out, as plink2 leaves them out).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XchrCounts {
    /// Females homozygous for allele 1.
    pub female_hom_1: u64,
    /// Heterozygous females.
    pub female_het: u64,
    /// Females homozygous for allele 2.
    pub female_hom_2: u64,
    /// Males carrying allele 1.
    pub male_1: u64,
    /// Males carrying allele 2.
    pub male_2: u64,
}

/// Graffelman & Weir's exact chrX test p-value (`midp`: the mid-p), with plink2's tie margin.
///
/// Given the total count n₁ of allele 1 over the 2·F female and M male alleles, a table with
/// m copies among the males and h heterozygous females has probability proportional to
/// `C(M, m) · F! 2^h / (h! · a! · b!)` (a, b the female homozygote counts). Its male part is
/// hypergeometric, `W(m) ∝ C(M, m)·C(2F, n₁ − m)`, and given m the female part is the
/// autosomal distribution of het counts for n₁ − m copies among F genotypes. The p-value is the
/// total probability of the tables no more likely than the observed one. Both are walked from
/// their modes with ratios of neighbouring terms (no factorial is formed): a male count whose
/// whole weight is below the observed table's probability adds its weight at once, and a walk
/// stops once its terms no longer change the sums in f64.
///
/// ```
/// use dash::qc::hwe::{hwe_x_p, XchrCounts};
/// // Females in equilibrium at frequency ½ and males agreeing with them.
/// let counts = XchrCounts { female_hom_1: 25, female_het: 50, female_hom_2: 25, male_1: 50, male_2: 50 };
/// assert!(hwe_x_p(&counts, false) > 0.9);
/// // Females in equilibrium at ½ but males all carrying allele 1: far from it.
/// let skewed = XchrCounts { male_1: 100, male_2: 0, ..counts };
/// assert!(hwe_x_p(&skewed, false) < 1e-9);
/// ```
pub fn hwe_x_p(counts: &XchrCounts, midp: bool) -> f64 {
    hwe_x_p_decided(counts, midp, f64::INFINITY)
}

/// Relative safety margin of the "below" early exit: far wider than the rounding of the sums
/// (a few ulps per term over at most millions of terms), so a bound that clears the cut by it
/// clears it for the p-value [`hwe_x_p`] would compute too.
const BOUND_SAFETY: f64 = 1e-9;

/// [`hwe_x_p`], or — as soon as the tables summed so far decide on which side of `cut` the
/// p-value lies — a value on the same side: what a threshold test needs (`--hwe P` asks only
/// whether p < P). `hwe_x_p_decided(c, midp, cut) < cut` exactly when `hwe_x_p(c, midp) < cut`.
///
/// Two early exits, both exact in their decision:
/// - *at least*: the tail summed so far over the (known) total is a lower bound on p; once it
///   reaches `cut` it is returned. A variant near equilibrium stops after its most likely male
///   counts.
/// - *below*: an upper bound on p — the tail summed so far plus, for every male count not yet
///   walked, at most its whole weight W(m) and at most its number of tables times the observed
///   table's probability (a table counted in the tail is no more likely than the observed one,
///   ties included) — over the total. Once it is below `cut` it is returned. A variant far
///   from equilibrium then stops before walking the female tables of the likely male counts.
///
/// ```
/// use dash::qc::hwe::{hwe_x_p, hwe_x_p_decided, XchrCounts};
/// let counts = XchrCounts { female_hom_1: 250, female_het: 500, female_hom_2: 250, male_1: 500, male_2: 500 };
/// assert!(hwe_x_p_decided(&counts, false, 1e-6) >= 1e-6);
/// let skewed = XchrCounts { male_1: 1000, male_2: 0, ..counts };
/// assert!(hwe_x_p_decided(&skewed, false, 1e-6) < 1e-6);
/// assert!(hwe_x_p(&skewed, false) <= hwe_x_p_decided(&skewed, false, 1e-6));
/// ```
pub fn hwe_x_p_decided(counts: &XchrCounts, midp: bool, cut: f64) -> f64 {
    let females = counts.female_hom_1 + counts.female_het + counts.female_hom_2;
    let males = counts.male_1 + counts.male_2;
    if females + males == 0 {
        return if midp { 0.5 } else { 1.0 };
    }
    let female_alleles = 2 * females;
    let ones = 2 * counts.female_hom_1 + counts.female_het + counts.male_1;
    let males_walk = MaleWalk {
        males,
        female_alleles,
        ones,
        low: ones.saturating_sub(female_alleles),
        high: males.min(ones),
    };
    let mode = males_walk.mode();
    // The observed table's probability, relative to the male mode's weight.
    let weight_observed = males_walk.relative(mode, counts.male_1);
    let copies_observed = ones - counts.male_1;
    let female_observed = FemaleTerms::at(females, copies_observed, NEGLIGIBLE);
    let observed = match female_walk(females, copies_observed) {
        Some(walk) => weight_observed * walk.relative(counts.female_het) / female_observed.sum,
        None => weight_observed, // no female: one female table
    };
    if observed == 0.0 {
        return 0.0; // below f64's range relative to the mode: far past any threshold
    }
    // The male counts and their weights, from the mode outward, until negligible: their sum
    // is the total probability, known before any female walk so that a bound can stop early.
    let mut weights = vec![(mode, 1.0)];
    for step in [Direction::Down, Direction::Up] {
        let (mut m, mut weight) = (mode, 1.0);
        while let Some(next) = males_walk.step(m, step) {
            weight *= males_walk.ratio(m, step);
            m = next;
            weights.push((m, weight));
            if weight < observed * NEGLIGIBLE {
                break;
            }
        }
    }
    let total: f64 = weights.iter().map(|&(_, w)| w).sum();
    // unwalked[i]: an upper bound on what the male counts from the i-th on add to the tail.
    // A male count's tables in the tail are each at most the observed probability (ties up to
    // the tie margin), and the tables the walk skips as negligible only lower the sum, so the
    // bound holds for the p-value as computed, not only for the exact one; with the mid-p the
    // ties count half, which only lowers it further.
    let table_bound = observed * (1.0 + TIE);
    let mut unwalked = vec![0.0; weights.len() + 1];
    for (i, &(m, weight)) in weights.iter().enumerate().rev() {
        let tables = female_walk(females, ones - m).map_or(1, |walk| walk.rare / 2 + 1);
        unwalked[i] = unwalked[i + 1] + weight.min(tables as f64 * table_bound);
    }
    let mut sums = Sums {
        observed,
        ..Sums::default()
    };
    let tail = |sums: &Sums| match midp {
        true => sums.below + 0.5 * sums.ties,
        false => sums.below + sums.ties,
    };
    for (i, &(m, weight)) in weights.iter().enumerate() {
        let upper = (tail(&sums) + unwalked[i]) * (1.0 + BOUND_SAFETY);
        if cut.is_finite() && upper < cut * total * (1.0 - BOUND_SAFETY) {
            return upper / total;
        }
        if weight < observed * (1.0 - TIE) {
            // Every table of this male count is less likely than the observed one.
            sums.total += weight;
            sums.below += weight;
        } else {
            let stop = NEGLIGIBLE * (observed / weight).min(1.0);
            let female = FemaleTerms::at(females, ones - m, stop);
            for &p in &female.terms {
                sums.add(weight * p / female.sum);
            }
        }
        if tail(&sums) * (1.0 - BOUND_SAFETY) >= cut * total * (1.0 + BOUND_SAFETY) {
            return (tail(&sums) / total).max(cut);
        }
    }
    (tail(&sums) / sums.total).min(1.0)
}

#[derive(Clone, Copy)]
enum Direction {
    Down,
    Up,
}

/// The hypergeometric weights of the males' count m of allele 1, `C(M, m)·C(2F, n₁ − m)`.
struct MaleWalk {
    males: u64,
    female_alleles: u64,
    ones: u64,
    low: u64,
    high: u64,
}

impl MaleWalk {
    /// W(m + 1) / W(m).
    fn ratio_up(&self, m: u64) -> f64 {
        let female = self.ones - m; // copies among the females at m
        ((self.males - m) as f64 * female as f64)
            / ((m + 1) as f64 * (self.female_alleles + 1 - female) as f64)
    }

    /// The ratio of the weight one step from m in `direction` to W(m).
    fn ratio(&self, m: u64, direction: Direction) -> f64 {
        match direction {
            Direction::Up => self.ratio_up(m),
            Direction::Down => 1.0 / self.ratio_up(m - 1),
        }
    }

    /// The next male count in `direction`, if in range.
    fn step(&self, m: u64, direction: Direction) -> Option<u64> {
        match direction {
            Direction::Up => (m < self.high).then_some(m + 1),
            Direction::Down => (m > self.low).then(|| m - 1),
        }
    }

    /// The most likely male count (the weights are unimodal: climb from the expected count).
    fn mode(&self) -> u64 {
        let total = self.males + self.female_alleles;
        let expected = (self.males as u128 * self.ones as u128 / total as u128) as u64;
        let mut m = expected.clamp(self.low, self.high);
        while m < self.high && self.ratio_up(m) > 1.0 {
            m += 1;
        }
        while m > self.low && self.ratio_up(m - 1) < 1.0 {
            m -= 1;
        }
        m
    }

    /// W(m) / W(from).
    fn relative(&self, from: u64, m: u64) -> f64 {
        let mut weight = 1.0;
        let mut at = from;
        while at < m {
            weight *= self.ratio_up(at);
            at += 1;
        }
        while at > m {
            weight /= self.ratio_up(at - 1);
            at -= 1;
        }
        weight
    }
}

/// The walk over the females' het counts for `copies` copies of allele 1 among `females`
/// genotypes (`None` without females: the one empty table).
fn female_walk(females: u64, copies: u64) -> Option<Walk> {
    if females == 0 {
        return None;
    }
    let rare = copies.min(2 * females - copies);
    let mut mode = rare * (2 * females - rare) / (2 * females);
    if mode % 2 != rare % 2 {
        mode += 1;
    }
    Some(Walk {
        genotypes: females as f64,
        rare,
        mode,
    })
}

/// The females' het-count distribution for a given count of allele-1 copies among them: the
/// terms walked from its mode (relative to it) until one is below `stop`, and their sum.
struct FemaleTerms {
    terms: Vec<f64>,
    sum: f64,
}

impl FemaleTerms {
    fn at(females: u64, copies: u64, stop: f64) -> FemaleTerms {
        let mut out = FemaleTerms {
            terms: vec![1.0],
            sum: 1.0,
        };
        let Some(walk) = female_walk(females, copies) else {
            return out;
        };
        let (mut h, mut p) = (walk.mode, 1.0);
        while h >= 2 {
            p *= walk.step_down(h);
            h -= 2;
            out.push(p);
            if p < stop {
                break;
            }
        }
        let (mut h, mut p) = (walk.mode, 1.0);
        while h + 2 <= walk.rare {
            p *= walk.step_up(h);
            h += 2;
            out.push(p);
            if p < stop {
                break;
            }
        }
        out
    }

    fn push(&mut self, term: f64) {
        self.terms.push(term);
        self.sum += term;
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

    /// Tables over sizes, allele frequencies and deviations both ways (too few and too many
    /// female hets; males agreeing with the females or skewed either way).
    fn xchr_grid() -> Vec<XchrCounts> {
        let mut grid = Vec::new();
        for (females, males) in [(0, 40), (30, 0), (20, 25), (200, 150), (2_000, 2_000)] {
            for freq in [0.02, 0.1, 0.3, 0.5] {
                for het_shift in [-0.4, -0.15, -0.05, 0.0, 0.05, 0.15, 0.4] {
                    for male_shift in [-0.2, 0.0, 0.1] {
                        let f = females as f64;
                        let het_eq = f * 2.0 * freq * (1.0 - freq);
                        let het = ((het_eq * (1.0 + het_shift)).round() as u64).min(females);
                        // Keep the female allele frequency, moving hets into homozygotes.
                        let ones = (2.0 * f * (1.0 - freq)).round() as u64;
                        let Some(hom_1) = ones.checked_sub(het).map(|x| x / 2) else {
                            continue;
                        };
                        let Some(hom_2) = females.checked_sub(het + hom_1) else {
                            continue;
                        };
                        let male_freq = (freq + male_shift).clamp(0.0, 1.0);
                        let male_2 = (males as f64 * male_freq).round() as u64;
                        grid.push(XchrCounts {
                            female_hom_1: hom_1,
                            female_het: het,
                            female_hom_2: hom_2,
                            male_1: males - male_2,
                            male_2,
                        });
                    }
                }
            }
        }
        grid
    }

    /// Both early exits decide as the exact p-value does, for thresholds 1e-2 … 1e-50 and
    /// cuts at the exact p-value itself (just above and just below it).
    #[test]
    fn decided_p_agrees_with_the_exact_p() {
        let (mut below, mut above) = (0, 0);
        for counts in xchr_grid() {
            for midp in [false, true] {
                let exact = hwe_x_p(&counts, midp);
                let mut cuts: Vec<f64> = (1..=25).map(|k| 10f64.powi(-2 * k)).collect();
                cuts.extend([exact * (1.0 + 1e-6), exact * (1.0 - 1e-6), 0.5]);
                for cut in cuts.into_iter().filter(|&c| c > 0.0) {
                    let decided = hwe_x_p_decided(&counts, midp, cut);
                    assert_eq!(
                        decided < cut,
                        exact < cut,
                        "{counts:?} midp={midp} cut={cut:e}: decided {decided:e}, exact {exact:e}"
                    );
                    // The value returned is a bound on the correct side of the exact p.
                    if decided < cut {
                        assert!(decided >= exact * (1.0 - 1e-12), "{counts:?} {cut:e}");
                        below += 1;
                    } else {
                        assert!(decided <= exact * (1.0 + 1e-12), "{counts:?} {cut:e}");
                        above += 1;
                    }
                }
            }
        }
        // The grid exercises both sides.
        assert!(below > 100 && above > 100, "{below} below, {above} above");
    }

    /// A variant far from equilibrium is decided by the upper bound before its female tables
    /// are walked: its returned bound is not the exact p-value, yet below the threshold.
    #[test]
    fn far_from_equilibrium_is_decided_by_the_upper_bound() {
        let counts = XchrCounts {
            female_hom_1: 5_110,
            female_het: 3_780,
            female_hom_2: 1_110,
            male_1: 7_000,
            male_2: 3_000,
        };
        let (exact, decided) = (
            hwe_x_p(&counts, false),
            hwe_x_p_decided(&counts, false, 1e-6),
        );
        assert!(exact > 0.0 && exact < 1e-12, "{exact:e}");
        assert!(
            decided < 1e-6 && decided > exact,
            "{decided:e} vs {exact:e}"
        );
    }

    #[test]
    fn midp_is_below_p() {
        let (p, midp) = (hwe_p(57, 30, 13, false), hwe_p(57, 30, 13, true));
        assert!(midp < p && midp > 0.0);
    }
}
