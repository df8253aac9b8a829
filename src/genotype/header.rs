//! The VCF header (of a `.vcf` or inside a `.bcf`), read leniently, as htslib reads it.
//!
//! dash needs four things from a header: the sample IDs (the `#CHROM` line), which FORMAT keys
//! are declared, the BCF string dictionary (FILTER, INFO and FORMAT IDs in order, `IDX=`
//! honoured, `PASS` first) and the contig dictionary. Only those are parsed; `Number`, `Type`,
//! `Description` and every other attribute are not looked at, so the headers the world writes
//! are read: a `##FILTER` without `Description`, an INFO without `Number`, a VCFv4.3 header
//! redefining a standard key (`INFO/DB` as `Number=1,Type=String`), spaces around `=` or after
//! commas. What is refused names the line, the key and the rule:
//!
//! * a `##INFO`/`##FORMAT`/`##FILTER`/`##contig` line that is not `<…>`, has no `ID`, or has an
//!   unclosed quote;
//! * a dictionary `IDX` that contradicts an earlier one;
//! * a `#CHROM` line whose first columns are not `#CHROM POS ID REF ALT QUAL FILTER INFO`, whose
//!   ninth is not `FORMAT`, or with an empty or repeated sample ID.
//!
//! Trailing tabs and spaces of the `#CHROM` line are ignored.
//!
//! ```
//! use dash::genotype::header::HeaderParser;
//! let mut parser = HeaderParser::default();
//! for line in [
//!     "##fileformat=VCFv4.3",
//!     "##FILTER=<ID=LowQual>",
//!     "##INFO=<ID = DB, Number=1, Type=String>",
//!     "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype, \\\"called\\\"\">",
//!     "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\t",
//! ] {
//!     parser.line(line.as_bytes()).unwrap();
//! }
//! let header = parser.finish().unwrap();
//! assert_eq!(header.samples, ["S1", "S2"]);
//! assert!(header.formats.contains("GT"));
//! assert_eq!(header.strings.index_of("GT"), Some(3)); // PASS, LowQual, DB, GT
//! ```

use std::collections::{HashMap, HashSet};

/// Columns every `#CHROM` line starts with.
const FIXED: [&str; 8] = [
    "#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
];

/// The largest gap an `IDX` may leave after the entries so far (it sizes a vector).
const MAX_IDX_GAP: usize = 1 << 16;

/// IDs by dictionary index (BCF 2.2 §6.2.1): in order of first appearance, or at `IDX`.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    entries: Vec<Option<String>>,
    index: HashMap<String, usize>,
}

impl Dictionary {
    /// Adds `id` at `idx` (or after the last entry); an ID already present keeps its index.
    fn insert(&mut self, id: &str, idx: Option<usize>) -> Result<(), String> {
        if let Some(&at) = self.index.get(id) {
            return match idx {
                Some(i) if i != at => Err(format!("IDX={i}, but '{id}' already has index {at}")),
                _ => Ok(()),
            };
        }
        let i = idx.unwrap_or(self.entries.len());
        if i > self.entries.len() + MAX_IDX_GAP {
            return Err(format!(
                "IDX={i} leaves a gap of more than {MAX_IDX_GAP} dictionary entries"
            ));
        }
        if i >= self.entries.len() {
            self.entries.resize(i + 1, None);
        }
        if let Some(other) = &self.entries[i] {
            return Err(format!(
                "IDX={i} of '{id}' is already the index of '{other}'"
            ));
        }
        self.entries[i] = Some(id.to_string());
        self.index.insert(id.to_string(), i);
        Ok(())
    }

    /// The dictionary index of `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The IDs by index, `""` where an index has none.
    pub fn names(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| e.clone().unwrap_or_default())
            .collect()
    }
}

/// What dash takes from a VCF header.
#[derive(Debug, Clone)]
pub struct VcfHeader {
    /// Sample IDs in column order.
    pub samples: Vec<String>,
    /// The FORMAT keys declared.
    pub formats: HashSet<String>,
    /// FILTER, INFO and FORMAT IDs (`PASS` at 0).
    pub strings: Dictionary,
    /// Contig IDs.
    pub contigs: Dictionary,
    /// The `length` of the chrX contig (`X`, `chrX`, `23`), which tells the genome build.
    pub chrx_length: Option<u64>,
}

/// Reads a header line by line.
#[derive(Debug)]
pub struct HeaderParser {
    formats: HashSet<String>,
    strings: Dictionary,
    contigs: Dictionary,
    samples: Option<Vec<String>>,
    chrx_length: Option<u64>,
}

