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
mod select;
mod text;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use self::bytes::Cursor;
use self::difflist::Difflist;
use self::header::{Expected, Header};
use self::multiallelic::Patches;
use self::select::{plan, Unit};
use super::dosage::{Field, RecordSite};
use super::{BlockReader, DosageField, GenotypeBlock, Orientation, Region};
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

    fn sex_file(&self) -> Option<&Path> {
        Some(&self.paths.psam)
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
                    let (missing, qc) =
                        dosage::column(&column, &self.dosages, &mut dosages[start..]);
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
