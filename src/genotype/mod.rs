//! Genotype sources behind one block reader.
//!
//! Every format (PLINK 1 `.bed`, PLINK 2 `.pgen`, VCF and BCF; BGEN is not supported yet)
//! yields the same thing: blocks of variants, each a [`GenotypeBlock`] holding the variant
//! records, their calls — a dense samples × variants dosage matrix with missing calls set to 0
//! (`x0` in DESIGN §1), or packed 2-bit hard calls (PLINK 1 and 2) — and the list of missing
//! calls per variant (the sparse indicator `u`). The compress step never sees a format.

pub mod batch;
pub mod bcf;
pub mod bgen;
pub mod bgzf;
pub mod dosage;
pub mod duplicates;
pub mod haploid_ds;
pub mod header;
mod io;
pub mod missing_ds;
pub mod pgen;
pub mod plink_bed;
pub mod ploidy;
mod prefix;
pub mod select;
pub mod stream;
pub mod vcf;
pub mod xchr;

use std::path::Path;

pub use prefix::find_by_prefix;

use crate::error::{Error, Result};
pub use crate::summary::{Orientation, QcCounts, Variant};

/// A block of consecutive variants, decoded.
#[derive(Debug, Default, Clone)]
pub struct GenotypeBlock {
    /// The variants, in file order.
    pub variants: Vec<Variant>,
    /// `n_samples × variants.len()` dosages, column-major (one variant's samples contiguous),
    /// missing calls as 0. Empty when the reader delivers [`GenotypeBlock::packed`] calls.
    pub dosages: Vec<f64>,
    /// Hard calls packed as in a PLINK 1 `.bed`, `bytes_per_variant` bytes per variant: 2 bits
    /// per sample, 4 per byte, low bits first; `00` hom-ALT, `01` missing, `10` het, `11`
    /// hom-REF; padding bits of the last byte are `00`. Readers of hard calls fill this instead
    /// of `dosages`, so compress never expands them to 8-byte floats.
    pub packed: Vec<u8>,
    /// Bytes per variant in `packed` (`ceil(n_samples / 4)`).
    pub bytes_per_variant: usize,
    /// Samples per variant.
    pub n_samples: usize,
    /// Per variant, the sample indices whose call is missing, ascending.
    pub missing: Vec<Vec<u32>>,
    /// Per variant, QC counts over all samples of the file (compress recounts them over the
    /// samples the party contributes, unless that is every sample and `qc_sums_dosages`).
    pub qc: Vec<QcCounts>,
    /// Whether each variant's `qc` describes its `dosages` as they stand: the missing and
    /// observed counts, `Σx` and `Σx²` over every sample (and, for hard calls, the genotype
    /// counts). The reader summed them while each column was in cache, so a consumer that needs
    /// these sums over all samples takes them instead of reading the matrix again (compress,
    /// when the party contributes every sample). Set by the readers that guarantee it (the
    /// VCF, BCF and BGEN decoders); anything that changes the dosages afterwards without
    /// updating `qc` (the chrX model's male coding) clears it. [`GenotypeBlock::clear`] clears it.
    pub qc_sums_dosages: bool,
}

impl GenotypeBlock {
    /// Empties the block, keeping allocations.
    pub fn clear(&mut self) {
        self.variants.clear();
        self.dosages.clear();
        self.packed.clear();
        self.missing.clear();
        self.qc.clear();
        self.qc_sums_dosages = false;
    }

    /// Number of variants in the block.
    pub fn len(&self) -> usize {
        self.variants.len()
    }

    /// Completes decoding: readers may hand over packed calls with `qc` and `missing` still to
    /// be counted, so that this CPU work runs on the worker that sums the block rather than on
    /// the reading thread. Call before using `qc` or `missing`; a no-op when already done.
    pub fn finish_decoding(&mut self) {
        if !self.is_packed() || self.qc.len() == self.variants.len() {
            return;
        }
        let (n, bpv) = (self.n_samples, self.bytes_per_variant);
        self.qc.clear();
        self.missing.clear();
        for bytes in self.packed.chunks_exact(bpv).take(self.variants.len()) {
            let mut missing = Vec::new();
            self.qc
                .push(plink_bed::scan_variant(bytes, n, &mut missing));
            self.missing.push(missing);
        }
    }

    /// Whether the calls are packed (see [`GenotypeBlock::packed`]) rather than dosages.
    pub fn is_packed(&self) -> bool {
        !self.packed.is_empty()
    }

