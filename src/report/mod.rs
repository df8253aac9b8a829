//! What an analyst looks at first, computed from a merge's results: λGC overall and by
//! allele-frequency bin ([`digest`], using [`crate::genomic_control`]) and the top loci
//! ([`loci`]).

pub mod digest;
pub mod loci;
