//! Compress: one party's genotypes and sample fields → a summary of sums (DESIGN §1).
//!
//! Per group g the summary needs `Aᵀx0`, `Aᵀu` and `x0·x0` for every variant. All groups' `A`
//! are stacked side by side into one samples × ΣJ matrix `W` (zero outside a group), so a block
//! of B variants costs one GEMM `WᵀX0` (ΣJ × B); `Aᵀu` adds the rows of `W` at each missing call,
//! and `x0·x0` of group g is the group's intercept column (its sample mask) dotted with `x0²`.
//! Blocks are decoded in order, computed in parallel, and written in order.

use std::path::Path;

use faer::{Accum, MatMut, MatRef, Par};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::error::Result;
use crate::genotype::{BlockReader, GenotypeBlock, Orientation};
use crate::samples::SampleFields;
use crate::summary::{Component, ComponentGroup, GroupLayout, Header, Rows, Source, SummaryWriter};

/// Options of one compress run.
#[derive(Debug, Clone)]
pub struct CompressOptions {
    /// The party's name in the summary.
    pub party: String,
    /// Genotype file name recorded in the summary.
    pub source_file: String,
    /// `--region`, recorded for shards.
    pub region: Option<String>,
    /// Variants per block; `None` picks from the sample count.
    pub block_size: Option<usize>,
    /// Show a progress bar on stderr (hidden anyway when stderr is not a terminal).
    pub progress: bool,
}

/// What a compress run did.
#[derive(Debug, Clone, Default)]
pub struct CompressStats {
    /// Variant rows written.
    pub variants: u64,
    /// Samples per group.
    pub group_sizes: Vec<usize>,
}

/// Dosage matrix bytes per block; bounds memory at O(N × block) whatever M is.
const BLOCK_BYTES: usize = 32 << 20;

/// Picks variants per block so that one block's dosages take about [`BLOCK_BYTES`].
pub fn default_block_size(n_samples: usize) -> usize {
    (BLOCK_BYTES / (8 * n_samples.max(1))).clamp(8, 1024)
}

