//! The variant manifest: the rows every secure summary has, in order.
//!
//! A consortium agrees on one manifest; every party's secure summary then has exactly its rows,
//! in its order, so the masked words of all parties line up position by position. A party whose
//! genotypes lack a manifest variant contributes it as all missing.
//!
//! **Format**: tab-separated, one variant a line, `CHROM POS REF ALT [ID]`; `#` comments and blank
//! lines ignored. ALT is the effect allele. Chromosomes are normalised (`chr1` = `1`). A variant
//! (chromosome, position, allele pair) may be listed once. Rows are in genomic order
//! ([`crate::summary::order`]: chromosome, position, REF, ALT), as the rows of every summary are,
//! so that merge can stream them; `dash manifest` writes them so and an unsorted manifest is
//! refused. The fingerprint ([`Manifest::hash`]) is over the canonical text of the sorted rows.
//!
//! ```
//! use dash::secure::manifest::Manifest;
//! let m = Manifest::parse("# v\nchr1\t100\tA\tG\trs1\n1\t200\tC\tT\n", "v.txt".as_ref()).unwrap();
//! assert_eq!(m.len(), 2);
//! assert_eq!(m.rows()[1].id, ".");
//! // A file with G/A at 1:100 matches row 0 with its alleles swapped.
//! assert_eq!(m.find("1", 100, "G", "A"), Some((0, true)));
//! ```

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::keys::hex;
use crate::atomic_file::AtomicFile;
use crate::chrom;
use crate::error::{Error, IoResultExt, Result};
use crate::genotype::bgen::BgenOptions;
use crate::genotype::{self, DosageField, GenotypeBlock, Orientation, Variant};
use crate::summary::order;

type SiteKey = (String, u64, String, String);

fn site_key(chrom: &str, pos: u64, a: &str, b: &str) -> SiteKey {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    (chrom.to_string(), pos, lo.to_string(), hi.to_string())
}

/// The agreed variant rows.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    rows: Vec<Variant>,
    index: HashMap<SiteKey, usize>,
}

impl Manifest {
    /// Reads a manifest file.
    pub fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).with_path(path)?;
        Manifest::parse(&text, path)
    }

    /// Parses manifest text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Manifest> {
        let mut manifest = Manifest::default();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let at = || format!("line {}", number + 1);
            let fields: Vec<&str> = line.split_whitespace().collect();
            if !(4..=5).contains(&fields.len()) {
                return Err(Error::input(path, "expected CHROM POS REF ALT [ID]").at(at()));
            }
            let pos = fields[1].parse::<u64>().ok().ok_or_else(|| {
                Error::input(path, format!("invalid position '{}'", fields[1])).at(at())
            })?;
            let variant = Variant {
                chrom: chrom::normalize(fields[0]).into(),
                pos,
                id: (*fields.get(4).unwrap_or(&".")).into(),
                ref_allele: fields[2].into(),
                alt_allele: fields[3].into(),
            };
            if variant.ref_allele == variant.alt_allele {
                return Err(Error::input(path, "REF and ALT are the same allele").at(at()));
            }
            if let Some(before) = manifest.rows.last() {
                if order::genomic(before, &variant).is_gt() {
                    return Err(Error::input(
                        path,
                        format!(
                            "variant {variant} comes after {before}: a manifest's rows are sorted by chromosome, position, REF, ALT (regenerate it with `dash manifest`)"
                        ),
                    )
                    .at(at()));
                }
            }
            manifest
                .push(variant)
                .map_err(|m| Error::input(path, m).at(at()))?;
        }
        if manifest.is_empty() {
            return Err(Error::input(path, "manifest lists no variant"));
        }
        Ok(manifest)
    }

    fn push(&mut self, variant: Variant) -> std::result::Result<(), String> {
        let key = site_key(
            &variant.chrom,
            variant.pos,
            &variant.ref_allele,
            &variant.alt_allele,
        );
        if self.index.insert(key, self.rows.len()).is_some() {
            return Err(format!("variant {variant} listed twice"));
        }
        self.rows.push(variant);
        Ok(())
    }

    /// The rows, in order.
    pub fn rows(&self) -> &[Variant] {
        &self.rows
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row of a variant, and whether its alleles are the other way round there.
    pub fn find(
        &self,
        chrom: &str,
        pos: u64,
        ref_allele: &str,
        alt: &str,
    ) -> Option<(usize, bool)> {
        let &row = self.index.get(&site_key(chrom, pos, ref_allele, alt))?;
        Some((row, self.rows[row].alt_allele != alt))
    }

    /// Per row, the first row of its run of rows at the same chromosome and position: rows of one
    /// position (the ALTs of a multi-allelic site) may arrive in any order.
    pub fn position_starts(&self) -> Vec<usize> {
        let mut starts = Vec::with_capacity(self.rows.len());
        for (i, v) in self.rows.iter().enumerate() {
            let same = i > 0 && {
                let p = &self.rows[i - 1];
                p.chrom == v.chrom && p.pos == v.pos
            };
            starts.push(if same { starts[i - 1] } else { i });
        }
        starts
    }

    /// The canonical text: a header line, then `CHROM POS REF ALT ID` per row, tab-separated.
    pub fn canonical(&self) -> String {
        let mut text = String::from("# dash manifest v1: CHROM POS REF ALT ID\n");
        for v in &self.rows {
            text.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\n",
                v.chrom, v.pos, v.ref_allele, v.alt_allele, v.id
            ));
        }
        text
    }

    /// SHA-256 (hex) of [`Manifest::canonical`].
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.canonical().as_bytes()))
    }

    /// Writes the canonical text to `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        let mut file = AtomicFile::create(path)?;
        file.write_all(self.canonical().as_bytes())
            .with_path(path)?;
        file.commit()?;
        Ok(())
    }

    /// Builds a manifest from variant lists — PLINK `.bim` (or a `.bed` beside one), any other
    /// genotype source ([`genotype::open_with`]: VCF/BCF, `.pgen`, `.bgen` read with `bgen`'s
    /// `--bgen-ref`; only the variants are used) or another manifest — by union, or by
    /// intersection when `intersect`. Variants match by chromosome, position and allele pair; a variant's
    /// orientation (which allele is ALT) and ID come from the first list holding it whose source
    /// knows the reference allele (VCF/BCF/manifest), else from the first list holding it. Rows
    /// are in genomic order ([`crate::summary::order`]).
    pub fn build(lists: &[&Path], intersect: bool, bgen: &BgenOptions) -> Result<Manifest> {
        let mut variants: Vec<Variant> = Vec::new();
        let mut reference_known: Vec<bool> = Vec::new();
        let mut counts: Vec<usize> = Vec::new();
        let mut index: HashMap<SiteKey, usize> = HashMap::new();
        for (l, path) in lists.iter().enumerate() {
            let (list, reference) = read_variant_list(path, bgen)?;
            let mut seen_here = vec![false; variants.len()];
            for v in list {
                let key = site_key(&v.chrom, v.pos, &v.ref_allele, &v.alt_allele);
                match index.get(&key) {
                    Some(&i) => {
                        if !seen_here[i] {
                            seen_here[i] = true;
                            counts[i] += 1;
                        }
                        if reference && !reference_known[i] {
                            variants[i] = v;
                            reference_known[i] = true;
                        }
                    }
                    None if intersect && l > 0 => {}
                    None => {
                        index.insert(key, variants.len());
                        variants.push(v);
                        reference_known.push(reference);
                        counts.push(1);
                        seen_here.push(true);
                    }
                }
            }
        }
        let mut kept: Vec<usize> = (0..variants.len())
            .filter(|&i| !intersect || counts[i] == lists.len())
            .collect();
        kept.sort_by(|&a, &b| order::genomic(&variants[a], &variants[b]));
        let mut manifest = Manifest::default();
        for i in kept {
            manifest
                .push(variants[i].clone())
                .expect("sites are distinct");
        }
        Ok(manifest)
    }
}

