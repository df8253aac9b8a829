//! PLINK 2 binary genotypes: `.pgen` + `.pvar` (or `.pvar.zst`) + `.psam`.
//!
//! Read from the format's specification (plink-ng's `pgen_spec`): the header and its record
//! index ([`header`]), record types ([`record`]), difflists ([`difflist`]), the main track of
//! 2-bit calls in every storage plink2 writes — plain, 1-bit, LD-compressed against the last
//! non-LD record (plain or inverted), sparse around a common call ([`main_track`]) — the
//! multi-allelic and phase tracks ([`multiallelic`]) and the dosage track ([`dosage`]).
//!
//! With `--dosage-field GT` (or `auto` on a file without dosages) the calls go out as packed
//! `.bed` codes, converted a byte at a time, so compress sums them with the `.bed` table kernel;
//! with `DS` (or `auto` on a file with a dosage track) as dense dosages: a sample's stored
//! dosage (a multiple of 1/16384) where it has one, else its hard call. A variant with several
//! ALT alleles is tested one ALT at a time, as a VCF is ([`crate::genotype::dosage`]): ALTx's
//! dosage is the number of copies of ALTx in the call.
//!
//! REF is the reference allele unless the header (or the `.pvar`'s INFO flag `PR`) marks REF
//! alleles as provisional — a fileset converted from PLINK 1 without `--real-ref-alleles` —
//! then the file is read in PLINK 1 orientation.
//!
//! ```no_run
//! use dash::genotype::{pgen, BlockReader, DosageField, GenotypeBlock};
//! let mut reader = pgen::open("cohort.pgen".as_ref(), None, DosageField::Auto)?;
//! let mut block = GenotypeBlock::default();
//! while reader.read_block(256, &mut block)? {
//!     println!("{} variants, first {}", block.len(), block.variants[0].id);
//! }
//! # Ok::<(), dash::error::Error>(())
//! ```

mod bytes;
pub mod difflist;
pub mod dosage;
pub mod header;
pub mod main_track;
pub mod multiallelic;
pub mod psam;
pub mod pvar;
pub mod record;
mod text;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use self::bytes::Cursor;
use self::difflist::Difflist;
use self::header::{Expected, Header};
use self::multiallelic::Patches;
use super::dosage::{Field, RecordSite, SkipCounts};
use super::{BlockReader, DosageField, GenotypeBlock, Orientation, QcCounts, Region, Variant};
use crate::error::{Error, IoResultExt, Result};

/// The three files of a PLINK 2 fileset.
#[derive(Debug, Clone)]
pub struct PgenPaths {
    /// Genotypes.
    pub pgen: PathBuf,
    /// Variants (`.pvar` or `.pvar.zst`).
    pub pvar: PathBuf,
    /// Samples.
    pub psam: PathBuf,
}

impl PgenPaths {
    /// From the `.pgen` path or the bare prefix: the `.pvar` (else `.pvar.zst`) and `.psam`
    /// beside it.
    pub fn from_any(path: &Path) -> Result<PgenPaths> {
        let text = path.to_string_lossy();
        let prefix = text.strip_suffix(".pgen").unwrap_or(&text);
        let pgen = PathBuf::from(format!("{prefix}.pgen"));
        let candidates = [format!("{prefix}.pvar"), format!("{prefix}.pvar.zst")];
        let pvar = candidates
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Error::input(
                    &pgen,
                    format!(
                        "no variant file beside it (tried {})",
                        candidates.join(", ")
                    ),
                )
            })?;
        let psam = PathBuf::from(format!("{prefix}.psam"));
        if !psam.is_file() {
            return Err(Error::input(
                &pgen,
                format!("no sample file beside it (tried {})", psam.display()),
            ));
        }
        Ok(PgenPaths { pgen, pvar, psam })
    }
}

/// The ALT alleles of one `.pvar` line that are tested.
#[derive(Debug, Clone)]
struct Unit {
    /// Index of the variant in the `.pvar`/`.pgen`.
    site: usize,
    /// Allele numbers (1 = ALT1) of the tested ALT alleles.
    alts: Vec<u32>,
}