/// The component id of a party: 128 bits (hex) digested from its aggregate content — party
/// name, group layouts, n and G per group.
///
/// Every `--region` shard compressed from the same party data gets the same id, so merge can
/// union shards and refuse double counts; G over thousands of samples makes ids of different
/// parties distinct. Only aggregates enter the digest, never a sample ID.
pub fn component_id(party: &str, layouts: &[GroupLayout], groups: &[ComponentGroup]) -> String {
    use md5::{Digest, Md5};
    let content = serde_json::json!({ "party": party, "layouts": layouts, "groups": groups });
    let digest = Md5::digest(content.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds the summary header of a single-party file.
pub fn single_party_header(
    fields: &SampleFields,
    reader: &dyn BlockReader,
    options: &CompressOptions,
) -> Header {
    let orientation = match reader.orientation() {
        Orientation::Reference => "reference",
        Orientation::Plink1 => "plink1",
    };
    let layouts: Vec<GroupLayout> = fields
        .groups
        .iter()
        .map(|g| GroupLayout {
            phenotypes: g.phenotypes.clone(),
            fields: g.fields.clone(),
            shift: g.shift.clone(),
        })
        .collect();
    let groups: Vec<ComponentGroup> = fields
        .groups
        .iter()
        .map(|g| ComponentGroup {
            n: g.n() as u64,
            gram: g.gram(),
        })
        .collect();
    Header {
        format: crate::summary::FORMAT_NAME.to_string(),
        format_version: crate::summary::FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        components: vec![Component {
            id: component_id(&options.party, &layouts, &groups),
            party: options.party.clone(),
            source: Source {
                format: reader.format_name().to_string(),
                file: options.source_file.clone(),
                dosage_field: reader.dosage_field().to_string(),
                orientation: orientation.to_string(),
            },
            groups,
        }],
        groups: layouts,
        region: options.region.clone(),
    }
}

/// The sample-field matrix in the two layouts the kernel needs.
struct Stacked {
    n: usize,
    /// ΣJ.
    width: usize,
    /// Column-major n × ΣJ, for the GEMM.
    by_column: Vec<f64>,
    /// Row-major n × ΣJ, for gathering rows at missing calls.
    by_row: Vec<f64>,
    /// First column of each group, and its width.
    groups: Vec<(usize, usize)>,
}

impl Stacked {
    fn new(fields: &SampleFields) -> Stacked {
        let (by_column, offsets) = fields.stacked_matrix();
        let n = fields.n_genotype_samples;
        let width = by_column.len() / n.max(1);
        let mut by_row = vec![0.0; by_column.len()];
        for c in 0..width {
            for i in 0..n {
                by_row[i * width + c] = by_column[c * n + i];
            }
        }
        let groups = offsets
            .iter()
            .zip(&fields.groups)
            .map(|(&o, g)| (o, g.fields.len()))
            .collect();
        Stacked {
            n,
            width,
            by_column,
            by_row,
            groups,
        }
    }

    /// The per-variant sums of one decoded block.
    fn sums(&self, block: &GenotypeBlock) -> Rows {
        let b = block.len();
        let (n, width) = (self.n, self.width);
        // WᵀX0: ΣJ × B, column-major (one variant's sums contiguous).
        let mut product = vec![0.0; width * b];
        faer::linalg::matmul::matmul(
            MatMut::from_column_major_slice_mut(&mut product, width, b),
            Accum::Replace,
            MatRef::from_column_major_slice(&self.by_column, n, width).transpose(),
            MatRef::from_column_major_slice(&block.dosages, n, b),
            1.0,
            Par::Seq,
        );
        let mut missing_sums = vec![0.0; width * b];
        for (v, missing) in block.missing.iter().enumerate() {
            let out = &mut missing_sums[v * width..(v + 1) * width];
            for &i in missing {
                let row = &self.by_row[i as usize * width..(i as usize + 1) * width];
                for (o, w) in out.iter_mut().zip(row) {
                    *o += w;
                }
            }
        }

        let mut rows = Rows::with_widths(self.groups.iter().map(|&(_, j)| j));
        rows.variants = block.variants.clone();
        rows.components = vec![vec![0]; b];
        rows.qc = block.qc.clone();
        for (sums, &(offset, j)) in rows.groups.iter_mut().zip(&self.groups) {
            let mask = &self.by_column[offset * n..(offset + 1) * n];
            sums.atx0.reserve(b * j);
            for v in 0..b {
                sums.atx0
                    .extend_from_slice(&product[v * width + offset..v * width + offset + j]);
                sums.atu
                    .extend_from_slice(&missing_sums[v * width + offset..v * width + offset + j]);
                let x0 = &block.dosages[v * n..(v + 1) * n];
                sums.x0x0
                    .push(x0.iter().zip(mask).map(|(x, m)| m * x * x).sum());
            }
        }
        rows
    }
}

/// Runs compress: reads every block of `reader`, writes the summary to `out`.
pub fn compress(
    reader: &mut dyn BlockReader,
    fields: &SampleFields,
    options: &CompressOptions,
    out: &Path,
) -> Result<CompressStats> {
    let header = single_party_header(fields, reader, options);
    let stacked = Stacked::new(fields);
    let block_size = options
        .block_size
        .unwrap_or_else(|| default_block_size(stacked.n));
    let mut writer = SummaryWriter::create(out, &header)?;

    let progress = if options.progress {
        ProgressBar::new(reader.variant_count_hint().unwrap_or(0))
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("compress {bar:40} {pos}/{len} variants {per_sec} eta {eta}")
            .expect("valid template"),
    );

    // Decode a batch of blocks in order, then compute them in parallel.
    let batch_len = 2 * rayon::current_num_threads();
    let mut blocks: Vec<GenotypeBlock> = (0..batch_len).map(|_| GenotypeBlock::default()).collect();
    let mut stats = CompressStats {
        variants: 0,
        group_sizes: fields.groups.iter().map(|g| g.n()).collect(),
    };
    loop {
        let mut filled = 0;
        for block in blocks.iter_mut() {
            if !reader.read_block(block_size, block)? {
                break;
            }
            filled += 1;
        }
        if filled == 0 {
            break;
        }
        let results: Vec<Rows> = blocks[..filled]
            .par_iter()
            .map(|block| stacked.sums(block))
            .collect();
        for rows in &results {
            writer.write(rows)?;
            stats.variants += rows.len() as u64;
            progress.inc(rows.len() as u64);
        }
        if filled < batch_len {
            break;
        }
    }
    progress.finish_and_clear();
    writer.finish()?;
    Ok(stats)
}
