//! Column layout of the summary's rows.
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `chrom` | utf8 | normalised chromosome |
//! | `pos` | uint64 | 1-based position |
//! | `id` | utf8 | variant id from the source |
//! | `ref`, `alt` | utf8 | alleles; `alt` is the effect allele |
//! | `components` | list<uint32> | indices into the header's components holding this row |
//! | `g{k}_atx0` | fixed_size_list<float64>[J_k] | `Aᵀx0` of group k |
//! | `g{k}_atu` | fixed_size_list<float64>[J_k] | `Aᵀu` of group k |
//! | `g{k}_x0x0` | float64 | `x0·x0` of group k |
//! | `hom_ref`, `het`, `hom_alt`, `missing`, `observed` | uint64 | hard-call counts, missing and observed calls over the contributed samples (those in a phenotype group) |
//! | `dosage_sum`, `dosage_sq_sum` | float64 | Σx and Σx² of observed ALT dosages over the contributed samples |
//! | `hom_ref_male` … `dosage_sum_female` | uint64 / float64, nullable | from version 6: non-PAR chrX calls split by sex ([`super::sex_qc`]); null on other rows |
//! | `ld_region` | uint32, nullable | only with LD regions: the row's region ([`super::ld`]) |
//! | `g{k}_ld` | list<float64>, nullable | only with LD regions: the row's pairwise sums of group k |

use std::sync::Arc;

use arrow_schema::{DataType, Field as ArrowField, Schema, SchemaRef};

/// Names of the three columns of group `k`.
pub fn group_columns(k: usize) -> [String; 3] {
    [
        format!("g{k}_atx0"),
        format!("g{k}_atu"),
        format!("g{k}_x0x0"),
    ]
}

/// The list item field of the `g{k}_atx0`/`g{k}_atu` columns.
pub fn sums_item() -> Arc<ArrowField> {
    Arc::new(ArrowField::new("item", DataType::Float64, false))
}

/// The list item field of the `components` column.
pub fn components_item() -> Arc<ArrowField> {
    Arc::new(ArrowField::new("item", DataType::UInt32, false))
}

/// QC count columns, in order.
pub const QC_COUNT_COLUMNS: [&str; 5] = ["hom_ref", "het", "hom_alt", "missing", "observed"];

/// QC dosage-sum columns, in order.
pub const QC_SUM_COLUMNS: [&str; 2] = ["dosage_sum", "dosage_sq_sum"];

/// The first format version whose rows carry the per-sex chrX QC columns ([`super::sex_qc`]).
pub const SEX_QC_VERSION: u32 = 6;

/// The Arrow schema of a file with this header: [`schema`], the per-sex chrX QC columns from
/// format version 6 on ([`super::sex_qc`]), plus the LD columns when it lists LD regions
/// ([`super::ld`]).
pub fn for_header(header: &super::Header) -> SchemaRef {
    let widths: Vec<usize> = header.groups.iter().map(|g| g.fields.len()).collect();
    let base = schema(&widths);
    let mut fields: Vec<ArrowField> = base.fields().iter().map(|f| f.as_ref().clone()).collect();
    if header.format_version >= SEX_QC_VERSION {
        fields.extend(sex_qc_fields());
    }
    if header.ld_regions.is_empty() {
        return Arc::new(Schema::new(fields));
    }
    fields.push(ArrowField::new(
        super::ld::REGION_COLUMN,
        DataType::UInt32,
        true,
    ));
    for k in 0..widths.len() {
        fields.push(ArrowField::new(
            super::ld::group_column(k),
            DataType::List(sums_item()),
            true,
        ));
    }
    Arc::new(Schema::new(fields))
}

/// The nullable per-sex chrX QC columns ([`super::sex_qc::COLUMNS`]).
fn sex_qc_fields() -> impl Iterator<Item = ArrowField> {
    use super::sex_qc::{is_count_column, COLUMNS};
    COLUMNS.iter().enumerate().map(|(k, name)| {
        let kind = match is_count_column(k) {
            true => DataType::UInt64,
            false => DataType::Float64,
        };
        ArrowField::new(*name, kind, true)
    })
}