/// Reads a `.pgen` fileset in blocks of variants.
pub struct PgenReader {
    paths: PgenPaths,
    file: BufReader<File>,
    /// File offset the reader is positioned at, to skip needless seeks.
    position: u64,
    header: Header,
    samples: Vec<String>,
    sites: Vec<RecordSite>,
    units: Vec<Unit>,
    next: usize,
    field: Field,
    orientation: Orientation,
    /// Variants (tested ALT alleles) the reader yields.
    yields: u64,
    /// Scratch: one record's bytes, its main-track categories, the LD base's categories (and
    /// which variant they are), a difflist, one ALT's categories, dosages.
    record: Vec<u8>,
    genotypes: Vec<u8>,
    ld_base: Vec<u8>,
    ld_base_of: Option<usize>,
    list: Difflist,
    column: Vec<u8>,
    dosages: Vec<(u32, u16)>,
    notes: Vec<String>,
}

/// Opens a `.pgen` fileset (the `.pgen` path or its prefix); with `region`, only the variants
/// in it (found by binary search in the `.pvar`'s positions).
pub fn open(path: &Path, region: Option<&Region>, requested: DosageField) -> Result<PgenReader> {
    let paths = PgenPaths::from_any(path)?;
    let mut file = File::open(&paths.pgen).with_path(&paths.pgen)?;
    let samples = psam::read(&paths.psam)?;
    let pvar = pvar::read(&paths.pvar)?;
    let header = Header::read(
        &mut file,
        &paths.pgen,
        &Expected {
            variants: pvar.sites.len(),
            pvar: &paths.pvar,
            samples: samples.len(),
            psam: &paths.psam,
        },
    )?;
    let field = Field::resolve(
        requested,
        |k| k == "GT" || (k == "DS" && header.has_dosages()),
        &paths.pgen,
    )
    .map_err(|_| {
        Error::input(
            &paths.pgen,
            "--dosage-field DS: the .pgen stores no dosages (use GT or auto)",
        )
    })?;
    let mut notes = Vec::new();
    let provisional = header.provisional.unwrap_or(pvar.provisional);
    let orientation = if provisional {
        notes.push(format!(
            "{}: REF alleles are marked provisional (as after `plink2 --bfile … --make-pgen`): read in PLINK 1 orientation",
            paths.pgen.display()
        ));
        Orientation::Plink1
    } else {
        Orientation::Reference
    };
    let sites = pvar.sites;
    let (units, skipped, duplicates) = plan(&sites, region, &paths.pvar);
    notes.extend(skipped.notes(field));
    notes.extend(duplicates);
    let yields = units.iter().map(|u| u.alts.len() as u64).sum();
    let position = 3;
    Ok(PgenReader {
        paths,
        file: BufReader::with_capacity(1 << 20, file),
        position,
        header,
        samples,
        sites,
        units,
        next: 0,
        field,
        orientation,
        yields,
        record: Vec::new(),
        genotypes: Vec::new(),
        ld_base: Vec::new(),
        ld_base_of: None,
        list: Difflist::default(),
        column: Vec::new(),
        dosages: Vec::new(),
        notes,
    })
}

/// The variants to read: those in `region` (all without one), each with its tested ALT
/// alleles, duplicates of an earlier (chromosome, position, allele pair) dropped; the skip
/// counts; the note on duplicates.
fn plan(
    sites: &[RecordSite],
    region: Option<&Region>,
    pvar: &Path,
) -> (Vec<Unit>, SkipCounts, Option<String>) {
    let selected = match region {
        None => (0..sites.len()).collect(),
        Some(r) => in_region(sites, r),
    };
    let mut skipped = SkipCounts::default();
    let mut flat: Vec<(usize, u32)> = Vec::new();
    let mut variants: Vec<Variant> = Vec::new();
    for &s in &selected {
        for alt in sites[s].tested_alts(&mut skipped) {
            flat.push((s, alt));
            variants.push(sites[s].variant(alt));
        }
    }
    let order: Vec<usize> = (0..flat.len()).collect();
    let (dropped, note) = super::duplicates::duplicates_among(&variants, &order, |i| {
        let (s, _) = flat[i];
        let v = &variants[i];
        format!(
            "{} (variant {} of {}, {}:{} {}/{})",
            v.id,
            s + 1,
            pvar.display(),
            v.chrom,
            v.pos,
            v.ref_allele,
            v.alt_allele
        )
    });
    let mut units: Vec<Unit> = Vec::new();
    for (i, &(site, alt)) in flat.iter().enumerate() {
        if dropped.contains(&i) {
            continue;
        }
        match units.last_mut() {
            Some(unit) if unit.site == site => unit.alts.push(alt),
            _ => units.push(Unit {
                site,
                alts: vec![alt],
            }),
        }
    }
    (units, skipped, note)
}

