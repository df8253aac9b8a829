//! The inputs of a merge: what kind of summaries they are, and checks on the set.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::MergeOptions;
use crate::error::{Error, Result};

/// What the merged summaries are, which decides what a model may ask of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Plaintext summaries: each party's own sums are visible.
    Plaintext,
    /// One pooled summary decoded from a complete secure set: only the roster's pooled sums.
    SecureSet,
}

impl InputKind {
    /// Refuses options that need what this kind of input does not reveal.
    pub fn check(self, options: &MergeOptions) -> Result<()> {
        if self == InputKind::SecureSet {
            if options.per_party_intercept {
                return Err(Error::usage(
                    "--per-party-intercept needs each party's own sums, which secure summaries do not reveal",
                ));
            }
            if options.min_parties > 1 {
                return Err(Error::usage(
                    "--min-parties does not apply to secure summaries: every variant has every roster party (absent calls count as missing)",
                ));
            }
        }
        Ok(())
    }
}

/// Refuses one file given twice (under two names): its sums would be counted twice.
pub fn check_distinct_paths(paths: &[PathBuf]) -> Result<()> {
    let mut seen: HashMap<PathBuf, &Path> = HashMap::new();
    for path in paths {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if let Some(first) = seen.insert(key, path) {
            return Err(Error::input(
                path,
                format!(
                    "given twice (also as {}): its sums would be counted twice",
                    first.display()
                ),
            ));
        }
    }
    Ok(())
}
