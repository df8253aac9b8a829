//! What a run leaves on disk and what it says when it fails: no temporaries after an error or a
//! signal, all of a merge's files or none, one writer per output, messages that name the right
//! file, capped echoes, and one exit-code rule (2 usage, 1 everything else, 130/143 signals).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Names in `dir` that are temporaries or locks.
fn leftovers(dir: &Path) -> Vec<String> {
    file_names(dir)
        .into_iter()
        .filter(|n| n.contains(".tmp-") || n.ends_with(".lock"))
        .collect()
}

/// The one `dash: error` line of a failed run.
fn error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("dash: error"))
        .collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {stderr}");
    lines[0].to_string()
}

/// Runs dash expecting exit `code` and an error line containing every needle; returns it.
fn expect_exit(args: &[&str], code: i32, needles: &[&str]) -> String {
    let out = dash(args);
    let line = error_line(&out);
    assert_eq!(out.status.code(), Some(code), "dash {args:?}: {line}");
    for needle in needles {
        assert!(line.contains(needle), "error line lacks '{needle}': {line}");
    }
    line
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Compresses fixture party `name` into `dir/party_NAME.parquet` (party a, b, c).
fn summary(dir: &Path, name: &str) -> PathBuf {
    compress_party(dir, name)
}

/// `dash compress` args for fixture party `name` into `out`.
fn compress_args(name: &str, out: &Path) -> Vec<String> {
    let f = fixtures();
    vec![
        "compress".into(),
        f.join(format!("party_{name}.bed")).display().to_string(),
        "--pheno".into(),
        f.join(format!("party_{name}.pheno")).display().to_string(),
        "--covar".into(),
        f.join(format!("party_{name}.covar")).display().to_string(),
        "--covar-categorical".into(),
        "site".into(),
        "--out".into(),
        out.display().to_string(),
    ]
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn failed_rename_leaves_no_temporary() {
    // The output path is a folder: everything is written, then the rename fails. The temporary
    // (the whole summary) used to stay behind.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.parquet");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("keep"), "x").unwrap();
    let args = compress_args("c", &out);
    expect_exit(&strs(&args), 1, &["out.parquet"]);
    assert_eq!(file_names(dir.path()), ["out.parquet"]);
}

#[test]
fn duplicate_phenotype_is_a_usage_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = summary(dir.path(), "c");
    let out = dir.path().join("result");
    expect_exit(
        &["merge", s(&a), "--out", s(&out), "--pheno", "y1,y1"],
        2,
        &["--pheno", "'y1'", "twice"],
    );
    assert!(files_starting_with(dir.path(), "result").is_empty());
}

#[test]
fn unknown_phenotype_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let a = summary(dir.path(), "c");
    let out = dir.path().join("result");
    expect_exit(
        &["merge", s(&a), "--out", s(&out), "--pheno", "y1,nope"],
        1,
        &["phenotype 'nope'", "party_c.parquet"],
    );
    assert!(files_starting_with(dir.path(), "result").is_empty());
}

#[test]
fn a_failed_commit_removes_the_files_already_committed() {
    // y2's results cannot be renamed into place (a folder has that name): y1's files, renamed
    // just before, must not stay as a partial set.
    let dir = tempfile::tempdir().unwrap();
    let a = summary(dir.path(), "c");
    let out = dir.path().join("result");
    let blocker = dir.path().join("result.y2.tsv.gz");
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("keep"), "x").unwrap();
    let merged = dir.path().join("merged.parquet");
    expect_exit(
        &[
            "merge",
            s(&a),
            "--out",
            s(&out),
            "--summary-out",
            s(&merged),
        ],
        1,
        &["result.y2.tsv.gz"],
    );
    assert_eq!(
        files_starting_with(dir.path(), "result"),
        ["result.y2.tsv.gz"]
    );
    assert!(
        !merged.exists(),
        "the merged summary of a failed run stayed"
    );
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        file_names(dir.path())
    );
}