/// The variants in `region`: by binary search when the region's chromosome is one run of
/// sorted positions (as plink2 writes a sorted fileset), else by a scan.
fn in_region(sites: &[RecordSite], region: &Region) -> Vec<usize> {
    let first = sites.iter().position(|s| s.chrom == region.chrom);
    let Some(first) = first else {
        return Vec::new();
    };
    let run_end = first + sites[first..].partition_point(|s| s.chrom == region.chrom);
    let run = &sites[first..run_end];
    let one_sorted_run = run.windows(2).all(|w| w[0].pos <= w[1].pos)
        && !sites[run_end..].iter().any(|s| s.chrom == region.chrom);
    if one_sorted_run {
        let start = run.partition_point(|s| s.pos < region.start);
        let end = run.partition_point(|s| s.pos <= region.end);
        return (first + start..first + end).collect();
    }
    (0..sites.len())
        .filter(|&i| region.contains(&sites[i].chrom, sites[i].pos))
        .collect()
}

impl PgenReader {
    /// The fileset's paths.
    pub fn paths(&self) -> &PgenPaths {
        &self.paths
    }

    /// Reads variant `v`'s record into `self.record`.
    fn read_record(&mut self, v: usize) -> Result<()> {
        let (start, end) = self.header.range(v);
        if start != self.position {
            header::seek(&mut self.file, &self.paths.pgen, start)?;
        }
        // The header check bounds every record by the file size.
        self.record.resize((end - start) as usize, 0);
        self.file
            .read_exact(&mut self.record)
            .map_err(|e| Error::io(&self.paths.pgen, e).at(self.at(v)))?;
        self.position = end;
        Ok(())
    }

    /// Names variant `v` in errors.
    fn at(&self, v: usize) -> String {
        format!("variant {} ({})", v + 1, self.sites[v].id)
    }

    /// An error in variant `v`'s record.
    fn bad(&self, v: usize, message: String) -> Error {
        Error::input(&self.paths.pgen, message).at(self.at(v))
    }

    /// Reads and decodes the main track of variant `v` into `out` (its categories, pgen coding),
    /// first decoding its LD base when it is LD-compressed; returns the bytes after the main
    /// track's end within `self.record`.
    fn decode_main(&mut self, v: usize, into_base: bool) -> Result<usize> {
        let n = self.samples.len();
        let record_type = self.header.record_type(v);
        let track = record_type.main().ok_or_else(|| {
            self.bad(
                v,
                format!(
                    "unknown record type {:02x} (main-track storage 5 is reserved)",
                    record_type.0
                ),
            )
        })?;
        if record_type.is_ld() {
            let base = self.header.ld_base(v).ok_or_else(|| {
                self.bad(
                    v,
                    "LD-compressed, but no earlier record of its block is a base".to_string(),
                )
            })?;
            if self.ld_base_of != Some(base) {
                self.decode_main(base, true)?;
            }
        }
        self.read_record(v)?;
        let mut out = std::mem::take(if into_base {
            &mut self.ld_base
        } else {
            &mut self.genotypes
        });
        let mut cursor = Cursor::new(&self.record);
        let result = if self.header.bed_coded() {
            cursor
                .take(n.div_ceil(4), "genotypes")
                .map(|bytes| main_track::from_bed(bytes, n, &mut out))
        } else {
            main_track::decode(&mut cursor, track, n, &self.ld_base, &mut out)
        };
        let used = self.record.len() - cursor.rest().len();
        if into_base {
            self.ld_base = out;
            self.ld_base_of = Some(v);
        } else {
            self.genotypes = out;
        }
        result.map_err(|message| self.bad(v, message))?;
        // Keep this record as the base of the LD-compressed records after it.
        if !into_base && !record_type.is_ld() {
            let next_is_ld = v + 1 < self.sites.len() && self.header.record_type(v + 1).is_ld();
            if next_is_ld {
                self.ld_base.clone_from(&self.genotypes);
                self.ld_base_of = Some(v);
            }
        }
        Ok(used)
    }

