//! Party keys — an X25519 key pair for the masks and an Ed25519 key pair for signing — and the
//! consortium roster.
//!
//! **Key files** (`dash keygen --out NAME`):
//!
//! * `NAME.key` — the secret, mode 0600: a comment line, then 64 hex digits. It is the X25519
//!   secret key; the Ed25519 signing key is derived from it (HKDF-SHA256, salt
//!   [`SIGNING_KEY_SALT`]), so one secret file holds both and a key made before signing existed
//!   still works (with a new `.pub`);
//! * `NAME.pub` — one roster line, `PARTY X25519_HEX ED25519_HEX` (the party name and the two
//!   64-hex-digit public keys).
//!
//! **Roster**: one party a line, `PARTY X25519_HEX ED25519_HEX`, `#` comments and blank lines
//! ignored; party names and keys distinct. Concatenating every party's `.pub` gives a roster
//! (`dash roster` checks and writes it in canonical order). Its fingerprint ([`Roster::hash`]) is
//! over the canonical form (sorted by name), so line order does not matter; every party should
//! compare it out of band. The roster binds each party name to its signing key: a secure
//! summary is signed by its party, and merge verifies the signature with that party's key in
//! the roster embedded in every file (whose fingerprint must match).
//!
//! ```
//! use dash::secure::keys::{Roster, SecretKey};
//! let a = SecretKey::from_bytes([1; 32]);
//! let b = SecretKey::from_bytes([2; 32]);
//! let text = format!("{}\n{}\n", b.pub_line("b"), a.pub_line("a"));
//! let roster = Roster::parse(&text, "roster.txt".as_ref()).unwrap();
//! assert_eq!(roster.names(), ["a", "b"]);
//! assert_eq!(roster.party_of(&a.public_bytes()), Some(0));
//! // Both sides of a pair derive the same shared secret.
//! assert_eq!(a.shared(&b.public_bytes()), b.shared(&a.public_bytes()));
//! // The roster binds a's name to a's signing key.
//! assert_eq!(roster.signing_key(0), &a.signing_key().verifying_key().to_bytes());
//! ```

use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

use crate::atomic_file::AtomicFile;
use crate::error::{Error, IoResultExt, Result};

/// Most parties in one roster: keeps the pooled fixed-point total inside its range (see
/// [`crate::secure::ring`]).
pub const MAX_PARTIES: usize = 128;

/// HKDF salt deriving a party's Ed25519 signing key from its X25519 secret.
pub const SIGNING_KEY_SALT: &[u8] = b"dash-signing-key-v1";

