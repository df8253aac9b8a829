//! `dash report`: the plots, loci and page of a merge of the fixtures, checked as files (PNG
//! decoded, SVG parsed, every image embedded in the page) and against the oracles (λGC from
//! golden/lambda.tsv, the loci from the pooled oracle's p-values).

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;

use crate::common::*;

/// Merges the three fixture parties (exact settings) into `dir/g` and reports on it.
fn merged_and_reported(dir: &Path, extra: &[&str]) -> String {
    let parties: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|p| compress_party(dir, p))
        .collect();
    let paths: Vec<&Path> = parties.iter().map(|p| p.as_path()).collect();
    let prefix = merge_to(&paths, &dir.join("g"), &[]);
    let mut args = vec!["report", prefix.as_str()];
    args.extend(extra);
    dash_ok(&args);
    prefix
}

/// CRC-32 (IEEE), bit by bit: independent of the encoder's table.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Checks a PNG's structure and returns its size: signature, chunk CRCs, IHDR, and IDAT
/// inflating to exactly one filter byte and 3·width bytes per row.
fn check_png(path: &Path) -> (u32, u32) {
    let png = std::fs::read(path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    let (mut at, mut size, mut idat, mut ended) = (8, (0, 0), Vec::new(), false);
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
        assert_eq!(
            crc,
            crc32(&png[at + 4..at + 8 + len]),
            "{}: bad CRC",
            path.display()
        );
        match kind {
            b"IHDR" => {
                size = (
                    u32::from_be_bytes(data[..4].try_into().unwrap()),
                    u32::from_be_bytes(data[4..8].try_into().unwrap()),
                );
                assert_eq!(&data[8..], &[8, 2, 0, 0, 0]);
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => ended = true,
            _ => {}
        }
        at += 12 + len;
    }
    assert!(ended);
    let want = size.1 as usize * (1 + 3 * size.0 as usize);
    let mut raw = vec![0u8; want + 1];
    let (raw, rc) = zlib_rs::decompress_slice(&mut raw, &idat, zlib_rs::InflateConfig::default());
    assert_eq!(rc, zlib_rs::ReturnCode::Ok, "{}", path.display());
    assert_eq!(raw.len(), want, "{}", path.display());
    size
}

/// A small XML well-formedness check: tags nest and close, the root is `<svg>`, attribute
/// values are quoted, `&` starts a known entity.
fn check_xml(text: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = text;
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        let between = &rest[..open];
        for (k, _) in between.match_indices('&') {
            let entity = &between[k..];
            assert!(
                ["&lt;", "&gt;", "&amp;", "&quot;", "&#39;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "bad entity at {}",
                &entity[..entity.len().min(20)]
            );
        }
        let close = rest[open..].find('>').expect("unclosed tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop(),
                Some(name.trim()),
                "</{name}> closes the wrong tag"
            );
            continue;
        }
        let name = tag
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches('/');
        if stack.is_empty() {
            roots += 1;
            assert_eq!(name, "svg");
        }
        if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert_eq!(roots, 1);
    assert!(rest.trim().is_empty());
}

#[test]
fn report_of_the_fixtures_has_valid_plots_the_oracles_lambda_and_loci() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = merged_and_reported(dir.path(), &[]);
    let html = std::fs::read_to_string(format!("{prefix}.report.html")).unwrap();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);

    // λGC by phenotype and bin, from the oracle.
    let golden = Tsv::read(&fixtures().join("golden/lambda.tsv"));
    let mut want: HashMap<(String, String), (usize, f64)> = HashMap::new();
    for row in &golden.rows {
        want.insert(
            (row[0].clone(), row[1].clone()),
            (row[2].parse().unwrap(), row[3].parse().unwrap()),
        );
    }

    for pheno in ["y1", "y2"] {
        for (plot, size) in [("manhattan", (1600, 560)), ("qq", (620, 620))] {
            let png = format!("{prefix}.{pheno}.{plot}.png");
            assert_eq!(check_png(png.as_ref()), size, "{png}");
            let svg = std::fs::read_to_string(format!("{prefix}.{pheno}.{plot}.svg")).unwrap();
            check_xml(&svg);
            assert!(svg.contains(&format!("width=\"{}\" height=\"{}\"", size.0, size.1)));
            // Both embedded, byte for byte.
            assert!(
                html.contains(&format!(
                    "src=\"data:image/png;base64,{}\"",
                    b64(&std::fs::read(&png).unwrap())
                )),
                "{png} not on the page"
            );
            assert!(
                html.contains(&format!(
                    "href=\"data:image/svg+xml;base64,{}\"",
                    b64(svg.as_bytes())
                )),
                "{plot} SVG not on the page"
            );
        }

        // The section's λGC table: bin → (variants, λ) with full digits in data-lambda.
        let start = html.find(&format!("id=\"pheno-{pheno}\"")).unwrap();
        let section = &html[start..];
        let section = &section[..section[1..].find("<h2").map_or(section.len(), |k| k + 1)];
        let mut seen = 0;
        for row in section.split("<tr data-bin=\"").skip(1) {
            let bin = row[..row.find('"').unwrap()]
                .replace("&lt;", "<")
                .replace("&gt;", ">");
            let cells: Vec<&str> = row.split("<td").collect();
            let variants: usize = cells[2]
                .trim_start_matches('>')
                .split('<')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            match want.get(&(pheno.to_string(), bin.clone())) {
                Some(&(n, lambda)) => {
                    let value = cells[3].split("data-lambda=\"").nth(1).unwrap();
                    let got: f64 = value[..value.find('"').unwrap()].parse().unwrap();
                    assert_eq!(variants, n, "{pheno} {bin}");
                    assert!(
                        relative_error(got, lambda) <= 1e-9,
                        "{pheno} {bin}: λGC {got} vs oracle {lambda}"
                    );
                    seen += 1;
                }
                None => assert_eq!(variants, 0, "{pheno} {bin}: the oracle has no variant here"),
            }
        }
        assert_eq!(
            seen,
            want.keys().filter(|(p, _)| p == pheno).count(),
            "{pheno}"
        );

        // Loci against the oracle's p-values: each lead is the strongest oracle hit within
        // 500 kb on its chromosome, and every oracle hit lies within 500 kb of a lead.
        let oracle = Tsv::read(&fixtures().join(format!("golden/{pheno}.tsv")));
        let (c, p, q, s) = (
            oracle.column("chrom"),
            oracle.column("pos"),
            oracle.column("neg_log10_p"),
            oracle.column("status"),
        );
        let hits: Vec<(String, u64, f64)> = oracle
            .rows
            .iter()
            .filter(|r| r[s] == "ok")
            .map(|r| (r[c].clone(), r[p].parse().unwrap(), r[q].parse().unwrap()))
            .filter(|h: &(String, u64, f64)| h.2 > -(5e-8f64).log10())
            .collect();
        let loci = Tsv::read(format!("{prefix}.{pheno}.loci.tsv").as_ref());
        let (lc, lp, lq) = (
            loci.column("chromosome"),
            loci.column("base_pair_location"),
            loci.column("neg_log_10_p_value"),
        );
        assert!(!loci.rows.is_empty(), "{pheno}: the fixtures have hits");
        let near = |h: &(String, u64, f64), row: &Vec<String>| {
            h.0 == row[lc] && h.1.abs_diff(row[lp].parse().unwrap()) <= 500_000
        };
        for row in &loci.rows {
            let strongest = hits
                .iter()
                .filter(|h| near(h, row))
                .map(|h| h.2)
                .fold(0.0, f64::max);
            let lead: f64 = row[lq].parse().unwrap();
            assert!(
                relative_error(lead, strongest) < 1e-9,
                "{pheno} locus {row:?}: oracle's strongest nearby {strongest}"
            );
        }
        for h in &hits {
            assert!(
                loci.rows.iter().any(|row| near(h, row)),
                "{pheno}: oracle hit {h:?} in no locus"
            );
        }
        // Skipped counts are shown by reason.
        let skipped = Tsv::read(format!("{prefix}.{pheno}.skipped.tsv").as_ref());
        if let Some(reason) = skipped
            .rows
            .first()
            .map(|r| r[skipped.column("reason")].clone())
        {
            assert!(
                section.contains(&format!("<td class=\"t\">{reason}</td>")),
                "{pheno}: no skipped reason {reason}"
            );
        }
    }
    // The page needs nothing from elsewhere (looked for outside the base64 payloads, where
    // any four letters may occur).
    let mut pieces = html.split(";base64,");
    let mut outside = pieces.next().unwrap().to_string();
    for piece in pieces {
        outside.push_str(&piece[piece.find('"').unwrap()..]);
    }
    for needle in ["http:", "https:", "<script", "<link", "url("] {
        assert!(!outside.contains(needle), "{needle} on the page");
    }
    assert_eq!(
        outside.matches("src=\"").count(),
        outside.matches("src=\"data:image/png").count()
    );
}

