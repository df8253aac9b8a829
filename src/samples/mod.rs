//! Samples: phenotype and covariate files, matched to the genotype samples, split into groups.
//!
//! [`SampleFields`] holds the sample fields `A` of each phenotype group of one party (DESIGN §1).
//! A group is the set of phenotypes that share one sample set: the samples with every phenotype of
//! the group and every covariate present. Its fields are the intercept, every covariate column and
//! the group's phenotypes. A categorical covariate — only when declared
//! ([`BuildOptions::categorical`]) — becomes one indicator field per level; the merge step drops
//! the reference level (the first in sorted order among the levels present), so parties that saw
//! different levels still line up by field name.
//!
//! * [`table`] parses the phenotype and covariate files;
//! * [`matching`] matches their rows to the genotype samples by IID ([`MatchReport`]);
//! * [`covariates`] decodes the covariate columns, numeric or categorical;
//! * [`groups`] splits the phenotypes into groups ([`Group`]) and builds their centred matrices;
//! * [`checks`] refuses sums that overflow and cells below `--min-cell`;
//! * [`numeric`] has the missing-value codes, number parsing and compensated summation.

pub mod checks;
pub mod covariates;
pub mod groups;
pub mod matching;
pub mod numeric;
pub mod select;
pub mod sex;
pub mod sex_inference;
mod sex_sets;
pub mod table;
pub mod traits;

pub use crate::summary::{FieldKind, SampleField};
pub use groups::Group;
pub use matching::MatchReport;
pub use select::SampleSelection;
pub use table::Table;

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use covariates::Covariates;
use groups::{form_groups, Phenotypes};
use matching::Matching;
use sex::SampleSex;
use traits::TraitKind;

/// The sample fields of one party: all its groups, over the genotype file's samples.
#[derive(Debug, Clone)]
pub struct SampleFields {
    /// The groups, in order of their first phenotype.
    pub groups: Vec<Group>,
    /// The covariate fields shared by every group (after the intercept).
    pub covariate_fields: Vec<SampleField>,
    /// Matching counts.
    pub report: MatchReport,
    /// Number of genotype samples (rows of the stacked matrix).
    pub n_genotype_samples: usize,
    /// Phenotypes coded as plink2 codes case/control (1/2), recognised and not changed.
    pub case_control: Vec<String>,
    /// Phenotypes of 0, 1 and 2, which plink2 would read as case/control with 0 missing.
    pub zero_one_two: Vec<String>,
    /// Where the `sex` field came from, when some group carries one ([`BuildOptions::sex`]).
    pub sex_source: Option<String>,
    /// Per group, its males, females and samples of unknown sex (empty without a sex source).
    pub sex_counts: Vec<(usize, usize, usize)>,
    /// Why a sex-chromosome sample set of a group was left out (one line each, for the log).
    pub sample_sets_left_out: Vec<String>,
    /// Each genotype sample's sex ([`BuildOptions::sex`]; `None` unknown), for the per-sex chrX
    /// QC counts; empty when sex is not known at all.
    pub sample_sex: Vec<Option<sex::Sex>>,
}

/// How [`SampleFields::build_with`] lays out the fields; the default is what plaintext
/// `dash compress` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// One group per phenotype (intercept, covariates, that phenotype), whatever the
    /// missingness: the layout then depends only on the column names, as secure mode needs.
    pub group_per_phenotype: bool,
    /// Centre each field on its group mean rounded to a multiple of 2^−bits (a short dyadic
    /// number), so that secure mode can undo the centring exactly in fixed point.
    pub shift_bits: Option<u32>,
    /// Fixed level sets of categorical covariates, by covariate column name: the column is
    /// categorical with exactly these levels (sorted), and a value outside them is an error.
    pub levels: BTreeMap<String, Vec<String>>,
    /// Covariates declared categorical (`--covar-categorical`), levels taken from the data. Every
    /// other covariate without [`BuildOptions::levels`] is numeric: a non-numeric value in it is
    /// an error, never a silent switch to categorical.
    pub categorical: BTreeSet<String>,
    /// `--no-input-missing-phenotype`: `-9` is a value, not missing (by default it is missing in
    /// phenotypes and covariates, as plink2 reads them).
    pub no_input_missing_phenotype: bool,
    /// `--min-cell K`: every phenotype group, group difference, categorical level and level
    /// complement holds 0 or at least K samples ([`checks`]); 0 or 1 checks nothing.
    pub min_cell: u64,
    /// `--keep`/`--remove`: genotype samples not selected enter no group.
    pub selection: SampleSelection,
    /// Each genotype sample's sex: a group whose every sample has a known sex gets the field
    /// `sex` (plink2's coding, 1 male, 2 female), the covariate merge adds on non-PAR chrX —
    /// unless either sex has 1 … K−1 samples in it (`min_cell` K), which would single them out.
    pub sex: Option<SampleSex>,
}

