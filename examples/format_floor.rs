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

use dash::output::float_text::{push_f64, push_u64};
use dash::pvalue::push_p_value;
use rayon::prelude::*;

#[path = "support/cpu_seconds.rs"]
mod cpu_seconds;
#[path = "support/inflate.rs"]
mod inflate;
#[path = "support/threads.rs"]
mod threads;
use cpu_seconds::cpu_seconds;
use inflate::inflate;
use threads::threads;

/// Rows formatted per task, as merge's GWAS-SSF writer.
const CHUNK: usize = 1024;

/// One row as merge holds it before formatting.
struct Row {
    /// Chromosome, position, effect and other allele, each followed by a tab.
    head: String,
    beta: f64,
    se: f64,
    /// `None`: written as missing.
    eaf: Option<f64>,
    ln_p: f64,
    /// variant_id and rsid, each followed by a tab.
    middle: String,
    n: u64,
    t: f64,
    neg_log10_p: f64,
    /// source_id and anything after it.
    tail: String,
}

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
    let rows: Vec<Row> = body.lines().map(|line| parse(input, line)).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
    let chunks: Vec<String> = pool.install(|| {
        rows.par_chunks(CHUNK)
            .map(|rows| {
                let mut out = String::with_capacity(rows.len() * 160);
                rows.iter().for_each(|row| format(&mut out, row));
                out
            })
            .collect()
    });
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

/// Appends `row` as merge writes it (`output::gwas_ssf::push_rows`).
fn format(out: &mut String, row: &Row) {
    out.push_str(&row.head);
    push_f64(out, row.beta);
    out.push('\t');
    push_f64(out, row.se);
    out.push('\t');
    match row.eaf {
        Some(eaf) => push_f64(out, eaf),
        None => out.push_str(dash::output::MISSING),
    }
    out.push('\t');
    push_p_value(out, row.ln_p);
    out.push('\t');
    out.push_str(&row.middle);
    push_u64(out, row.n);
    out.push('\t');
    push_f64(out, row.t);
    out.push('\t');
    push_f64(out, row.neg_log10_p);
    out.push('\t');
    out.push_str(&row.tail);
    out.push('\n');
}

/// A data line of merge's GWAS-SSF file (columns in merge's order) as numbers.
fn parse(input: &str, line: &str) -> Row {
    let fields: Vec<&str> = line.split('\t').collect();
    assert!(fields.len() >= 14, "{input}: short line '{line}'");
    let number = |k: usize| -> f64 {
        fields[k]
            .parse()
            .unwrap_or_else(|_| panic!("{input}: column {} is '{}'", k + 1, fields[k]))
    };
    let neg_log10_p = number(12);
    Row {
        head: fields[..4].iter().map(|f| format!("{f}\t")).collect(),
        beta: number(4),
        se: number(5),
        eaf: (fields[6] != dash::output::MISSING).then(|| number(6)),
        // Merge formats the p-value from its natural log: taken from the p-value's text, or
        // from −log10 p where p is below the smallest f64.
        ln_p: match fields[7].parse::<f64>() {
            Ok(p) if p.is_normal() => p.ln(),
            _ => -neg_log10_p * std::f64::consts::LN_10,
        },
        middle: fields[8..10].iter().map(|f| format!("{f}\t")).collect(),
        n: fields[10]
            .parse()
            .unwrap_or_else(|_| panic!("{input}: n is '{}'", fields[10])),
        t: number(11),
        neg_log10_p,
        tail: fields[13..].join("\t"),
    }
}
