//! Secure combine: summaries masked by pairwise secret streams (secure aggregation, DESIGN §4).
//!
//! Each party holds an X25519 key pair ([`keys`]); the consortium's **roster** lists every
//! party's public key, and a **manifest** ([`manifest`]) fixes the variant rows. With
//! `dash compress --secure` a party
//!
//! 1. lays its sample fields out in the agreed way — one group per phenotype (intercept, every
//!    covariate, that phenotype), names sorted, categorical levels fixed
//!    ([`secure_field_options`]) — so every party's words mean the same sums — and sums its
//!    fields centred on its own means (rounded to multiples of 2^−[`ring::SHIFT_BITS`]) for
//!    accuracy, then undoes that centring exactly in fixed point ([`ring::add_scaled`]): the
//!    words hold *uncentred* sums, which add up across parties;
//! 2. encodes every sum — n and G per group, per manifest row `Aᵀx0`, `Aᵀu`, `x0·x0` and the
//!    QC counts — as a fixed-point integer in Z/2^128 ([`ring`]), a row the party lacks as all
//!    missing;
//! 3. adds, for every other roster party, a mask stream derived from the pair's X25519 shared
//!    secret ([`mask`]) — bound to the roster, manifest and layout fingerprints — with opposite
//!    signs on the two sides, plus a zero-valued **canary** word masked the same way.
//!
//! `dash merge` on the files of *every* roster party adds them modulo 2^128: the masks cancel,
//! the canary must come out 0, and the decoded totals are one pooled component handed to the
//! ordinary regression ([`combine`]). A single file is indistinguishable from random; what the
//! merger learns is the pooled sums (see docs/security.md). No extra round trip: the masks need
//! only the roster, which every party has before compressing.

pub mod combine;
pub mod sink;

pub use sink::compress_secure;
pub mod keys;
pub mod ld;
pub mod manifest;
pub mod mask;
pub mod ring;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::samples::BuildOptions;
use crate::summary::GroupLayout;

use keys::{Roster, SecretKey};
use manifest::Manifest;

/// Protocol name and version written into every secure summary (fixed by the summary contract).
pub use crate::summary::secure::SCHEME;

/// The [`BuildOptions`] of secure mode: one group per phenotype, centred on dyadic-rounded
/// means, with the agreed categorical levels (`COVAR` → levels).
pub fn secure_field_options(levels: BTreeMap<String, Vec<String>>) -> BuildOptions {
    BuildOptions {
        group_per_phenotype: true,
        shift_bits: Some(ring::SHIFT_BITS),
        levels,
        ..BuildOptions::default()
    }
}

/// Parses `--covar-levels COVAR=L1,L2,…` arguments.
///
/// ```
/// let levels = dash::secure::parse_levels(&["site=north,east".to_string()]).unwrap();
/// assert_eq!(levels["site"], ["north", "east"]);
/// ```
pub fn parse_levels(args: &[String]) -> Result<BTreeMap<String, Vec<String>>> {
    let mut levels = BTreeMap::new();
    for arg in args {
        let bad = || {
            Error::usage(format!(
                "--covar-levels '{arg}': expected COVAR=LEVEL,LEVEL,…"
            ))
        };
        let (name, list) = arg.split_once('=').ok_or_else(bad)?;
        let list: Vec<String> = list.split(',').map(str::to_string).collect();
        if name.is_empty() || list.iter().any(String::is_empty) {
            return Err(bad());
        }
        if levels.insert(name.to_string(), list).is_some() {
            return Err(Error::usage(format!(
                "--covar-levels: '{name}' given twice"
            )));
        }
    }
    Ok(levels)
}

/// The fingerprint of a field layout, its encoding and the LD regions (hex SHA-256): parties
/// whose layouts differ get unrelated masks, and merge refuses their files by this value. A
/// layout without LD regions hashes as it did before they existed.
pub fn layout_hash(layouts: &[GroupLayout], ld_regions: &[String]) -> String {
    let mut content = serde_json::json!({
        "scheme": SCHEME,
        "fraction_bits": ring::FRACTION_BITS,
        "groups": layouts,
        "row_words": ["atx0", "atu", "x0x0", "hom_ref", "het", "hom_alt", "missing", "observed", "dosage_sum", "dosage_sq_sum"],
    });
    if !ld_regions.is_empty() {
        content["ld_regions"] = serde_json::json!(ld_regions);
        content["ld_words"] = serde_json::json!([
            "x0x0", "x0u", "ux0", "uu", "alt_alt", "ref_ref", "alt_ref", "ref_alt"
        ]);
    }
    keys::hex(&Sha256::digest(content.to_string().as_bytes()))
}

/// Everything a party needs to compress securely.
pub struct SecureSetup {
    /// The consortium roster.
    pub roster: Roster,
    /// Where the roster was read from (for messages).
    pub roster_path: PathBuf,
    /// The agreed manifest.
    pub manifest: Manifest,
    /// This party's secret key (masks).
    pub key: SecretKey,
    /// This party's signing key (signs the summary): [`SecretKey::signing_key`] of `key`.
    pub signing: ed25519_dalek::SigningKey,
    /// This party's index in the roster.
    pub me: usize,
}

impl SecureSetup {
    /// Reads roster, manifest and key; the party is the roster entry whose public key is the
    /// key's (checked against `party` when given), and its roster signing key must be the one
    /// derived from the key.
    pub fn load(
        roster_path: &Path,
        manifest_path: &Path,
        key_path: &Path,
        party: Option<&str>,
    ) -> Result<SecureSetup> {
        let roster = Roster::read(roster_path)?;
        let key = SecretKey::read(key_path)?;
        let me = roster.party_of(&key.public_bytes()).ok_or_else(|| {
            Error::input(
                key_path,
                format!(
                    "its public key {} is not in the roster {} (parties {}); use the key whose .pub went into the roster",
                    key.public_hex(),
                    roster_path.display(),
                    roster.names().join(", ")
                ),
            )
        })?;
        let signing = key.signing_key();
        if signing.verifying_key().to_bytes() != *roster.signing_key(me) {
            return Err(Error::input(
                key_path,
                format!(
                    "its signing key {} is not party '{}''s in the roster {} (its .pub was edited, or the roster is stale)",
                    key.signing_public_hex(),
                    roster.name(me),
                    roster_path.display()
                ),
            ));
        }
        if let Some(party) = party {
            if party != roster.name(me) {
                return Err(Error::usage(format!(
                    "--party {party}: the key {} belongs to roster party '{}'",
                    key_path.display(),
                    roster.name(me)
                )));
            }
        }
        let manifest = Manifest::read(manifest_path)?;
        Ok(SecureSetup {
            roster,
            roster_path: roster_path.to_path_buf(),
            manifest,
            key,
            signing,
            me,
        })
    }
}