impl SampleFields {
    /// Matches `pheno` (and `covar`) to the genotype samples by IID and builds the groups.
    ///
    /// `pheno_names`/`covar_names` select columns (default: all).
    pub fn build(
        genotype_samples: &[String],
        pheno: &Table,
        pheno_names: Option<&[String]>,
        covar: Option<&Table>,
        covar_names: Option<&[String]>,
    ) -> Result<SampleFields> {
        SampleFields::build_with(
            genotype_samples,
            pheno,
            pheno_names,
            covar,
            covar_names,
            &BuildOptions::default(),
        )
    }

    /// [`SampleFields::build`] with a choice of layout ([`BuildOptions`]).
    ///
    /// The steps, and so the checks, run in a fixed order: the column selection, then the
    /// matching, covariate values, phenotype values, and last the groups.
    pub fn build_with(
        genotype_samples: &[String],
        pheno: &Table,
        pheno_names: Option<&[String]>,
        covar: Option<&Table>,
        covar_names: Option<&[String]>,
        options: &BuildOptions,
    ) -> Result<SampleFields> {
        // The selection first: its errors are about the command line, whatever the data.
        let pheno_columns = select_phenotypes(pheno, pheno_names)?;
        let covar_columns = select_covariates(covar, covar_names, pheno, &pheno_columns)?;

        // Which genotype samples have the rows they need; a sample missing a covariate is
        // dropped, so every usable sample has a complete row of covariate fields.
        let mut matching = Matching::new(genotype_samples, pheno, covar, &options.selection)?;
        let covariates = Covariates::decode(covar, &covar_columns, &matching, options)?;
        matching.drop_missing_covariates(|i| covariates.any_missing(i));

        let minus_nine = !options.no_input_missing_phenotype;
        let phenotypes = Phenotypes::read(pheno, &pheno_columns, &matching, minus_nine)?;
        matching.count_no_phenotype_value(|i| phenotypes.any_value(i));
        checks::finite_sums(pheno, covar, &matching, &covariates, &phenotypes)?;

        // The groups; every group has the same covariate fields, after the intercept.
        let covariate_fields = covariates.fields();
        let mut groups = form_groups(pheno.path(), &phenotypes, options.group_per_phenotype)?;
        let mut sex_counts = Vec::new();
        let mut sex_source = None;
        for group in &mut groups {
            let sex = options.sex.as_ref().filter(|sex| {
                let counts = sex.counts(group.samples.iter().map(|&i| i as usize));
                sex_counts.push(counts);
                let small = |count: usize| count > 0 && (count as u64) < options.min_cell;
                counts.2 == 0 && !small(counts.0) && !small(counts.1)
            });
            if let Some(sex) = sex {
                sex_source = Some(sex.source.clone());
            }
            group.fill(
                &covariate_fields,
                &covariates,
                &phenotypes,
                sex,
                options.shift_bits,
            );
        }
        checks::finite_grams(&groups)?;
        checks::minimums(
            options.min_cell,
            &groups,
            &covariates,
            pheno.path(),
            covar.map(Table::path),
        )?;
        // The sets come after the groups' own checks: a set that would fail them is left out,
        // never the reason a compress fails.
        let sample_sets_left_out = match &options.sex {
            Some(sex) => sex_sets::add_sample_sets(
                &mut groups,
                &sex_sets::SetInputs {
                    sex,
                    covariate_fields: &covariate_fields,
                    covariates: &covariates,
                    phenotypes: &phenotypes,
                    min_cell: options.min_cell,
                    shift_bits: options.shift_bits,
                    pheno: pheno.path(),
                    covar: covar.map(Table::path),
                },
            ),
            None => Vec::new(),
        };
        if groups
            .iter()
            .any(|g| g.fields.iter().any(|f| f.kind == FieldKind::Sex))
        {
            sex_source = options.sex.as_ref().map(|sex| sex.source.clone());
        }
        checks::finite_grams(&groups)?;
        let mut case_control = Vec::new();
        let mut zero_one_two = Vec::new();
        for (name, values) in phenotypes.columns() {
            match traits::classify(values.iter().flatten().copied()) {
                TraitKind::CaseControl => case_control.push(name.to_string()),
                TraitKind::ZeroOneTwo => zero_one_two.push(name.to_string()),
                TraitKind::Quantitative => {}
            }
        }
        Ok(SampleFields {
            groups,
            covariate_fields,
            report: matching.report,
            n_genotype_samples: genotype_samples.len(),
            case_control,
            zero_one_two,
            sex_source,
            sex_counts,
            sample_sets_left_out,
            sample_sex: options
                .sex
                .as_ref()
                .map_or_else(Vec::new, |sex| sex.by_sample.clone()),
        })
    }