impl Default for HeaderParser {
    fn default() -> Self {
        let mut strings = Dictionary::default();
        // "PASS is always implicitly encoded as the first entry in the header dictionary."
        strings.insert("PASS", Some(0)).expect("empty dictionary");
        HeaderParser {
            formats: HashSet::new(),
            strings,
            contigs: Dictionary::default(),
            samples: None,
            chrx_length: None,
        }
    }
}

impl HeaderParser {
    /// Reads one line (without its newline); returns `true` once it was the `#CHROM` line.
    /// Errors say which key and which rule, for the caller to prefix with the file and line.
    pub fn line(&mut self, line: &[u8]) -> Result<bool, String> {
        let text = String::from_utf8_lossy(line);
        if text.starts_with("#CHROM") {
            self.samples = Some(parse_chrom_line(&text)?);
            return Ok(true);
        }
        let Some(meta) = text.strip_prefix("##") else {
            return Err(format!(
                "header line '{}' starts with neither '##' nor '#CHROM'",
                shorten(&text)
            ));
        };
        let Some((key, value)) = meta.split_once('=') else {
            return Ok(false); // `##something` without a value: nothing dash needs
        };
        let key = key.trim();
        let dictionary = match key {
            "INFO" | "FILTER" | "FORMAT" => false,
            "contig" => true,
            _ => return Ok(false),
        };
        let attributes =
            parse_structured(value.trim()).map_err(|rule| format!("##{key} line: {rule}"))?;
        let get = |name: &str| {
            attributes
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let id = get("ID")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| format!("##{key} line has no ID"))?;
        let idx = get("IDX")
            .map(|v| {
                v.parse::<usize>()
                    .map_err(|_| format!("##{key} line of '{id}': IDX '{v}' is not a whole number"))
            })
            .transpose()?;
        let target = if dictionary {
            &mut self.contigs
        } else {
            &mut self.strings
        };
        target
            .insert(id, idx)
            .map_err(|rule| format!("##{key} line of '{id}': {rule}"))?;
        if key == "FORMAT" {
            self.formats.insert(id.to_string());
        }
        if dictionary && crate::chrom::normalize(id) == "X" {
            if let Some(length) = get("length") {
                let length = length.parse::<u64>().map_err(|_| {
                    format!("##contig line of '{id}': length '{length}' is not a whole number")
                })?;
                self.chrx_length = Some(length);
            }
        }
        Ok(false)
    }

    /// The header, once the `#CHROM` line was read.
    pub fn finish(self) -> Result<VcfHeader, String> {
        let samples = self.samples.ok_or("no #CHROM line")?;
        Ok(VcfHeader {
            samples,
            formats: self.formats,
            strings: self.strings,
            contigs: self.contigs,
            chrx_length: self.chrx_length,
        })
    }
}

/// The first 60 characters of `text`, for messages.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The attributes of `<K=V,K="V, quoted",…>`, keys and unquoted values trimmed.
fn parse_structured(value: &str) -> Result<Vec<(String, String)>, String> {
    let inner = value
        .strip_prefix('<')
        .ok_or("expected <ID=…,…>")?
        .strip_suffix('>')
        .ok_or("'<' is not closed by '>' at the end of the line")?;
    let mut attributes = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_string();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => value.push(c),
                }
            }
            if !closed {
                return Err(format!("the quoted value of '{key}' is not closed"));
            }
            // Anything between the closing quote and the comma is ignored.
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
                value.push(c);
            }
            value = value.trim().to_string();
        }
        if !key.is_empty() {
            attributes.push((key, value));
        }
        if chars.peek().is_none() {
            return Ok(attributes);
        }
    }
}

