//! The summary file: the Parquet contract of DESIGN §2, in one place.
//!
//! A summary holds, for one or more **components** (parties), sums over their samples and nothing
//! per sample:
//!
//! * the footer key `dash.summary` — a JSON [`Header`]: format version, tool version, the
//!   file's phenotype groups and their fields, and every component with its `n_g` and Gram matrix
//!   `G = AᵀA` per group;
//! * one row per (variant, ALT allele) — see [`schema`] for the columns: the variant, which
//!   components it holds, per group `Aᵀx0`, `Aᵀu`, `x0·x0`, and QC counts — in genomic order
//!   ([`order`]).
//!
//! Every summary ends with an integrity seal in its footer (a SHA-256 checksum of the whole file,
//! and in a secure summary the party's Ed25519 signature of it: [`integrity`]).
//!
//! [`write::SummaryWriter`] writes one (sorting its rows with bounded memory: [`sort`]);
//! [`read::open_stream`] verifies one and reads its rows in order a batch at a time, checking
//! each batch ([`stream`], [`validate`]); [`read::read_summary`] reads all of them at once.

pub mod byte_span;
pub mod component_set;
pub mod field;
pub mod footer;
pub mod id;
pub mod integrity;
pub mod ld;
pub mod order;
pub mod read;
pub mod schema;
pub mod secure;
pub mod segment;
pub mod sex;
pub mod sex_qc;
pub mod short_text;
pub mod sort;
pub mod stream;
pub mod validate;
pub mod variant;
pub mod write;

use serde::{Deserialize, Serialize};

pub use component_set::ComponentSet;
pub use field::{FieldKind, SampleField};
pub use read::read_summary;
pub use secure::SecureSection;
pub use variant::{Orientation, QcCounts, SmolStr, Variant};
pub use write::SummaryWriter;

/// Key of the footer metadata entry holding the [`Header`] JSON.
pub const METADATA_KEY: &str = "dash.summary";
/// Identifies the file kind inside the header.
pub const FORMAT_NAME: &str = "dash-summary";
/// Version of the summary format this build writes and reads.
///
/// Version 2 added [`Component::disclosure`], [`Component::parties`] and the integrity seal
/// ([`integrity`]); version 3 has its rows in genomic order ([`order`]), says so in
/// [`Header::row_order`], and carries chromosome and position statistics per row group. Older
/// files are refused with the command that regenerates them (`dash compress`): merge streams
/// its inputs in order and cannot take an unsorted one. Version 4 counts the QC columns over the
/// samples the party contributes (not every sample of the file) and adds `observed` and
/// `dosage_sq_sum` ([`QcCounts`]), which merge's `--maf`/`--geno`/`--hwe`/`--min-info` read; it
/// also records the chrX model, the genome build and the PAR treatment
/// ([`Header::sex_chromosomes`]) and may hold a `sex` field. Version 5 holds the
/// sex-chromosome sample sets as groups ([`GroupLayout::sample_set`]). Version 6 adds the
/// non-PAR chrX QC counts split by sex ([`sex_qc`]; a version 4 or 5 file has none, and merge's
/// chrX QC filters skip its non-PAR chrX variants rather than apply plink2's chrX rules to
/// totals). Version 7 seals the data per row group ([`integrity::Parts`]) and the footer apart
/// from it, so that a `--region` read verifies the bytes it reads without reading the rest;
/// version 4 to 6 files, sealed as a whole, are still read (and verified whole).
pub const FORMAT_VERSION: u32 = 7;

/// The oldest summary format version this build reads.
pub const OLDEST_READABLE_VERSION: u32 = 4;

/// The footer header of a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`] at write time.
    pub format_version: u32,
    /// The dash version that wrote the file.
    pub tool_version: String,
    /// Phenotype groups of the file; per-variant columns come per group in this order.
    pub groups: Vec<GroupLayout>,
    /// Parties whose sums the file holds.
    pub components: Vec<Component>,
    /// `--region` the file was restricted to, when it is a shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The order of the rows: always [`RowOrder::Genomic`] from version 3 on (set by the
    /// writers; `None` in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_order: Option<RowOrder>,
    /// Present only in a secure (masked) summary: what binds its masks and its masked n and G
    /// (the component then lists no groups). See [`secure`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<SecureSection>,
    /// The chrX model, genome build and PAR treatment the sums were made under: every summary
    /// of a merge must agree on them ([`sex`]).
    #[serde(default)]
    pub sex_chromosomes: sex::SexChromosomes,
    /// The `--ld-region`s whose pairwise sums the rows carry ([`ld`]); empty in most files, whose
    /// rows then have no LD columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ld_regions: Vec<ld::LdRegion>,
}