/// The Arrow schema for groups of the given widths (no per-sex QC or LD columns).
pub fn schema(widths: &[usize]) -> SchemaRef {
    let mut fields = vec![
        ArrowField::new("chrom", DataType::Utf8, false),
        ArrowField::new("pos", DataType::UInt64, false),
        ArrowField::new("id", DataType::Utf8, false),
        ArrowField::new("ref", DataType::Utf8, false),
        ArrowField::new("alt", DataType::Utf8, false),
        ArrowField::new("components", DataType::List(components_item()), false),
    ];
    for (k, &width) in widths.iter().enumerate() {
        let [atx0, atu, x0x0] = group_columns(k);
        let list = DataType::FixedSizeList(sums_item(), width as i32);
        fields.push(ArrowField::new(atx0, list.clone(), false));
        fields.push(ArrowField::new(atu, list, false));
        fields.push(ArrowField::new(x0x0, DataType::Float64, false));
    }
    for name in QC_COUNT_COLUMNS {
        fields.push(ArrowField::new(name, DataType::UInt64, false));
    }
    for name in QC_SUM_COLUMNS {
        fields.push(ArrowField::new(name, DataType::Float64, false));
    }
    Arc::new(Schema::new(fields))
}

/// The five variant columns (`chrom`, `pos`, `id`, `ref`, `alt`) of a record batch whose schema
/// was checked: shared by the plaintext and the secure reader.
pub(crate) struct VariantColumns<'a> {
    chrom: &'a arrow_array::StringArray,
    pos: &'a arrow_array::UInt64Array,
    id: &'a arrow_array::StringArray,
    ref_allele: &'a arrow_array::StringArray,
    alt: &'a arrow_array::StringArray,
}

impl<'a> VariantColumns<'a> {
    /// The columns of `batch` (panics on a batch whose schema was not checked).
    pub(crate) fn of(batch: &'a arrow_array::RecordBatch) -> VariantColumns<'a> {
        use arrow_array::cast::AsArray;
        use arrow_array::types::UInt64Type;
        let column = |name: &str| batch.column_by_name(name).expect("schema checked");
        VariantColumns {
            chrom: column("chrom").as_string::<i32>(),
            pos: column("pos").as_primitive::<UInt64Type>(),
            id: column("id").as_string::<i32>(),
            ref_allele: column("ref").as_string::<i32>(),
            alt: column("alt").as_string::<i32>(),
        }
    }

    /// Whether row `r` is in `region` (without making its variant).
    pub(crate) fn in_region(&self, r: usize, region: &crate::genotype::Region) -> bool {
        self.chrom.value(r) == region.chrom
            && (region.start..=region.end).contains(&self.pos.value(r))
    }

    /// The variants of every row.
    ///
    /// Making a name is most of the cost of reading a row (issue 12: a quarter of the read
    /// floor), so a row's chromosome is the previous row's copied when it is the same (rows are
    /// sorted: it nearly always is), and a single-base allele is copied from a table.
    pub(crate) fn variants(&self) -> Vec<super::Variant> {
        let mut variants: Vec<super::Variant> = Vec::with_capacity(self.pos.len());
        self.append_variants(&mut variants);
        variants
    }

    /// Appends the variants of every row to `variants`.
    pub(crate) fn append_variants(&self, variants: &mut Vec<super::Variant>) {
        variants.reserve(self.pos.len());
        for r in 0..self.pos.len() {
            let chrom = self.chrom.value(r);
            let chrom = match variants.last() {
                Some(previous) if super::short_text::same(&previous.chrom, chrom) => {
                    previous.chrom.clone()
                }
                _ => chrom.into(),
            };
            variants.push(super::Variant {
                chrom,
                pos: self.pos.value(r),
                id: self.id.value(r).into(),
                ref_allele: allele(self.ref_allele.value(r)),
                alt_allele: allele(self.alt.value(r)),
            });
        }
    }
}

/// An allele's text: the bases from a table, anything else made.
fn allele(text: &str) -> super::SmolStr {
    use super::SmolStr;
    const BASES: [SmolStr; 4] = [
        SmolStr::new_static("A"),
        SmolStr::new_static("C"),
        SmolStr::new_static("G"),
        SmolStr::new_static("T"),
    ];
    match text.as_bytes() {
        [b'A'] => BASES[0].clone(),
        [b'C'] => BASES[1].clone(),
        [b'G'] => BASES[2].clone(),
        [b'T'] => BASES[3].clone(),
        _ => text.into(),
    }
}
