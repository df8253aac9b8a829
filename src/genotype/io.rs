//! Reading helpers shared by the genotype readers: filling a buffer from any [`Read`], and
//! setting up the index query of a `--region` over a BGZF [`Stream`] (VCF and BCF alike).

use std::io::{self, Read};
use std::path::Path;

use super::stream::{IndexKind, LoadedIndex, RegionQuery, Stream};
use super::Region;
use crate::error::{Error, Result};

/// Reads until `buf` is full or the input ends; returns the bytes read (fewer than
/// `buf.len()` only at the end of input).
pub(super) fn read_up_to<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// The index query that reads only the BGZF chunks of `region` (`None` without a region).
///
/// A region needs compressed input (`not_indexable` is the error otherwise) and an index of
/// `kind` beside `path`. Reference sequences are named by the index when it stores names
/// (tabix, VCF CSI), else by `header_names`, the file's contigs by id.
pub(super) fn region_query(
    path: &Path,
    stream: &Stream,
    region: Option<&Region>,
    kind: IndexKind,
    not_indexable: &str,
    header_names: impl FnOnce() -> Vec<String>,
) -> Result<Option<RegionQuery>> {
    let Some(region) = region else {
        return Ok(None);
    };
    if !stream.is_bgzf() {
        return Err(Error::input(path, not_indexable));
    }
    let index = LoadedIndex::load(path, kind)?;
    let names = index.names().unwrap_or_else(header_names);
    Ok(Some(RegionQuery::new(index.chunks(&names, region)?)))
}