/// A party's X25519 secret key (from which its Ed25519 signing key is derived).
pub struct SecretKey(StaticSecret);

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SecretKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::model(format!("no operating-system randomness: {e}")))?;
        Ok(SecretKey::from_bytes(bytes))
    }

    /// The key with these bytes (clamped by X25519 when used).
    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(StaticSecret::from(bytes))
    }

    /// Reads a `.key` file.
    pub fn read(path: &Path) -> Result<SecretKey> {
        let text = std::fs::read_to_string(path).with_path(path)?;
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        let bytes = parse_hex32(line)
            .ok_or_else(|| Error::input(path, "not a dash secret key (expected 64 hex digits)"))?;
        Ok(SecretKey::from_bytes(bytes))
    }

    /// The public key.
    pub fn public_bytes(&self) -> [u8; 32] {
        PublicKey::from(&self.0).to_bytes()
    }

    /// The public key as 64 hex digits.
    pub fn public_hex(&self) -> String {
        hex(&self.public_bytes())
    }

    /// The party's Ed25519 signing key: HKDF-SHA256 of the X25519 secret with salt
    /// [`SIGNING_KEY_SALT`] (computationally independent of the X25519 key).
    pub fn signing_key(&self) -> SigningKey {
        let mut seed = [0u8; 32];
        Hkdf::<Sha256>::new(Some(SIGNING_KEY_SALT), &self.0.to_bytes())
            .expand(b"ed25519 seed", &mut seed)
            .expect("32 bytes is a valid HKDF output length");
        SigningKey::from_bytes(&seed)
    }

    /// The public half of [`SecretKey::signing_key`] as 64 hex digits.
    pub fn signing_public_hex(&self) -> String {
        hex(&self.signing_key().verifying_key().to_bytes())
    }

    /// The party's roster line: `PARTY X25519_HEX ED25519_HEX`.
    pub fn pub_line(&self, party: &str) -> String {
        format!(
            "{party} {} {}",
            self.public_hex(),
            self.signing_public_hex()
        )
    }

    /// The X25519 shared secret with a peer's public key; `None` when it is degenerate (a
    /// low-order public key, which no honest `dash keygen` produces).
    pub fn shared(&self, peer: &[u8; 32]) -> Option<[u8; 32]> {
        let shared = self.0.diffie_hellman(&PublicKey::from(*peer));
        shared.was_contributory().then(|| shared.to_bytes())
    }

    /// Writes `NAME.key` (mode 0600) and `NAME.pub` for `party`; refuses to overwrite a key.
    pub fn write_pair(
        &self,
        out: &Path,
        party: &str,
    ) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
        check_name(party).map_err(Error::usage)?;
        let key_path = with_suffix(out, "key");
        let pub_path = with_suffix(out, "pub");
        for path in [&key_path, &pub_path] {
            if path.exists() {
                return Err(Error::input(
                    path,
                    "already exists; refusing to overwrite a key (remove it first)",
                ));
            }
        }
        use std::io::Write;
        let mut key = AtomicFile::create_private(&key_path)?;
        writeln!(
            key,
            "# dash secret key of party {party} (X25519; its Ed25519 signing key derives from it): keep private, never send\n{}",
            hex(&self.0.to_bytes())
        )
        .with_path(&key_path)?;
        let mut public = AtomicFile::create(&pub_path)?;
        writeln!(public, "{}", self.pub_line(party)).with_path(&pub_path)?;
        key.commit()?;
        public.commit()?;
        Ok((key_path, pub_path))
    }
}

fn with_suffix(out: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    name.into()
}

pub use crate::summary::id::hex;

fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A party name: letters, digits, `.`, `_`, `-`.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "party name '{name}' must be letters, digits, '.', '_' or '-'"
        ));
    }
    Ok(())
}

/// The consortium's parties and public keys (X25519, Ed25519), sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    parties: Vec<(String, [u8; 32], [u8; 32])>,
}

impl Roster {
    /// Reads a roster file.
    pub fn read(path: &Path) -> Result<Roster> {
        let text = std::fs::read_to_string(path).with_path(path)?;
        Roster::parse(&text, path)
    }

