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
    /// Per group, whether it holds every genotype sample: then its `x0·x0` is the reader's
    /// `Σx²` over all samples ([`crate::genotype::GenotypeBlock::qc_sums_dosages`]).
    pub covers_all: Vec<bool>,
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
        let covers_all = covers_all(n, &by_column, &groups);
        StackedFields {
            n,
            width,
            by_column,
            by_row,
            groups,
            contributed,
            packed_members,
            covers_all,
        }
    }

    /// Whether the party contributes every genotype sample, so that QC counts over its samples
    /// are counts over all of them.
    pub fn contributes_all(&self) -> bool {
        self.contributed.iter().all(|&c| c != 0.0)
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
        let covers_all = covers_all(n, &by_column, &groups);
        StackedFields {
            n,
            width,
            by_column,
            by_row,
            groups,
            contributed,
            packed_members,
            covers_all,
        }
    }

    /// Row `i` (one sample's fields over all groups).
    pub fn row(&self, i: usize) -> &[f64] {
        &self.by_row[i * self.width..(i + 1) * self.width]
    }

    /// `Aᵀu` of every variant: the sum of the rows at its missing calls (ΣJ per variant).
    ///
    /// The columns are summed a fixed-width chunk at a time (8, then 4, 2, 1 columns), so each
    /// chunk's sums stay in registers (an imputed file can flag thousands of calls missing per
    /// variant). Each column is still one running sum over the missing calls in ascending
    /// order, so the sums are bit for bit those of a row-by-row loop (and of the table kernel).
    pub fn missing_sums(&self, missing: &[Vec<u32>]) -> Vec<f64> {
        let width = self.width;
        let mut sums = vec![0.0; width * missing.len()];
        for (calls, out) in missing.iter().zip(sums.chunks_exact_mut(width.max(1))) {
            let mut first = 0;
            while first < width {
                let chunk = &mut out[first..];
                first += match width - first {
                    8.. => add_rows::<8>(&self.by_row, width, first, calls, chunk),
                    4.. => add_rows::<4>(&self.by_row, width, first, calls, chunk),
                    2.. => add_rows::<2>(&self.by_row, width, first, calls, chunk),
                    _ => add_rows::<1>(&self.by_row, width, first, calls, chunk),
                };
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

/// Sums columns `first..first + L` of the rows (row-major, `width` wide) at `calls` into
/// `out[..L]`; returns `L`.
#[inline]
// Loops over `0..L` on fixed-size arrays: the compiler unrolls them into `L`-wide vector adds.
#[allow(clippy::needless_range_loop)]
fn add_rows<const L: usize>(
    by_row: &[f64],
    width: usize,
    first: usize,
    calls: &[u32],
    out: &mut [f64],
) -> usize {
    let columns = |i: u32| -> &[f64; L] {
        let at = i as usize * width + first;
        by_row[at..at + L].try_into().expect("L columns")
    };
    let mut sums = [0.0f64; L];
    for &i in calls {
        let row = columns(i);
        for k in 0..L {
            sums[k] += row[k];
        }
    }
    out[..L].copy_from_slice(&sums);
    L
}

/// Per group, whether its sample mask (its intercept column) is 1 on every sample.
fn covers_all(n: usize, by_column: &[f64], groups: &[(usize, usize)]) -> Vec<bool> {
    groups
        .iter()
        .map(|&(offset, _)| {
            by_column[offset * n..(offset + 1) * n]
                .iter()
                .all(|&m| m == 1.0)
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
