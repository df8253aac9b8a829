//! Compress: one party's genotypes and sample fields → a summary of sums (DESIGN §1).
//!
//! Per group g the summary needs `Aᵀx0`, `Aᵀu` and `x0·x0` for every variant. All groups' `A`
//! are stacked side by side into one samples × ΣJ matrix `W` (zero outside a group), so every
//! group's sums come from one pass over a block of variants:
//!
//! * packed hard calls (`.bed`): per-position lookup tables, no floats per genotype
//!   ([`packed`]), while the width ΣJ is below [`GEMM_MIN_WIDTH`];
//! * real-valued dosages (DS), and hard calls at a larger width (many phenotypes): GEMM
//!   `WᵀX0` ([`dense`]; hard calls expanded to f64 a tile of variants × samples at a time);
//! * `Aᵀu` adds the rows of `W` at each missing call; `x0·x0` of group g is its sample mask
//!   dotted with `x0²`.
//!
//! A reader thread decodes blocks ahead while blocks are summed in parallel and written in order.

mod dense;
pub use dense::tile_product;
pub mod disclosure;
pub(crate) mod fields;
pub mod ld;
mod packed;
pub mod pipeline;
mod sample_sets;
mod sex_counts;
pub mod sink;

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::Result;
use crate::genotype::{BlockReader, GenotypeBlock};
use crate::samples::{Group, SampleFields};
use crate::summary::{Component, ComponentGroup, Disclosure, GroupLayout, Header, Rows, Source};

use fields::StackedFields;
use packed::PackedKernel;
pub use sink::{PlainSink, PlainStats, Sink};

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
    /// `--min-cell K` (recorded in the header; the per-variant rules of a plaintext summary,
    /// [`disclosure`]); 0 or 1 suppresses nothing.
    pub min_cell: u64,
    /// The sample and variant selection applied (`--keep`, `--chr`, …), for the header.
    pub selection: Vec<String>,
    /// `--xchr-model`, `--build`, `--split-par`: recorded in the header.
    pub sex_chromosomes: crate::summary::sex::SexChromosomes,
}

/// What a compress run did.
#[derive(Debug, Clone, Default)]
pub struct CompressStats {
    /// Variant rows written.
    pub variants: u64,
    /// Variants left out by the disclosure rules (listed in `OUT.suppressed.tsv`).
    pub suppressed: u64,
    /// Variants whose few missing calls were imputed locally.
    pub imputed: u64,
    /// Samples per group.
    pub group_sizes: Vec<usize>,
}

/// Bytes of decoded genotypes per block; bounds memory at O(N × block) whatever M is.
const BLOCK_BYTES: usize = 32 << 20;

/// Variants per block so that one block's genotypes take about [`BLOCK_BYTES`]: 8 bytes per
/// dosage, or a quarter byte per packed hard call.
pub fn default_block_size(n_samples: usize, packed: bool) -> usize {
    let per_variant = if packed {
        n_samples.div_ceil(4)
    } else {
        8 * n_samples
    };
    (BLOCK_BYTES / per_variant.max(1)).clamp(8, 4096)
}

/// Variants per block at most when packed hard calls take the GEMM kernel: there a block of
/// 4,096 variants (the packed default at N = 20,000) is a second of work at 100 phenotypes, and
/// 20,000 variants make only 5 blocks, so one of 2 workers idles through the last. Blocks of
/// 1,024 keep both busy to the end.
const GEMM_BLOCK_VARIANTS: usize = 1024;

/// The component id of a party, digested ([`crate::summary::id::component_id`]) from its
/// aggregate content — party name, group layouts, n and G per group.
///
/// Every `--region` shard compressed from the same party data gets the same id, so merge can
/// union shards and refuse double counts; G over thousands of samples makes ids of different
/// parties distinct. Only aggregates enter the digest, never a sample ID.
pub fn component_id(party: &str, layouts: &[GroupLayout], groups: &[ComponentGroup]) -> String {
    let content = serde_json::json!({ "party": party, "layouts": layouts, "groups": groups });
    crate::summary::id::component_id(content.to_string().as_bytes())
}

/// The header's record of the genotype source and what compress selected from it.
pub fn source_record(reader: &dyn BlockReader, options: &CompressOptions) -> Source {
    Source {
        format: reader.format_name().to_string(),
        file: options.source_file.clone(),
        dosage_field: reader.dosage_field().to_string(),
        orientation: reader.orientation(),
        // The VCF and BCF readers double a haploid call's DS (`genotype::haploid_ds`).
        haploid_ds_doubled: reader.dosage_field() == "DS"
            && matches!(reader.format_name(), "vcf" | "bcf"),
        selection: options.selection.clone(),
    }
}

