//! Case/control phenotypes as plink2 codes them (1 control, 2 case): recognised and reported,
//! never changed — the fit equals the same values read as a quantitative phenotype.

use std::fs;

use crate::common::*;

/// Party a's phenotype file with y1 recoded 1/2 (above its median: 2) and y2 recoded 0/1/2.
fn coded_pheno(dir: &std::path::Path) -> std::path::PathBuf {
    let text = fs::read_to_string(fixtures().join("party_a.pheno")).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    let mut y1: Vec<f64> = rows.iter().filter_map(|r| r[2].parse().ok()).collect();
    y1.sort_by(f64::total_cmp);
    let median = y1[y1.len() / 2];
    for (i, r) in rows.iter().enumerate() {
        let code = |v: &str, f: &dyn Fn(f64) -> &'static str| match v.parse::<f64>() {
            Ok(x) if x != -9.0 => f(x),
            _ => "NA",
        };
        let a = code(&r[2], &|x| if x > median { "2" } else { "1" });
        let b = code(&r[3], &|_| ["0", "1", "2"][i % 3]);
        out.push_str(&format!("{}\t{}\t{a}\t{b}\n", r[0], r[1]));
    }
    let path = dir.join("coded.pheno");
    fs::write(&path, out).unwrap();
    path
}

#[test]
fn case_control_coding_is_recognised_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let pheno = coded_pheno(dir.path());
    let f = fixtures();
    let out = dir.path().join("a.parquet");
    let result = dash_ok(&[
        "compress",
        f.join("party_a.bed").to_str().unwrap(),
        "--pheno",
        pheno.to_str().unwrap(),
        "--covar",
        f.join("party_a.covar").to_str().unwrap(),
        "--covar-categorical",
        "site",
        "--out",
        out.to_str().unwrap(),
    ]);
    let log = String::from_utf8_lossy(&result.stderr);
    assert!(
        log.contains("phenotype 'y1' is coded as plink2 codes case/control (1 control, 2 case)"),
        "{log}"
    );
    assert!(
        log.contains("phenotype 'y2' holds 0, 1 and 2: plink2 would read it as case/control"),
        "{log}"
    );
}
