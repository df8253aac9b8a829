//! Shared helpers for the end-to-end tests: run the binary, read its outputs and the goldens.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Runs `dash ARGS…`.
pub fn dash(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dash"))
        .args(args)
        .output()
        .expect("run dash")
}

/// Runs `dash ARGS…` and panics with its stderr unless it succeeds.
pub fn dash_ok(args: &[&str]) -> Output {
    let out = dash(args);
    assert!(
        out.status.success(),
        "dash {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Compresses party `name` (a, b, c) of the fixtures into `dir/name.parquet`.
pub fn compress_party(dir: &Path, name: &str) -> PathBuf {
    let f = fixtures();
    let out = dir.join(format!("party_{name}.parquet"));
    dash_ok(&[
        "compress",
        f.join(format!("party_{name}.bed")).to_str().unwrap(),
        "--pheno",
        f.join(format!("party_{name}.pheno")).to_str().unwrap(),
        "--covar",
        f.join(format!("party_{name}.covar")).to_str().unwrap(),
        "--party",
        name,
        "--out",
        out.to_str().unwrap(),
    ]);
    out
}

/// A tab-separated table: header and rows keyed by column name.
pub struct Tsv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Tsv {
    pub fn parse(text: &str) -> Tsv {
        let mut lines = text.lines();
        let header = lines
            .next()
            .expect("header")
            .split('\t')
            .map(str::to_string)
            .collect();
        let rows = lines
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect();
        Tsv { header, rows }
    }

    pub fn read(path: &Path) -> Tsv {
        let text = if path.extension().is_some_and(|e| e == "gz") {
            let mut reader = noodles_bgzf::io::Reader::new(std::fs::File::open(path).unwrap());
            let mut text = String::new();
            reader.read_to_string(&mut text).unwrap();
            text
        } else {
            std::fs::read_to_string(path).unwrap()
        };
        Tsv::parse(&text)
    }

    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    /// Rows keyed by the value of column `key`.
    pub fn by(&self, key: &str) -> HashMap<String, HashMap<String, String>> {
        let k = self.column(key);
        self.rows
            .iter()
            .map(|row| {
                let map = self
                    .header
                    .iter()
                    .cloned()
                    .zip(row.iter().cloned())
                    .collect();
                (row[k].clone(), map)
            })
            .collect()
    }
}

/// |a − b| / |b|, with b = 0 compared absolutely.
pub fn relative_error(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        a.abs()
    } else {
        (a - b).abs() / b.abs()
    }
}

/// Files in `dir` whose names start with `prefix` (including temporaries `.prefix…`).
pub fn files_starting_with(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) || n.starts_with(&format!(".{prefix}")))
        .collect()
}