    /// Decodes variant `v`: its categories into `self.genotypes`, its multi-allelic patches, and
    /// (when dosages are read) its dosages into `self.dosages`.
    fn decode(&mut self, v: usize) -> Result<Option<Patches>> {
        let n = self.samples.len();
        let main_end = self.decode_main(v, false)?;
        let record_type = self.header.record_type(v);
        let alleles = self.sites[v].alts.len() + 1;
        if let Some(stored) = &self.header.alleles {
            if usize::from(stored[v]) != alleles {
                return Err(self.bad(
                    v,
                    format!(
                        "the header gives it {} alleles, but {} lists {alleles}",
                        stored[v],
                        self.paths.pvar.display()
                    ),
                ));
            }
        }
        let record = std::mem::take(&mut self.record);
        let mut cursor = Cursor::new(&record[main_end..]);
        let result = self.decode_tracks(&mut cursor, record_type, n, alleles);
        self.record = record;
        result.map_err(|message| self.bad(v, message))
    }

    /// The tracks after the main track.
    fn decode_tracks(
        &mut self,
        cursor: &mut Cursor,
        record_type: record::RecordType,
        n: usize,
        alleles: usize,
    ) -> std::result::Result<Option<Patches>, String> {
        let patches = if record_type.multiallelic() {
            Some(multiallelic::read(
                cursor,
                &self.genotypes,
                n,
                alleles,
                &mut self.list,
            )?)
        } else {
            None
        };
        self.dosages.clear();
        let layout = match (self.field, record_type.dosage()) {
            (Field::Ds, Some(layout)) => layout,
            _ => return Ok(patches),
        };
        if patches.is_some() || alleles > 2 {
            return Err(format!(
                "it stores dosages for a variant with {alleles} alleles, which the format does not define yet"
            ));
        }
        if record_type.phased() {
            let hets = multiallelic::het_count(&self.genotypes, n, None);
            multiallelic::skip_phase(cursor, hets)?;
        }
        let dosages = &mut self.dosages;
        dosage::read(cursor, layout, n, &mut self.list, |s, value| {
            dosages.push((s as u32, value))
        })?;
        Ok(patches)
    }

    /// The categories of ALT `alt` (allele number) in `self.column`: copies of that allele per
    /// call, as main-track categories (0, 1, 2; 3 missing).
    fn alt_column(&mut self, alt: u32, patches: Option<&Patches>) -> &[u8] {
        let Some(patches) = patches else {
            return &self.genotypes;
        };
        self.column.clone_from(&self.genotypes);
        if alt != 1 {
            // Against ALTx (x ≥ 2), every call is 0 copies until patched; missing stays.
            for byte in self.column.iter_mut() {
                let both = *byte & (*byte >> 1) & 0x55;
                *byte = both | (both << 1);
            }
        }
        for &(s, x) in &patches.het {
            // REF/ALTx: no ALT1.
            let copies = u8::from(u32::from(x) == alt);
            main_track::set(&mut self.column, s as usize, copies);
        }
        for &(s, x, y) in &patches.two {
            let copies = u8::from(u32::from(x) == alt) + u8::from(u32::from(y) == alt);
            main_track::set(&mut self.column, s as usize, copies);
        }
        &self.column
    }
}

impl BlockReader for PgenReader {
    fn samples(&self) -> &[String] {
        &self.samples
    }

    fn variant_count_hint(&self) -> Option<u64> {
        Some(self.yields)
    }

    fn orientation(&self) -> Orientation {
        self.orientation
    }

