//! Merging the three fixture parties equals an independent pooled least-squares fit.
//!
//! The oracle (`fixtures/oracle.py`, numpy `lstsq` on the full design of the pooled, mean-imputed
//! samples, p-values with mpmath) wrote `fixtures/golden/<pheno>.tsv`; nothing here shares code
//! or formulas with dash. Tolerances: 1e-9 relative in β, se, t and −log10 p; n exact.

use crate::common::*;

const TOLERANCE: f64 = 1e-9;

fn merge_all(dir: &std::path::Path) -> String {
    let parties: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|p| compress_party(dir, p))
        .collect();
    let prefix = dir.join("pooled");
    let mut args = vec!["merge"];
    args.extend(parties.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", prefix.to_str().unwrap()]);
    dash_ok(&args);
    prefix.to_str().unwrap().to_string()
}

#[test]
fn merge_equals_pooled_least_squares() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = merge_all(dir.path());
    for phenotype in ["y1", "y2"] {
        let golden = fixtures().join("golden").join(format!("{phenotype}.tsv"));
        let report = assert_matches_golden(&golden, &prefix, phenotype, TOLERANCE);
        assert!(report.tested > 1300 && report.skipped >= 2, "{report:?}");
    }
}

#[test]
fn p_value_below_f64_range_is_written_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = merge_all(dir.path());
    let results = Tsv::read(format!("{prefix}.y1.tsv.gz").as_ref()).by("rsid");
    let golden = Tsv::read(&fixtures().join("golden").join("y1.tsv")).by("variant_id");
    let huge = &results["rs1000500"];
    let neg_log10: f64 = golden["rs1000500"]["neg_log10_p"].parse().unwrap();
    assert!(
        neg_log10 > 300.0,
        "fixture's huge-effect variant must be beyond 1e-300"
    );
    // p_value text is MANTISSAeEXPONENT; its log10 must equal the oracle's.
    let (mantissa, exponent) = huge["p_value"].split_once('e').expect("scientific p-value");
    let log10 = mantissa.parse::<f64>().unwrap().log10() + exponent.parse::<f64>().unwrap();
    assert!(
        relative_error(-log10, neg_log10) < 1e-9,
        "p_value {} vs oracle -log10 p {neg_log10}",
        huge["p_value"]
    );
}
