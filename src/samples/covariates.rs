//! Covariate columns: numeric, or categorical with one indicator field per level.

use std::collections::BTreeSet;

use super::numeric::{is_missing, parse_number};
use super::table::Table;
use crate::error::{Error, Result};

/// A covariate column decoded for the matched samples.
pub(super) enum CovariateColumn {
    Numeric(Vec<Option<f64>>),
    Categorical {
        levels: Vec<String>,
        values: Vec<Option<usize>>,
    },
}

pub(super) fn col_is_missing(column: &CovariateColumn, i: usize) -> bool {
    match column {
        CovariateColumn::Numeric(v) => v[i].is_none(),
        CovariateColumn::Categorical { values, .. } => values[i].is_none(),
    }
}

/// Decodes one covariate column over the usable samples: numeric when every present value is a
/// number, else categorical with its levels sorted (so every party orders them the same way).
/// With `fixed` levels, categorical with exactly those (sorted); a value outside is an error.
pub(super) fn decode_covariate(
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
