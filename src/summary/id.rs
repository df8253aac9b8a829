//! Component ids and fingerprints: one digest for every id in a summary.

use sha2::{Digest, Sha256};

/// Lowercase hex of `bytes`.
///
/// ```
/// assert_eq!(dash::summary::id::hex(&[0x0f, 0xa0]), "0fa0");
/// ```
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        text.push(DIGITS[usize::from(b >> 4)] as char);
        text.push(DIGITS[usize::from(b & 15)] as char);
    }
    text
}

/// SHA-256 of `content` as 64 hex digits: the fingerprint of a roster, manifest or layout.
pub fn fingerprint(content: &[u8]) -> String {
    hex(&Sha256::digest(content))
}

/// A component id: the first 128 bits (32 hex digits) of the SHA-256 of what identifies the
/// component. Plaintext components digest their party name and aggregates (so every `--region`
/// shard of one compression gets the same id), secure ones their party name and the roster,
/// manifest and layout fingerprints. Only aggregates ever enter, never a sample ID.
pub fn component_id(content: &[u8]) -> String {
    hex(&Sha256::digest(content)[..16])
}

/// The first 16 hex digits of a fingerprint, for messages (the whole text when shorter; never
/// panics on a crafted file).
///
/// ```
/// use dash::summary::id::short;
/// assert_eq!(short("0123456789abcdef0123"), "0123456789abcdef");
/// assert_eq!(short("ab"), "ab");
/// ```
pub fn short(fingerprint: &str) -> &str {
    let end = fingerprint
        .char_indices()
        .nth(16)
        .map_or(fingerprint.len(), |(i, _)| i);
    &fingerprint[..end]
}