    /// These fields with only the groups `wanted` keeps (the kernels sum the groups of all
    /// samples and the sex-chromosome sample sets apart).
    pub fn only_groups(&self, wanted: impl Fn(&Group) -> bool) -> SampleFields {
        SampleFields {
            groups: self.groups.iter().filter(|g| wanted(g)).cloned().collect(),
            ..self.clone()
        }
    }

    /// Samples the party contributes: those in at least one group (the QC counts' samples).
    pub fn n_contributed(&self) -> usize {
        let mut contributed = vec![false; self.n_genotype_samples];
        for group in &self.groups {
            for &sample in &group.samples {
                contributed[sample as usize] = true;
            }
        }
        contributed.into_iter().filter(|&c| c).count()
    }

    /// All groups' centred `A` stacked side by side over the genotype samples, column-major
    /// `n_genotype_samples × Σ J_g`, zero in rows of samples outside a group. One GEMM with this
    /// matrix gives every group's `Aᵀx0` at once. Returns the matrix and each group's first column.
    pub fn stacked_matrix(&self) -> (Vec<f64>, Vec<usize>) {
        let n = self.n_genotype_samples;
        let total: usize = self.groups.iter().map(|g| g.fields.len()).sum();
        let mut matrix = vec![0.0; n * total];
        let mut offsets = Vec::with_capacity(self.groups.len());
        let mut offset = 0;
        for group in &self.groups {
            offsets.push(offset);
            let j = group.fields.len();
            for (r, &sample) in group.samples.iter().enumerate() {
                for c in 0..j {
                    matrix[(offset + c) * n + sample as usize] = group.rows[r * j + c];
                }
            }
            offset += j;
        }
        (matrix, offsets)
    }
}

/// The phenotype columns selected by `names` (default: all); there must be at least one.
fn select_phenotypes(pheno: &Table, names: Option<&[String]>) -> Result<Vec<usize>> {
    let columns = select_columns(pheno, names, "--pheno-name")?;
    if columns.is_empty() {
        return Err(Error::input(pheno.path(), "no phenotype columns"));
    }
    Ok(columns)
}

/// The covariate columns selected by `names` (default: all; none without a covariate file).
/// A column may not be both a phenotype and a covariate.
fn select_covariates(
    covar: Option<&Table>,
    names: Option<&[String]>,
    pheno: &Table,
    pheno_columns: &[usize],
) -> Result<Vec<usize>> {
    let Some(table) = covar else {
        if names.is_some_and(|c| !c.is_empty()) {
            return Err(Error::usage("--covar-name given without --covar"));
        }
        return Ok(Vec::new());
    };
    let columns = select_columns(table, names, "--covar-name")?;
    for &c in &columns {
        let name = &table.columns()[c];
        if pheno_columns.iter().any(|&p| &pheno.columns()[p] == name) {
            return Err(Error::usage(format!(
                "'{name}' is selected both as a phenotype and as a covariate"
            )));
        }
    }
    Ok(columns)
}

