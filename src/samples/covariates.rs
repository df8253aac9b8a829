//! Covariate columns: numeric, or categorical with one indicator field per level.
//!
//! A column is numeric unless it is declared categorical ([`BuildOptions::categorical`], or
//! given fixed levels); a value in a numeric column that is not a number is an error naming the
//! file, line, column and value — never a silent switch to categorical, which would turn one
//! typo (`5O.2`) into a level held by one person. A categorical column's levels are sorted, so
//! that every party orders them (and their indicator fields) the same way; in secure mode the
//! levels are fixed in advance ([`BuildOptions::levels`]), so that the layout does not depend on
//! the data.
//!
//! [`BuildOptions::levels`]: super::BuildOptions::levels
//! [`BuildOptions::categorical`]: super::BuildOptions::categorical

use std::collections::BTreeSet;

use super::matching::Matching;
use super::numeric::{is_missing, parse_number};
use super::table::Table;
use super::BuildOptions;
use crate::error::{Error, Result};
use crate::summary::SampleField;

/// A covariate column decoded for the matched samples, one entry per genotype sample (`None`:
/// missing, or not a usable sample).
pub(super) enum CovariateColumn {
    /// Every present value is a number.
    Numeric(Vec<Option<f64>>),
    /// Categorical: the sorted levels, and each sample's level as an index into them.
    Categorical {
        levels: Vec<String>,
        values: Vec<Option<usize>>,
    },
}

impl CovariateColumn {
    /// Whether genotype sample `i` has no value.
    fn is_missing(&self, i: usize) -> bool {
        match self {
            CovariateColumn::Numeric(v) => v[i].is_none(),
            CovariateColumn::Categorical { values, .. } => values[i].is_none(),
        }
    }
}

/// The selected covariate columns, decoded over the usable samples.
#[derive(Default)]
pub(super) struct Covariates {
    /// Column names, in selection order.
    names: Vec<String>,
    /// The decoded columns, in the same order.
    columns: Vec<CovariateColumn>,
}

impl Covariates {
    /// Decodes the `selected` columns of `covar` over the usable samples of `matching`.
    ///
    /// `options.levels` fixes the levels of categorical columns by name, and
    /// `options.categorical` declares categorical columns; each must name a selected column.
    /// Without a covariate file there are no covariates.
    pub(super) fn decode(
        covar: Option<&Table>,
        selected: &[usize],
        matching: &Matching,
        options: &BuildOptions,
    ) -> Result<Covariates> {
        let is_selected = |name: &String| {
            covar.is_some_and(|table| selected.iter().any(|&c| &table.columns()[c] == name))
        };
        for name in options.levels.keys() {
            if !is_selected(name) {
                return Err(Error::usage(format!(
                    "levels are given for '{name}', which is not a selected covariate"
                )));
            }
        }
        // A declared column may be left out by --covar-name, but must exist (a typo in the
        // declaration would otherwise leave a categorical column numeric, and so an error).
        for name in &options.categorical {
            let exists = covar.is_some_and(|table| table.columns().contains(name));
            if !exists {
                return Err(Error::usage(format!(
                    "--covar-categorical names '{name}', which is not a covariate column"
                )));
            }
        }
        let (Some(table), Some(rows)) = (covar, matching.covar_rows.as_ref()) else {
            return Ok(Covariates::default());
        };
        let mut covariates = Covariates::default();
        for &c in selected {
            let name = &table.columns()[c];
            let fixed = options.levels.get(name).map(Vec::as_slice);
            let declared = options.categorical.contains(name);
            let minus_nine = !options.no_input_missing_phenotype;
            let column = decode_covariate(
                table,
                c,
                rows,
                &matching.usable,
                Kind {
                    fixed,
                    declared,
                    minus_nine,
                },
            )?;
            covariates.names.push(name.clone());
            covariates.columns.push(column);
        }
        Ok(covariates)
    }

    /// The numeric columns: name, file column index and value per genotype sample.
    pub(super) fn numeric_columns(&self) -> impl Iterator<Item = (&str, &[Option<f64>])> {
        self.names
            .iter()
            .zip(&self.columns)
            .filter_map(|(name, column)| match column {
                CovariateColumn::Numeric(values) => Some((name.as_str(), values.as_slice())),
                CovariateColumn::Categorical { .. } => None,
            })
    }

    /// The categorical columns: name, levels, and each genotype sample's level.
    pub(super) fn categorical_columns(
        &self,
    ) -> impl Iterator<Item = (&str, &[String], &[Option<usize>])> {
        self.names
            .iter()
            .zip(&self.columns)
            .filter_map(|(name, column)| match column {
                CovariateColumn::Categorical { levels, values } => {
                    Some((name.as_str(), levels.as_slice(), values.as_slice()))
                }
                CovariateColumn::Numeric(_) => None,
            })
    }