/// Builds the summary header of a single-party file.
pub fn single_party_header(
    fields: &SampleFields,
    reader: &dyn BlockReader,
    options: &CompressOptions,
) -> Header {
    let layouts: Vec<GroupLayout> = fields.groups.iter().map(Group::layout).collect();
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
            source: source_record(reader, options),
            groups,
            disclosure: Some(disclosure_record(
                options.min_cell,
                &disclosure::PLAIN_RULES,
            )),
            parties: Vec::new(),
            case_control: fields.case_control.clone(),
            sex_source: fields.sex_source.clone(),
        }],
        groups: layouts,
        region: options.region.clone(),
        row_order: Some(crate::summary::RowOrder::Genomic),
        ld_regions: Vec::new(),
        secure: None,
        sex_chromosomes: options.sex_chromosomes,
    }
}

/// The header's record of `--min-cell` and the rules it switched on (none for K ≤ 1); the
/// counts are filled in when the file is finished.
pub fn disclosure_record(min_cell: u64, rules: &[&str]) -> Disclosure {
    Disclosure {
        min_cell: min_cell.max(1),
        rules: match min_cell > 1 {
            true => rules.iter().map(|r| r.to_string()).collect(),
            false => Vec::new(),
        },
        ..Disclosure::default()
    }
}

/// The field width ΣJ (over all groups: per group the intercept, the covariates and its
/// phenotypes) from which packed hard calls are summed by GEMM rather than by the table kernel.
///
/// Measured (`cargo test --lib kernel_crossover -- --ignored --nocapture`: N = 20,000, 2,048
/// variants, one thread; 2026-11-27, test profile, load average 8–10 from other builds): the
/// table kernel is faster up to ΣJ = 20 (ΣJ = 12, one phenotype and 10 covariates: 0.198 s
/// against 0.224 s), the two tie at 24–28, and GEMM is faster from 32 on (1.1–1.3× at 32–52,
/// 3.9× at 61 where the table kernel leaves its specialised widths, 4.5× at 111, 100
/// phenotypes). Rerun in release (2026-11-28, quiet): tables 1.7× faster at 12, GEMM 4.3–5.7×
/// from 61; between 16 and 52 within ±25 %, alternating with the width. docs/benchmarks.md has
/// both tables.
pub const GEMM_MIN_WIDTH: usize = 32;

/// How a block of packed hard calls is summed, chosen once per run from the field width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HardCallKernel {
    /// Per-position lookup tables over the packed bytes ([`packed`]).
    Tables,
    /// Calls expanded to f64 and multiplied ([`dense`]).
    Gemm,
}

impl HardCallKernel {
    /// The kernel for a stacked field width ΣJ (see [`GEMM_MIN_WIDTH`]).
    ///
    /// ```
    /// use dash::compress::HardCallKernel;
    /// assert_eq!(HardCallKernel::for_width(12), HardCallKernel::Tables);
    /// assert_eq!(HardCallKernel::for_width(111), HardCallKernel::Gemm);
    /// ```
    pub fn for_width(width: usize) -> HardCallKernel {
        match width < GEMM_MIN_WIDTH {
            true => HardCallKernel::Tables,
            false => HardCallKernel::Gemm,
        }
    }
}

/// The per-variant sums of one block, as summary rows; completes the block's decoding (see
/// [`GenotypeBlock::finish_decoding`]) and moves its variants into the rows. The QC counts are
/// taken over the contributed samples (the readers' own counts are over the whole file).
fn block_rows(summer: &BlockSummer, block: &mut GenotypeBlock) -> Rows {
    let fields = &summer.stacked;
    let hard_calls = summer.hard_calls || block.is_packed();
    let tables = summer.tables.as_ref().filter(|_| block.is_packed());
    let (product, squares, missing_sums, qc) = if let Some(kernel) = tables {
        // The kernel counts the calls and sums the missing ones itself: no per-variant scan.
        let sums = kernel.sums(block);
        (sums.product, sums.squares, sums.atu, sums.qc)
    } else {
        block.finish_decoding();
        let (product, squares) = match block.is_packed() {
            true => dense::packed_sums(fields, block),
            false => dense::sums(fields, block),
        };
        let missing_sums = fields.missing_sums(&block.missing);
        (
            product,
            squares,
            missing_sums,
            dense::counts(fields, block, hard_calls),
        )
    };
    let (b, width, groups) = (block.len(), fields.width, fields.groups.len());
    let mut rows = Rows::with_widths(fields.groups.iter().map(|&(_, j)| j));
    rows.variants = std::mem::take(&mut block.variants);
    rows.components = vec![crate::summary::ComponentSet::One(0); b];
    rows.qc = qc;
    for (g, (sums, &(offset, j))) in rows.groups.iter_mut().zip(&fields.groups).enumerate() {
        sums.atx0.reserve(b * j);
        sums.atu.reserve(b * j);
        for v in 0..b {
            let columns = v * width + offset..v * width + offset + j;
            sums.atx0.extend_from_slice(&product[columns.clone()]);
            sums.atu.extend_from_slice(&missing_sums[columns]);
            sums.x0x0.push(squares[v * groups + g]);
        }
    }
    rows
}

