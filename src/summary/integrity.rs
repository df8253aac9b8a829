//! The integrity seal of a summary: SHA-256 checksums of every byte of the file, and for a
//! secure summary an Ed25519 signature of the footer's checksum by the party that wrote it.
//!
//! The file is checked in two parts (format version 7 on):
//!
//! * **the data**, from byte 0 up to the end of the last row group, in *parts*: one per row
//!   group (the first also holds the leading magic number). The footer entry
//!   [`PARTS_KEY`] lists, after `sha256-parts:`, the end of the data and, per part, its first
//!   byte and the SHA-256 of its bytes: `sha256-parts:END START:HEX START:HEX …`. The parts are
//!   contiguous from 0 to END, so every data byte is in exactly one;
//! * **the footer**, everything from END to the end of the file (the page index, the Parquet
//!   footer with the header JSON, the Gram matrices and that list of parts, its length and the
//!   closing magic), whose SHA-256 is the seal: the last key of the footer's key-value
//!   metadata is [`INTEGRITY_KEY`], whose value is
//!   * `sha256:<64 hex digits>` in a plaintext summary;
//!   * `sha256:<64 hex digits> ed25519:<128 hex digits>` in a secure one,
//!
//!   and the digest is taken with the hex digits of that value replaced by `0` (the value as
//!   the writer first wrote it, before it knew the digest).
//!
//! So a change of any byte changes either a part's digest, or the footer's digest (which covers
//! the parts' digests), or the digest the file states, and the file is refused. A whole read
//! ([`verify_checksum`]) checks every part and the footer before any decoder reads a byte; a
//! `--region` read ([`verify_footer`]) checks the footer first and then each part just before
//! a row group in it is decoded ([`PartChecker`]): every byte it decodes is verified, and the
//! row groups outside the region are neither read nor decoded. The signature is over
//! `dash-summary-signature-v1\0` followed by the 32 digest bytes of the footer, which covers the
//! parts' digests, hence every byte; whose key must have made it is decided by the caller (the
//! roster embedded in a secure header, see [`crate::summary::secure`]).
//!
//! A file without the parts entry (format version 6 and older) is sealed as a whole: the
//! digest is the SHA-256 of every byte of the file with the seal's digits zeroed, and any read
//! checks all of it first.
//!
//! The values are found in the raw footer bytes: the seal as the last `sha256:` followed by 64
//! lowercase hex digits (the key-value metadata follows the row groups in the footer, and this
//! key is the last one dash writes, so nothing after it can hold that text), the parts as the
//! last `sha256-parts:`.
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

use super::byte_span::ByteSpan;
use crate::atomic_file::AtomicFile;
use crate::error::{Error, IoResultExt, Result};

/// Footer key-value metadata key of the integrity seal.
pub const INTEGRITY_KEY: &str = "dash.integrity";
/// Domain separation of the signed message.
pub const SIGNATURE_CONTEXT: &[u8] = b"dash-summary-signature-v1\0";

/// Footer key-value metadata key of the list of the data's parts and their digests (format
/// version 7 on), the key before [`INTEGRITY_KEY`].
pub const PARTS_KEY: &str = "dash.integrity_parts";

const DIGEST_TAG: &[u8] = b"sha256:";
const PARTS_TAG: &[u8] = b"sha256-parts:";
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

/// The data of a sealed file in parts, each with its SHA-256 (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// The end of the data: the footer's checksum covers the file from here on.
    pub end: u64,
    /// Each part's first byte (the first is 0, then increasing, all below `end`) and digest.
    pub parts: Vec<(u64, [u8; 32])>,
}

impl Parts {
    /// The footer value: `sha256-parts:END START:HEX …`.
    ///
    /// ```
    /// use dash::summary::integrity::Parts;
    /// let parts = Parts { end: 9, parts: vec![(0, [1; 32]), (4, [2; 32])] };
    /// let text = parts.text();
    /// assert!(text.starts_with("sha256-parts:9 0:0101"));
    /// assert_eq!(Parts::find(text.as_bytes()), Some(parts));
    /// ```
    pub fn text(&self) -> String {
        let mut text = format!("sha256-parts:{}", self.end);
        for (start, digest) in &self.parts {
            text.push_str(&format!(" {start}:{}", super::id::hex(digest)));
        }
        text
    }

