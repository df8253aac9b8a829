//! The fields of a phenotype group: the columns of its sample matrix `A` (DESIGN §1).
//!
//! They are part of the summary contract: the footer [`Header`](super::Header) lists each group's
//! fields, serialized as JSON objects `{"name", "kind", "covariate"?, "level"?}` with `kind` one of
//! `intercept`, `covariate`, `phenotype`, `sex`. Merge lines groups of different parties up by field name.

use serde::{Deserialize, Serialize};

/// What a sample field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// The constant 1.
    Intercept,
    /// A numeric covariate or one level indicator of a categorical covariate.
    Covariate,
    /// A phenotype.
    Phenotype,
    /// The sample's sex in plink2's coding (1 male, 2 female): the covariate merge adds on
    /// non-PAR chrX (`--xchr-model` 1 and 2), and no other.
    Sex,
}

/// One column of a group's sample matrix `A`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleField {
    /// Unique name: the column name, `COVAR=LEVEL` for an indicator, `intercept`.
    pub name: String,
    /// Its kind.
    pub kind: FieldKind,
    /// For covariates: the covariate column it comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariate: Option<String>,
    /// For categorical covariates: the level this field indicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

impl SampleField {
    /// The intercept field.
    pub fn intercept() -> SampleField {
        SampleField {
            name: "intercept".to_string(),
            kind: FieldKind::Intercept,
            covariate: None,
            level: None,
        }
    }

    /// The field of the phenotype column `name`.
    pub fn phenotype(name: &str) -> SampleField {
        SampleField {
            name: name.to_string(),
            kind: FieldKind::Phenotype,
            covariate: None,
            level: None,
        }
    }

    /// The sex field, named `sex`.
    pub fn sex() -> SampleField {
        SampleField {
            name: "sex".to_string(),
            kind: FieldKind::Sex,
            covariate: None,
            level: None,
        }
    }

    /// The field of the numeric covariate column `name`.
    pub fn numeric_covariate(name: &str) -> SampleField {
        SampleField {
            name: name.to_string(),
            kind: FieldKind::Covariate,
            covariate: Some(name.to_string()),
            level: None,
        }
    }

    /// The indicator field of `level` of the categorical covariate column `covariate`, named
    /// `COVAR=LEVEL`.
    pub fn level_indicator(covariate: &str, level: &str) -> SampleField {
        SampleField {
            name: format!("{covariate}={level}"),
            kind: FieldKind::Covariate,
            covariate: Some(covariate.to_string()),
            level: Some(level.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The serialized form is part of the summary contract: it must not change.
    #[test]
    fn serialized_form_is_the_contract() {
        let fields = [
            SampleField::intercept(),
            SampleField::numeric_covariate("age"),
            SampleField::level_indicator("site", "a"),
            SampleField::phenotype("y"),
        ];
        let json = serde_json::to_string(&fields).unwrap();
        assert_eq!(
            json,
            r#"[{"name":"intercept","kind":"intercept"},{"name":"age","kind":"covariate","covariate":"age"},{"name":"site=a","kind":"covariate","covariate":"site","level":"a"},{"name":"y","kind":"phenotype"}]"#
        );
        let back: Vec<SampleField> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fields);
    }
}
