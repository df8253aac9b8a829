//! The report page, `PREFIX.report.html`: one self-contained file (CSS inline, every plot a
//! `data:` URI), so it opens anywhere without network access.

use std::fmt::Write as _;

use base64::Engine as _;

use super::digest::{BinLambda, DigestOptions};
use super::loci::Locus;
use super::plot::Rendered;
use super::read::Table;
use crate::output::allele_check::{OutlierRow, PartyRow, Status};

/// Loci listed on the page per phenotype (the TSV has all of them).
pub const LOCI_SHOWN: usize = 50;

/// Allele-frequency outliers listed on the page per party, largest |Δ| first (the TSV has all).
pub const OUTLIERS_SHOWN: usize = 20;

/// What the page shows of one input's allele-frequency check.
#[derive(Debug, Clone)]
pub struct PartyCheck<'a> {
    /// Its row of `PREFIX.af_parties.tsv`.
    pub row: &'a PartyRow,
    /// Its plot, when it was checked.
    pub figure: Option<Figure<'a>>,
    /// Its largest outliers.
    pub outliers: &'a [OutlierRow],
}

/// One plot on the page.
#[derive(Debug, Clone, Copy)]
pub struct Figure<'a> {
    /// What it shows ("Manhattan plot").
    pub caption: &'a str,
    /// File names of the PNG and SVG written beside the page.
    pub files: (&'a str, &'a str),
    /// The images.
    pub rendered: &'a Rendered,
}

/// What the page shows of one phenotype.
#[derive(Debug, Clone)]
pub struct Section<'a> {
    /// Phenotype name.
    pub phenotype: &'a str,
    /// Tested variants.
    pub tested: usize,
    /// Largest n.
    pub max_n: u64,
    /// λGC overall, then by MAF bin.
    pub lambda: &'a [BinLambda],
    /// Loci, most significant first.
    pub loci: &'a [Locus],
    /// File name of the loci table.
    pub loci_file: &'a str,
    /// Skipped variants by reason, if the skipped list is there.
    pub skipped: Option<&'a [(String, u64)]>,
    /// The covariate model's table, if the merge wrote one.
    pub covariates: Option<&'a Table>,
    /// Manhattan and QQ plots.
    pub figures: [Figure<'a>; 2],
}