    /// The last list of parts in `footer`, when there is one and it is well formed: starting
    /// at 0, increasing, below its end.
    pub fn find(footer: &[u8]) -> Option<Parts> {
        let at = memchr::memmem::rfind(footer, PARTS_TAG)?;
        let mut rest = &footer[at + PARTS_TAG.len()..];
        let number = |rest: &mut &[u8]| -> Option<u64> {
            let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            let value = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
            *rest = &rest[digits..];
            Some(value)
        };
        let end = number(&mut rest)?;
        let mut parts: Vec<(u64, [u8; 32])> = Vec::new();
        while rest.len() > 1 && rest[0] == b' ' && rest[1].is_ascii_digit() {
            rest = &rest[1..];
            let start = number(&mut rest)?;
            let mut digest = [0u8; 32];
            if rest.first() != Some(&b':')
                || rest.len() < 65
                || !parse_hex(&rest[1..65], &mut digest)
            {
                return None;
            }
            rest = &rest[65..];
            parts.push((start, digest));
        }
        let ordered = parts.first().is_some_and(|p| p.0 == 0)
            && parts.windows(2).all(|w| w[0].0 < w[1].0)
            && parts.last().is_some_and(|p| p.0 < end);
        ordered.then_some(Parts { end, parts })
    }

    /// The byte range of part `k`.
    fn range(&self, k: usize) -> (u64, u64) {
        let end = self.parts.get(k + 1).map_or(self.end, |p| p.0);
        (self.parts[k].0, end)
    }

    /// The digests of `path`'s data from 0 to `end`, cut into a part at each of `starts`.
    fn of_file(path: &Path, end: u64, starts: &[u64]) -> std::io::Result<Parts> {
        let mut cuts: Vec<u64> = starts.iter().copied().filter(|&s| s < end).collect();
        cuts.push(0);
        cuts.sort_unstable();
        cuts.dedup();
        let mut parts = Parts {
            end,
            parts: cuts.into_iter().map(|start| (start, [0; 32])).collect(),
        };
        let mut file = File::open(path)?;
        let mut buffer = Vec::new();
        for k in 0..parts.parts.len() {
            let (start, end) = parts.range(k);
            parts.parts[k].1 = digest_range(&mut file, start, end, &mut buffer)?;
        }
        Ok(parts)
    }
}

/// The SHA-256 of bytes `start..end` of `file`, read through `buffer` (up to 1 MiB at a time;
/// grown to no more than the range needs: small files are read often in tests, and one buffer
/// serves every part of a file, not a fresh mapping per part).
fn digest_range(
    file: &mut File,
    start: u64,
    end: u64,
    buffer: &mut Vec<u8>,
) -> std::io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    hash_range(file, start, end, buffer, &mut hasher)?;
    Ok(hasher.finalize().into())
}

/// Feeds bytes `start..end` of `file` to `hasher`, read through `buffer` as [`digest_range`].
fn hash_range(
    file: &mut File,
    start: u64,
    end: u64,
    buffer: &mut Vec<u8>,
    hasher: &mut Sha256,
) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(start))?;
    let size = (end - start).clamp(1, 1 << 20) as usize;
    if buffer.len() < size {
        buffer.resize(size, 0);
    }
    let mut left = end - start;
    while left > 0 {
        let want = buffer.len().min(left as usize);
        file.read_exact(&mut buffer[..want])?;
        hasher.update(&buffer[..want]);
        left -= want as u64;
    }
    Ok(())
}

/// Checks the parts of a file's data as they are about to be read: each part once, when a read
/// first touches it.
pub(crate) struct PartChecker {
    parts: Parts,
    checked: Vec<bool>,
}