/// The sample IDs of the `#CHROM` line.
fn parse_chrom_line(text: &str) -> Result<Vec<String>, String> {
    let columns: Vec<&str> = text
        .trim_end_matches(['\t', ' ', '\r'])
        .split('\t')
        .collect();
    for (k, want) in FIXED.iter().enumerate() {
        match columns.get(k) {
            Some(found) if found.trim() == *want => {}
            found => {
                return Err(format!(
                    "the #CHROM line must start with the tab-separated columns {}; column {} is {}",
                    FIXED.join(" "),
                    k + 1,
                    found.map_or("missing".to_string(), |f| format!("'{}'", shorten(f)))
                ))
            }
        }
    }
    if columns.len() == FIXED.len() {
        return Ok(Vec::new());
    }
    if columns[8].trim() != "FORMAT" {
        return Err(format!(
            "the #CHROM line's column 9 is '{}', expected FORMAT before the sample IDs",
            shorten(columns[8])
        ));
    }
    let mut seen = HashSet::new();
    let mut samples = Vec::with_capacity(columns.len() - 9);
    for (k, name) in columns[9..].iter().enumerate() {
        if name.is_empty() {
            return Err(format!(
                "the #CHROM line's sample {} has an empty ID",
                k + 1
            ));
        }
        if !seen.insert(*name) {
            return Err(format!(
                "sample ID '{name}' appears twice in the #CHROM line"
            ));
        }
        samples.push(name.to_string());
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&str]) -> Result<VcfHeader, String> {
        let mut parser = HeaderParser::default();
        for line in lines {
            parser.line(line.as_bytes())?;
        }
        parser.finish()
    }

    const CHROM: &str = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA";

    #[test]
    fn lenient_attributes() {
        let h = parse(&[
            "##fileformat=VCFv4.3",
            "##FILTER=<ID=q10>",
            "##INFO=<ID=DB,Number=1,Type=String,Description=\"dbSNP, as a string\">",
            "##FORMAT=<ID=AD,Number=.,Type=Integer>",
            "##FORMAT=<ID=GQ,Number=1,Type=Float>",
            "##FORMAT = < ID = GT , Number = 1 >",
            "##contig=<ID=NC_000074.7,length=120421639>",
            "##ALT=<whatever",
            "##source",
            CHROM,
        ])
        .unwrap();
        assert_eq!(h.samples, ["A"]);
        assert!(h.formats.contains("GT") && h.formats.contains("AD"));
        assert_eq!(
            h.strings.names(),
            ["PASS", "q10", "DB", "AD", "GQ", "GT"].map(String::from)
        );
        assert_eq!(h.contigs.names(), ["NC_000074.7"]);
    }

    #[test]
    fn idx_is_honoured_and_checked() {
        let h = parse(&[
            "##FILTER=<ID=PASS,Description=\"All filters passed\",IDX=0>",
            "##INFO=<ID=DP,Number=1,Type=Integer,IDX=2>",
            "##FORMAT=<ID=GT,Number=1,Type=String,IDX=1>",
            "##FORMAT=<ID=DP,Number=1,Type=Integer,IDX=2>",
            "##contig=<ID=2,IDX=1>",
            CHROM,
        ])
        .unwrap();
        assert_eq!(h.strings.index_of("GT"), Some(1));
        assert_eq!(h.strings.index_of("DP"), Some(2));
        assert_eq!(h.contigs.names(), ["", "2"]);
        let e = parse(&["##INFO=<ID=DP,IDX=2>", "##FORMAT=<ID=DP,IDX=3>", CHROM]).unwrap_err();
        assert!(
            e.contains("##FORMAT") && e.contains("'DP'") && e.contains("IDX=3"),
            "{e}"
        );
        let e = parse(&["##INFO=<ID=DP,IDX=99999999>", CHROM]).unwrap_err();
        assert!(e.contains("gap"), "{e}");
    }

    #[test]
    fn refusals_name_the_key_and_the_rule() {
        let e = parse(&["##FORMAT=<ID=GT,Number=1,Type=String", CHROM]).unwrap_err();
        assert!(e.contains("##FORMAT") && e.contains("'>'"), "{e}");
        let e = parse(&["##INFO=<Number=1,Type=Integer>", CHROM]).unwrap_err();
        assert!(e.contains("##INFO line has no ID"), "{e}");
        let e = parse(&["##INFO=<ID=X,Description=\"open>", CHROM]).unwrap_err();
        assert!(e.contains("'Description' is not closed"), "{e}");
        let e = parse(&["#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER"]).unwrap_err();
        assert!(e.contains("column 8 is missing"), "{e}");
        let e = parse(&[&format!("{CHROM}\tA")]).unwrap_err();
        assert!(e.contains("'A' appears twice"), "{e}");
        let e = parse(&["##fileformat=VCFv4.2"]).unwrap_err();
        assert!(e.contains("no #CHROM"), "{e}");
        let e = parse(&["#comment", CHROM]).unwrap_err();
        assert!(e.contains("neither"), "{e}");
    }

    #[test]
    fn trailing_tabs_of_the_chrom_line() {
        let h = parse(&[&format!("{CHROM}\tB\t\t")]).unwrap();
        assert_eq!(h.samples, ["A", "B"]);
        let e = parse(&[&format!("{CHROM}\t\tB")]).unwrap_err();
        assert!(e.contains("sample 2 has an empty ID"), "{e}");
    }
}