    /// Whether genotype sample `i` lacks any covariate.
    pub(super) fn any_missing(&self, i: usize) -> bool {
        self.columns.iter().any(|column| column.is_missing(i))
    }

    /// The covariate fields, shared by every group: one per numeric column, one indicator per
    /// level of a categorical column.
    pub(super) fn fields(&self) -> Vec<SampleField> {
        let mut fields = Vec::new();
        for (name, column) in self.names.iter().zip(&self.columns) {
            match column {
                CovariateColumn::Numeric(_) => fields.push(SampleField::numeric_covariate(name)),
                CovariateColumn::Categorical { levels, .. } => fields.extend(
                    levels
                        .iter()
                        .map(|level| SampleField::level_indicator(name, level)),
                ),
            }
        }
        fields
    }

    /// Appends the covariate fields of genotype sample `i` (which has every covariate) to `row`,
    /// in the order of [`Covariates::fields`].
    pub(super) fn push_row(&self, i: usize, row: &mut Vec<f64>) {
        for column in &self.columns {
            match column {
                CovariateColumn::Numeric(v) => row.push(v[i].expect("usable sample")),
                CovariateColumn::Categorical { levels, values } => {
                    let level = values[i].expect("usable sample");
                    row.extend((0..levels.len()).map(|l| if l == level { 1.0 } else { 0.0 }));
                }
            }
        }
    }
}

/// How to read one covariate column.
struct Kind<'a> {
    /// Agreed levels (secure mode): categorical with exactly these.
    fixed: Option<&'a [String]>,
    /// Declared categorical (`--covar-categorical`): levels from the data.
    declared: bool,
    /// `-9` is missing.
    minus_nine: bool,
}

/// Decodes one covariate column over the usable samples: numeric unless declared categorical,
/// with a non-numeric value an error (naming file, line, column and value) whether or not its
/// sample is usable. A declared categorical column has its levels sorted (so every party orders
/// them the same way); with `fixed` levels, exactly those (sorted), and a value outside is an
/// error.
fn decode_covariate(
    table: &Table,
    column: usize,
    rows: &[Option<usize>],
    usable: &[bool],
    kind: Kind,
) -> Result<CovariateColumn> {
    let present =
        |r: usize| Some(table.value(r, column)).filter(|t| !is_missing(t, kind.minus_nine));
    // The present values of the usable samples; everything else counts as missing.
    let texts: Vec<Option<&str>> = rows
        .iter()
        .zip(usable)
        .map(|(row, &ok)| match row {
            Some(r) if ok => present(*r),
            _ => None,
        })
        .collect();
    if let Some(fixed) = kind.fixed {
        return decode_fixed_levels(table, column, rows, &texts, fixed);
    }
    if !kind.declared {
        // Every row of a genotype sample, in file order, so the first bad line is named.
        let mut matched: Vec<usize> = rows.iter().flatten().copied().collect();
        matched.sort_unstable();
        for r in matched {
            if let Some(text) = present(r).filter(|t| parse_number(t).is_none()) {
                let name = &table.columns()[column];
                return Err(Error::input(
                    table.path(),
                    format!(
                        "column {} ('{name}'): non-numeric value '{text}' in a numeric covariate \
                         (a categorical covariate must be declared: --covar-categorical {name})",
                        table.file_column(column)
                    ),
                )
                .at(format!("line {}", table.line(r))));
            }
        }
        return Ok(CovariateColumn::Numeric(
            texts.iter().map(|t| t.and_then(parse_number)).collect(),
        ));
    }
    let levels = sorted_levels(texts.iter().flatten().copied());
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

/// A categorical column with the agreed `fixed` levels: a value outside them is an error naming
/// the line of the first such value.
fn decode_fixed_levels(
    table: &Table,
    column: usize,
    rows: &[Option<usize>],
    texts: &[Option<&str>],
    fixed: &[String],
) -> Result<CovariateColumn> {
    let levels = sorted_levels(fixed.iter().map(String::as_str));
    let mut values = Vec::with_capacity(texts.len());
    for (t, row) in texts.iter().zip(rows) {
        let Some(t) = t else {
            values.push(None);
            continue;
        };
        let level = levels
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
            })?;
        values.push(Some(level));
    }
    Ok(CovariateColumn::Categorical { levels, values })
}

/// The distinct `values`, sorted.
fn sorted_levels<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    values
        .map(str::to_string)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}