impl PartChecker {
    pub(crate) fn new(parts: Parts) -> PartChecker {
        let checked = vec![false; parts.parts.len()];
        PartChecker { parts, checked }
    }

    /// The parts that bytes `start..end` overlap.
    fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = usize> + '_ {
        (0..self.parts.parts.len()).filter(move |&k| {
            let (from, to) = self.parts.range(k);
            to > start && from < end
        })
    }

    /// Reads bytes `start..end` of `path` once and verifies every part they overlap from those
    /// same bytes; returns them for decoding ([`ByteSpan`]). A part reaching past `start..end`
    /// is read whole, so the span may start before `start` and end after `end`.
    pub(crate) fn read_checked(&mut self, path: &Path, start: u64, end: u64) -> Result<ByteSpan> {
        let (from, to) = self
            .overlapping(start, end)
            .map(|k| self.parts.range(k))
            .fold((start, end), |(from, to), (a, b)| (from.min(a), to.max(b)));
        let mut file = File::open(path).with_path(path)?;
        // The footer's ranges are checked against the file before they size a buffer: a
        // hand-made footer could otherwise ask for any amount of memory.
        let length = file.metadata().with_path(path)?.len();
        if from > to || to > length {
            return Err(Error::input(
                path,
                format!("row group bytes {from}..{to} lie outside the file ({length} bytes)"),
            ));
        }
        let mut bytes = vec![0; (to - from) as usize];
        file.seek(SeekFrom::Start(from)).with_path(path)?;
        file.read_exact(&mut bytes).with_path(path)?;
        self.verify_parts(path, start, end, |a, b| {
            Ok(Sha256::digest(&bytes[(a - from) as usize..(b - from) as usize]).into())
        })?;
        Ok(ByteSpan::new(from, bytes))
    }

    /// Verifies every part of `path` that bytes `start..end` overlap (bytes past the data's end
    /// are the footer's, verified already), reading through one buffer: for the whole file.
    pub(crate) fn check(&mut self, path: &Path, start: u64, end: u64) -> Result<()> {
        let mut file = None;
        let mut buffer = Vec::new();
        self.verify_parts(path, start, end, |from, to| {
            let file = match &mut file {
                Some(file) => file,
                None => file.insert(File::open(path).with_path(path)?),
            };
            digest_range(file, from, to, &mut buffer).with_path(path)
        })
    }

    /// Verifies every part not yet verified that bytes `start..end` overlap, with `digest_of`
    /// giving the SHA-256 of a part's bytes `from..to` (read from the file, or from memory).
    fn verify_parts(
        &mut self,
        path: &Path,
        start: u64,
        end: u64,
        mut digest_of: impl FnMut(u64, u64) -> Result<[u8; 32]>,
    ) -> Result<()> {
        let unchecked: Vec<usize> = self
            .overlapping(start, end)
            .filter(|&k| !self.checked[k])
            .collect();
        for k in unchecked {
            let (from, to) = self.parts.range(k);
            if digest_of(from, to)? != self.parts.parts[k].1 {
                return Err(part_mismatch(path, from, to));
            }
            self.checked[k] = true;
        }
        Ok(())
    }
}

fn part_mismatch(path: &Path, from: u64, to: u64) -> Error {
    Error::input(
        path,
        format!("checksum mismatch: the file was altered or damaged after dash wrote it (SHA-256 of its bytes {from}..{to} differs from the one in its footer)"),
    )
}

/// A writer into a summary's temporary file, sealed by [`SealingWriter::seal`].
pub(crate) struct SealingWriter {
    file: AtomicFile,
}

impl SealingWriter {
    pub(crate) fn new(file: AtomicFile) -> SealingWriter {
        SealingWriter { file }
    }

    /// The file, unsealed (to be dropped, which removes it, once read back).
    pub(crate) fn into_file(self) -> AtomicFile {
        self.file
    }

