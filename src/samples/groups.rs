//! Phenotype groups: the phenotypes sharing one sample set, and their centred sample matrix.
//!
//! A phenotype's samples are the usable samples with a value for it. Phenotypes with identical
//! sample sets share a group (plaintext), or each phenotype has its own (secure mode, where the
//! layout must not depend on the data).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::covariates::Covariates;
use super::matching::Matching;
use super::numeric::{add_scaled_compensated, parse_or_missing, NeumaierSum};
use super::sex::SampleSex;
use super::table::Table;
use crate::error::{Error, Result};
use crate::summary::sex::SampleSet;
use crate::summary::{GroupLayout, SampleField};

/// One phenotype group of one party.
#[derive(Debug, Clone)]
pub struct Group {
    /// The phenotypes sharing this sample set.
    pub phenotypes: Vec<String>,
    /// The columns of `A`: intercept, covariates, phenotypes.
    pub fields: Vec<SampleField>,
    /// Genotype-file sample indices of the group's samples, ascending.
    pub samples: Vec<u32>,
    /// Per field, the value subtracted from it: the group mean (0 for the intercept), rounded
    /// with [`BuildOptions::shift_bits`](super::BuildOptions::shift_bits).
    pub shift: Vec<f64>,
    /// `A − 1·shiftᵀ`, row-major: `samples.len() × fields.len()`.
    pub rows: Vec<f64>,
    /// The sex-chromosome sample set this group is ([`super::sex_sets`]); `None` for a group
    /// of all the samples with its phenotypes.
    pub sample_set: Option<SampleSet>,
    /// [`Group::gram`], once computed: the checks and the summary header both need it, and at
    /// 100 phenotypes it is O(n J²) compensated additions. Cleared whenever `rows` change here.
    pub(crate) gram_cache: OnceLock<Vec<f64>>,
}

impl Group {
    /// Number of samples `n_g`.
    pub fn n(&self) -> usize {
        self.samples.len()
    }

    /// The group as the summary header describes it: phenotypes, fields and centring shifts.
    pub fn layout(&self) -> GroupLayout {
        GroupLayout {
            phenotypes: self.phenotypes.clone(),
            fields: self.fields.clone(),
            shift: self.shift.clone(),
            sample_set: self.sample_set,
        }
    }

    /// The Gram matrix of the centred fields `(A − 1·shiftᵀ)ᵀ(A − 1·shiftᵀ)` (row-major J × J),
    /// each entry summed with Neumaier's compensated summation: G bounds the accuracy of
    /// everything downstream, and costs O(n J²) once.
    ///
    /// With many phenotypes (J = 111 for 100) this is O(n J²) compensated additions: the rows
    /// `a` of the upper triangle are summed in parallel, in bands of equal work, each band
    /// reading the samples once, and each row of sums is added branch-free
    /// ([`add_scaled_compensated`], Neumaier's sums to the bit, vectorised). Every entry adds
    /// the same terms in the same order whatever the bands, so the result does not depend on
    /// the threads.
    pub fn gram(&self) -> Vec<f64> {
        self.gram_cache.get_or_init(|| self.compute_gram()).clone()
    }

    /// [`Group::gram`], computed.
    fn compute_gram(&self) -> Vec<f64> {
        let j = self.fields.len();
        let sum_band = |band: &Range<usize>| {
            let mut sums = vec![0.0; band.len() * j];
            let mut compensations = vec![0.0; band.len() * j];
            for row in self.rows.chunks_exact(j) {
                for (k, a) in band.clone().enumerate() {
                    let entries = k * j + a..(k + 1) * j;
                    add_scaled_compensated(
                        &mut sums[entries.clone()],
                        &mut compensations[entries],
                        row[a],
                        &row[a..],
                    );
                }
            }
            (sums, compensations)
        };
        // A narrow Gram matrix (one phenotype: J = 12) is too little work to hand to the pool.
        let bands = match j < GRAM_PARALLEL_WIDTH {
            true => triangle_bands(j, 1),
            false => triangle_bands(j, GRAM_BANDS),
        };
        let band_sums: Vec<(Vec<f64>, Vec<f64>)> = match bands.len() {
            1 => bands.iter().map(sum_band).collect(),
            _ => bands.par_iter().map(sum_band).collect(),
        };
        let mut gram = vec![0.0; j * j];
        for (band, (sums, compensations)) in bands.iter().zip(&band_sums) {
            for (k, a) in band.clone().enumerate() {
                for b in a..j {
                    let value = sums[k * j + b] + compensations[k * j + b];
                    gram[a * j + b] = value;
                    gram[b * j + a] = value;
                }
            }
        }
        gram
    }

