//! Pairwise mask streams.
//!
//! For parties i and j of the roster, both sides derive the same 256-bit ChaCha20 key:
//!
//! ```text
//! shared = X25519(secret_i, public_j) = X25519(secret_j, public_i)
//! key ‖ nonce = HKDF-SHA256(salt = "dash-secure-v1", ikm = shared,
//!                           info = "dash pairwise mask" ‖ roster_hash ‖ manifest_hash ‖
//!                                  layout_hash ‖ name_lo ‖ 0x00 ‖ name_hi)   (32 + 12 bytes)
//! ```
//!
//! with `name_lo < name_hi` the pair's names. Word k of the pair's stream is bytes
//! `[16k, 16k + 16)` of the ChaCha20 keystream, read as a little-endian u128. The party first in
//! roster order adds the stream, the other subtracts it, so over all parties every stream cancels.
//! Binding the hashes into `info` means files made for another roster, manifest or layout get
//! unrelated masks.
//!
//! ```
//! use dash::secure::keys::SecretKey;
//! use dash::secure::mask::{Binding, Masks};
//! let keys = [SecretKey::from_bytes([1; 32]), SecretKey::from_bytes([2; 32])];
//! let publics = [keys[0].public_bytes(), keys[1].public_bytes()];
//! let names = ["a".to_string(), "b".to_string()];
//! let binding = Binding::default();
//! let masks: Vec<Masks> = (0..2)
//!     .map(|me| Masks::new(&keys[me], me, &names, &publics, &binding).unwrap())
//!     .collect();
//! let (mut x, mut y) = ([5u128, 6, 7], [1u128, 1, 1]);
//! masks[0].apply(10, &mut x);
//! masks[1].apply(10, &mut y);
//! let sum: Vec<u128> = x.iter().zip(&y).map(|(a, b)| a.wrapping_add(*b)).collect();
//! assert_eq!(sum, [6, 7, 8]);
//! ```

use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::ChaCha20;
use hkdf::Hkdf;
use sha2::Sha256;

use super::keys::SecretKey;

/// Salt of the key derivation: names the protocol version.
pub const SALT: &[u8] = b"dash-secure-v1";
/// Most words one stream may cover: ChaCha20 (RFC 8439) has a 32-bit block counter, 2^32
/// blocks of 64 bytes = 2^34 words.
pub const MAX_WORDS: u64 = 1 << 34;

/// What the masks are bound to: the roster, manifest and layout fingerprints (hex SHA-256).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Binding {
    /// [`crate::secure::keys::Roster::hash`].
    pub roster_hash: String,
    /// [`crate::secure::manifest::Manifest::hash`].
    pub manifest_hash: String,
    /// The layout fingerprint.
    pub layout_hash: String,
}

/// One pair's stream, with the sign this party applies it with.
struct Stream {
    key: [u8; 32],
    nonce: [u8; 12],
    add: bool,
}

/// The mask streams of one party: one per other roster party.
pub struct Masks {
    streams: Vec<Stream>,
}

impl Masks {
    /// Derives the streams of party `me` (index into `names`/`publics`, sorted by name).
    /// Fails naming the peer whose public key gives a degenerate shared secret.
    pub fn new(
        secret: &SecretKey,
        me: usize,
        names: &[String],
        publics: &[[u8; 32]],
        binding: &Binding,
    ) -> Result<Masks, String> {
        let mut streams = Vec::new();
        for (peer, (name, public)) in names.iter().zip(publics).enumerate() {
            if peer == me {
                continue;
            }
            let shared = secret
                .shared(public)
                .ok_or_else(|| format!("party '{name}' has an invalid (low-order) public key"))?;
            let (lo, hi) = if me < peer {
                (&names[me], name)
            } else {
                (name, &names[me])
            };
            let mut info = b"dash pairwise mask".to_vec();
            for part in [
                &binding.roster_hash,
                &binding.manifest_hash,
                &binding.layout_hash,
                lo,
            ] {
                info.extend_from_slice(part.as_bytes());
                info.push(0);
            }
            info.extend_from_slice(hi.as_bytes());
            let mut okm = [0u8; 44];
            Hkdf::<Sha256>::new(Some(SALT), &shared)
                .expand(&info, &mut okm)
                .expect("44 bytes is a valid HKDF-SHA256 length");
            streams.push(Stream {
                key: okm[..32].try_into().expect("32 bytes"),
                nonce: okm[32..].try_into().expect("12 bytes"),
                add: me < peer,
            });
        }
        Ok(Masks { streams })
    }

    /// Number of peers (streams).
    pub fn peers(&self) -> usize {
        self.streams.len()
    }

    /// Masks `words`, which sit at word positions `first..first + words.len()` of the streams.
    pub fn apply(&self, first: u64, words: &mut [u128]) {
        assert!(
            first + words.len() as u64 <= MAX_WORDS,
            "mask stream exhausted"
        );
        let mut bytes = vec![0u8; words.len() * 16];
        for stream in &self.streams {
            bytes.fill(0);
            let mut cipher = ChaCha20::new(&stream.key.into(), &stream.nonce.into());
            cipher.seek(first * 16);
            cipher.apply_keystream(&mut bytes);
            for (w, chunk) in words.iter_mut().zip(bytes.chunks_exact(16)) {
                let mask = u128::from_le_bytes(chunk.try_into().expect("16 bytes"));
                *w = if stream.add {
                    w.wrapping_add(mask)
                } else {
                    w.wrapping_sub(mask)
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_parties_cancel_and_bindings_separate() {
        let keys: Vec<SecretKey> = (1..=3u8).map(|b| SecretKey::from_bytes([b; 32])).collect();
        let publics: Vec<[u8; 32]> = keys.iter().map(SecretKey::public_bytes).collect();
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let binding = Binding {
            roster_hash: "r".into(),
            manifest_hash: "m".into(),
            layout_hash: "l".into(),
        };
        let mut total = vec![0u128; 37];
        for (me, key) in keys.iter().enumerate() {
            let masks = Masks::new(key, me, &names, &publics, &binding).unwrap();
            let mut words = vec![0u128; 37];
            masks.apply(1_000_003, &mut words);
            assert!(words.iter().all(|&w| w != 0));
            for (t, w) in total.iter_mut().zip(&words) {
                *t = t.wrapping_add(*w);
            }
        }
        assert!(total.iter().all(|&t| t == 0));

        // Another manifest: different masks, which then do not cancel against these.
        let other = Binding {
            manifest_hash: "m2".into(),
            ..binding.clone()
        };
        let mut w1 = [0u128; 4];
        let mut w2 = [0u128; 4];
        Masks::new(&keys[0], 0, &names, &publics, &binding)
            .unwrap()
            .apply(0, &mut w1);
        Masks::new(&keys[0], 0, &names, &publics, &other)
            .unwrap()
            .apply(0, &mut w2);
        assert_ne!(w1, w2);
    }

    #[test]
    fn offsets_are_consistent() {
        let keys: Vec<SecretKey> = (1..=2u8).map(|b| SecretKey::from_bytes([b; 32])).collect();
        let publics: Vec<[u8; 32]> = keys.iter().map(SecretKey::public_bytes).collect();
        let names: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let masks = Masks::new(&keys[0], 0, &names, &publics, &Binding::default()).unwrap();
        let mut whole = [0u128; 10];
        masks.apply(3, &mut whole);
        let mut part = [0u128; 3];
        masks.apply(8, &mut part);
        assert_eq!(&whole[5..8], &part);
    }
}