/// The per-block kernel of every compress: sums one decoded block into summary rows (one
/// component, the party's own orientation).
pub struct BlockSummer {
    stacked: StackedFields,
    /// The table kernel, built only when it is the hard-call kernel (its per-sample rows take
    /// 16 bytes per sample and lane).
    tables: Option<PackedKernel>,
    /// Whether the reader's dense dosages are hard calls (`GT`), to be counted as genotypes.
    hard_calls: bool,
    /// The chrX record, when its model codes males 0..1 (`--xchr-model 1`): there a male's
    /// coded dosage (0, ½, 1) is not a genotype, so those rows get no genotype counts.
    males_halved: Option<crate::summary::sex::SexChromosomes>,
    /// The sex-chromosome sample sets' sums, when the party has sets ([`sample_sets`]).
    sample_sets: Option<sample_sets::SampleSetSums>,
    /// The per-sex non-PAR chrX QC counts, when the party's sexes are known ([`sex_counts`]).
    sex_counts: Option<sex_counts::SexCounter>,
}

impl BlockSummer {
    /// Prepares the kernels for these sample fields, choosing the hard-call kernel by their
    /// width ([`HardCallKernel::for_width`]); `hard_calls` when the reader's dosages are hard
    /// calls (`GT`), so that dense blocks get genotype counts too.
    pub fn new(fields: &SampleFields, hard_calls: bool) -> BlockSummer {
        let main = fields.only_groups(|g| g.sample_set.is_none());
        let stacked = StackedFields::new(&main);
        let kernel = HardCallKernel::for_width(stacked.width);
        BlockSummer::with_kernel(stacked, kernel, hard_calls)
    }

    /// Prepares the kernels with a given hard-call kernel (for tests and measurements).
    fn with_kernel(
        stacked: StackedFields,
        kernel: HardCallKernel,
        hard_calls: bool,
    ) -> BlockSummer {
        let tables = match kernel {
            HardCallKernel::Tables => Some(PackedKernel::new(&stacked)),
            HardCallKernel::Gemm => None,
        };
        BlockSummer {
            stacked,
            tables,
            hard_calls,
            males_halved: None,
            sample_sets: None,
            sex_counts: None,
        }
    }

    /// The hard-call kernel this summer uses.
    pub fn hard_call_kernel(&self) -> HardCallKernel {
        match self.tables {
            Some(_) => HardCallKernel::Tables,
            None => HardCallKernel::Gemm,
        }
    }

    /// Under `--xchr-model 1` (see [`crate::genotype::xchr`]), the non-PAR chrX rows carry the
    /// dosage sums of the coded calls but no hom-REF/het/hom-ALT counts, as for `DS`: a male's
    /// coded ½ or 1 is not a genotype. Other models change nothing.
    pub fn with_chrx(mut self, record: crate::summary::sex::SexChromosomes) -> BlockSummer {
        use crate::summary::sex::XchrModel;
        self.males_halved = (record.xchr_model == XchrModel::Haploid).then_some(record);
        self
    }

    /// Sums the sex-chromosome sample sets of `fields` too (non-PAR chrX and chrY rows), after
    /// the main groups.
    pub fn with_sample_sets(
        mut self,
        fields: &SampleFields,
        record: crate::summary::sex::SexChromosomes,
    ) -> BlockSummer {
        self.sample_sets = sample_sets::SampleSetSums::new(fields, self.hard_calls, record);
        self
    }

    /// Counts the non-PAR chrX calls by sex too ([`sex_counts`]), unless a sex has 1 … K−1
    /// contributed samples (`min_cell` K) or no sex is known.
    pub fn with_sex_counts(
        mut self,
        fields: &SampleFields,
        record: crate::summary::sex::SexChromosomes,
        min_cell: u64,
    ) -> BlockSummer {
        self.sex_counts = sex_counts::SexCounter::new(
            fields,
            &self.stacked.contributed,
            record,
            self.hard_calls,
            min_cell,
        );
        self
    }

