//! Checks `dash::pvalue` against 60-digit mpmath values.
//!
//! tests/data/pvalue_golden.tsv (df, t, -log10 p) is produced by
//! scripts/pvalue_golden.py; rerun that script to regenerate it.

use dash::pvalue::{format_p_value, ln_two_sided_p, neg_log10_p};

/// Required relative accuracy of -log10 p.
const MAX_REL_ERR: f64 = 1e-12;

struct Row {
    df: f64,
    t: f64,
    neg_log10_p: f64,
}

fn golden_rows() -> Vec<Row> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pvalue_golden.tsv");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("df\tt\tneg_log10_p"),
        "unexpected header in {path}"
    );
    let rows: Vec<Row> = lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 3, "bad row {line:?}");
            let num = |s: &str| {
                s.parse::<f64>()
                    .unwrap_or_else(|e| panic!("bad number {s:?}: {e}"))
            };
            Row {
                df: num(fields[0]),
                t: num(fields[1]),
                neg_log10_p: num(fields[2]),
            }
        })
        .collect();
    assert!(
        rows.len() >= 100,
        "golden table unexpectedly small: {} rows",
        rows.len()
    );
    rows
}

fn rel_err(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

#[test]
fn neg_log10_p_matches_golden_table() {
    let rows = golden_rows();
    let mut worst: Option<(f64, &Row, f64)> = None;
    for row in &rows {
        for t in [row.t, -row.t] {
            let got = neg_log10_p(ln_two_sided_p(t, row.df));
            let err = if got.is_finite() {
                rel_err(got, row.neg_log10_p)
            } else {
                f64::INFINITY
            };
            if worst.as_ref().is_none_or(|w| err > w.0) {
                worst = Some((err, row, got));
            }
        }
    }
    let (err, row, got) = worst.expect("no rows");
    let summary = format!(
        "worst relative error {err:.3e} at df={} t={}: got {got:.17e}, want {:.17e}",
        row.df, row.t, row.neg_log10_p
    );
    println!("{summary} ({} rows)", rows.len());
    assert!(err <= MAX_REL_ERR, "{summary}");
}

/// log10 p read back from `format_p_value` text as mantissa and exponent
/// (not through f64, which would underflow below ~1e-308).
fn parse_log10(text: &str) -> f64 {
    let (mantissa, exponent) = text
        .split_once('e')
        .unwrap_or_else(|| panic!("no exponent in {text:?}"));
    let mantissa: f64 = mantissa
        .parse()
        .unwrap_or_else(|e| panic!("bad mantissa in {text:?}: {e}"));
    let exponent: i64 = exponent
        .parse()
        .unwrap_or_else(|e| panic!("bad exponent in {text:?}: {e}"));
    assert!(
        (1.0..10.0).contains(&mantissa),
        "mantissa out of [1, 10) in {text:?}"
    );
    exponent as f64 + mantissa.log10()
}

#[test]
fn format_p_value_round_trips_golden_rows() {
    let rows = golden_rows();
    // p ~ 0.92, ~0.1, ~1e-23, ~1e-197, and three far below f64's range
    // (~1e-2163, ~1e-150518, ~1e-1002164).
    let picks = [
        (5.0, 0.1),
        (10.0, 2.0),
        (1e6, 10.0),
        (1e6, 30.0),
        (1e6, 100.0),
        (1e6, 1000.0),
        (1e6, 1e4),
    ];
    for (df, t) in picks {
        let row = rows
            .iter()
            .find(|r| r.df == df && r.t == t)
            .unwrap_or_else(|| panic!("golden row df={df} t={t} missing"));
        let text = format_p_value(ln_two_sided_p(t, df));
        let want = -row.neg_log10_p;
        let got = parse_log10(&text);
        assert!(
            rel_err(got, want) <= 1e-9,
            "df={df} t={t}: {text:?} is log10 p = {got}, want {want}"
        );
    }
    let far = format_p_value(ln_two_sided_p(1e4, 1e6));
    assert!(far.ends_with("e-1002164"), "{far}");
}
