//! Phenotype groups: the phenotypes sharing one sample set, and their centred sample matrix.

use super::numeric::NeumaierSum;
use crate::summary::SampleField;

/// One phenotype group of one party.
#[derive(Debug, Clone)]
pub struct Group {
    /// The phenotypes sharing this sample set.
    pub phenotypes: Vec<String>,
    /// The columns of `A`: intercept, covariates, phenotypes.
    pub fields: Vec<SampleField>,
    /// Genotype-file sample indices of the group's samples, ascending.
    pub samples: Vec<u32>,
    /// Per field, the value subtracted from it: the group mean (0 for the intercept).
    pub shift: Vec<f64>,
    /// `A − 1·shiftᵀ`, row-major: `samples.len() × fields.len()`.
    pub rows: Vec<f64>,
}

impl Group {
    /// Number of samples `n_g`.
    pub fn n(&self) -> usize {
        self.samples.len()
    }

    /// The Gram matrix of the centred fields `(A − 1·shiftᵀ)ᵀ(A − 1·shiftᵀ)` (row-major J × J),
    /// each entry summed with Neumaier's compensated summation: G bounds the accuracy of
    /// everything downstream, and costs O(n J²) once.
    pub fn gram(&self) -> Vec<f64> {
        let j = self.fields.len();
        let mut sums = vec![NeumaierSum::default(); j * j];
        for row in self.rows.chunks_exact(j) {
            for a in 0..j {
                for b in a..j {
                    sums[a * j + b].add(row[a] * row[b]);
                }
            }
        }
        let mut gram = vec![0.0; j * j];
        for a in 0..j {
            for b in a..j {
                let value = sums[a * j + b].value();
                gram[a * j + b] = value;
                gram[b * j + a] = value;
            }
        }
        gram
    }

    /// Centres every field but the intercept on its group mean.
    ///
    /// Sums of centred fields keep their digits: `yᵀx` of a phenotype in real units (height in
    /// cm) against a dosage is dominated by mean(y)·Σx, and the association lives in what is left
    /// after subtracting it. Merge re-centres exactly (see `crate::merge`).
    ///
    /// With `bits`, each mean is rounded to a multiple of 2^−bits (secure mode), and a mean of
    /// magnitude 2^31 or more is not subtracted (shift 0).
    pub(super) fn centre_rounded(&mut self, bits: Option<u32>) {
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
    }
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
        };
        assert_eq!(group.gram(), vec![3.0, 9.0, 9.0, 29.0]);
        let mut centred = group.clone();
        centred.centre_rounded(None);
        assert_eq!(centred.shift, vec![0.0, 3.0]);
        assert_eq!(centred.gram(), vec![3.0, 0.0, 0.0, 2.0]);
    }
}