    /// Genotype samples (rows of the stacked fields).
    pub fn n_samples(&self) -> usize {
        self.stacked.n
    }

    /// The rows of one block, as read (this completes its decoding and moves its variants and
    /// counts into the rows).
    pub fn rows(&self, block: &mut GenotypeBlock) -> Rows {
        let scoped = self
            .sample_sets
            .as_ref()
            .and_then(|sets| sets.scoped(block));
        let mut rows = block_rows(self, block);
        if let Some(counter) = &self.sex_counts {
            counter.fill(block, &mut rows);
        }
        if let Some(sets) = &self.sample_sets {
            sets.append(&mut rows, scoped);
        }
        if let Some(record) = &self.males_halved {
            for (v, qc) in rows.variants.iter().zip(rows.qc.iter_mut()) {
                if record.is_sex_modelled(&v.chrom, v.pos) {
                    (qc.hom_ref, qc.het, qc.hom_alt) = (0, 0, 0);
                }
            }
        }
        rows
    }
}

/// Runs compress: reads every block of `reader`, writes the plaintext summary to `out`.
pub fn compress(
    reader: &mut dyn BlockReader,
    fields: &SampleFields,
    options: &CompressOptions,
    out: &Path,
) -> Result<CompressStats> {
    compress_with_ld(reader, fields, options, None, out)
}

/// The per-variant disclosure rules of a plaintext compress of `reader` ([`disclosure`]).
pub fn variant_rules(
    reader: &dyn BlockReader,
    fields: &SampleFields,
    options: &CompressOptions,
) -> disclosure::VariantRules {
    disclosure::VariantRules {
        min_cell: options.min_cell,
        hard_calls: reader.dosage_field() == "GT",
        group_sizes: fields.groups.iter().map(|g| g.n()).collect(),
        group_labels: fields
            .groups
            .iter()
            .map(|g| g.phenotypes.join(","))
            .collect(),
    }
}

/// [`compress`], with the pairwise sums of LD regions ([`ld::compute`]) in the region rows.
pub fn compress_with_ld(
    reader: &mut dyn BlockReader,
    fields: &SampleFields,
    options: &CompressOptions,
    ld: Option<ld::LdSums>,
    out: &Path,
) -> Result<CompressStats> {
    let mut header = single_party_header(fields, reader, options);
    let rules = variant_rules(reader, fields, options);
    let sink = match ld {
        Some(ld) => {
            header.ld_regions = ld.regions.clone();
            PlainSink::create(out, &header)?.with_ld(ld)
        }
        None => PlainSink::create(out, &header)?,
    };
    let stats = compress_into(reader, fields, options, &rules, sink)?;
    Ok(CompressStats {
        variants: stats.rows,
        suppressed: stats.suppressed,
        imputed: stats.imputed,
        group_sizes: fields.groups.iter().map(|g| g.n()).collect(),
    })
}

