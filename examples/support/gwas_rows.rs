//! Merge's GWAS-SSF rows as numbers, read back from a file and formatted again as merge formats
//! them, for the floor examples that time the formatting (`format_floor`, `merge_floors
//! pipeline`).

use dash::output::float_text::{push_f64, push_u64};
use dash::pvalue::push_p_value;
use rayon::prelude::*;

/// Rows formatted per task, as merge's GWAS-SSF writer.
const CHUNK: usize = 1024;

/// One row as merge holds it before formatting.
pub struct Row {
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

/// The data lines of merge's GWAS-SSF text (after its header line) as numbers.
pub fn parse_all(input: &str, body: &str) -> Vec<Row> {
    body.lines().map(|line| parse(input, line)).collect()
}

/// `rows` formatted on the current pool in chunks of [`CHUNK`] rows, as merge formats them: each
/// chunk's text, in order.
pub fn format_chunks(rows: &[Row]) -> Vec<String> {
    rows.par_chunks(CHUNK)
        .map(|rows| {
            let mut text = String::with_capacity(rows.len() * 160);
            rows.iter().for_each(|row| format(&mut text, row));
            text
        })
        .collect()
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
