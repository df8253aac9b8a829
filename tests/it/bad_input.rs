//! Every bad input gets a one-line error naming the file and the problem, a non-zero exit, and
//! no output file (not even a temporary one).

use std::fs;
use std::path::Path;

use crate::common::*;

fn path(prefix: &Path, ext: &str) -> String {
    format!("{}.{ext}", prefix.display())
}

fn compress_args(prefix: &str, pheno: &str, covar: &str, out: &str) -> Vec<String> {
    [
        "compress",
        prefix,
        "--pheno",
        pheno,
        "--covar",
        covar,
        "--covar-categorical",
        "site",
        "--out",
        out,
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn truncated_bed() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let bed = path(&p, "bed");
    let bytes = fs::read(&bed).unwrap();
    fs::write(&bed, &bytes[..bytes.len() - 100]).unwrap();
    let out = dir.path().join("out.parquet");
    let args = compress_args(
        &bed,
        &path(&p, "pheno"),
        &path(&p, "covar"),
        out.to_str().unwrap(),
    );
    expect_error(dir.path(), &args, "out", &["party_c.bed", "truncated"]);
}

#[test]
fn wrong_magic() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let bed = path(&p, "bed");
    let mut bytes = fs::read(&bed).unwrap();
    bytes[0] = 0x00;
    fs::write(&bed, &bytes).unwrap();
    let out = dir.path().join("out.parquet");
    let args = compress_args(
        &bed,
        &path(&p, "pheno"),
        &path(&p, "covar"),
        out.to_str().unwrap(),
    );
    expect_error(
        dir.path(),
        &args,
        "out",
        &["party_c.bed", "not a PLINK 1 .bed"],
    );
}

#[test]
fn bim_count_does_not_match_bed() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let bim = path(&p, "bim");
    let text = fs::read_to_string(&bim).unwrap();
    let fewer: Vec<&str> = text.lines().skip(1).collect();
    fs::write(&bim, fewer.join("\n") + "\n").unwrap();
    let out = dir.path().join("out.parquet");
    let args = compress_args(
        p.to_str().unwrap(),
        &path(&p, "pheno"),
        &path(&p, "covar"),
        out.to_str().unwrap(),
    );
    expect_error(
        dir.path(),
        &args,
        "out",
        &["party_c.bed", "1319 variants", "party_c.bim"],
    );
}

#[test]
fn fam_count_does_not_match_bed() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let fam = path(&p, "fam");
    let text = fs::read_to_string(&fam).unwrap();
    let fewer: Vec<&str> = text.lines().take(297).collect();
    fs::write(&fam, fewer.join("\n") + "\n").unwrap();
    let out = dir.path().join("out.parquet");
    let args = compress_args(
        p.to_str().unwrap(),
        &path(&p, "pheno"),
        &path(&p, "covar"),
        out.to_str().unwrap(),
    );
    expect_error(
        dir.path(),
        &args,
        "out",
        &["party_c.bed", "297 samples", "party_c.fam"],
    );
}

/// Compresses party c with its phenotype file rewritten by `rewrite` (its lines in, the new
/// file's text out) and expects an error naming `needles`.
fn expect_phenotype_error(rewrite: impl FnOnce(Vec<String>) -> String, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let pheno = path(&p, "pheno");
    let text = fs::read_to_string(&pheno).unwrap();
    fs::write(&pheno, rewrite(text.lines().map(str::to_string).collect())).unwrap();
    let out = dir.path().join("out.parquet");
    let args = compress_args(
        p.to_str().unwrap(),
        &pheno,
        &path(&p, "covar"),
        out.to_str().unwrap(),
    );
    expect_error(dir.path(), &args, "out", needles);
}

#[test]
fn non_numeric_phenotype() {
    expect_phenotype_error(
        |mut lines| {
            let fields: Vec<&str> = lines[5].split('\t').collect();
            lines[5] = format!("{}\t{}\tabc\t{}", fields[0], fields[1], fields[3]);
            lines.join("\n") + "\n"
        },
        &["party_c.pheno", "line 6", "non-numeric value 'abc'", "'y1'"],
    );
}