    /// Lays out the group's fields (intercept, covariates, `sex` when given — every sample's
    /// sex must then be known —, its phenotypes), fills its rows over its samples, and centres
    /// them.
    pub(super) fn fill(
        &mut self,
        covariate_fields: &[SampleField],
        covariates: &Covariates,
        phenotypes: &Phenotypes,
        sex: Option<&SampleSex>,
        shift_bits: Option<u32>,
    ) {
        self.fields = std::iter::once(SampleField::intercept())
            .chain(covariate_fields.iter().cloned())
            .chain(sex.map(|_| SampleField::sex()))
            .chain(self.phenotypes.iter().map(|p| SampleField::phenotype(p)))
            .collect();
        let values: Vec<&[Option<f64>]> = self
            .phenotypes
            .iter()
            .map(|p| phenotypes.values_of(p))
            .collect();
        let mut rows = Vec::with_capacity(self.samples.len() * self.fields.len());
        for &i in &self.samples {
            let i = i as usize;
            rows.push(1.0);
            covariates.push_row(i, &mut rows);
            rows.extend(sex.map(|sex| sex.code(i).expect("known sex in the group")));
            rows.extend(values.iter().map(|v| v[i].expect("group sample")));
        }
        self.rows = rows;
        self.gram_cache = OnceLock::new();
        self.centre_rounded(shift_bits);
    }

    /// Centres every field but the intercept on its group mean.
    ///
    /// Sums of centred fields keep their digits: `yᵀx` of a phenotype in real units (height in
    /// cm) against a dosage is dominated by mean(y)·Σx, and the association lives in what is left
    /// after subtracting it. Merge re-centres exactly (see `crate::merge`).
    ///
    /// With `bits`, each mean is rounded to a multiple of 2^−bits (secure mode), and a mean of
    /// magnitude 2^31 or more is not subtracted (shift 0).
    fn centre_rounded(&mut self, bits: Option<u32>) {
        let j = self.fields.len();
        let mut means = vec![NeumaierSum::default(); j];
        for row in self.rows.chunks_exact(j) {
            for (m, v) in means.iter_mut().zip(row) {
                m.add(*v);
            }
        }
        let n = self.samples.len() as f64;
        self.shift = means.iter().map(|m| m.value() / n).collect();
        self.shift[0] = 0.0;
        if let Some(bits) = bits {
            let scale = (2.0f64).powi(bits as i32);
            for s in &mut self.shift {
                *s = if s.abs() < 2f64.powi(31) {
                    (*s * scale).round() / scale
                } else {
                    0.0
                };
            }
        }
        for row in self.rows.chunks_exact_mut(j) {
            for (v, s) in row.iter_mut().zip(&self.shift) {
                *v -= s;
            }
        }
        self.gram_cache = OnceLock::new();
    }
}

/// The values of the selected phenotype columns, per genotype sample.
pub(super) struct Phenotypes {
    /// Column names, in selection order.
    names: Vec<String>,
    /// Per column, the value of each genotype sample; `None` when missing or not usable.
    values: Vec<Vec<Option<f64>>>,
}