/// Reads the variants of one list and whether its orientation is reference-based.
fn read_variant_list(path: &Path, bgen: &BgenOptions) -> Result<(Vec<Variant>, bool)> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".bim") || name.ends_with(".bed") {
        let bim = path.with_extension("bim");
        return Ok((read_bim(&bim)?, false));
    }
    let is_genotype_source = [".vcf", ".vcf.gz", ".vcf.bgz", ".bcf", ".pgen", ".bgen"]
        .iter()
        .any(|e| name.ends_with(e));
    if is_genotype_source {
        let mut reader = genotype::open_with(path, None, DosageField::Auto, bgen)?;
        let reference = reader.orientation() == Orientation::Reference;
        let mut variants = Vec::new();
        let mut block = GenotypeBlock::default();
        while reader.read_block(4096, &mut block)? {
            variants.append(&mut block.variants);
            block.clear();
        }
        return Ok((variants, reference));
    }
    Ok((Manifest::read(path)?.rows, true))
}

/// The variants of a PLINK `.bim`: ALT = A1 (column 5), REF = A2 (column 6), as in PLINK 2.
fn read_bim(path: &Path) -> Result<Vec<Variant>> {
    let text = std::fs::read_to_string(path).with_path(path)?;
    let mut variants = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let pos = (f.len() == 6).then(|| f[3].parse::<u64>().ok()).flatten();
        let Some(pos) = pos else {
            return Err(
                Error::input(path, "expected 6 columns: CHR ID CM POS A1 A2")
                    .at(format!("line {}", number + 1)),
            );
        };
        variants.push(Variant {
            chrom: chrom::normalize(f[0]).into(),
            pos,
            id: f[1].into(),
            ref_allele: f[5].into(),
            alt_allele: f[4].into(),
        });
    }
    Ok(variants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_duplicates_and_bad_lines() {
        let p = Path::new("v.txt");
        let e = Manifest::parse("1\t5\tA\tG\n1\t5\tG\tA\n", p).unwrap_err();
        assert_eq!(e.to_string(), "v.txt: line 2: variant 1:5 G/A listed twice");
        let e = Manifest::parse("1\tx\tA\tG\n", p).unwrap_err();
        assert_eq!(e.to_string(), "v.txt: line 1: invalid position 'x'");
    }

    #[test]
    fn union_and_intersection_of_lists() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.bim");
        let b = dir.path().join("b.txt");
        std::fs::write(&a, "2\trs2\t0\t50\tA\tG\n1\trs1\t0\t10\tT\tC\n").unwrap();
        std::fs::write(&b, "1\t10\tT\tC\tx1\n1\t20\tA\tC\n").unwrap();
        let union = Manifest::build(&[&a, &b], false, &BgenOptions::default()).unwrap();
        let rows: Vec<String> = union
            .rows()
            .iter()
            .map(|v| {
                format!(
                    "{}:{}:{}:{}:{}",
                    v.chrom, v.pos, v.ref_allele, v.alt_allele, v.id
                )
            })
            .collect();
        // 1:10 takes the manifest's (reference) orientation and ID over the .bim's.
        assert_eq!(rows, ["1:10:T:C:x1", "1:20:A:C:.", "2:50:G:A:rs2"]);
        let both = Manifest::build(&[&a, &b], true, &BgenOptions::default()).unwrap();
        assert_eq!(both.len(), 1);
        assert_eq!(union.position_starts(), [0, 1, 2]);
    }
}