/// How a summary's rows are ordered (the header's `row_order`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RowOrder {
    /// By chromosome ([`crate::chrom::order`], then name), position, REF, ALT: see [`order`].
    Genomic,
}

/// The fields of one group of the file (the columns of its `A`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupLayout {
    /// Phenotypes sharing the group's samples.
    pub phenotypes: Vec<String>,
    /// Field 0 is always the intercept.
    pub fields: Vec<SampleField>,
    /// Per field, the constant subtracted from it before any sum was taken (0 for the
    /// intercept): every G and per-variant sum of this group is of `A − 1·shiftᵀ`.
    pub shift: Vec<f64>,
    /// A sex-chromosome sample set: this group is the subset of the group of the same
    /// phenotypes whose sums the rows of [`sex::SampleSet::holds`] use (non-PAR chrX: the samples
    /// of known sex; chrY: the males); its sums are 0 on every other row. Absent on a group of
    /// all its samples (docs/formats.md, "Sex-chromosome sample sets").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_set: Option<sex::SampleSet>,
}

/// One party's contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// 128-bit id (32 hex digits) digested from the party's name and aggregates, shared by all
    /// shards compressed from one party's data (see `compress::component_id`).
    pub id: String,
    /// The party's name (`--party`).
    pub party: String,
    /// Where the genotypes came from.
    pub source: Source,
    /// Per file group (same order as [`Header::groups`]): n and G.
    pub groups: Vec<ComponentGroup>,
    /// The disclosure rules this party's compress applied (`None`: none recorded, as in a
    /// version 1 file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<Disclosure>,
    /// The parties pooled into this component when it is more than one (the decoded total of a
    /// secure set lists its roster): no party may appear in two components of a merge. Empty
    /// for a single party, which is [`Component::party`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<String>,
    /// Phenotypes whose values in this component are plink2's case/control coding (only 1 and
    /// 2): recognised, never changed; merge reports case and control counts for a phenotype
    /// every component holding it lists here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub case_control: Vec<String>,
    /// Where this component's sex came from (`fam`, `psam`, `covariate COLUMN`), when its groups
    /// carry a `sex` field; `None` when sex was not known for every sample of a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex_source: Option<String>,
}

impl Component {
    /// The parties whose samples this component holds: [`Component::parties`], or the one
    /// [`Component::party`].
    pub fn members(&self) -> Vec<&str> {
        if self.parties.is_empty() {
            vec![self.party.as_str()]
        } else {
            self.parties.iter().map(String::as_str).collect()
        }
    }
}

/// Disclosure control applied at compress (docs/security.md, "Disclosure rules").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    /// `--min-cell K`: no released sum pins down 1 … K−1 samples (1: no suppression).
    pub min_cell: u64,
    /// The rules applied, by name (empty when `min_cell` ≤ 1).
    pub rules: Vec<String>,
    /// Variants given no row because a cell was below `min_cell` (listed only in the party's
    /// local `OUT.suppressed.tsv`).
    pub suppressed_variants: u64,
    /// Variants whose 1 … K−1 missing calls were imputed locally with the party's observed mean
    /// before summing: their `Aᵀu` is 0 and their QC `missing` count is 0.
    pub locally_imputed_variants: u64,
}

