//! The read floor of a merge: the time to read every row of every summary given, with the
//! checks merge makes (checksum, header, values, order), and do nothing with them.
//!
//! `cargo run --release --example read_floor -- SUMMARY…` prints the rows read and the seconds.
//! Used by `scripts/bench_merge.sh`.

use std::time::Instant;

use rayon::prelude::*;

fn main() {
    // As `dash` itself does.
    dash::malloc_tuning::keep_freed_memory();
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let started = Instant::now();
    let rows: usize = paths
        .par_iter()
        .map(|path| {
            let mut stream =
                dash::summary::read::open_stream(path, None).unwrap_or_else(|e| panic!("{e}"));
            let mut rows = 0;
            while let Some(batch) = stream.next_rows().unwrap_or_else(|e| panic!("{e}")) {
                rows += batch.len();
            }
            rows
        })
        .sum();
    println!("{rows} rows in {:.2} s", started.elapsed().as_secs_f64());
}