#[test]
fn a_locked_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = summary(dir.path(), "c");
    let out = dir.path().join("result");
    let lock_path = dir.path().join("result.lock");
    let lock = fs::File::create(&lock_path).unwrap();
    lock.try_lock().unwrap();
    let line = expect_exit(
        &["merge", s(&a), "--out", s(&out)],
        1,
        &["another dash is writing", "result"],
    );
    assert!(!line.contains(".tmp-"), "{line}");
    assert_eq!(files_starting_with(dir.path(), "result"), ["result.lock"]);
    // Unlocked explicitly, not by closing: a child that another test forks at this moment
    // holds a copy of the descriptor until it execs, and with it the lock.
    lock.unlock().unwrap();
    drop(lock);
    fs::remove_file(&lock_path).unwrap();

    // Compress locks its --out the same way.
    let summary_out = dir.path().join("c2.parquet");
    let lock = fs::File::create(dir.path().join("c2.parquet.lock")).unwrap();
    lock.try_lock().unwrap();
    let args = compress_args("c", &summary_out);
    expect_exit(&strs(&args), 1, &["another dash is writing", "c2.parquet"]);
    assert!(!summary_out.exists());
    lock.unlock().unwrap();
    drop(lock);

    // Unlocked (a stale lock file left by a killed run does not block), it runs and removes
    // the lock file after.
    dash_ok(&strs(&args));
    dash_ok(&["merge", s(&a), "--out", s(&out)]);
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        file_names(dir.path())
    );
}