/// The genotype source of a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Format name, e.g. `plink1-bed`.
    pub format: String,
    /// File name as given to compress (no directories: paths are the party's business).
    pub file: String,
    /// Dosage field (`GT` for hard calls, `DS`).
    pub dosage_field: String,
    /// Whether REF/ALT are reference-based, PLINK 1 A2/A1, or a secure set's manifest alleles.
    pub orientation: Orientation,
    /// Whether compress doubled a haploid call's VCF/BCF `DS`, as plink2 imports it
    /// ([`crate::genotype::haploid_ds`]); written only when true (format 4 files from before
    /// the rule lack it, and merge refuses their chrX, chrY and MT rows).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub haploid_ds_doubled: bool,
    /// The sample and variant selection compress applied (`--keep`, `--chr`, `--extract`, …),
    /// as the flags were given (file names without directories); empty when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selection: Vec<String>,
}

impl Source {
    /// Whether a haploid call's dosage is in the sums as plink2 imports it (doubled, 0..2):
    /// hard calls, BGEN and pgen always; a VCF/BCF `DS` (or a secure sum over one) only when
    /// compress doubled it.
    ///
    /// ```
    /// use dash::summary::{Orientation, Source};
    /// let mut source = Source {
    ///     format: "vcf".to_string(),
    ///     file: "x.vcf".to_string(),
    ///     dosage_field: "DS".to_string(),
    ///     orientation: Orientation::Reference,
    ///     haploid_ds_doubled: false,
    ///     selection: Vec::new(),
    /// };
    /// assert!(!source.haploid_as_plink2());
    /// source.haploid_ds_doubled = true;
    /// assert!(source.haploid_as_plink2());
    /// ```
    pub fn haploid_as_plink2(&self) -> bool {
        self.haploid_ds_doubled
            || self.format == "plink2-pgen"
            || !self.dosage_field.split(',').any(|field| field == "DS")
    }
}

/// n and Gram matrix of one group of one component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentGroup {
    /// Samples in the group, `n_g`.
    pub n: u64,
    /// `AᵀA`, row-major J × J.
    pub gram: Vec<f64>,
}

/// Per-variant sums of one group, column buffers for a run of rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupSums {
    /// Number of fields J of the group.
    pub width: usize,
    /// `Aᵀx0`, rows × J row-major.
    pub atx0: Vec<f64>,
    /// `Aᵀu`, rows × J row-major; entry 0 (intercept) is the missing-call count.
    pub atu: Vec<f64>,
    /// `x0·x0`, one per row.
    pub x0x0: Vec<f64>,
}

impl GroupSums {
    /// Empty buffers for a group of `width` fields.
    pub fn new(width: usize) -> GroupSums {
        GroupSums {
            width,
            ..GroupSums::default()
        }
    }

    /// `Aᵀx0` of row `r`.
    pub fn atx0(&self, r: usize) -> &[f64] {
        &self.atx0[r * self.width..(r + 1) * self.width]
    }

    /// `Aᵀu` of row `r`.
    pub fn atu(&self, r: usize) -> &[f64] {
        &self.atu[r * self.width..(r + 1) * self.width]
    }
}

/// Variant rows of a summary, columnar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    /// The variants.
    pub variants: Vec<Variant>,
    /// Per row, indices into [`Header::components`] of the components holding the variant.
    pub components: Vec<ComponentSet>,
    /// Per file group, the sums.
    pub groups: Vec<GroupSums>,
    /// Per row, QC counts summed over its components.
    pub qc: Vec<QcCounts>,
    /// Per row, its LD sums ([`ld`]) — or empty when no row of these has any (the usual case:
    /// then nothing per row is kept).
    pub ld: Vec<Option<ld::LdRow>>,
}