    /// Parses roster text (`path` names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Roster> {
        let mut parties: Vec<(String, [u8; 32], [u8; 32])> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = || format!("line {}", number + 1);
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (name, key) = match fields[..] {
                [name, key] | [name, key, _] => (name, key),
                _ => {
                    return Err(Error::input(
                        path,
                        "expected 'PARTY X25519_PUBLIC_KEY_HEX ED25519_PUBLIC_KEY_HEX'",
                    )
                    .at(at()))
                }
            };
            check_name(name).map_err(|m| Error::input(path, m).at(at()))?;
            let key = parse_hex32(key)
                .ok_or_else(|| Error::input(path, "public key must be 64 hex digits").at(at()))?;
            let Some(&signing) = fields.get(2) else {
                return Err(Error::input(
                    path,
                    format!("party '{name}' has no Ed25519 signing key (a .pub from an earlier dash): make the party a new key pair with dash keygen"),
                )
                .at(at()));
            };
            let signing = parse_hex32(signing)
                .filter(|k| VerifyingKey::from_bytes(k).is_ok_and(|k| !k.is_weak()))
                .ok_or_else(|| {
                    Error::input(
                        path,
                        "signing key must be 64 hex digits of a valid Ed25519 public key",
                    )
                    .at(at())
                })?;
            if parties.iter().any(|(n, _, _)| n == name) {
                return Err(Error::input(path, format!("party '{name}' listed twice")).at(at()));
            }
            if let Some((other, _, _)) = parties.iter().find(|(_, k, s)| *k == key || *s == signing)
            {
                return Err(Error::input(
                    path,
                    format!("party '{name}' has the same public key as '{other}'"),
                )
                .at(at()));
            }
            parties.push((name.to_string(), key, signing));
        }
        if parties.is_empty() {
            return Err(Error::input(path, "roster lists no party"));
        }
        if parties.len() > MAX_PARTIES {
            return Err(Error::input(
                path,
                format!(
                    "roster lists {} parties; at most {MAX_PARTIES}",
                    parties.len()
                ),
            ));
        }
        parties.sort();
        Ok(Roster { parties })
    }

    /// Party names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.parties.iter().map(|(n, _, _)| n.clone()).collect()
    }

    /// Number of parties.
    pub fn len(&self) -> usize {
        self.parties.len()
    }

    /// Whether the roster is empty (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.parties.is_empty()
    }

    /// Public key of party `i`.
    pub fn key(&self, i: usize) -> &[u8; 32] {
        &self.parties[i].1
    }

    /// Ed25519 public (verifying) key of party `i`.
    pub fn signing_key(&self, i: usize) -> &[u8; 32] {
        &self.parties[i].2
    }

    /// Index of the party with this name.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.parties.iter().position(|(n, _, _)| n == name)
    }

    /// Name of party `i`.
    pub fn name(&self, i: usize) -> &str {
        &self.parties[i].0
    }

    /// Index of the party with this public key.
    pub fn party_of(&self, public: &[u8; 32]) -> Option<usize> {
        self.parties.iter().position(|(_, k, _)| k == public)
    }

    /// The canonical text: a header line, then `PARTY X25519_HEX ED25519_HEX` sorted by name.
    /// Embedded in every secure summary (it holds no secret).
    pub fn canonical(&self) -> String {
        let mut text =
            String::from("# dash roster v2: PARTY X25519_PUBLIC_KEY_HEX ED25519_PUBLIC_KEY_HEX\n");
        for (name, key, signing) in &self.parties {
            text.push_str(&format!("{name} {} {}\n", hex(key), hex(signing)));
        }
        text
    }

    /// SHA-256 (hex) of [`Roster::canonical`]: the roster's fingerprint.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.canonical().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_refuses_duplicates_and_bad_keys() {
        let key = SecretKey::from_bytes([7; 32]);
        let (a, s) = (key.public_hex(), key.signing_public_hex());
        let other = SecretKey::from_bytes([8; 32]).signing_public_hex();
        let p = Path::new("r.txt");
        let dup = Roster::parse(&format!("a {a} {s}\nb {a} {other}\n"), p).unwrap_err();
        assert!(dup.to_string().contains("same public key"), "{dup}");
        let bad = Roster::parse("a 1234\n", p).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "r.txt: line 1: public key must be 64 hex digits"
        );
        let old = Roster::parse(&format!("a {a}\n"), p).unwrap_err();
        assert!(old.to_string().contains("no Ed25519 signing key"), "{old}");
        let weak = Roster::parse(&format!("a {a} {}\n", "00".repeat(32)), p).unwrap_err();
        assert!(weak.to_string().contains("valid Ed25519"), "{weak}");
        let order1 = Roster::parse(&format!("# c\n{}\n", key.pub_line("a")), p).unwrap();
        assert_eq!(order1.len(), 1);
        assert_eq!(
            order1.signing_key(0),
            &key.signing_key().verifying_key().to_bytes()
        );
    }

    #[test]
    fn roster_hash_ignores_line_order() {
        let (a, b) = (
            SecretKey::from_bytes([1; 32]).pub_line("a"),
            SecretKey::from_bytes([2; 32]).pub_line("b"),
        );
        let p = Path::new("r.txt");
        let r1 = Roster::parse(&format!("{a}\n{b}\n"), p).unwrap();
        let r2 = Roster::parse(&format!("{b}\n\n{a}\n"), p).unwrap();
        assert_eq!(r1.hash(), r2.hash());
    }
}
