//! The jobs behind the commands, as library calls with typed options: [`compress()`],
//! [`merge()`], [`decode()`].
//!
//! Each job opens its inputs, runs the pipeline and writes its outputs; what it has to say goes
//! to a `note` callback, one line at a time (the command line prints them on stderr). This is the
//! only layer that knows every mode — a secure compress picks the masked sink, a secure merge
//! the pooled secure set — so the pipeline modules below it do not.

mod compress;
mod decode;
mod locus;
mod merge;

pub use compress::{compress, CompressJob, GenotypeSource, SecureJob, SexJob};
pub use decode::{decode, DecodeReport};
pub use locus::{cojo_path, conditional_path, joint_path, LocusJob};
pub(crate) use merge::check_unique;
pub use merge::{merge, open_inputs, Inputs, MergeJob, MergeReport};

/// The default party name: the genotype file name without its format extension, so the same
/// cohort gets the same name (and component id) from `.bed` and `.vcf.gz`.
///
/// ```
/// assert_eq!(dash::run::party_from_file_name("ukb.vcf.gz"), "ukb");
/// assert_eq!(dash::run::party_from_file_name("ukb.tsv"), "ukb.tsv");
/// ```
pub fn party_from_file_name(name: &str) -> String {
    [
        ".vcf.bgz", ".vcf.gz", ".vcf", ".bcf", ".bed", ".bim", ".fam",
    ]
    .iter()
    .find_map(|ext| name.strip_suffix(ext))
    .unwrap_or(name)
    .to_string()
}

/// The last component of a path, as text.
pub(crate) fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