/// The columns of `table` named by `names` (default: all), or an error naming a missing one or
/// one named twice (`flag`: the option that named them).
fn select_columns(table: &Table, names: Option<&[String]>, flag: &str) -> Result<Vec<usize>> {
    let Some(names) = names else {
        return Ok((0..table.columns().len()).collect());
    };
    for (k, name) in names.iter().enumerate() {
        if names[..k].contains(name) {
            return Err(Error::usage(format!("{flag} names '{name}' twice")));
        }
    }
    names.iter().map(|name| table.column_index(name)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::sex::SampleSet;

    fn table(text: &str) -> (tempfile::TempDir, Table) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, text).unwrap();
        let t = Table::read(&path).unwrap();
        (dir, t)
    }

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn groups_by_missingness_and_expands_categories() {
        let (_d1, pheno) =
            table("IID y1 y2 y3\ns1 1 2 3\ns2 NA 2 -9\ns3 3 4 5\ns4 4 . 6\nextra 1 1 1\n");
        let (_d2, covar) =
            table("#FID\tIID\tage\tsite\nf\ts1\t30\tb\nf\ts2\t40\ta\nf\ts3\t\ta\nf\ts4\t50\tc\n");
        let samples = ids(&["s4", "s3", "s2", "s1", "s5"]);
        let options = BuildOptions {
            categorical: ["site".to_string()].into(),
            ..BuildOptions::default()
        };
        let fields =
            SampleFields::build_with(&samples, &pheno, None, Some(&covar), None, &options).unwrap();
        // s3 has no age → dropped; s5 has no rows.
        assert_eq!(fields.report.matched, 4);
        assert_eq!(fields.report.missing_covariate, 1);
        assert_eq!(fields.report.no_pheno_row, 1);
        assert_eq!(fields.report.unmatched_pheno_rows, 1);
        let names: Vec<&str> = fields
            .covariate_fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["age", "site=a", "site=b", "site=c"]);
        // y1 present for s4,s1 (s2 NA) ; y2 for s2,s1 ; y3 for s4,s1 (s2 -9) → y1,y3 share.
        assert_eq!(fields.groups.len(), 2);
        assert_eq!(fields.groups[0].phenotypes, ["y1", "y3"]);
        assert_eq!(fields.groups[0].samples, [0, 3]);
        assert_eq!(fields.groups[1].phenotypes, ["y2"]);
        // Row of s4 in group 0: 1, age 50, site c, y1 4, y3 6; centred on the means over s4, s1.
        let g = &fields.groups[0];
        assert_eq!(g.shift, [0.0, 40.0, 0.0, 0.5, 0.5, 2.5, 4.5]);
        let uncentred: Vec<f64> = g.rows[..7]
            .iter()
            .zip(&g.shift)
            .map(|(v, s)| v + s)
            .collect();
        assert_eq!(uncentred, [1.0, 50.0, 0.0, 0.0, 1.0, 4.0, 6.0]);
    }

    #[test]
    fn sex_field_only_with_every_sex_known_and_no_small_cell() {
        let (_d, pheno) = table("IID y\ns1 1\ns2 2\ns3 3\ns4 4\ns5 5\ns6 6\n");
        let samples = ids(&["s1", "s2", "s3", "s4", "s5", "s6"]);
        let sex = |codes: &[Option<sex::Sex>]| sex::SampleSex {
            by_sample: codes.to_vec(),
            source: "fam".to_string(),
        };
        let (m, f) = (Some(sex::Sex::Male), Some(sex::Sex::Female));
        let build = |sex, min_cell| {
            let options = BuildOptions {
                sex: Some(sex),
                min_cell,
                ..BuildOptions::default()
            };
            SampleFields::build_with(&samples, &pheno, None, None, None, &options).unwrap()
        };
        let fields = build(sex(&[m, f, m, f, f, m]), 1);
        let g = &fields.groups[0];
        let names: Vec<&str> = g.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["intercept", "sex", "y"]);
        // plink2's coding (1 male, 2 female), centred on the mean 1.5.
        assert_eq!(g.rows[1] + g.shift[1], 1.0);
        assert_eq!(g.rows[4] + g.shift[1], 2.0);
        assert_eq!(fields.sex_source.as_deref(), Some("fam"));
        assert_eq!(fields.sex_counts, [(3, 3, 0)]);
        // Every sex known: the group carries sex, and its males are chrY's sample set.
        assert_eq!(fields.groups.len(), 2);
        assert_eq!(fields.groups[1].sample_set, Some(SampleSet::Males));
        assert_eq!(fields.groups[1].samples, [0, 2, 5]);
        // One unknown: no field on the group; its known-sex set (5 samples) carries sex.
        let unknown = build(sex(&[m, f, None, f, f, m]), 1);
        assert_eq!(unknown.groups[0].fields.len(), 2);
        let known = &unknown.groups[1];
        assert_eq!(known.sample_set, Some(SampleSet::KnownSex));
        assert_eq!(known.samples, [0, 1, 3, 4, 5]);
        assert_eq!(known.fields[1].name, "sex");
        assert_eq!(unknown.sex_source.as_deref(), Some("fam"));
        // Under --min-cell 3 the set would single the unknown sample out: left out, and said.
        let unknown = build(sex(&[m, f, None, f, f, m]), 3);
        assert!(unknown
            .groups
            .iter()
            .all(|g| g.sample_set != Some(SampleSet::KnownSex)));
        assert!(unknown.sample_sets_left_out[0].contains("no known_sex sample set"));
        // Two males under --min-cell 3: no field (a cell of 2), no set of males.
        let small = build(sex(&[m, f, f, f, f, m]), 3);
        assert_eq!(small.groups[0].fields.len(), 2);
        assert_eq!(small.groups.len(), 1);
    }

    #[test]
    fn non_numeric_phenotype_names_the_line() {
        let (_d, pheno) = table("IID y\ns1 1\ns2 abc\n");
        let err = SampleFields::build(&ids(&["s1", "s2"]), &pheno, None, None, None).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("line 3: non-numeric value 'abc' in phenotype column 'y'"),
            "{err}"
        );
    }
}
