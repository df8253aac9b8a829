//! The sample fields `A` of each phenotype group (DESIGN §1).
//!
//! A group is the set of phenotypes that share one sample set: the samples with every phenotype of
//! the group and every covariate present. Its fields are the intercept, every covariate column and
//! the group's phenotypes. A categorical covariate (any non-numeric value) becomes one indicator
//! field per level; the merge step drops the reference level (the first in sorted order among the
//! levels present), so parties that saw different levels still line up by field name.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use super::table::{is_missing, parse_number, Table};
use crate::error::{Error, Result};
use crate::summary::{FieldKind, SampleField};

/// One phenotype group of one party.
#[derive(Debug, Clone)]
pub struct Group {
    /// The phenotypes sharing this sample set.
    pub phenotypes: Vec<String>,
    /// The columns of `A`: intercept, covariates, phenotypes.
    pub fields: Vec<SampleField>,
    /// Genotype-file sample indices of the group's samples, ascending.
    pub samples: Vec<u32>,
    /// Per field, the value subtracted from it: the group mean (0 for the intercept).
    pub shift: Vec<f64>,
    /// `A − 1·shiftᵀ`, row-major: `samples.len() × fields.len()`.
    pub rows: Vec<f64>,
}

impl Group {
    /// Number of samples `n_g`.
    pub fn n(&self) -> usize {
        self.samples.len()
    }

    /// The Gram matrix of the centred fields `(A − 1·shiftᵀ)ᵀ(A − 1·shiftᵀ)` (row-major J × J),
    /// each entry summed with Neumaier's compensated summation: G bounds the accuracy of
    /// everything downstream, and costs O(n J²) once.
    pub fn gram(&self) -> Vec<f64> {
        let j = self.fields.len();
        let mut sums = vec![NeumaierSum::default(); j * j];
        for row in self.rows.chunks_exact(j) {
            for a in 0..j {
                for b in a..j {
                    sums[a * j + b].add(row[a] * row[b]);
                }
            }
        }
        let mut gram = vec![0.0; j * j];
        for a in 0..j {
            for b in a..j {
                let value = sums[a * j + b].value();
                gram[a * j + b] = value;
                gram[b * j + a] = value;
            }
        }
        gram
    }

    /// Centres every field but the intercept on its group mean.
    ///
    /// Sums of centred fields keep their digits: `yᵀx` of a phenotype in real units (height in
    /// cm) against a dosage is dominated by mean(y)·Σx, and the association lives in what is left
    /// after subtracting it. Merge re-centres exactly (see `crate::merge`).
    ///
    /// With `bits`, each mean is rounded to a multiple of 2^−bits (secure mode), and a mean of
    /// magnitude 2^31 or more is not subtracted (shift 0).
    fn centre_rounded(&mut self, bits: Option<u32>) {
        let j = self.fields.len();
        let mut means = vec![NeumaierSum::default(); j];
        for row in self.rows.chunks_exact(j) {
            for (m, v) in means.iter_mut().zip(row) {
                m.add(*v);
            }
        }
        let n = self.samples.len() as f64;
        self.shift = means.iter().map(|m| m.value() / n).collect();
        self.shift[0] = 0.0;
        if let Some(bits) = bits {
            let scale = (2.0f64).powi(bits as i32);
            for s in &mut self.shift {
                *s = if s.abs() < 2f64.powi(31) {
                    (*s * scale).round() / scale
                } else {
                    0.0
                };
            }
        }
        for row in self.rows.chunks_exact_mut(j) {
            for (v, s) in row.iter_mut().zip(&self.shift) {
                *v -= s;
            }
        }
    }
}

/// Neumaier's compensated sum: error independent of the number of terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeumaierSum {
    sum: f64,
    compensation: f64,
}

impl NeumaierSum {
    /// Adds a term.
    pub fn add(&mut self, term: f64) {
        let total = self.sum + term;
        self.compensation += if self.sum.abs() >= term.abs() {
            (self.sum - total) + term
        } else {
            (term - total) + self.sum
        };
        self.sum = total;
    }