#[test]
fn clumping_flags_change_the_loci_and_bad_inputs_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = merged_and_reported(dir.path(), &["--clump-p", "1e-3", "--clump-kb", "0"]);
    let loci = Tsv::read(format!("{prefix}.y2.loci.tsv").as_ref());
    // With a 0 kb window every variant with p < 1e-3 is its own locus.
    let gwas = Tsv::read(format!("{prefix}.y2.tsv.gz").as_ref());
    let q = gwas.column("neg_log_10_p_value");
    let below = gwas
        .rows
        .iter()
        .filter(|r| r[q].parse::<f64>().unwrap() > 3.0)
        .count();
    assert_eq!(loci.rows.len(), below);

    // A damaged GWAS-SSF row (as plain text, which report also reads): one error line naming
    // file and line, and no report file.
    let mut text = String::new();
    let gz = std::fs::File::open(format!("{prefix}.y1.tsv.gz")).unwrap();
    std::io::Read::read_to_string(&mut noodles_bgzf::io::Reader::new(gz), &mut text).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[5] = lines[5].replacen('\t', "\tpos", 1);
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("g.y1.tsv.gz"), lines.join("\n")).unwrap();
    let out = bad.join("g");
    expect_error(
        &bad,
        &["report", out.to_str().unwrap()],
        "g.report",
        &["g.y1.tsv.gz", "line 6", "base_pair_location"],
    );
    assert_eq!(file_names(&bad), ["g.y1.tsv.gz"]);

    let empty = dir.path().join("none");
    std::fs::create_dir(&empty).unwrap();
    let out = dash(&["report", empty.join("g").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no GWAS-SSF file"));
}

/// The files under `dir` named `g.*`, with their bytes, by name.
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("g."))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn merges_own_report_is_the_one_dash_report_draws_from_the_files() {
    // Merge draws its report from what it collected while writing the GWAS-SSF files;
    // `dash report` reads them back. Every file of the two must be the same bytes: plots (PNG
    // and SVG), loci tables, page; also when only the stronger rows are written.
    for extra in [&[][..], &["--pheno-out-min-log10p", "0.5"][..]] {
        let dir = tempfile::tempdir().unwrap();
        let parties: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|p| compress_party(dir.path(), p))
            .collect();
        let paths: Vec<&Path> = parties.iter().map(|p| p.as_path()).collect();
        let prefix = merge_to(&paths, &dir.path().join("g"), extra);
        let from_merge = outputs(dir.path());
        let names: Vec<&str> = from_merge.iter().map(|(n, _)| n.as_str()).collect();
        for expected in [
            "g.report.html",
            "g.y1.manhattan.svg",
            "g.y2.qq.png",
            "g.y2.loci.tsv",
        ] {
            assert!(
                names.contains(&expected),
                "{extra:?}: no {expected} in {names:?}"
            );
        }
        let loci = Tsv::read(format!("{prefix}.y2.loci.tsv").as_ref());
        assert!(!loci.rows.is_empty(), "{extra:?}: the fixtures have hits");
        dash_ok(&["report", &prefix]);
        let from_files = outputs(dir.path());
        assert_eq!(
            from_merge.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            from_files.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
        for ((name, merged), (_, read)) in from_merge.iter().zip(&from_files) {
            assert!(merged == read, "{extra:?}: {name} differs");
        }
    }
}
