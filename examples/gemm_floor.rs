//! The GEMM floor of a many-phenotype compress: the time of the products `WᵀX0` that compress's
//! GEMM kernel computes for `.bed` hard calls, with no reading, decoding, expansion or writing.
//!
//! `cargo run --release --example gemm_floor -- N M PHENOTYPES [COVARIATES] [THREADS]`
//! (defaults: 10 covariates, all cores) multiplies `Wᵀ` (the field width `1 + COVARIATES +
//! PHENOTYPES` columns of N samples) by the dosages of M variants as compress does: blocks of
//! 1,024 variants summed in parallel on a rayon pool, each with faer on one thread
//! (`Par::Seq`), a tile of 256 variants × 512 samples at a time accumulated into the block's
//! sums. The tiles hold fixed dosages (0, 1, 2) filled before the clock starts, so what is timed
//! is the arithmetic alone; it prints the wall and CPU seconds. `scripts/bench_phenotypes.sh`
//! sets compress against it.

use std::time::Instant;

use faer::MatRef;
use rayon::prelude::*;

#[path = "support/cpu_seconds.rs"]
mod cpu_seconds;
use cpu_seconds::cpu_seconds;

/// Variants per block of the GEMM kernel (`GEMM_BLOCK_VARIANTS` in `src/compress/mod.rs`).
const BLOCK_VARIANTS: usize = 1024;
/// Variants per tile (`TILE_VARIANTS` in `src/compress/dense.rs`).
const TILE_VARIANTS: usize = 256;
/// Samples per tile (`TILE_SAMPLES` in `src/compress/dense.rs`).
const TILE_SAMPLES: usize = 512;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |k: usize, default: Option<usize>| -> usize {
        match (args.get(k), default) {
            (Some(text), _) => text
                .parse()
                .unwrap_or_else(|_| panic!("argument {} '{text}' is not a number", k + 1)),
            (None, Some(value)) => value,
            (None, None) => {
                eprintln!("usage: gemm_floor N M PHENOTYPES [COVARIATES] [THREADS]");
                std::process::exit(2);
            }
        }
    };
    let (n, m, phenotypes) = (number(0, None), number(1, None), number(2, None));
    let covariates = number(3, Some(10));
    let threads = number(4, Some(rayon::current_num_threads()));
    let width = 1 + covariates + phenotypes;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    // Stacked fields, sample-major like compress's `StackedFields::by_column`; any finite values
    // cost the same.
    let by_column: Vec<f64> = (0..n * width).map(|k| ((k as f64) * 0.618).sin()).collect();
    let tile: Vec<f64> = (0..TILE_SAMPLES * TILE_VARIANTS)
        .map(|k| (k * 7 % 3) as f64)
        .collect();
    let blocks = m.div_ceil(BLOCK_VARIANTS);
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
    let checksum: f64 = pool.install(|| {
        (0..blocks)
            .into_par_iter()
            .map(|b| {
                let variants = BLOCK_VARIANTS.min(m - b * BLOCK_VARIANTS);
                block_sums(&by_column, n, width, &tile, variants)
            })
            .sum()
    });
    println!(
        "GEMM of width {width} ({covariates} covariates, {phenotypes} phenotypes) over N={n}, M={m} on {threads} threads: {:.2} s wall, {:.2} s CPU ({:.1} GFLOP; checksum {checksum:.3e})",
        started.elapsed().as_secs_f64(),
        cpu_seconds() - cpu_before,
        2.0 * (n * width * m) as f64 / 1e9
    );
}

/// One block's `WᵀX0` (`width` sums per variant), tile by tile with compress's own
/// [`dash::compress::tile_product`] as `dense::packed_sums` does, with every tile's dosages
/// `tile`; returns the sum of the block's sums so that nothing is optimised
/// away.
fn block_sums(by_column: &[f64], n: usize, width: usize, tile: &[f64], variants: usize) -> f64 {
    let stacked = MatRef::from_column_major_slice(by_column, n, width);
    let mut product = vec![0.0; width * variants];
    for (first, sums) in (0..variants)
        .step_by(TILE_VARIANTS)
        .zip(product.chunks_mut(width * TILE_VARIANTS))
    {
        let count = TILE_VARIANTS.min(variants - first);
        for start in (0..n).step_by(TILE_SAMPLES) {
            let rows = TILE_SAMPLES.min(n - start);
            dash::compress::tile_product(
                sums,
                stacked.subrows(start, rows),
                &tile[..rows * count],
                start == 0,
            );
        }
    }
    product.iter().sum()
}