/// The compress driver: reads every block of `reader`, sums it in the worker pool, encodes it
/// with `encoder` and hands it to `sink` in file order; returns the sink's stats.
pub fn compress_into<S: Sink>(
    reader: &mut dyn BlockReader,
    fields: &SampleFields,
    options: &CompressOptions,
    encoder: &S::Encoder,
    mut sink: S,
) -> Result<S::Stats> {
    let summer = BlockSummer::new(fields, reader.dosage_field() == "GT")
        .with_chrx(options.sex_chromosomes)
        .with_sample_sets(fields, options.sex_chromosomes)
        .with_sex_counts(fields, options.sex_chromosomes, options.min_cell);
    let block_size = options.block_size.unwrap_or_else(|| {
        let packed = reader.delivers_packed();
        let size = default_block_size(summer.n_samples(), packed);
        match packed && summer.hard_call_kernel() == HardCallKernel::Gemm {
            true => size.min(GEMM_BLOCK_VARIANTS),
            false => size,
        }
    });
    let progress = if options.progress {
        ProgressBar::new(reader.variant_count_hint().unwrap_or(0))
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template(&format!(
            "{} {{bar:40}} {{pos}}/{{len}} variants {{per_sec}} eta {{eta}}",
            S::LABEL
        ))
        .expect("valid template"),
    );
    pipeline::for_each_block(
        reader,
        block_size,
        |block| S::encode(encoder, summer.rows(block)),
        |block| {
            progress.inc(sink.write(block?)?);
            Ok(())
        },
    )?;
    progress.finish_and_clear();
    sink.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use packed::tests::packed_block;

    /// Stacked fields of two groups over `n` samples: group 0 every sample but each fifth,
    /// group 1 the even samples, each `j` wide (intercept mask, then arbitrary values).
    fn two_groups(n: usize, j: usize) -> StackedFields {
        let width = 2 * j;
        let by_row = (0..n * width)
            .map(|k| {
                let (i, c) = (k / width, k % width);
                let (group, column) = (c / j, c % j);
                let member = match group {
                    0 => i % 5 != 0,
                    _ => i % 2 == 0,
                };
                match (member, column) {
                    (false, _) => 0.0,
                    (true, 0) => 1.0,
                    (true, _) => (k as f64 * 0.37).sin() * 3.0,
                }
            })
            .collect();
        StackedFields::from_rows(n, by_row, vec![(0, j), (j, j)])
    }

    /// The GEMM path on packed hard calls gives the table kernel's sums (to rounding) and the
    /// same counts, missing calls included, over two groups with different samples.
    #[test]
    fn gemm_and_tables_agree_on_hard_calls() {
        for (n, j, variants) in [(37usize, 3usize, 11usize), (301, 20, 40), (1003, 56, 700)] {
            let block = packed_block(n, variants, |i| (i * 131 % 251) as u8);
            let tables = BlockSummer::with_kernel(two_groups(n, j), HardCallKernel::Tables, true);
            let gemm = BlockSummer::with_kernel(two_groups(n, j), HardCallKernel::Gemm, true);
            assert_eq!(gemm.hard_call_kernel(), HardCallKernel::Gemm);
            let (a, b) = (
                tables.rows(&mut block.clone()),
                gemm.rows(&mut block.clone()),
            );
            assert_eq!(a.qc, b.qc);
            assert_eq!(a.variants.len(), variants);
            let close = |x: &[f64], y: &[f64]| {
                assert_eq!(x.len(), y.len());
                for (x, y) in x.iter().zip(y) {
                    assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "n={n} {x} vs {y}");
                }
            };
            for (ga, gb) in a.groups.iter().zip(&b.groups) {
                close(&ga.atx0, &gb.atx0);
                close(&ga.atu, &gb.atu);
                close(&ga.x0x0, &gb.x0x0);
            }
        }
    }

    /// The width is what picks the kernel.
    #[test]
    fn width_picks_the_kernel() {
        let by_width = |stacked: StackedFields| {
            let kernel = HardCallKernel::for_width(stacked.width);
            BlockSummer::with_kernel(stacked, kernel, true)
        };
        let narrow = by_width(two_groups(10, GEMM_MIN_WIDTH / 2 - 1));
        assert_eq!(narrow.hard_call_kernel(), HardCallKernel::Tables);
        let wide = by_width(two_groups(10, GEMM_MIN_WIDTH / 2));
        assert_eq!(wide.hard_call_kernel(), HardCallKernel::Gemm);
    }
}

#[cfg(test)]
mod speed {
    use super::*;
    use packed::tests::packed_block;

    /// Where GEMM overtakes the table kernel on packed hard calls: seconds per block of 2,048
    /// variants over N = 20,000 samples (no missing calls), one thread, for widths ΣJ of 1 + 10 covariates + 1 to
    /// 100 phenotypes; a measurement, not a check (it sets [`GEMM_MIN_WIDTH`]):
    /// `cargo test --release --lib kernel_crossover -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn kernel_crossover() {
        let (n, b) = (20_000usize, 2_048usize);
        // Random calls without missing ones (a missing call, 01, becomes hom-REF, 11): the
        // dense benchmark data have none, and both paths sum missing calls the same way.
        let block = packed_block(n, b, |i| {
            let x = ((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 37) as u8;
            x | ((x & !(x >> 1) & 0x55) << 1)
        });
        for width in [12usize, 16, 20, 24, 28, 32, 36, 44, 52, 61, 111] {
            let by_row: Vec<f64> = (0..n * width)
                .map(|k| match k % width {
                    0 => 1.0,
                    _ => (k as f64 * 0.37).sin(),
                })
                .collect();
            let fields = || StackedFields::from_rows(n, by_row.clone(), vec![(0, width)]);
            let mut best = [f64::MAX; 2];
            for _ in 0..3 {
                for (k, kernel) in [HardCallKernel::Tables, HardCallKernel::Gemm]
                    .into_iter()
                    .enumerate()
                {
                    let summer = BlockSummer::with_kernel(fields(), kernel, true);
                    let t = std::time::Instant::now();
                    std::hint::black_box(summer.rows(&mut block.clone()));
                    best[k] = best[k].min(t.elapsed().as_secs_f64());
                }
            }
            println!(
                "width {width:>3}: tables {:.3} s, gemm {:.3} s, tables/gemm {:.2}",
                best[0],
                best[1],
                best[0] / best[1]
            );
        }
    }
}