    /// The compensated total.
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// Counts from matching the files to the genotype samples, reported on stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchReport {
    /// Samples in the genotype file.
    pub genotype_samples: usize,
    /// Genotype samples found in the phenotype (and covariate) file.
    pub matched: usize,
    /// Phenotype-file rows whose IID is not a genotype sample.
    pub unmatched_pheno_rows: usize,
    /// Covariate-file rows whose IID is not a genotype sample.
    pub unmatched_covar_rows: usize,
    /// Genotype samples with no phenotype row.
    pub no_pheno_row: usize,
    /// Genotype samples with no covariate row.
    pub no_covar_row: usize,
    /// Matched samples dropped because a covariate is missing.
    pub missing_covariate: usize,
    /// Matched samples with complete covariates but no phenotype value.
    pub no_phenotype_value: usize,
}

impl MatchReport {
    /// Genotype samples that enter no group.
    pub fn dropped(&self) -> usize {
        self.no_pheno_row + self.no_covar_row + self.missing_covariate + self.no_phenotype_value
    }
}

impl fmt::Display for MatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} genotype samples, {} matched, {} unmatched file rows ({} phenotype, {} covariate), \
             {} dropped ({} without phenotype row, {} without covariate row, {} with a missing covariate, \
             {} with no phenotype value)",
            self.genotype_samples,
            self.matched,
            self.unmatched_pheno_rows + self.unmatched_covar_rows,
            self.unmatched_pheno_rows,
            self.unmatched_covar_rows,
            self.dropped(),
            self.no_pheno_row,
            self.no_covar_row,
            self.missing_covariate,
            self.no_phenotype_value
        )
    }
}

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

/// A covariate column decoded for the matched samples.
enum CovariateColumn {
    Numeric(Vec<Option<f64>>),
    Categorical {
        levels: Vec<String>,
        values: Vec<Option<usize>>,
    },
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

fn col_is_missing(column: &CovariateColumn, i: usize) -> bool {
    match column {
        CovariateColumn::Numeric(v) => v[i].is_none(),
        CovariateColumn::Categorical { values, .. } => values[i].is_none(),
    }
}

/// Decodes one covariate column over the usable samples: numeric when every present value is a
/// number, else categorical with its levels sorted (so every party orders them the same way).
/// With `fixed` levels, categorical with exactly those (sorted); a value outside is an error.
fn decode_covariate(
    table: &Table,
    column: usize,
    rows: &[Option<usize>],
    usable: &[bool],
    fixed: Option<&[String]>,
) -> Result<CovariateColumn> {
    let texts: Vec<Option<&str>> = rows
        .iter()
        .zip(usable)
        .map(|(row, &ok)| match row {
            Some(r) if ok => Some(table.value(*r, column)).filter(|t| !is_missing(t, false)),
            _ => None,
        })
        .collect();
    if let Some(fixed) = fixed {
        let levels: Vec<String> = fixed
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut values = Vec::with_capacity(texts.len());
        for (t, row) in texts.iter().zip(rows) {
            values.push(match t {
                None => None,
                Some(t) => Some(
                    levels
                        .binary_search_by(|l| l.as_str().cmp(t))
                        .map_err(|_| {
                            Error::input(
                                table.path(),
                                format!(
                            "covariate '{}' has level '{t}', not among the agreed levels {}",
                            table.columns()[column],
                            levels.join(",")
                        ),
                            )
                            .at(format!("line {}", table.line(row.expect("present value"))))
                        })?,
                ),
            });
        }
        return Ok(CovariateColumn::Categorical { levels, values });
    }
    if texts.iter().flatten().all(|t| parse_number(t).is_some()) {
        return Ok(CovariateColumn::Numeric(
            texts.iter().map(|t| t.and_then(parse_number)).collect(),
        ));
    }
    let levels: Vec<String> = texts
        .iter()
        .flatten()
        .map(|t| t.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let values = texts
        .iter()
        .map(|t| {
            t.map(|t| {
                levels
                    .binary_search_by(|l| l.as_str().cmp(t))
                    .expect("level listed")
            })
        })
        .collect();
    Ok(CovariateColumn::Categorical { levels, values })
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
    fn gram_is_exact_on_integers() {
        let group = Group {
            phenotypes: vec!["y".into()],
            fields: vec![SampleField::intercept(), SampleField::phenotype("y")],
            samples: vec![0, 1, 2],
            shift: vec![0.0, 0.0],
            rows: vec![1.0, 2.0, 1.0, 3.0, 1.0, 4.0],
        };
        assert_eq!(group.gram(), vec![3.0, 9.0, 9.0, 29.0]);
        let mut centred = group.clone();
        centred.centre_rounded(None);
        assert_eq!(centred.shift, vec![0.0, 3.0]);
        assert_eq!(centred.gram(), vec![3.0, 0.0, 0.0, 2.0]);
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
