//! Chromosome names.
//!
//! Biobanks spell chromosomes differently (`chr1`, `1`, `X`, `23`, `chrM`, `MT`). Variants are
//! matched across files by the normalised name, and output is sorted by [`Chrom::order`].
//!
//! ```
//! use dash::chrom::normalize;
//! assert_eq!(normalize("chr1"), "1");
//! assert_eq!(normalize("23"), "X");
//! assert_eq!(normalize("chrM"), "MT");
//! ```

/// The canonical name of a chromosome: `1`–`22`, `X`, `Y`, `XY`, `MT`, or the input unchanged
/// (minus a `chr` prefix) for contigs with no standard number.
pub fn normalize(name: &str) -> String {
    let bare = strip_chr(name);
    match bare.to_ascii_uppercase().as_str() {
        "23" | "X" => "X".to_string(),
        "24" | "Y" => "Y".to_string(),
        "25" | "XY" | "PAR1" | "PAR2" => "XY".to_string(),
        "26" | "M" | "MT" => "MT".to_string(),
        upper => match upper.parse::<u32>() {
            Ok(n) => n.to_string(),
            Err(_) => bare.to_string(),
        },
    }
}

fn strip_chr(name: &str) -> &str {
    if name.len() > 3 && name[..3].eq_ignore_ascii_case("chr") {
        &name[3..]
    } else {
        name
    }
}

/// Sort key: autosomes numerically, then X, Y, XY, MT, then other contigs by name.
pub fn order(normalized: &str) -> (u32, &str) {
    match normalized {
        "X" => (23, ""),
        "Y" => (24, ""),
        "XY" => (25, ""),
        "MT" => (26, ""),
        other => match other.parse::<u32>() {
            Ok(n) => (n, ""),
            Err(_) => (u32::MAX, other),
        },
    }
}

/// The GWAS-SSF chromosome code: `1`–`22`, `23` (X), `24` (Y), `25` (MT); `None` for others.
pub fn gwas_ssf_code(normalized: &str) -> Option<u32> {
    match normalized {
        "X" => Some(23),
        "Y" => Some(24),
        "MT" => Some(25),
        other => other.parse::<u32>().ok().filter(|n| (1..=22).contains(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_common_spellings() {
        for (raw, want) in [
            ("1", "1"),
            ("chr1", "1"),
            ("CHR22", "22"),
            ("01", "1"),
            ("x", "X"),
            ("chrX", "X"),
            ("23", "X"),
            ("24", "Y"),
            ("M", "MT"),
            ("chrMT", "MT"),
            ("26", "MT"),
            ("chrUn_gl000220", "Un_gl000220"),
        ] {
            assert_eq!(normalize(raw), want, "{raw}");
        }
    }

    #[test]
    fn orders_autosomes_numerically() {
        let mut names = vec!["X", "10", "2", "MT", "1", "Y"];
        names.sort_by_key(|n| order(n));
        assert_eq!(names, ["1", "2", "10", "X", "Y", "MT"]);
    }
}
