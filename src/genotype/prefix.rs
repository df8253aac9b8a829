//! A bare prefix as the genotype argument (`dash compress cohort`): the first of
//! `cohort.pgen`, `.bed`, `.bgen`, `.vcf.gz`, `.bcf` that exists is read, and the log says which.

use std::path::{Path, PathBuf};

use super::{BlockReader, GenotypeBlock, Orientation};
use crate::error::{Error, Result};

/// Extensions tried for a prefix, in order of preference.
const TRIED: [&str; 5] = ["pgen", "bed", "bgen", "vcf.gz", "bcf"];

/// Names that are read as they are, never as a prefix.
const KNOWN: [&str; 11] = [
    ".pgen", ".pvar", ".psam", ".bed", ".bim", ".fam", ".bgen", ".vcf", ".vcf.gz", ".vcf.bgz",
    ".bcf",
];

/// For a `path` that is not a file and has no genotype extension, the file found with one of the
/// extensions tried, and a line for the log saying which was used (and which others were
/// there); `None` for any other path. No file with any of them is an error listing the names
/// tried.
pub fn find_by_prefix(path: &Path) -> Result<Option<(PathBuf, String)>> {
    let text = path.to_string_lossy();
    let lower = text.to_ascii_lowercase();
    if path.is_file() || KNOWN.iter().any(|ext| lower.ends_with(ext)) {
        return Ok(None);
    }
    let candidates: Vec<PathBuf> = TRIED
        .iter()
        .map(|ext| PathBuf::from(format!("{text}.{ext}")))
        .collect();
    let present: Vec<&PathBuf> = candidates.iter().filter(|p| p.is_file()).collect();
    let Some(&first) = present.first() else {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::input(
            path,
            format!(
                "no such file, and no genotype file with this prefix (tried {})",
                tried.join(", ")
            ),
        ));
    };
    let mut note = format!("genotype prefix '{text}': read {}", first.display());
    if present.len() > 1 {
        let others: Vec<String> = present[1..]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        note.push_str(&format!(" (also there, not read: {})", others.join(", ")));
    }
    Ok(Some((first.clone(), note)))
}

/// A reader opened through a prefix: the reader of the file found, with the note saying which.
pub struct Resolved {
    inner: Box<dyn BlockReader>,
    note: String,
}

impl Resolved {
    /// Wraps the reader of the file found.
    pub fn new(inner: Box<dyn BlockReader>, note: String) -> Resolved {
        Resolved { inner, note }
    }
}

impl BlockReader for Resolved {
    super::describe_as_inner!(inner);

    fn read_block(&mut self, max_variants: usize, block: &mut GenotypeBlock) -> Result<bool> {
        self.inner.read_block(max_variants, block)
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = vec![self.note.clone()];
        notes.extend(self.inner.notes());
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_extension_present() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("cohort");
        let err = find_by_prefix(&prefix).unwrap_err().to_string();
        assert!(
            err.contains("cohort.pgen") && err.contains("cohort.bcf"),
            "{err}"
        );
        std::fs::write(dir.path().join("cohort.bed"), b"").unwrap();
        std::fs::write(dir.path().join("cohort.vcf.gz"), b"").unwrap();
        let (found, note) = find_by_prefix(&prefix).unwrap().unwrap();
        assert_eq!(found, dir.path().join("cohort.bed"));
        assert!(note.contains("cohort.vcf.gz"), "{note}");
        assert!(find_by_prefix(&dir.path().join("cohort.bed"))
            .unwrap()
            .is_none());
        assert!(find_by_prefix(&dir.path().join("other.pgen"))
            .unwrap()
            .is_none());
    }
}