impl Phenotypes {
    /// Reads the `selected` columns of `pheno` in the rows of genotype samples, keeping the
    /// values of the usable samples. A non-numeric value in any of these rows is an error naming
    /// its line, whether or not its sample is usable; rows of other IIDs are not read.
    /// `-9` is missing when `minus_nine`.
    pub(super) fn read(
        pheno: &Table,
        selected: &[usize],
        matching: &Matching,
        minus_nine: bool,
    ) -> Result<Phenotypes> {
        let n = matching.usable.len();
        let width = selected.len();
        // Parsed along the file's rows, a chunk of samples per task: the table is row-major,
        // and a column at a time would touch a new cache line per value (2 million at 100
        // phenotypes × 20,000 samples).
        let mut by_row = vec![None; n * width];
        let parsed = by_row
            .par_chunks_mut(PARSE_CHUNK * width.max(1))
            .enumerate()
            .all(|(chunk, out)| {
                let first = chunk * PARSE_CHUNK;
                out.chunks_exact_mut(width.max(1))
                    .enumerate()
                    .all(|(k, slots)| {
                        let i = first + k;
                        let Some(row) = matching.pheno_rows[i] else {
                            return true;
                        };
                        selected.iter().zip(slots).all(|(&p, slot)| {
                            match parse_or_missing(pheno.value(row, p), minus_nine) {
                                Some(value) => {
                                    *slot = value.filter(|_| matching.usable[i]);
                                    true
                                }
                                None => false,
                            }
                        })
                    })
            });
        if !parsed {
            return Err(first_bad_value(pheno, selected, matching));
        }
        let values = (0..width)
            .into_par_iter()
            .map(|c| by_row.iter().skip(c).step_by(width).copied().collect())
            .collect();
        Ok(Phenotypes {
            names: selected
                .iter()
                .map(|&p| pheno.columns()[p].clone())
                .collect(),
            values,
        })
    }

    /// The columns: name and value per genotype sample.
    pub(super) fn columns(&self) -> impl Iterator<Item = (&str, &[Option<f64>])> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().map(Vec::as_slice))
    }

    /// Whether genotype sample `i` has a value for any phenotype.
    pub(super) fn any_value(&self, i: usize) -> bool {
        self.values.iter().any(|v| v[i].is_some())
    }

    /// The values of phenotype `name`, per genotype sample.
    fn values_of(&self, name: &str) -> &[Option<f64>] {
        let k = self.names.iter().position(|n| n == name);
        &self.values[k.expect("selected phenotype")]
    }
}

/// Genotype samples per task when [`Phenotypes::read`] parses the file.
const PARSE_CHUNK: usize = 1024;

/// The error of the first value of the `selected` columns (column by column, then in sample
/// order) that is neither a number nor a missing code, in the rows of genotype samples; called
/// once the parse found one, so the error named does not depend on how the parse was split.
fn first_bad_value(pheno: &Table, selected: &[usize], matching: &Matching) -> Error {
    for &p in selected {
        for row in matching.pheno_rows.iter().flatten().copied() {
            let text = pheno.value(row, p);
            if parse_or_missing(text, false).is_none() {
                let name = &pheno.columns()[p];
                return Error::input(
                    pheno.path(),
                    format!("non-numeric value '{text}' in phenotype column '{name}'"),
                )
                .at(format!("line {}", pheno.line(row)));
            }
        }
    }
    unreachable!("the parse found a value that is neither a number nor a missing code")
}

/// Splits the phenotypes into groups by their sample sets, in order of their first phenotype:
/// phenotypes with identical sample sets share a group unless `one_per_phenotype`. The groups'
/// fields and rows are left empty for [`Group::fill`].
///
/// A phenotype without samples is an error (`path`: the phenotype file).
pub(super) fn form_groups(
    path: &Path,
    phenotypes: &Phenotypes,
    one_per_phenotype: bool,
) -> Result<Vec<Group>> {
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of_pattern: HashMap<Vec<u32>, usize> = HashMap::new();
    for (name, values) in phenotypes.names.iter().zip(&phenotypes.values) {
        let samples: Vec<u32> = (0..values.len() as u32)
            .filter(|&i| values[i as usize].is_some())
            .collect();
        if samples.is_empty() {
            return Err(Error::input(
                path,
                format!(
                    "phenotype '{name}' has no matched sample with a value and complete covariates"
                ),
            ));
        }
        let shared = match one_per_phenotype {
            true => None,
            false => group_of_pattern.get(&samples),
        };
        match shared {
            Some(&g) => groups[g].phenotypes.push(name.clone()),
            None => {
                group_of_pattern.insert(samples.clone(), groups.len());
                groups.push(Group {
                    phenotypes: vec![name.clone()],
                    fields: Vec::new(),
                    samples,
                    shift: Vec::new(),
                    rows: Vec::new(),
                    sample_set: None,
                    gram_cache: OnceLock::new(),
                });
            }
        }
    }
    Ok(groups)
}