/// With bad values in two columns, the error names the first column's (as the columns are
/// read one after another), not the earlier line's: the phenotype file is parsed in parallel
/// chunks of rows, and which value is named must not depend on that. CRLF line ends.
#[test]
fn non_numeric_phenotypes_name_the_first_column() {
    expect_phenotype_error(
        |mut lines| {
            assert!(lines[0].split('\t').count() >= 4, "two phenotype columns");
            for (line, column, value) in [(3, 3, "bad2"), (250, 2, "bad1")] {
                let mut fields: Vec<&str> = lines[line].split('\t').collect();
                fields[column] = value;
                lines[line] = fields.join("\t");
            }
            lines.join("\r\n") + "\r\n"
        },
        &[
            "party_c.pheno",
            "line 251",
            "non-numeric value 'bad1'",
            "'y1'",
        ],
    );
}

#[test]
fn no_sample_in_common() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    // Party a's phenotypes against party c's genotypes.
    let other = fixtures().join("party_a.pheno");
    let out = dir.path().join("out.parquet");
    let args = vec![
        "compress",
        p.to_str().unwrap(),
        "--pheno",
        other.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    expect_error(
        dir.path(),
        &args,
        "out",
        &["party_a.pheno", "no sample in common"],
    );
}

/// Compresses party c with a covariate file rewritten by `edit`, then merges it alone.
fn merge_with_covariates(edit: impl Fn(&str, usize) -> String, keep_rows: usize, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_party(dir.path(), "c");
    let covar = path(&p, "covar");
    let text = fs::read_to_string(&covar).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .take(keep_rows.saturating_add(1))
        .map(|(i, l)| edit(l, i))
        .collect();
    fs::write(&covar, lines.join("\n") + "\n").unwrap();
    let summary = dir.path().join("c.parquet");
    let mut args = compress_args(
        p.to_str().unwrap(),
        &path(&p, "pheno"),
        &covar,
        summary.to_str().unwrap(),
    );
    // A few kept rows make groups smaller than the default --min-cell 5, refused at compress;
    // these tests are about what merge refuses.
    args.extend(["--min-cell".to_string(), "1".to_string()]);
    dash_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let out = dir.path().join("result");
    expect_error(
        dir.path(),
        &[
            "merge",
            summary.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "result",
        needles,
    );
}

#[test]
fn rank_deficient_covariates() {
    // Append age2 = 2·age: collinear with age.
    merge_with_covariates(
        |line, i| {
            let age = line.split_whitespace().nth(1).unwrap();
            if i == 0 {
                format!("{line} age2")
            } else {
                let doubled = age
                    .parse::<f64>()
                    .map(|a| (2.0 * a).to_string())
                    .unwrap_or("NA".into());
                format!("{line} {doubled}")
            }
        },
        usize::MAX,
        &["rank-deficient", "'age2'", "phenotype 'y1'"],
    );
}

#[test]
fn fewer_samples_than_covariates() {
    // Keep 4 covariate rows: 4 samples against 7 covariate columns.
    merge_with_covariates(
        |line, _| line.to_string(),
        4,
        &["fewer samples", "than covariate columns"],
    );
}

#[test]
fn unreadable_summary() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.parquet");
    fs::write(&bogus, "this is not parquet\n").unwrap();
    let out = dir.path().join("result");
    expect_error(
        dir.path(),
        &[
            "merge",
            bogus.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "result",
        &[
            "bogus.parquet",
            "not a dash summary (run `dash compress` first)",
        ],
    );
}

#[test]
fn truncated_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = compress_party(dir.path(), "c");
    let bytes = fs::read(&summary).unwrap();
    fs::write(&summary, &bytes[..bytes.len() / 2]).unwrap();
    let out = dir.path().join("result");
    expect_error(
        dir.path(),
        &[
            "merge",
            summary.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "result",
        &["party_c.parquet"],
    );
}

#[test]
fn same_summary_twice() {
    let dir = tempfile::tempdir().unwrap();
    let summary = compress_party(dir.path(), "c");
    let copy = dir.path().join("copy.parquet");
    fs::copy(&summary, &copy).unwrap();
    let out = dir.path().join("result");
    expect_error(
        dir.path(),
        &[
            "merge",
            summary.to_str().unwrap(),
            copy.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "result",
        &["copy.parquet", "party_c.parquet", "twice"],
    );
}