    /// The parts of the data written so far (bytes 0 to `end`, flushed), cut at `starts`: the
    /// first byte of each row group.
    pub(crate) fn parts(&mut self, end: u64, starts: &[u64]) -> Result<Parts> {
        self.file.flush().with_path(self.file.temp_path())?;
        Parts::of_file(self.file.temp_path(), end, starts).with_path(self.file.temp_path())
    }

    /// Completes a file whose footer holds the placeholder seal as its last one and whose data
    /// ends at `end`: computes the footer's digest, signs it with `signer` when given, writes
    /// the seal in place of the placeholder and renames the file into place.
    pub(crate) fn seal(self, path: &Path, end: u64, signer: Option<&SigningKey>) -> Result<()> {
        let SealingWriter { mut file } = self;
        file.flush().with_path(file.temp_path())?;
        let temp = file.temp_path().to_path_buf();
        let (footer_start, footer) = read_footer(&temp)
            .ok_or_else(|| Error::input(path, "written without a Parquet footer"))?;
        let placeholder = Seal::placeholder(signer.is_some()).text();
        let at = memchr::memmem::rfind(&footer, placeholder.as_bytes())
            .ok_or_else(|| Error::input(path, "written without its integrity placeholder"))?;
        let at = footer_start + at as u64;
        let digest = footer_digest(&temp, end, at, &placeholder).with_path(&temp)?;
        let seal = Seal {
            digest,
            signature: signer.map(|key| key.sign(&Seal::message(&digest)).to_bytes()),
        };
        let writer = file.writer();
        writer.seek(SeekFrom::Start(at)).with_path(&temp)?;
        writer.write_all(seal.text().as_bytes()).with_path(&temp)?;
        file.commit()?;
        Ok(())
    }
}

impl Write for SealingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// The SHA-256 of `path` from `end` to its end, with the seal at byte `at` read as
/// `placeholder`.
fn footer_digest(path: &Path, end: u64, at: u64, placeholder: &str) -> std::io::Result<[u8; 32]> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(end))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    let seal = (at - end) as usize..(at - end) as usize + placeholder.len();
    tail[seal].copy_from_slice(placeholder.as_bytes());
    Ok(Sha256::digest(&tail).into())
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
const MISMATCH: &str = "checksum mismatch: the file was altered or damaged after dash wrote it (SHA-256 of its content differs from the one in its footer)";

/// Checks a summary's checksums over every byte of the file (the footer's, then every part of
/// the data; or, in a file sealed as a whole, the whole file's) and compares them with the
/// digests the file states. Returns the seal (whose signature, if any, the caller checks).
/// Refuses a file without a seal.
pub fn verify_checksum(path: &Path) -> Result<Seal> {
    let (seal, parts) = verify_footer(path)?;
    if let Some(parts) = parts {
        let mut checker = PartChecker::new(parts);
        checker.check(path, 0, u64::MAX)?;
    }
    Ok(seal)
}

/// Checks a summary's footer checksum only, for a read of some of its row groups: returns the
/// seal and the parts of the data, to be checked as they are read ([`PartChecker`]). A file
/// sealed as a whole (format version 6 and older) is checked whole here, and has no parts.
pub fn verify_footer(path: &Path) -> Result<(Seal, Option<Parts>)> {
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
    if let Some(parts) = Parts::find(&footer) {
        if parts.end > footer_start {
            return refuse("damaged integrity entry: its data parts reach into the footer");
        }
        let at = footer_start + at as u64;
        let digest = footer_digest(path, parts.end, at, &placeholder).with_path(path)?;
        if digest != seal.digest {
            return refuse(MISMATCH);
        }
        return Ok((seal, Some(parts)));
    }
    footer[at..at + placeholder.len()].copy_from_slice(placeholder.as_bytes());

    let mut file = File::open(path).with_path(path)?;
    let mut hasher = Sha256::new();
    hash_range(&mut file, 0, footer_start, &mut Vec::new(), &mut hasher).with_path(path)?;
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
        return refuse(MISMATCH);
    }
    Ok((seal, None))
}
