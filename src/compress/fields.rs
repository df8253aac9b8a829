//! The sample-field matrix as the kernels read it.

use crate::samples::SampleFields;

/// All groups' centred `A` stacked side by side over the genotype samples (zero outside a
/// group), in the two layouts the kernels need.
pub(crate) struct StackedFields {
    /// Genotype samples (rows).
    pub n: usize,
    /// ΣJ: columns over all groups.
    pub width: usize,
    /// Column-major n × ΣJ.
    pub by_column: Vec<f64>,
    /// Row-major n × ΣJ.
    pub by_row: Vec<f64>,
    /// First column and width of each group. A group's first column is its intercept: the
    /// 0/1 mask of its samples.
    pub groups: Vec<(usize, usize)>,
    /// Per sample, 1 when it is in some group (a sample the party contributes), else 0: the QC
    /// counts are over these samples ([`crate::summary::QcCounts`]).
    pub contributed: Vec<f64>,
    /// Per group, its samples as packed `.bed` calls see them: bit 2·(i mod 32) of word i / 32
    /// set for each member i (the low bit of its 2-bit slot), so that a variant's codes can be
    /// counted over a group 32 at a time.
    pub packed_members: Vec<Vec<u64>>,
}

impl StackedFields {
    pub fn new(fields: &SampleFields) -> StackedFields {
        let (by_column, offsets) = fields.stacked_matrix();
        let n = fields.n_genotype_samples;
        let width = by_column.len() / n.max(1);
        let mut by_row = vec![0.0; by_column.len()];
        for c in 0..width {
            for i in 0..n {
                by_row[i * width + c] = by_column[c * n + i];
            }
        }
        let groups: Vec<(usize, usize)> = offsets
            .iter()
            .zip(&fields.groups)
            .map(|(&o, g)| (o, g.fields.len()))
            .collect();
        let contributed = contributed_mask(n, &by_column, &groups);
        let packed_members = group_members(n, &by_column, &groups);
        StackedFields {
            n,
            width,
            by_column,
            by_row,
            groups,
            contributed,
            packed_members,
        }
    }

    /// Samples the party contributes (in some group).
    pub fn n_contributed(&self) -> u64 {
        self.contributed.iter().filter(|&&c| c != 0.0).count() as u64
    }

    /// Fields from a row-major matrix, for tests of the kernels.
    #[cfg(test)]
    pub fn from_rows(n: usize, by_row: Vec<f64>, groups: Vec<(usize, usize)>) -> StackedFields {
        let width = by_row.len() / n.max(1);
        let by_column: Vec<f64> = (0..n * width)
            .map(|k| by_row[(k % n) * width + k / n])
            .collect();
        let contributed = contributed_mask(n, &by_column, &groups);
        let packed_members = group_members(n, &by_column, &groups);
        StackedFields {
            n,
            width,
            by_column,
            by_row,
            groups,
            contributed,
            packed_members,
        }
    }

    /// Row `i` (one sample's fields over all groups).
    pub fn row(&self, i: usize) -> &[f64] {
        &self.by_row[i * self.width..(i + 1) * self.width]
    }

    /// `Aᵀu` of every variant: the sum of the rows at its missing calls (ΣJ per variant).
    pub fn missing_sums(&self, missing: &[Vec<u32>]) -> Vec<f64> {
        let width = self.width;
        let mut sums = vec![0.0; width * missing.len()];
        for (v, calls) in missing.iter().enumerate() {
            let out = &mut sums[v * width..(v + 1) * width];
            for &i in calls {
                for (o, w) in out.iter_mut().zip(self.row(i as usize)) {
                    *o += w;
                }
            }
        }
        sums
    }
}

/// Each group's [`StackedFields::packed_members`], from its intercept column.
fn group_members(n: usize, by_column: &[f64], groups: &[(usize, usize)]) -> Vec<Vec<u64>> {
    groups
        .iter()
        .map(|&(offset, _)| {
            let member: Vec<bool> = by_column[offset * n..(offset + 1) * n]
                .iter()
                .map(|&g| g != 0.0)
                .collect();
            packed_members(&member)
        })
        .collect()
}

/// Samples flagged in `member` as the low bits of 2-bit slots, 32 samples per word.
pub(crate) fn packed_members(member: &[bool]) -> Vec<u64> {
    let mut words = vec![0u64; member.len().div_ceil(32)];
    for (i, _) in member.iter().enumerate().filter(|(_, &m)| m) {
        words[i / 32] |= 1 << (2 * (i % 32));
    }
    words
}

/// The union of the groups' sample masks (their intercept columns, 1 on a group's samples).
fn contributed_mask(n: usize, by_column: &[f64], groups: &[(usize, usize)]) -> Vec<f64> {
    let mut mask = vec![0.0; n];
    for &(offset, _) in groups {
        for (m, &g) in mask
            .iter_mut()
            .zip(&by_column[offset * n..(offset + 1) * n])
        {
            if g != 0.0 {
                *m = 1.0;
            }
        }
    }
    mask
}
