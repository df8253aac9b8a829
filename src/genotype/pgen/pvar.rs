//! `.pvar` (plain, or `.pvar.zst`): one variant per line, in the `.pgen`'s order.
//!
//! Header lines start with `#`; the last, `#CHROM …`, names the columns. `POS`, `REF` and `ALT`
//! are needed; `ID`, `QUAL`, `FILTER`, `INFO` and `CM` may be there; `FORMAT` ends the columns
//! read (a VCF's sites are a `.pvar`). Without a `#CHROM` line the file is read as a `.bim`:
//! `CHROM ID CM POS ALT REF` (or `CHROM ID POS ALT REF` with five columns). `ALT` lists alleles
//! separated by commas (`.` when none). The INFO flag `PR` marks a provisional REF allele.

use std::path::Path;

use super::text::{fields, Lines};
use crate::chrom;
use crate::error::{Error, Result};
use crate::genotype::dosage::RecordSite;

/// Where the needed columns are.
#[derive(Debug, Clone, Copy)]
struct Columns {
    chrom: usize,
    pos: usize,
    id: Option<usize>,
    ref_allele: usize,
    alt: usize,
    info: Option<usize>,
    /// Fields a line needs.
    count: usize,
}

impl Columns {
    /// From a `#CHROM` header line.
    fn from_header(line: &str) -> std::result::Result<Columns, String> {
        let names: Vec<&str> = fields(line).collect();
        let mut found: [Option<usize>; 9] = [None; 9];
        const KNOWN: [&str; 9] = [
            "#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "CM",
        ];
        let mut count = 0;
        for (k, &name) in names.iter().enumerate() {
            if name == "FORMAT" {
                break;
            }
            let slot = KNOWN
                .iter()
                .position(|&known| known == name)
                .ok_or_else(|| format!("unknown column '{name}' in the #CHROM line"))?;
            if found[slot].replace(k).is_some() {
                return Err(format!("column {name} appears twice"));
            }
            count = k + 1;
        }
        let need = |slot: usize| {
            found[slot].ok_or_else(|| format!("the #CHROM line has no {} column", KNOWN[slot]))
        };
        Ok(Columns {
            chrom: need(0)?,
            pos: need(1)?,
            id: found[2],
            ref_allele: need(3)?,
            alt: need(4)?,
            info: found[7],
            count,
        })
    }

    /// A `.bim`-like file without a header: `CHROM ID [CM] POS ALT REF`.
    fn bim_like(field_count: usize) -> Columns {
        let cm = usize::from(field_count >= 6);
        Columns {
            chrom: 0,
            id: Some(1),
            pos: 2 + cm,
            alt: 3 + cm,
            ref_allele: 4 + cm,
            info: None,
            count: 5 + cm,
        }
    }
}

/// The variants of a `.pvar` and whether any REF allele is flagged provisional.
#[derive(Debug, Default)]
pub struct Pvar {
    /// One site per line, in file order.
    pub sites: Vec<RecordSite>,
    /// Some line's INFO has the `PR` flag.
    pub provisional: bool,
}

/// Reads a `.pvar` or `.pvar.zst`.
pub fn read(path: &Path) -> Result<Pvar> {
    let mut lines = Lines::open(path)?;
    let mut columns: Option<Columns> = None;
    let mut pvar = Pvar::default();
    let mut in_header = true;
    while let Some((line_no, line)) = lines.next_line()? {
        let bad = |message: String| Error::input(path, message).at(format!("line {line_no}"));
        if in_header && line.starts_with('#') {
            if line.starts_with("#CHROM") {
                columns = Some(Columns::from_header(line).map_err(bad)?);
                in_header = false;
            }
            continue;
        }
        in_header = false;
        if line.trim().is_empty() {
            continue;
        }
        let row: Vec<&str> = fields(line).collect();
        let c = *columns.get_or_insert_with(|| Columns::bim_like(row.len()));
        if row.len() < c.count {
            return Err(bad(format!(
                "{} fields, but {} are needed",
                row.len(),
                c.count
            )));
        }
        let pos = row[c.pos]
            .parse::<u64>()
            .map_err(|_| bad(format!("position '{}' is not a whole number", row[c.pos])))?;
        if let Some(info) = c.info {
            pvar.provisional |= row[info].split(';').any(|key| key == "PR");
        }
        let alt = row[c.alt];
        pvar.sites.push(RecordSite {
            chrom: chrom::normalize(row[c.chrom]),
            pos,
            id: c.id.map_or(".", |i| row[i]).to_string(),
            ref_allele: row[c.ref_allele].to_string(),
            alts: alt.split(',').map(str::to_string).collect(),
        });
    }
    if pvar.sites.is_empty() {
        return Err(Error::input(path, "no variants"));
    }
    Ok(pvar)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Pvar> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pvar");
        std::fs::write(&path, text).unwrap();
        read(&path)
    }

    #[test]
    fn header_forms() {
        let p = parse("##x\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tCM\nchr1\t5\trs1\tA\tC,G\t.\t.\tPR\t0.1\n")
            .unwrap();
        assert_eq!(p.sites[0].alts, ["C", "G"]);
        assert_eq!((p.sites[0].chrom.as_str(), p.sites[0].pos), ("1", 5));
        assert!(p.provisional);
        let p = parse("1 rs1 0 7 T A\n").unwrap();
        assert_eq!(
            (p.sites[0].ref_allele.as_str(), p.sites[0].alts[0].as_str()),
            ("A", "T")
        );
        let p = parse("#CHROM POS REF ALT\n2 9 G T\n").unwrap();
        assert_eq!(p.sites[0].id, ".");
        assert!(!p.provisional);
    }

    #[test]
    fn bad_lines() {
        let e = parse("#CHROM\tPOS\tID\tREF\tALT\n1\tx\ta\tA\tC\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse("#CHROM\tPOS\tID\tREF\tALT\tFOO\n").unwrap_err();
        assert!(e.to_string().contains("FOO"), "{e}");
        let e = parse("#CHROM\tPOS\tID\tREF\tALT\n1\t5\ta\tA\n").unwrap_err();
        assert!(e.to_string().contains("4 fields"), "{e}");
    }
}