/// md5 of a file, as hex.
fn md5_hex(path: &Path) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn concurrent_merges_to_one_prefix_do_not_mix_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = summary(dir.path(), "a");
    let c = summary(dir.path(), "c");
    let out = dir.path().join("result");
    let bin = env!("CARGO_BIN_EXE_dash");
    for round in 0..6 {
        let start = |input: &Path| {
            Command::new(bin)
                .args(["merge", s(input), "--out", s(&out), "--threads", "1"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let first = start(&a);
        let second = start(&c);
        let mut succeeded = 0;
        for child in [first, second] {
            let output = child.wait_with_output().unwrap();
            if output.status.success() {
                succeeded += 1;
            } else {
                let line = error_line(&output);
                assert!(
                    line.contains("another dash is writing"),
                    "round {round}: {line}"
                );
                assert_eq!(output.status.code(), Some(1));
            }
        }
        assert!(succeeded >= 1, "round {round}: neither merge ran");
        for pheno in ["y1", "y2"] {
            let tsv = dir.path().join(format!("result.{pheno}.tsv.gz"));
            let meta =
                fs::read_to_string(dir.path().join(format!("result.{pheno}.tsv.gz-meta.yaml")))
                    .unwrap();
            let md5 = md5_hex(&tsv);
            assert!(
                meta.contains(&format!("data_file_md5sum: {md5}")),
                "round {round}: {pheno}'s metadata is another run's (data md5 {md5}):\n{meta}"
            );
        }
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            file_names(dir.path())
        );
    }
}

/// Starts a compress of a large (sparse, all-zero) .bed, sends `signal` as soon as its temporary
/// output exists, and returns the exit code, the stderr and what is left in the folder besides
/// the inputs.
fn interrupted_compress(signal: &str) -> (Option<i32>, String, Vec<String>) {
    const SAMPLES: usize = 2000;
    const VARIANTS: usize = 400_000;
    let dir = tempfile::tempdir().unwrap();
    let mut fam = String::new();
    let mut pheno = String::from("FID\tIID\ty1\n");
    for i in 0..SAMPLES {
        fam.push_str(&format!("F{i} S{i} 0 0 0 -9\n"));
        pheno.push_str(&format!("F{i}\tS{i}\t{}\n", (i * 7919) % 101));
    }
    let mut bim = String::new();
    for i in 0..VARIANTS {
        bim.push_str(&format!("1\tv{i}\t0\t{}\tA\tG\n", i + 1));
    }
    fs::write(dir.path().join("big.fam"), fam).unwrap();
    fs::write(dir.path().join("big.pheno"), pheno).unwrap();
    fs::write(dir.path().join("big.bim"), bim).unwrap();
    let bed = fs::File::create(dir.path().join("big.bed")).unwrap();
    (&bed).write_all(&[0x6c, 0x1b, 0x01]).unwrap();
    bed.set_len(3 + (VARIANTS * SAMPLES.div_ceil(4)) as u64)
        .unwrap();
    drop(bed);
    let inputs = file_names(dir.path());

    let out = dir.path().join("out.parquet");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dash"))
        .args([
            "compress",
            s(&dir.path().join("big.bed")),
            "--pheno",
            s(&dir.path().join("big.pheno")),
            "--out",
            s(&out),
            "--threads",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read_stderr = |child: &mut std::process::Child| {
        use std::io::Read;
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        stderr
    };
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "dash exited ({status}) before its temporary was seen: {}",
                read_stderr(&mut child)
            );
        }
        if file_names(dir.path()).iter().any(|n| n.contains(".tmp-")) {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("no temporary output after 60 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("dash did not exit after {signal}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = read_stderr(&mut child);
    let left: Vec<String> = file_names(dir.path())
        .into_iter()
        .filter(|n| !inputs.contains(n))
        .collect();
    (code, stderr, left)
}

#[test]
fn sigterm_removes_temporaries_and_exits_143() {
    let (code, stderr, left) = interrupted_compress("-TERM");
    assert_eq!(code, Some(143), "{stderr}");
    assert!(left.is_empty(), "left behind after SIGTERM: {left:?}");
}

#[test]
fn sigint_removes_temporaries_and_exits_130() {
    let (code, stderr, left) = interrupted_compress("-INT");
    assert_eq!(code, Some(130), "{stderr}");
    assert!(left.is_empty(), "left behind after SIGINT: {left:?}");
}

#[test]
fn no_common_sample_in_the_covariate_file_blames_the_covariate_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    let out = dir.path().join("out.parquet");
    let line = expect_exit(
        &[
            "compress",
            s(&f.join("party_a.bed")),
            "--pheno",
            s(&f.join("party_a.pheno")),
            "--covar",
            s(&f.join("party_b.covar")),
            "--covar-categorical",
            "site",
            "--out",
            s(&out),
        ],
        1,
        &["party_b.covar", "no sample in common"],
    );
    assert!(!line.contains("party_a.pheno:"), "{line}");
    assert!(file_names(dir.path()).is_empty());
}

#[test]
fn a_missing_output_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no_such_dir");
    let out = missing.join("out.parquet");
    let args = compress_args("c", &out);
    let line = expect_exit(&strs(&args), 1, &["no_such_dir", "does not exist"]);
    assert!(!line.contains(".tmp-"), "{line}");

    let a = summary(dir.path(), "c");
    let line = expect_exit(
        &["merge", s(&a), "--out", s(&missing.join("result"))],
        1,
        &["no_such_dir", "does not exist"],
    );
    assert!(!line.contains(".tmp-"), "{line}");
    assert!(!missing.exists());
}

#[test]
fn merging_a_non_summary_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result");
    for input in [
        "party_a.bed",
        "party_a.pheno",
        "vcf/ds_a.vcf.gz",
        "vcf/ds_a.bcf",
    ] {
        let line = expect_exit(
            &["merge", s(&fixtures().join(input)), "--out", s(&out)],
            1,
            &["not a dash summary (run `dash compress` first)"],
        );
        assert!(!line.contains("Corrupt footer"), "{line}");
    }
    let empty = dir.path().join("empty.parquet");
    fs::write(&empty, "").unwrap();
    expect_exit(
        &["merge", s(&empty), "--out", s(&out)],
        1,
        &["empty.parquet", "not a dash summary"],
    );
    assert!(files_starting_with(dir.path(), "result").is_empty());
}

