//! The text of the GWAS-SSF columns that depend on the variant only, formatted once per window.
//!
//! A merge of many phenotypes writes every variant of a window once per phenotype, and most of
//! a row (chromosome, position, alleles, `variant_id`, `rsid`, `source_id`, `info`) is the same
//! in every phenotype's file. [`VariantColumns`] formats that text once per window; each
//! phenotype's writer copies it around its own numbers (see [`super::gwas_ssf`]).
//!
//! A row reads `HEAD beta se eaf p MIDDLE n t neg_log_10_p TAIL [counts]`, where
//!
//! * `HEAD` is `chromosome\tbase_pair_location\teffect_allele\tother_allele\t`,
//! * `MIDDLE` is `variant_id\trsid\t`,
//! * `TAIL` is `source_id`, then `\tinfo` for dosage inputs.

use rayon::prelude::*;

use super::float_text::push_u64;
use super::gwas_ssf::{allele, fits_variant_id, is_rsid};
use super::MISSING;
use crate::chrom;
use crate::merge::{Merged, Site};
use crate::qc::info;

/// Sites formatted as one unit of parallel work (and held in one buffer).
const CHUNK: usize = 1024;

/// The variant-only columns of every site of one window, in site order.
pub struct VariantColumns {
    chunks: Vec<Chunk>,
    with_info: bool,
}

/// The columns of [`CHUNK`] consecutive sites, in one buffer.
struct Chunk {
    text: String,
    spans: Vec<Span>,
}

/// Where one site's columns lie in its chunk's text: `head` is `start..middle_start`, and so on.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// The GWAS-SSF chromosome code; 0 for a chromosome GWAS-SSF has none for (no row, no text).
    code: u32,
    start: u32,
    middle_start: u32,
    tail_start: u32,
    end: u32,
}

/// One site's variant-only columns (see the module's documentation for what each holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns<'a> {
    /// The GWAS-SSF chromosome code (1–25).
    pub code: u32,
    /// Chromosome, position and alleles, each followed by a tab.
    pub head: &'a str,
    /// `variant_id` and `rsid`, each followed by a tab.
    pub middle: &'a str,
    /// `source_id`, then the tab and `info` when the window is of dosage inputs.
    pub tail: &'a str,
}

impl VariantColumns {
    /// Formats the columns of every site of `merged` (on the pool); `with_info` adds the
    /// `info` column (the pooled MACH r², for dosage inputs).
    pub fn new(merged: &Merged, with_info: bool) -> VariantColumns {
        let chunks = merged
            .sites
            .par_chunks(CHUNK)
            .map(|sites| Chunk::new(merged, sites, with_info))
            .collect();
        VariantColumns { chunks, with_info }
    }

    /// Whether the tail holds the `info` column.
    pub fn with_info(&self) -> bool {
        self.with_info
    }

    /// The columns of the window's site `index`, or `None` when its chromosome has no
    /// GWAS-SSF code (the variant is not written).
    pub fn get(&self, index: usize) -> Option<Columns<'_>> {
        let chunk = &self.chunks[index / CHUNK];
        let span = chunk.spans[index % CHUNK];
        if span.code == 0 {
            return None;
        }
        let text = |from: u32, to: u32| &chunk.text[from as usize..to as usize];
        Some(Columns {
            code: span.code,
            head: text(span.start, span.middle_start),
            middle: text(span.middle_start, span.tail_start),
            tail: text(span.tail_start, span.end),
        })
    }
}

impl Chunk {
    fn new(merged: &Merged, sites: &[Site], with_info: bool) -> Chunk {
        let mut text = String::with_capacity(sites.len() * 64);
        let spans = sites
            .iter()
            .map(|site| push_site(&mut text, merged, site, with_info))
            .collect();
        Chunk { text, spans }
    }
}

/// Appends one site's columns to `text` and says where they are.
fn push_site(text: &mut String, merged: &Merged, site: &Site, with_info: bool) -> Span {
    let offset = |text: &String| u32::try_from(text.len()).expect("a chunk's text under 4 GiB");
    let start = offset(text);
    let v = merged.variant(site);
    let Some(code) = chrom::gwas_ssf_code(&v.chrom) else {
        return Span {
            code: 0,
            start,
            middle_start: start,
            tail_start: start,
            end: start,
        };
    };
    let (rsid, source_id) = match v.id.as_str() {
        id if is_rsid(id) => (id, MISSING),
        "." | "" => (MISSING, MISSING),
        id => (MISSING, id),
    };
    push_u64(text, u64::from(code));
    text.push('\t');
    push_u64(text, v.pos);
    for part in [
        "\t",
        allele(&v.alt_allele),
        "\t",
        allele(&v.ref_allele),
        "\t",
    ] {
        text.push_str(part);
    }
    let middle_start = offset(text);
    push_variant_id(text, code, v);
    for part in ["\t", rsid, "\t"] {
        text.push_str(part);
    }
    let tail_start = offset(text);
    text.push_str(source_id);
    if with_info {
        text.push('\t');
        let qc = merged.qc(site);
        match info::mach_r2(qc.dosage_sum, qc.dosage_sq_sum, qc.observed) {
            Some(r2) => super::float_text::push_f64(text, info::clamped(r2)),
            None => text.push_str(MISSING),
        }
    }
    Span {
        code,
        start,
        middle_start,
        tail_start,
        end: offset(text),
    }
}

/// `CHR_POS_REF_ALT`, or `#NA` when an allele holds a character `variant_id` may not.
fn push_variant_id(line: &mut String, code: u32, v: &crate::summary::Variant) {
    if fits_variant_id(&v.ref_allele, &v.alt_allele) {
        push_u64(line, u64::from(code));
        line.push('_');
        push_u64(line, v.pos);
        for text in ["_", &v.ref_allele, "_", &v.alt_allele] {
            line.push_str(text);
        }
    } else {
        line.push_str(MISSING);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Variant;

    fn variant(id: &str, reference: &str, alt: &str) -> Variant {
        Variant {
            chrom: "1".into(),
            pos: 100,
            id: id.into(),
            ref_allele: reference.into(),
            alt_allele: alt.into(),
        }
    }

    #[test]
    fn variant_id_is_chr_pos_ref_alt_when_it_fits() {
        let mut line = String::new();
        push_variant_id(&mut line, 1, &variant("snp1", "A", "G"));
        assert_eq!(line, "1_100_A_G");
        let mut line = String::new();
        push_variant_id(&mut line, 1, &variant("snp1", "A", "-"));
        assert_eq!(line, MISSING);
    }
}
