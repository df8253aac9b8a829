//! In-sample LD for fine-mapping (`dash merge --ld-out`): FINEMAP's `.z` and `.ld` files, which
//! susieR's `susie_rss` reads as they are (docs/fine-mapping.md).
//!
//! * `.z`: space-separated, header `rsid chromosome position allele1 allele2 maf beta se`, one
//!   line per variant in the matrix's order; allele1 is REF, allele2 the effect allele (ALT),
//!   beta and se the single-variant effect of allele2 on the matrix's samples (z = beta/se);
//! * `.ld`: the m × m correlation matrix, space-separated, one row per line, full precision.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::float_text::push_f64;
use crate::atomic_file::AtomicFile;
use crate::error::{IoResultExt, Result};
use crate::merge::VariantResult;
use crate::regression::Outcome;
use crate::summary::Variant;

/// Writes `stem.z` and `stem.ld` (under temporary names, committed with the run's other files).
pub fn write(
    stem: &str,
    variants: &[&Variant],
    results: &[VariantResult],
    correlation: &[f64],
) -> Result<Vec<AtomicFile>> {
    let mut z = String::from("rsid chromosome position allele1 allele2 maf beta se\n");
    for (v, result) in variants.iter().zip(results) {
        let Outcome::Tested(a) = result.outcome else {
            unreachable!("only tested variants are exported");
        };
        let _ = write!(
            z,
            "{}:{}:{}:{} {} {} {} {} ",
            v.chrom, v.pos, v.ref_allele, v.alt_allele, v.chrom, v.pos, v.ref_allele, v.alt_allele
        );
        push_f64(&mut z, result.eaf.min(1.0 - result.eaf));
        z.push(' ');
        push_f64(&mut z, a.beta);
        z.push(' ');
        push_f64(&mut z, a.se);
        z.push('\n');
    }
    let m = variants.len();
    let mut ld = String::with_capacity(m * m * 20);
    for row in correlation.chunks(m.max(1)) {
        for (b, r) in row.iter().enumerate() {
            if b > 0 {
                ld.push(' ');
            }
            push_f64(&mut ld, *r);
        }
        ld.push('\n');
    }
    let mut files = Vec::new();
    for (extension, text) in [("z", z), ("ld", ld)] {
        let path = format!("{stem}.{extension}");
        let mut file = AtomicFile::create(Path::new(&path))?;
        file.write_all(text.as_bytes()).with_path(&path)?;
        files.push(file);
    }
    Ok(files)
}