#[test]
fn echoed_values_are_capped_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    // A phenotype value of 40 kB with NUL bytes and tabs.
    let text = fs::read_to_string(f.join("party_c.pheno")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let fields: Vec<&str> = lines[3].split('\t').collect();
    let garbage = "ab\0\u{1}c".repeat(8000);
    lines[3] = format!("{}\t{}\t{garbage}\t{}", fields[0], fields[1], fields[3]);
    let pheno = dir.path().join("bad.pheno");
    fs::write(&pheno, lines.join("\n") + "\n").unwrap();
    // A VCF genotype of 40 kB of NULs and tabs.
    let vcf_text = fs::read_to_string(f.join("vcf/multi.vcf")).unwrap();
    let mut vcf_lines: Vec<String> = vcf_text.lines().map(str::to_string).collect();
    let at = vcf_lines.iter().position(|l| !l.starts_with('#')).unwrap() + 2;
    let mut fields: Vec<String> = vcf_lines[at].split('\t').map(str::to_string).collect();
    fields[9] = format!("0/{}", "\0\u{7}".repeat(20_000));
    vcf_lines[at] = fields.join("\t");
    let vcf = dir.path().join("bad.vcf");
    fs::write(&vcf, vcf_lines.join("\n") + "\n").unwrap();

    let out = dir.path().join("out.parquet");
    let cases: Vec<Vec<String>> = vec![
        vec![
            "compress".into(),
            f.join("party_c.bed").display().to_string(),
            "--pheno".into(),
            pheno.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ],
        vec![
            "compress".into(),
            vcf.display().to_string(),
            "--pheno".into(),
            f.join("vcf/multi.pheno").display().to_string(),
            "--dosage-field".into(),
            "GT".into(),
            "--out".into(),
            out.display().to_string(),
        ],
    ];
    for args in cases {
        let output = dash(&strs(&args));
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            output.stderr.len() < 4000,
            "{} bytes of stderr",
            output.stderr.len()
        );
        assert!(
            !output.stderr.iter().any(|&b| b < 0x20 && b != b'\n'),
            "raw control bytes on stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = error_line(&output);
        assert!(line.chars().count() < 1000, "{line}");
    }
    assert!(!out.exists());
}

#[test]
fn exit_codes_follow_one_rule() {
    let dir = tempfile::tempdir().unwrap();
    let a = summary(dir.path(), "c");
    let out = dir.path().join("result");
    let f = fixtures();
    let bed = f.join("party_c.bed");
    let pheno = f.join("party_c.pheno");
    let summary_out = dir.path().join("out.parquet");
    // 2: the command line is wrong on its own.
    let usage: Vec<Vec<&str>> = vec![
        vec!["merge", s(&a), "--out", s(&out), "--bogus-flag"],
        vec!["merge", s(&a), "--out", s(&out), "--threads", "0"],
        vec!["merge", s(&a), "--out", s(&out), "--pheno", "y1,y1"],
        vec!["merge", s(&a), "--out", s(&out), "--covar", "age,age"],
        vec![
            "compress",
            s(&bed),
            "--pheno",
            s(&pheno),
            "--out",
            s(&summary_out),
            "--covar-name",
            "age",
        ],
        vec![
            "compress",
            s(&bed),
            "--pheno",
            s(&pheno),
            "--out",
            s(&summary_out),
            "--region",
            "1:x-y",
        ],
        vec![
            "compress",
            s(&bed),
            "--pheno",
            s(&pheno),
            "--out",
            s(&summary_out),
            "--dosage-field",
            "XX",
        ],
    ];
    for args in usage {
        let output = dash(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "dash {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // 1: found by reading the inputs (even when a flag names what the files lack).
    let input: Vec<Vec<&str>> = vec![
        vec!["merge", s(&a), "--out", s(&out), "--pheno", "nope"],
        vec!["merge", s(&a), "--out", s(&out), "--covar", "nope"],
        vec!["merge", s(&bed), "--out", s(&out)],
        vec![
            "compress",
            s(&bed),
            "--pheno",
            s(&pheno),
            "--out",
            s(&summary_out),
            "--pheno-name",
            "nope",
        ],
        vec![
            "compress",
            s(&bed),
            "--pheno",
            s(&bed),
            "--out",
            s(&summary_out),
        ],
    ];
    for args in input {
        let output = dash(&args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "dash {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        error_line(&output);
    }
    assert!(files_starting_with(dir.path(), "result").is_empty());
    assert!(!summary_out.exists());
    assert!(leftovers(dir.path()).is_empty());
}
