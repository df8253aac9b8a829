//! The integrity seal of a summary: a SHA-256 checksum of the whole file, and for a secure
//! summary an Ed25519 signature of that checksum by the party that wrote it.
//!
//! The last key of the Parquet footer's key-value metadata is [`INTEGRITY_KEY`], whose value is
//!
//! * `sha256:<64 hex digits>` in a plaintext summary;
//! * `sha256:<64 hex digits> ed25519:<128 hex digits>` in a secure one.
//!
//! The digest is the SHA-256 of **every byte of the file** with the hex digits of that value
//! replaced by `0` (the value as the writer first wrote it, before it knew the digest). So a
//! change of any byte — in the column data, the page headers, the header JSON, the Parquet
//! footer, the magic numbers or the value itself — changes either the digest the reader
//! computes or the digest the file states, and the file is refused, before any decoder reads
//! it. The signature is over `dash-summary-signature-v1\0` followed by the 32 digest bytes;
//! whose key must have made it is decided by the caller (the roster embedded in a secure
//! header, see [`crate::summary::secure`]).
//!
//! The value is found in the raw footer bytes as the last `sha256:` followed by 64 lowercase
//! hex digits (the key-value metadata follows the row groups in the footer, and this key is the
//! last one dash writes, so nothing after it can hold that text).
//!
//! ```
//! use dash::summary::integrity::{find_seal, Seal};
//! let footer = format!("...sha256:{} ed25519:{}..", "ab".repeat(32), "cd".repeat(64));
//! let (at, seal) = find_seal(footer.as_bytes()).unwrap();
//! assert_eq!(at, 3);
//! assert_eq!(seal.digest, [0xab; 32]);
//! assert_eq!(seal.signature, Some([0xcd; 64]));
//! assert_eq!(Seal::placeholder(true).text().len(), seal.text().len());
//! ```

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::atomic_file::AtomicFile;
use crate::error::{Error, IoResultExt, Result};

/// Footer key-value metadata key of the integrity seal.
pub const INTEGRITY_KEY: &str = "dash.integrity";
/// Domain separation of the signed message.
pub const SIGNATURE_CONTEXT: &[u8] = b"dash-summary-signature-v1\0";

const DIGEST_TAG: &[u8] = b"sha256:";
const SIGNATURE_TAG: &[u8] = b" ed25519:";

/// The checksum and (secure summaries) signature of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seal {
    /// SHA-256 of the file with the seal's digits zeroed.
    pub digest: [u8; 32],
    /// Ed25519 signature of [`Seal::message`], in a secure summary.
    pub signature: Option<[u8; 64]>,
}

impl Seal {
    /// The value written before the digest is known: every digit 0.
    pub fn placeholder(signed: bool) -> Seal {
        Seal {
            digest: [0; 32],
            signature: signed.then_some([0; 64]),
        }
    }

    /// The footer value: `sha256:HEX` or `sha256:HEX ed25519:HEX`.
    pub fn text(&self) -> String {
        let mut text = format!("sha256:{}", super::id::hex(&self.digest));
        if let Some(signature) = &self.signature {
            text.push_str(&format!(" ed25519:{}", super::id::hex(signature)));
        }
        text
    }

    /// The message a secure summary's party signs: the context string, then the digest.
    pub fn message(digest: &[u8; 32]) -> Vec<u8> {
        [SIGNATURE_CONTEXT, digest.as_slice()].concat()
    }

    /// Checks the signature against `key` (strict Ed25519 verification).
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        self.signature.is_some_and(|s| {
            key.verify_strict(&Seal::message(&self.digest), &Signature::from_bytes(&s))
                .is_ok()
        })
    }
}