/// The whole page.
#[derive(Debug, Clone)]
pub struct Page<'a> {
    /// The output prefix's file name (the title).
    pub title: &'a str,
    /// The merge's log, if present.
    pub log: Option<&'a str>,
    /// Clumping settings the loci were made with.
    pub options: DigestOptions,
    /// The per-party allele-frequency check, if merge wrote one.
    pub party_checks: Option<Vec<PartyCheck<'a>>>,
    /// File name of the full outlier list.
    pub outliers_file: &'a str,
    /// One section per phenotype.
    pub sections: Vec<Section<'a>>,
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:24px auto;max-width:1640px;color:#222;padding:0 16px}\
h1{font-size:24px}h2{font-size:20px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:36px}h3{font-size:16px}\
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}\
th{background:#f3f3f3}td.t,th.t{text-align:left}pre{background:#f7f7f7;padding:8px;font-size:12px;overflow-x:auto;white-space:pre-wrap}\
figure{margin:12px 0}figcaption{font-size:13px;color:#555}img{max-width:100%;height:auto;border:1px solid #eee}.plots{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}";

/// The HTML of `page`.
pub fn render(page: &Page) -> String {
    let mut out = String::with_capacity(1 << 20);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = write!(
        out,
        "<title>dash report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(page.title)
    );
    let _ = writeln!(out, "<h1>dash report: {}</h1>", esc(page.title));
    let _ = writeln!(
        out,
        "<p>Written by dash {} from the merge's files. Loci: variants with p &lt; {:e}, clumped by distance (±{} kb around each lead).</p>",
        env!("CARGO_PKG_VERSION"),
        page.options.clump_p,
        page.options.clump_window / 1000
    );

    out.push_str("<h2>Run</h2>\n<table>\n<tr><th class=\"t\">phenotype</th><th>tested variants</th><th>largest n</th><th>λGC</th><th>loci</th></tr>\n");
    for s in &page.sections {
        let lambda = s.lambda.first().and_then(|l| l.lambda_gc);
        let _ = writeln!(
            out,
            "<tr><td class=\"t\"><a href=\"#pheno-{id}\">{name}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.tested,
            s.max_n,
            lambda.map_or("—".to_string(), |l| format!("{l:.4}")),
            s.loci.len(),
            id = esc(s.phenotype),
            name = esc(s.phenotype),
        );
    }
    out.push_str("</table>\n");
    match page.log {
        Some(log) => {
            let _ = writeln!(
                out,
                "<h3>Merge log (parties, n, covariates)</h3>\n<pre>{}</pre>",
                esc(log)
            );
        }
        None => out.push_str("<p>No merge log (PREFIX.log) was found.</p>\n"),
    }

    for s in &page.sections {
        section(&mut out, s);
    }
    // After the phenotypes: the association results are the first look, this the check on them.
    party_section(&mut out, page);
    out.push_str("</body>\n</html>\n");
    out
}

/// The per-party allele-frequency check: the rule, a row per input, and per checked input its
/// plot and largest outliers.
fn party_section(out: &mut String, page: &Page) {
    out.push_str("<h2 id=\"parties\">Per-party allele frequencies</h2>\n");
    let Some(checks) = &page.party_checks else {
        out.push_str("<p>No per-party allele-frequency check beside these results (PREFIX.af_parties.tsv): dash merge writes one, \
            but results concatenated from several merges, or from a merge before dash had the check, come without it.</p>\n");
        return;
    };
    if let Some(first) = checks.first() {
        let _ = writeln!(
            out,
            "<p>Each input's ALT allele frequency over its samples of {} against the pooled frequency of every other input holding the variant. \
             An outlier differs by more than {} (merge's <code>--af-diff</code>); swapped allele labels, strand or build mismatches and sample swaps show as many outliers. \
             All outliers are in {}.</p>",
            esc(&first.row.phenotype),
            first.row.af_diff,
            esc(page.outliers_file)
        );
    }
    out.push_str("<table class=\"parties\">\n<tr><th>input</th><th class=\"t\">party</th><th class=\"t\">status</th><th>variants compared</th><th>outliers</th><th>largest |Δ|</th></tr>\n");
    for c in checks {
        let r = c.row;
        let checked = r.status == Status::Checked;
        let number = |v: String| if checked { v } else { "—".to_string() };
        let _ = writeln!(
            out,
            "<tr data-status=\"{}\"><td>{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td><td data-outliers=\"{}\">{}</td><td>{}</td></tr>",
            r.status.as_str(),
            r.input,
            esc(&r.party),
            esc(r.status.explain()),
            number(r.compared.to_string()),
            r.outliers,
            number(r.outliers.to_string()),
            number(format!("{:.4}", r.max_abs_difference)),
        );
    }
    out.push_str("</table>\n");
    for c in checks {
        let Some(figure) = &c.figure else { continue };
        let _ = writeln!(out, "<h3>{}</h3>\n<div class=\"plots\">", esc(&c.row.party));
        figure_html(out, figure, &c.row.party);
        out.push_str("<div>\n");
        if c.outliers.is_empty() {
            out.push_str("<p>No outliers.</p>\n");
        } else {
            let _ = writeln!(
                out,
                "<p>{} outliers{}.</p>\n<table class=\"outliers\">\n<tr><th class=\"t\">chromosome</th><th>position</th><th class=\"t\">id</th><th class=\"t\">alleles (effect/other)</th><th>party</th><th>others</th><th>Δ</th><th class=\"t\">flipped</th></tr>",
                c.row.outliers,
                if c.row.outliers as usize > c.outliers.len() {
                    format!("; the {} largest |Δ| shown", c.outliers.len())
                } else {
                    String::new()
                }
            );
            for o in c.outliers {
                let _ = writeln!(
                    out,
                    "<tr><td class=\"t\">{}</td><td>{}</td><td class=\"t\">{}</td><td class=\"t\">{}/{}</td><td>{:.4}</td><td>{:.4}</td><td>{:+.4}</td><td class=\"t\">{}</td></tr>",
                    esc(&o.chrom),
                    o.pos,
                    esc(&o.id),
                    esc(&o.effect_allele),
                    esc(&o.other_allele),
                    o.af_party,
                    o.af_others,
                    o.difference(),
                    if o.flipped { "yes" } else { "no" }
                );
            }
            out.push_str("</table>\n");
        }
        out.push_str("</div>\n</div>\n");
    }
}

/// One plot: the PNG shown, the SVG a download link, both embedded.
fn figure_html(out: &mut String, figure: &Figure, subject: &str) {
    let png = base64::engine::general_purpose::STANDARD.encode(&figure.rendered.png);
    let svg = base64::engine::general_purpose::STANDARD.encode(figure.rendered.svg.as_bytes());
    let (w, h) = figure.rendered.size;
    let _ = writeln!(
        out,
        "<figure><img src=\"data:image/png;base64,{png}\" width=\"{w}\" height=\"{h}\" alt=\"{caption} of {subject}\">\
         <figcaption>{caption} ({png_file}; <a download=\"{svg_file}\" href=\"data:image/svg+xml;base64,{svg}\">SVG</a>)</figcaption></figure>",
        caption = esc(figure.caption),
        subject = esc(subject),
        png_file = esc(figure.files.0),
        svg_file = esc(figure.files.1),
    );
}

fn section(out: &mut String, s: &Section) {
    let _ = writeln!(
        out,
        "<h2 id=\"pheno-{0}\">Phenotype {0}</h2>",
        esc(s.phenotype)
    );
    out.push_str("<div class=\"plots\">\n");
    for figure in &s.figures {
        figure_html(out, figure, s.phenotype);
    }
    out.push_str("</div>\n");

    out.push_str("<h3>Genomic control</h3>\n<table class=\"lambda\">\n<tr><th class=\"t\">MAF bin</th><th>variants</th><th>λGC</th></tr>\n");
    for l in s.lambda {
        let value = match l.lambda_gc {
            Some(v) => format!("<td data-lambda=\"{v:?}\">{v:.4}</td>"),
            None => "<td>—</td>".to_string(),
        };
        let _ = writeln!(
            out,
            "<tr data-bin=\"{bin}\"><td class=\"t\">{bin}</td><td>{}</td>{value}</tr>",
            l.variants,
            bin = esc(l.bin)
        );
    }
    out.push_str("</table>\n");

    let _ = writeln!(
        out,
        "<h3>Top loci</h3>\n<p>{} loci{} (all in {}).</p>",
        s.loci.len(),
        if s.loci.len() > LOCI_SHOWN {
            format!("; the first {LOCI_SHOWN} shown")
        } else {
            String::new()
        },
        esc(s.loci_file)
    );
    if !s.loci.is_empty() {
        out.push_str("<table>\n<tr><th>#</th><th class=\"t\">lead variant</th><th class=\"t\">rsid</th><th class=\"t\">chromosome</th><th>position</th><th class=\"t\">alleles (effect/other)</th><th>beta</th><th>se</th><th>−log₁₀ p</th><th>variants</th><th>span (bp)</th></tr>\n");
        for (k, locus) in s.loci.iter().take(LOCI_SHOWN).enumerate() {
            let l = &locus.lead;
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td><td class=\"t\">{}/{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.2}</td><td>{}</td><td>{}–{}</td></tr>",
                k + 1,
                esc(&l.variant_id),
                esc(&l.rsid),
                esc(&l.chrom),
                l.pos,
                esc(&l.effect_allele),
                esc(&l.other_allele),
                l.beta,
                l.se,
                l.neg_log10_p,
                locus.variants,
                locus.start,
                locus.end
            );
        }
        out.push_str("</table>\n");
    }

    out.push_str("<h3>Skipped variants</h3>\n");
    match s.skipped {
        Some([]) => out.push_str("<p>None.</p>\n"),
        Some(counts) => {
            out.push_str("<table>\n<tr><th class=\"t\">reason</th><th>variants</th></tr>\n");
            for (reason, n) in counts {
                let _ = writeln!(
                    out,
                    "<tr><td class=\"t\">{}</td><td>{n}</td></tr>",
                    esc(reason)
                );
            }
            out.push_str("</table>\n");
        }
        None => out.push_str("<p>No skipped list was found.</p>\n"),
    }

    if let Some(table) = s.covariates {
        out.push_str("<h3>Covariate model</h3>\n<table>\n<tr>");
        for h in &table.header {
            let _ = write!(out, "<th>{}</th>", esc(h));
        }
        out.push_str("</tr>\n");
        for row in &table.rows {
            out.push_str("<tr>");
            for (k, v) in row.iter().enumerate() {
                let class = if k == 0 { " class=\"t\"" } else { "" };
                let _ = write!(out, "<td{class}>{}</td>", esc(v));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
}

/// `text` with HTML's special characters escaped.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    super::plot::svg::escape_into(&mut out, text);
    out
}