    /// The dosages of variant `v` over `n_samples` samples, missing as 0, whichever way the block
    /// holds them.
    pub fn dosages_of(&self, v: usize, n_samples: usize) -> Vec<f64> {
        if self.is_packed() {
            let bpv = self.bytes_per_variant;
            let mut column = vec![0.0; n_samples];
            plink_bed::unpack(&self.packed[v * bpv..(v + 1) * bpv], &mut column);
            column
        } else {
            self.dosages[v * n_samples..(v + 1) * n_samples].to_vec()
        }
    }

    /// Whether the block holds no variant.
    pub fn is_empty(&self) -> bool {
        self.variants.is_empty()
    }
}

/// A genotype source read in blocks of variants.
pub trait BlockReader: Send {
    /// Sample IDs (IIDs) in the file's column order.
    fn samples(&self) -> &[String];

    /// Total variants the reader will yield, when known up front (for progress).
    fn variant_count_hint(&self) -> Option<u64>;

    /// How this source orients alleles.
    fn orientation(&self) -> Orientation;

    /// Describes the source for the summary header, e.g. `"plink1-bed"`.
    fn format_name(&self) -> &'static str;

    /// The dosage field read (`"GT"` for hard calls).
    fn dosage_field(&self) -> &str;

    /// Whether blocks come as packed hard calls ([`GenotypeBlock::packed`]) rather than dosages.
    fn delivers_packed(&self) -> bool {
        false
    }

    /// Fills `block` with up to `max_variants` variants; returns `false` at end of input. The
    /// block may need [`GenotypeBlock::finish_decoding`] before its counts are read.
    fn read_block(&mut self, max_variants: usize, block: &mut GenotypeBlock) -> Result<bool>;

    /// Lines for the log once reading is done, e.g. how many alleles were skipped and why.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// The sample file with a SEX column (a `.fam` or `.psam`), when the format has one.
    fn sex_file(&self) -> Option<&Path> {
        None
    }

    /// The length of chrX in the file's header (a VCF/BCF `##contig`), when it gives one.
    fn chrx_length(&self) -> Option<u64> {
        None
    }
}

/// The [`BlockReader`] methods that describe the source, passed on to the reader a wrapper
/// holds in `self.$inner` (a bare prefix resolved, a variant selection): one list for every
/// wrapper, so a method added to the trait is passed on everywhere.
macro_rules! describe_as_inner {
    ($inner:ident) => {
        fn samples(&self) -> &[String] {
            self.$inner.samples()
        }

        fn variant_count_hint(&self) -> Option<u64> {
            self.$inner.variant_count_hint()
        }

        fn orientation(&self) -> Orientation {
            self.$inner.orientation()
        }

        fn format_name(&self) -> &'static str {
            self.$inner.format_name()
        }

        fn dosage_field(&self) -> &str {
            self.$inner.dosage_field()
        }

        fn delivers_packed(&self) -> bool {
            self.$inner.delivers_packed()
        }

        fn sex_file(&self) -> Option<&std::path::Path> {
            self.$inner.sex_file()
        }

        fn chrx_length(&self) -> Option<u64> {
            self.$inner.chrx_length()
        }
    };
}
pub(crate) use describe_as_inner;

/// A genomic region `CHR[:START-END]` (1-based, inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Normalised chromosome.
    pub chrom: String,
    /// First position included.
    pub start: u64,
    /// Last position included.
    pub end: u64,
}