    fn format_name(&self) -> &'static str {
        "plink2-pgen"
    }

    fn dosage_field(&self) -> &str {
        self.field.key()
    }

    fn delivers_packed(&self) -> bool {
        self.field == Field::Gt
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn read_block(&mut self, max_variants: usize, block: &mut GenotypeBlock) -> Result<bool> {
        let mut packed = std::mem::take(&mut block.packed);
        let mut dosages = std::mem::take(&mut block.dosages);
        block.clear();
        packed.clear();
        dosages.clear();
        let n = self.samples.len();
        block.n_samples = n;
        block.bytes_per_variant = n.div_ceil(4);
        while let Some(unit) = self.units.get(self.next) {
            if !block.is_empty() && block.len() + unit.alts.len() > max_variants.max(1) {
                break;
            }
            let (site, count) = (unit.site, unit.alts.len());
            let patches = self.decode(site)?;
            for k in 0..count {
                let alt = self.units[self.next].alts[k];
                block.variants.push(self.sites[site].variant(alt));
                if self.field == Field::Gt {
                    let column = self.alt_column(alt, patches.as_ref());
                    main_track::append_bed(column, n, &mut packed);
                } else {
                    let start = dosages.len();
                    dosages.resize(start + n, 0.0);
                    let column = self.alt_column(alt, patches.as_ref()).to_vec();
                    let (missing, qc) = dense_column(&column, &self.dosages, &mut dosages[start..]);
                    block.missing.push(missing);
                    block.qc.push(qc);
                }
            }
            self.next += 1;
        }
        if block.is_empty() {
            block.packed = packed;
            block.dosages = dosages;
            return Ok(false);
        }
        // Packed blocks are counted by `finish_decoding` (or the kernel), on a worker.
        block.packed = packed;
        block.dosages = dosages;
        Ok(true)
    }
}

/// One ALT's dosages from its categories (`genotypes`) and, for a biallelic variant, its stored
/// dosages (which take precedence); returns the missing samples and the QC counts (with dosages
/// the genotype counts stay 0, as for a VCF's DS).
fn dense_column(genotypes: &[u8], stored: &[(u32, u16)], out: &mut [f64]) -> (Vec<u32>, QcCounts) {
    let mut missing_mark = vec![false; out.len()];
    for (s, value) in out.iter_mut().enumerate() {
        let code = main_track::get(genotypes, s);
        if code == 3 {
            missing_mark[s] = true;
            *value = 0.0;
        } else {
            *value = f64::from(code);
        }
    }
    for &(s, v) in stored {
        let s = s as usize;
        if v == dosage::MISSING {
            missing_mark[s] = true;
            out[s] = 0.0;
        } else {
            missing_mark[s] = false;
            out[s] = f64::from(v) / dosage::UNIT;
        }
    }
    let missing: Vec<u32> = (0..out.len() as u32)
        .filter(|&s| missing_mark[s as usize])
        .collect();
    let qc = QcCounts {
        missing: missing.len() as u64,
        dosage_sum: out.iter().sum(),
        ..QcCounts::default()
    };
    (missing, qc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(chrom: &str, pos: u64) -> RecordSite {
        RecordSite {
            chrom: chrom.into(),
            pos,
            id: ".".into(),
            ref_allele: "A".into(),
            alts: vec!["C".into()],
        }
    }

    #[test]
    fn region_by_binary_search_or_scan() {
        let sorted = [
            site("1", 5),
            site("2", 1),
            site("2", 7),
            site("2", 7),
            site("2", 9),
        ];
        let r = Region::parse("2:7-8").unwrap();
        assert_eq!(in_region(&sorted, &r), [2, 3]);
        assert_eq!(
            in_region(&sorted, &Region::parse("3").unwrap()),
            Vec::<usize>::new()
        );
        // Chromosome 2 in two runs, and unsorted: scanned.
        let unsorted = [site("2", 9), site("1", 5), site("2", 7), site("2", 1)];
        assert_eq!(
            in_region(&unsorted, &Region::parse("2:1-7").unwrap()),
            [2, 3]
        );
    }
}