/// Lowercase hex digits of `text` into `out` (2 digits a byte).
fn parse_hex(text: &[u8], out: &mut [u8]) -> bool {
    if text.len() != 2 * out.len() {
        return false;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    for (i, byte) in out.iter_mut().enumerate() {
        match (digit(text[2 * i]), digit(text[2 * i + 1])) {
            (Some(h), Some(l)) => *byte = (h << 4) | l,
            _ => return false,
        }
    }
    true
}

/// The last seal in `footer` and where it starts.
pub fn find_seal(footer: &[u8]) -> Option<(usize, Seal)> {
    let mut end = footer.len();
    while let Some(at) = memchr::memmem::rfind(&footer[..end], DIGEST_TAG) {
        let digits = at + DIGEST_TAG.len();
        let mut digest = [0u8; 32];
        if footer.len() >= digits + 64 && parse_hex(&footer[digits..digits + 64], &mut digest) {
            let rest = &footer[digits + 64..];
            let mut signature = [0u8; 64];
            let signed = rest.len() >= SIGNATURE_TAG.len() + 128
                && rest.starts_with(SIGNATURE_TAG)
                && parse_hex(
                    &rest[SIGNATURE_TAG.len()..SIGNATURE_TAG.len() + 128],
                    &mut signature,
                );
            return Some((
                at,
                Seal {
                    digest,
                    signature: signed.then_some(signature),
                },
            ));
        }
        end = at;
    }
    None
}

/// A writer that hashes every byte it passes on.
pub(crate) struct HashingWriter {
    file: AtomicFile,
    hasher: Sha256,
}

impl HashingWriter {
    pub(crate) fn new(file: AtomicFile) -> HashingWriter {
        HashingWriter {
            file,
            hasher: Sha256::new(),
        }
    }

    /// The file, unsealed (to be dropped, which removes it, once read back).
    pub(crate) fn into_file(self) -> AtomicFile {
        self.file
    }

    /// Completes a file whose footer holds the placeholder seal as its last one: computes the
    /// digest, signs it with `signer` when given, writes the seal in place of the placeholder
    /// and renames the file into place.
    pub(crate) fn seal(self, path: &Path, signer: Option<&SigningKey>) -> Result<()> {
        let HashingWriter { mut file, hasher } = self;
        let digest: [u8; 32] = hasher.finalize().into();
        let seal = Seal {
            digest,
            signature: signer.map(|key| key.sign(&Seal::message(&digest)).to_bytes()),
        };
        file.flush().with_path(file.temp_path())?;
        let temp = file.temp_path().to_path_buf();
        let (footer_start, footer) = read_footer(&temp)
            .ok_or_else(|| Error::input(path, "written without a Parquet footer"))?;
        let placeholder = Seal::placeholder(signer.is_some()).text();
        let at = memchr::memmem::rfind(&footer, placeholder.as_bytes())
            .ok_or_else(|| Error::input(path, "written without its integrity placeholder"))?;
        let writer = file.writer();
        writer
            .seek(SeekFrom::Start(footer_start + at as u64))
            .with_path(&temp)?;
        writer.write_all(seal.text().as_bytes()).with_path(&temp)?;
        file.commit()?;
        Ok(())
    }
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// The footer of a Parquet file (its start and bytes); `None` when the file has none.
fn read_footer(path: &Path) -> Option<(u64, Vec<u8>)> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len < 12 {
        return None;
    }
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::Start(len - 8)).ok()?;
    file.read_exact(&mut tail).ok()?;
    let footer_len = u64::from(u32::from_le_bytes(tail[..4].try_into().expect("4 bytes")));
    let start = (len - 8).checked_sub(footer_len)?;
    let mut footer = vec![0u8; footer_len as usize];
    file.seek(SeekFrom::Start(start)).ok()?;
    file.read_exact(&mut footer).ok()?;
    Some((start, footer))
}

/// The seal of a summary as its footer states it (not verified: [`verify_checksum`] does that).
pub fn read_seal(path: &Path) -> Result<Seal> {
    super::read::check_magic(path, &mut File::open(path).with_path(path)?)?;
    let (_, footer) = read_footer(path).ok_or_else(|| {
        Error::input(
            path,
            "not a readable Parquet summary (no footer: truncated or damaged)",
        )
    })?;
    find_seal(&footer)
        .map(|(_, seal)| seal)
        .ok_or_else(|| Error::input(path, NO_SEAL))
}

const NO_SEAL: &str = "has no integrity checksum: damaged, not a dash summary, or written by an earlier dash; regenerate it with dash compress (or dash merge --summary-out)";

/// Checks a summary's checksum: reads every byte of the file, with the seal's digits zeroed, and
/// compares the SHA-256 with the digest the seal states. Returns the seal (whose signature, if
/// any, the caller checks). Refuses a file without a seal.
pub fn verify_checksum(path: &Path) -> Result<Seal> {
    let refuse = |message: &str| Err(Error::input(path, message.to_string()));
    // A file that is not Parquet at all (a .bed given to merge, say) is named for what it is.
    super::read::check_magic(path, &mut File::open(path).with_path(path)?)?;
    let Some((footer_start, mut footer)) = read_footer(path) else {
        return refuse("not a readable Parquet summary (no footer: truncated or damaged)");
    };
    let Some((at, seal)) = find_seal(&footer) else {
        return refuse(NO_SEAL);
    };
    let placeholder = Seal::placeholder(seal.signature.is_some()).text();
    footer[at..at + placeholder.len()].copy_from_slice(placeholder.as_bytes());

    let mut file = File::open(path).with_path(path)?;
    let mut hasher = Sha256::new();
    // Up to 1 MiB at a time; no more than the file needs (small files are read often in tests).
    let mut buffer = vec![0u8; (footer_start as usize).clamp(1, 1 << 20)];
    let mut left = footer_start;
    while left > 0 {
        let want = buffer.len().min(left as usize);
        file.read_exact(&mut buffer[..want]).with_path(path)?;
        hasher.update(&buffer[..want]);
        left -= want as u64;
    }
    hasher.update(&footer);
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::Start(footer_start + footer.len() as u64))
        .with_path(path)?;
    file.read_exact(&mut tail).with_path(path)?;
    hasher.update(tail);
    let mut extra = [0u8; 1];
    if file.read(&mut extra).with_path(path)? != 0 {
        return refuse("changed while being read");
    }
    let digest: [u8; 32] = hasher.finalize().into();
    if digest != seal.digest {
        return refuse(
            "checksum mismatch: the file was altered or damaged after dash wrote it (SHA-256 of its content differs from the one in its footer)",
        );
    }
    Ok(seal)
}