impl Region {
    /// Parses `CHR`, `CHR:START-END` or `CHR:START-`; a contig whose name holds `:` is written
    /// in braces, as in htslib's region syntax (tabix, samtools): `{NC_000074.7:alt}:100-200`,
    /// `{HLA-A*01:01}`.
    ///
    /// ```
    /// use dash::genotype::Region;
    /// let r = Region::parse("chr2:100-200").unwrap();
    /// assert_eq!((r.chrom.as_str(), r.start, r.end), ("2", 100, 200));
    /// let r = Region::parse("{HLA-A*01:01}:5-").unwrap();
    /// assert_eq!((r.chrom.as_str(), r.start), ("HLA-A*01:01", 5));
    /// assert_eq!(r.to_string(), "{HLA-A*01:01}:5-");
    /// ```
    pub fn parse(text: &str) -> Result<Region> {
        let bad = || {
            Error::usage(format!(
                "--region '{text}': expected CHR, CHR:START-END or CHR:START- (a contig name holding ':' in braces: {{CHR}}:START-END)"
            ))
        };
        let (chrom, range) = if let Some(braced) = text.strip_prefix('{') {
            let (chrom, rest) = braced.split_once('}').ok_or_else(bad)?;
            match rest {
                "" => (chrom, None),
                _ => (chrom, Some(rest.strip_prefix(':').ok_or_else(bad)?)),
            }
        } else {
            match text.split_once(':') {
                Some((c, r)) => (c, Some(r)),
                None => (text, None),
            }
        };
        if chrom.is_empty() {
            return Err(bad());
        }
        let (start, end) = match range {
            None => (1, u64::MAX),
            Some(r) => {
                let (s, e) = r.split_once('-').ok_or_else(bad)?;
                let parse = |v: &str| v.replace(',', "").parse::<u64>().map_err(|_| bad());
                let start = parse(s)?;
                let end = if e.is_empty() { u64::MAX } else { parse(e)? };
                if start == 0 || end < start {
                    return Err(bad());
                }
                (start, end)
            }
        };
        Ok(Region {
            chrom: crate::chrom::normalize(chrom),
            start,
            end,
        })
    }

    /// Whether the region holds this normalised chromosome and position.
    pub fn contains(&self, chrom: &str, pos: u64) -> bool {
        self.chrom == chrom && (self.start..=self.end).contains(&pos)
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let chrom = if self.chrom.contains(':') {
            format!("{{{}}}", self.chrom)
        } else {
            self.chrom.clone()
        };
        match (self.start, self.end) {
            (1, u64::MAX) => write!(f, "{chrom}"),
            (s, u64::MAX) => write!(f, "{chrom}:{s}-"),
            (s, e) => write!(f, "{chrom}:{s}-{e}"),
        }
    }
}

/// Which per-sample field gives the dosage (`--dosage-field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DosageField {
    /// Hard calls: the count of the ALT allele in `GT`.
    Gt,
    /// Expected ALT dosage `DS` (VCF/BCF, Number=A).
    Ds,
    /// `DS` when the header declares it, else `GT`.
    Auto,
}

impl DosageField {
    /// Parses `GT`, `DS` or `auto`.
    pub fn parse(text: &str) -> Result<DosageField> {
        match text {
            "GT" | "gt" => Ok(DosageField::Gt),
            "DS" | "ds" => Ok(DosageField::Ds),
            "auto" => Ok(DosageField::Auto),
            other => Err(Error::usage(format!(
                "--dosage-field '{other}': expected GT, DS or auto"
            ))),
        }
    }
}

/// Opens the genotype source at `path`, choosing the reader by file name; a bare prefix
/// (`cohort`) is resolved by [`find_by_prefix`]. A BGEN file gets no options here, so it asks
/// for `--bgen-ref`: see [`open_with`].
pub fn open(
    path: &Path,
    region: Option<&Region>,
    dosage_field: DosageField,
) -> Result<Box<dyn BlockReader>> {
    open_with(path, region, dosage_field, &bgen::BgenOptions::default())
}

/// [`open`] with the options of a BGEN source (`--bgen-ref`, `--sample`), also when a bare
/// prefix finds the `.bgen`.
pub fn open_with(
    path: &Path,
    region: Option<&Region>,
    dosage_field: DosageField,
    bgen_options: &bgen::BgenOptions,
) -> Result<Box<dyn BlockReader>> {
    if let Some((found, note)) = find_by_prefix(path)? {
        let inner = open_with(&found, region, dosage_field, bgen_options)?;
        return Ok(Box::new(prefix::Resolved::new(inner, note)));
    }
    let name = path.to_string_lossy();
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".vcf") || lower.ends_with(".vcf.gz") || lower.ends_with(".vcf.bgz") {
        return Ok(Box::new(vcf::open(path, region, dosage_field)?));
    }
    if lower.ends_with(".bcf") {
        return Ok(Box::new(bcf::open(path, region, dosage_field)?));
    }
    if bgen::is_bgen(path) {
        return Ok(Box::new(bgen::open(
            path,
            region,
            dosage_field,
            bgen_options,
        )?));
    }
    if lower.ends_with(".pgen") {
        return Ok(Box::new(pgen::open(path, region, dosage_field)?));
    }
    if dosage_field == DosageField::Ds {
        return Err(Error::input(
            path,
            "--dosage-field DS: a PLINK 1 .bed holds hard calls only (use GT or auto)",
        ));
    }
    Ok(Box::new(plink_bed::BedReader::open(path, region)?))
}