impl Rows {
    /// Empty rows for groups of the given widths.
    pub fn with_widths(widths: impl IntoIterator<Item = usize>) -> Rows {
        Rows {
            groups: widths.into_iter().map(GroupSums::new).collect(),
            ..Rows::default()
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.variants.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.variants.is_empty()
    }

    /// Moves every row of `other` to the end of these.
    pub fn append(&mut self, other: &mut Rows) {
        if self.is_empty() {
            // Nothing to keep in order: take `other`'s rows whole rather than copy them.
            std::mem::swap(self, other);
            return;
        }
        if !(self.ld.is_empty() && other.ld.is_empty()) {
            self.ld.resize(self.len(), None);
            other.ld.resize(other.len(), None);
            self.ld.append(&mut other.ld);
        }
        self.variants.append(&mut other.variants);
        self.components.append(&mut other.components);
        self.qc.append(&mut other.qc);
        for (sums, more) in self.groups.iter_mut().zip(&mut other.groups) {
            sums.atx0.append(&mut more.atx0);
            sums.atu.append(&mut more.atu);
            sums.x0x0.append(&mut more.x0x0);
        }
    }

    /// Makes room for `additional` more rows without reallocating.
    pub fn reserve(&mut self, additional: usize) {
        self.variants.reserve(additional);
        self.components.reserve(additional);
        self.qc.reserve(additional);
        if !self.ld.is_empty() {
            self.ld.reserve(additional);
        }
        for sums in &mut self.groups {
            sums.atx0.reserve(additional * sums.width);
            sums.atu.reserve(additional * sums.width);
            sums.x0x0.reserve(additional);
        }
    }

    /// Splits off the rows from `at` on (these keep the first `at`).
    pub fn split_off(&mut self, at: usize) -> Rows {
        let mut rest = self.empty_like();
        self.move_tail(at, &mut rest);
        rest
    }

    /// Takes the first `count` rows out of these.
    pub fn take_front(&mut self, count: usize) -> Rows {
        let rest = self.split_off(count);
        std::mem::replace(self, rest)
    }

    /// Moves the rows from `at` on to the end of `into` (of the same widths); these keep the
    /// first `at`. Allocates nothing when `into` has room (a window's rows left past its end
    /// move into memory already used).
    pub fn move_tail(&mut self, at: usize, into: &mut Rows) {
        if !(self.ld.is_empty() && into.ld.is_empty()) {
            self.ld.resize(self.len(), None);
            into.ld.resize(into.len(), None);
            into.ld.extend(self.ld.drain(at..));
        }
        into.variants.extend(self.variants.drain(at..));
        into.components.extend(self.components.drain(at..));
        into.qc.extend(self.qc.drain(at..));
        for (sums, to) in self.groups.iter_mut().zip(&mut into.groups) {
            to.atx0.extend(sums.atx0.drain(at * sums.width..));
            to.atu.extend(sums.atu.drain(at * sums.width..));
            to.x0x0.extend(sums.x0x0.drain(at..));
        }
    }

    /// Removes every row, keeping the room they took.
    pub fn clear(&mut self) {
        self.variants.clear();
        self.components.clear();
        self.qc.clear();
        self.ld.clear();
        for sums in &mut self.groups {
            sums.atx0.clear();
            sums.atu.clear();
            sums.x0x0.clear();
        }
    }

    /// Appends a copy of row `r` of `other` (of the same widths).
    pub fn push_row(&mut self, other: &Rows, r: usize) {
        self.variants.push(other.variants[r].clone());
        self.components.push(other.components[r].clone());
        self.qc.push(other.qc[r].clone());
        if let Some(Some(ld)) = other.ld.get(r) {
            self.ld.resize(self.variants.len() - 1, None);
            self.ld.push(Some(ld.clone()));
        } else if !self.ld.is_empty() {
            self.ld.push(None);
        }
        for (sums, from) in self.groups.iter_mut().zip(&other.groups) {
            sums.atx0.extend_from_slice(from.atx0(r));
            sums.atu.extend_from_slice(from.atu(r));
            sums.x0x0.push(from.x0x0[r]);
        }
    }

    /// The LD sums of row `r`, if it has any.
    pub fn ld(&self, r: usize) -> Option<&ld::LdRow> {
        self.ld.get(r).and_then(Option::as_ref)
    }

    /// Whether `other` has groups of the same widths (rows of one file's groups).
    pub fn has_widths_of(&self, other: &Rows) -> bool {
        self.groups.len() == other.groups.len()
            && (self.groups.iter().zip(&other.groups)).all(|(a, b)| a.width == b.width)
    }

    /// Empty rows of the same widths.
    pub fn empty_like(&self) -> Rows {
        Rows::with_widths(self.groups.iter().map(|g| g.width))
    }
}

/// A summary read from disk.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Where it was read from.
    pub path: std::path::PathBuf,
    /// The footer header.
    pub header: Header,
    /// All variant rows.
    pub rows: Rows,
}
