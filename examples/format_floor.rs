//! The format floor of a merge: the time to write the numbers of its GWAS-SSF rows as text,
//! with the same formatting merge uses, and nothing else (no reading, testing or compressing).
//!
//! `cargo run --release --example format_floor -- GWAS.tsv.gz [THREADS]` reads the file's rows
//! back into numbers (not timed), then formats every row again on a pool of THREADS (default:
//! all cores) in chunks of 1,024 rows as merge does: the variant's own columns as the text they
//! are (merge formats those once per window for every phenotype), beta, standard error and
//! allele frequency, the p-value from its natural log, n, t and −log10 p. It prints the rows,
//! the bytes and the wall and CPU seconds of the formatting alone, and checks that the text is
//! the file's own. Used by `scripts/bench_merge.sh`.

use std::time::Instant;

#[path = "support/cpu_seconds.rs"]
mod cpu_seconds;
#[path = "support/gwas_rows.rs"]
mod gwas_rows;
#[path = "support/inflate.rs"]
mod inflate;
#[path = "support/threads.rs"]
mod threads;
use cpu_seconds::cpu_seconds;
use gwas_rows::{format_chunks, parse_all, Row};
use inflate::inflate;
use threads::threads;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(input) = args.first() else {
        eprintln!("usage: format_floor GWAS.tsv.gz [THREADS]");
        std::process::exit(2);
    };
    let threads = threads(args.get(1));
    let text = String::from_utf8(inflate(input))
        .unwrap_or_else(|e| panic!("{input}: not UTF-8 text: {e}"));
    let (header, body) = text.split_once('\n').expect("a header line");
    let rows: Vec<Row> = parse_all(input, body);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
    let chunks: Vec<String> = pool.install(|| format_chunks(&rows));
    let (wall, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu_before);
    let bytes: usize = chunks.iter().map(String::len).sum();
    // The formatting is merge's if it gives the file's text back (a p-value's last digit may
    // differ where its natural log is taken from the text again).
    let again = chunks.concat();
    let differ = again
        .lines()
        .zip(body.lines())
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        differ * 1000 <= rows.len() && again.len().abs_diff(body.len()) <= differ,
        "{input}: {differ} rows formatted again differ from the file"
    );
    println!(
        "{} rows, {bytes} bytes in {wall:.2} s wall, {cpu:.2} s CPU ({} columns, {differ} rows differ from the file in a last digit)",
        rows.len(),
        header.split('\t').count()
    );
}
