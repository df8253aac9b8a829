//! Merging the three fixture parties equals an independent pooled least-squares fit.
//!
//! The oracle (`fixtures/oracle.py`, numpy `lstsq` on the full design of the pooled, mean-imputed
//! samples, p-values with mpmath) wrote `fixtures/golden/<pheno>.tsv`; nothing here shares code
//! or formulas with dash. Tolerances: 1e-9 relative in β, se, t and −log10 p; n exact.

mod common;

use common::*;

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
        let golden = Tsv::read(&fixtures().join("golden").join(format!("{phenotype}.tsv")));
        let results = Tsv::read(format!("{prefix}.{phenotype}.tsv.gz").as_ref()).by("rsid");
        let skipped =
            Tsv::read(format!("{prefix}.{phenotype}.skipped.tsv").as_ref()).by("variant_id");
        let mut worst = [0.0f64; 5];
        let mut tested = 0;
        for row in &golden.rows {
            let get = |name: &str| row[golden.column(name)].as_str();
            let id = get("variant_id");
            if get("status") != "ok" {
                let skip = skipped
                    .get(id)
                    .unwrap_or_else(|| panic!("{phenotype} {id}: not in skipped list"));
                assert_eq!(skip["reason"], get("status"), "{phenotype} {id}");
                assert!(
                    !results.contains_key(id),
                    "{phenotype} {id} tested but the oracle skips it"
                );
                continue;
            }
            let ours = results
                .get(id)
                .unwrap_or_else(|| panic!("{phenotype} {id}: missing from output"));
            assert_eq!(ours["effect_allele"], get("effect_allele"), "{id}");
            assert_eq!(ours["other_allele"], get("other_allele"), "{id}");
            assert_eq!(ours["n"], get("n"), "{phenotype} {id}: n");
            let pairs = [
                ("beta", "beta"),
                ("standard_error", "se"),
                ("t_statistic", "t"),
                ("neg_log_10_p_value", "neg_log10_p"),
                ("effect_allele_frequency", "eaf"),
            ];
            for (k, (ours_name, golden_name)) in pairs.iter().enumerate() {
                let a: f64 = ours[*ours_name].parse().unwrap();
                let b: f64 = get(golden_name).parse().unwrap();
                let err = relative_error(a, b);
                assert!(
                    err <= TOLERANCE,
                    "{phenotype} {id} {ours_name}: dash {a} vs oracle {b} (relative error {err:e})"
                );
                worst[k] = worst[k].max(err);
            }
            tested += 1;
        }
        assert_eq!(
            tested,
            results.len(),
            "{phenotype}: dash tested variants the oracle did not"
        );
        eprintln!(
            "{phenotype}: {tested} variants, worst relative error beta {:.1e}, se {:.1e}, t {:.1e}, -log10 p {:.1e}, eaf {:.1e}",
            worst[0], worst[1], worst[2], worst[3], worst[4]
        );
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
