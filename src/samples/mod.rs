//! Samples: phenotype and covariate files, matched to the genotype samples, split into groups.
//!
//! [`SampleFields`] holds the sample fields `A` of each phenotype group of one party (DESIGN §1).
//! A group is the set of phenotypes that share one sample set: the samples with every phenotype of
//! the group and every covariate present. Its fields are the intercept, every covariate column and
//! the group's phenotypes. A categorical covariate (any non-numeric value) becomes one indicator
//! field per level; the merge step drops the reference level (the first in sorted order among the
//! levels present), so parties that saw different levels still line up by field name.
//!
//! * [`table`] parses the phenotype and covariate files;
//! * [`matching`] matches their rows to the genotype samples by IID ([`MatchReport`]);
//! * [`covariates`] decodes the covariate columns, numeric or categorical;
//! * [`groups`] splits the phenotypes into groups ([`Group`]) and builds their centred matrices;
//! * [`numeric`] has the missing-value codes, number parsing and compensated summation.

pub mod covariates;
pub mod groups;
pub mod matching;
pub mod numeric;
pub mod table;

/// Transitional alias of [`SampleField`] under its old name, so that code written against
/// `samples::Field` still compiles; new code names `crate::summary::SampleField`.
pub use crate::summary::SampleField as Field;
pub use crate::summary::{FieldKind, SampleField};
pub use groups::Group;
pub use matching::MatchReport;
pub use table::Table;

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use covariates::{col_is_missing, decode_covariate, CovariateColumn};
use numeric::{is_missing, parse_number};

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
    pub fn build_with(
        genotype_samples: &[String],
        pheno: &Table,
        pheno_names: Option<&[String]>,
        covar: Option<&Table>,
        covar_names: Option<&[String]>,
        options: &BuildOptions,
    ) -> Result<SampleFields> {
        let n = genotype_samples.len();
        let sample_index: HashMap<&str, usize> = genotype_samples
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let mut report = MatchReport {
            genotype_samples: n,
            ..MatchReport::default()
        };

        // Row of each genotype sample in each table.
        let locate = |table: &Table, unmatched: &mut usize| -> Vec<Option<usize>> {
            let mut rows = vec![None; n];
            for (row, iid) in table.iids().iter().enumerate() {
                match sample_index.get(iid.as_str()) {
                    Some(&i) => rows[i] = Some(row),
                    None => *unmatched += 1,
                }
            }
            rows
        };
        let pheno_rows = locate(pheno, &mut report.unmatched_pheno_rows);
        let covar_rows = covar.map(|table| locate(table, &mut report.unmatched_covar_rows));

        let pheno_columns = select_columns(pheno, pheno_names)?;
        if pheno_columns.is_empty() {
            return Err(Error::input(pheno.path(), "no phenotype columns"));
        }
        let covar_columns = match covar {
            Some(table) => select_columns(table, covar_names)?,
            None if covar_names.is_some_and(|c| !c.is_empty()) => {
                return Err(Error::usage("--covar-name given without --covar"))
            }
            None => Vec::new(),
        };
        if let Some(table) = covar {
            for &c in &covar_columns {
                let name = &table.columns()[c];
                if pheno_columns.iter().any(|&p| &pheno.columns()[p] == name) {
                    return Err(Error::usage(format!(
                        "'{name}' is selected both as a phenotype and as a covariate"
                    )));
                }
            }
        }

        // Which genotype samples have both rows.
        let mut usable = vec![false; n];
        for i in 0..n {
            let has_pheno = pheno_rows[i].is_some();
            let has_covar = covar_rows.as_ref().is_none_or(|rows| rows[i].is_some());
            match (has_pheno, has_covar) {
                (true, true) => {
                    report.matched += 1;
                    usable[i] = true;
                }
                (false, _) => report.no_pheno_row += 1,
                (true, false) => report.no_covar_row += 1,
            }
        }

        if report.matched == 0 {
            return Err(Error::input(
                pheno.path(),
                format!(
                    "no sample in common with the {n} genotype samples (samples are matched by IID)"
                ),
            ));
        }

        for name in options.levels.keys() {
            let selected = covar
                .is_some_and(|table| covar_columns.iter().any(|&c| &table.columns()[c] == name));
            if !selected {
                return Err(Error::usage(format!(
                    "levels are given for '{name}', which is not a selected covariate"
                )));
            }
        }

        // Covariates, decoded over usable samples; a missing one drops the sample.
        let mut columns = Vec::new();
        if let (Some(table), Some(rows)) = (covar, covar_rows.as_ref()) {
            for &c in &covar_columns {
                let fixed = options.levels.get(&table.columns()[c]);
                columns.push(decode_covariate(
                    table,
                    c,
                    rows,
                    &usable,
                    fixed.map(Vec::as_slice),
                )?);
            }
        }
        for (i, ok) in usable.iter_mut().enumerate() {
            if *ok && columns.iter().any(|col| col_is_missing(col, i)) {
                *ok = false;
                report.missing_covariate += 1;
            }
        }
        let mut covariate_fields = Vec::new();
        if let Some(table) = covar {
            for (col, &c) in columns.iter().zip(&covar_columns) {
                let name = &table.columns()[c];
                match col {
                    CovariateColumn::Numeric(_) => covariate_fields.push(SampleField {
                        name: name.clone(),
                        kind: FieldKind::Covariate,
                        covariate: Some(name.clone()),
                        level: None,
                    }),
                    CovariateColumn::Categorical { levels, .. } => {
                        for level in levels {
                            covariate_fields.push(SampleField {
                                name: format!("{name}={level}"),
                                kind: FieldKind::Covariate,
                                covariate: Some(name.clone()),
                                level: Some(level.clone()),
                            })
                        }
                    }
                }
            }
        }

        // Phenotype values; non-numeric is an error naming the line.
        let mut phenotypes: Vec<Vec<Option<f64>>> = Vec::new();
        for &p in &pheno_columns {
            let name = &pheno.columns()[p];
            let mut values = vec![None; n];
            for i in 0..n {
                let Some(row) = pheno_rows[i] else { continue };
                let text = pheno.value(row, p);
                if is_missing(text, true) {
                    continue;
                }
                let value = parse_number(text).ok_or_else(|| {
                    Error::input(
                        pheno.path(),
                        format!("non-numeric value '{text}' in phenotype column '{name}'"),
                    )
                    .at(format!("line {}", pheno.line(row)))
                })?;
                if usable[i] {
                    values[i] = Some(value);
                }
            }
            phenotypes.push(values);
        }
        for i in 0..n {
            if usable[i] && phenotypes.iter().all(|v| v[i].is_none()) {
                report.no_phenotype_value += 1;
            }
        }

        // Groups: phenotypes with identical present-sample sets.
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of_pattern: HashMap<Vec<u32>, usize> = HashMap::new();
        for (k, &p) in pheno_columns.iter().enumerate() {
            let name = &pheno.columns()[p];
            let samples: Vec<u32> = (0..n as u32)
                .filter(|&i| phenotypes[k][i as usize].is_some())
                .collect();
            if samples.is_empty() {
                return Err(Error::input(
                    pheno.path(),
                    format!("phenotype '{name}' has no matched sample with a value and complete covariates"),
                ));
            }
            let shared = match options.group_per_phenotype {
                true => None,
                false => group_of_pattern.get(&samples),
            };
            match shared {
                Some(&g) => groups[g].phenotypes.push(name.clone()),
                None => {
                    group_of_pattern.insert(samples.clone(), groups.len());
                    groups.push(Group {
                        phenotypes: vec![name.clone()],
                        fields: Vec::new(),
                        samples,
                        shift: Vec::new(),
                        rows: Vec::new(),
                    });
                }
            }
        }
        let phenotype_of: HashMap<&str, usize> = pheno_columns
            .iter()
            .enumerate()
            .map(|(k, &p)| (pheno.columns()[p].as_str(), k))
            .collect();
        for group in &mut groups {
            group.fields = std::iter::once(SampleField::intercept())
                .chain(covariate_fields.iter().cloned())
                .chain(group.phenotypes.iter().map(|p| SampleField::phenotype(p)))
                .collect();
            let j = group.fields.len();
            let mut rows = Vec::with_capacity(group.samples.len() * j);
            for &i in &group.samples {
                let i = i as usize;
                rows.push(1.0);
                for col in &columns {
                    match col {
                        CovariateColumn::Numeric(v) => rows.push(v[i].expect("usable sample")),
                        CovariateColumn::Categorical { levels, values } => {
                            let level = values[i].expect("usable sample");
                            rows.extend(
                                (0..levels.len()).map(|l| if l == level { 1.0 } else { 0.0 }),
                            );
                        }
                    }
                }
                for p in &group.phenotypes {
                    rows.push(phenotypes[phenotype_of[p.as_str()]][i].expect("group sample"));
                }
            }
            group.rows = rows;
            group.centre_rounded(options.shift_bits);
        }

        Ok(SampleFields {
            groups,
            covariate_fields,
            report,
            n_genotype_samples: n,
        })
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

fn select_columns(table: &Table, names: Option<&[String]>) -> Result<Vec<usize>> {
    match names {
        None => Ok((0..table.columns().len()).collect()),
        Some(names) => names.iter().map(|name| table.column_index(name)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let fields = SampleFields::build(&samples, &pheno, None, Some(&covar), None).unwrap();
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