/// Bands of the Gram matrix's upper-triangle rows summed as one task each ([`Group::gram`]).
const GRAM_BANDS: usize = 8;

/// Field count from which [`Group::gram`] sums its bands in parallel.
const GRAM_PARALLEL_WIDTH: usize = 32;

/// Splits rows `0..j` of an upper triangle (row `a` has `j − a` entries) into at most `bands`
/// consecutive ranges of about equal work.
fn triangle_bands(j: usize, bands: usize) -> Vec<Range<usize>> {
    let total = j * (j + 1) / 2;
    let per_band = total.div_ceil(bands.max(1)).max(1);
    let mut out = Vec::new();
    let (mut start, mut work) = (0, 0);
    for a in 0..j {
        work += j - a;
        if work >= per_band || a + 1 == j {
            out.push(start..a + 1);
            (start, work) = (a + 1, 0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_is_exact_on_integers() {
        let group = Group {
            phenotypes: vec!["y".into()],
            fields: vec![SampleField::intercept(), SampleField::phenotype("y")],
            samples: vec![0, 1, 2],
            shift: vec![0.0, 0.0],
            rows: vec![1.0, 2.0, 1.0, 3.0, 1.0, 4.0],
            sample_set: None,
            gram_cache: OnceLock::new(),
        };
        assert_eq!(group.gram(), vec![3.0, 9.0, 9.0, 29.0]);
        let mut centred = group.clone();
        centred.centre_rounded(None);
        assert_eq!(centred.shift, vec![0.0, 3.0]);
        assert_eq!(centred.gram(), vec![3.0, 0.0, 0.0, 2.0]);
    }

    /// The Gram matrix against an exact oracle: fields on a grid of 2⁻²⁰ (products on 2⁻⁴⁰)
    /// summed exactly as integers in i128, at a width that takes the parallel bands and with
    /// uncentred fields (means ~1,000 against spreads ~1), where a plain f64 sum loses digits.
    /// Every entry must be the exact sum correctly rounded, within 1 ulp.
    #[test]
    fn gram_is_the_exact_sum_correctly_rounded() {
        let (n, j) = (5_003usize, 41usize);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let grid = (1u64 << 20) as f64;
        let rows: Vec<f64> = (0..n * j)
            .map(|k| match k % j {
                0 => 1.0,
                c => {
                    let noise = (next() >> 44) as f64 / grid - 0.5;
                    (1_000 * c) as f64 + noise * (c as f64)
                }
            })
            .collect();
        let group = Group {
            phenotypes: vec![],
            fields: vec![SampleField::intercept(); j],
            samples: (0..n as u32).collect(),
            shift: vec![0.0; j],
            rows: rows.clone(),
            sample_set: None,
            gram_cache: OnceLock::new(),
        };
        let gram = group.gram();
        let scaled = |x: f64| (x * grid) as i128;
        let (mut worst_plain, mut worst) = (0.0f64, 0.0f64);
        for a in 0..j {
            for b in 0..j {
                let exact: i128 = rows
                    .chunks_exact(j)
                    .map(|r| scaled(r[a]) * scaled(r[b]))
                    .sum();
                let exact = exact as f64 / (grid * grid);
                let plain: f64 = rows.chunks_exact(j).map(|r| r[a] * r[b]).sum();
                let ulp = f64::EPSILON * exact.abs();
                worst = worst.max((gram[a * j + b] - exact).abs() / ulp);
                worst_plain = worst_plain.max((plain - exact).abs() / ulp);
            }
        }
        assert!(worst <= 1.0, "compensated Gram off by {worst} ulp");
        // The oracle has teeth: a plain running sum of the same terms is several ulp off.
        assert!(worst_plain > 4.0, "plain sum off by only {worst_plain} ulp");
    }

    #[test]
    fn triangle_bands_cover_every_row_once() {
        for j in [0, 1, 2, 5, 12, 111] {
            let bands = triangle_bands(j, GRAM_BANDS);
            let rows: Vec<usize> = bands.iter().flat_map(|b| b.clone()).collect();
            assert_eq!(rows, (0..j).collect::<Vec<_>>(), "j = {j}");
            assert!(bands.len() <= GRAM_BANDS);
        }
    }
}
