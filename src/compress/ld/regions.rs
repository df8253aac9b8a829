//! The LD regions of a compress: `--ld-region CHR:START-END` and `--ld-regions FILE` (BED).

use std::path::Path;

use crate::error::{Error, IoResultExt, Result};
use crate::genotype::Region;
use crate::summary::ld::MAX_REGION_BP;
use crate::summary::order;

/// Reads a BED file of regions: `CHROM START END [anything]` per line, tab- or space-separated,
/// **0-based half-open** as every BED (and plink2's `--extract bed0`): `1 999 2000` is positions
/// 1000–2000. Lines starting with `#`, `track` or `browser`, and blank lines, are skipped.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("loci.bed");
/// std::fs::write(&path, "# loci\nchr1\t999\t2000\tAPOE\n").unwrap();
/// let regions = dash::compress::ld::regions::read_bed(&path).unwrap();
/// assert_eq!(regions[0].to_string(), "1:1000-2000");
/// ```
pub fn read_bed(path: &Path) -> Result<Vec<Region>> {
    let text = std::fs::read_to_string(path).with_path(path)?;
    let mut regions = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        let skipped = ["#", "track", "browser"];
        if line.trim().is_empty() || skipped.iter().any(|s| line.starts_with(s)) {
            continue;
        }
        let bad =
            |what: &str| Error::input(path, what.to_string()).at(format!("line {}", index + 1));
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [chrom, start, end, ..] = fields[..] else {
            return Err(bad("expected CHROM START END (BED, 0-based half-open)"));
        };
        let number = |text: &str, name: &str| {
            text.parse::<u64>()
                .map_err(|_| bad(&format!("{name} '{text}' is not a whole number")))
        };
        let (start, end) = (number(start, "START")?, number(end, "END")?);
        if end <= start {
            return Err(bad(&format!(
                "END {end} must be greater than START {start} (BED intervals are 0-based half-open)"
            )));
        }
        regions.push(Region {
            chrom: crate::chrom::normalize(chrom),
            start: start + 1,
            end,
        });
    }
    if regions.is_empty() {
        return Err(Error::input(path, "no regions in the BED file"));
    }
    Ok(regions)
}

/// Checks the LD regions of one compress: each has an end, is at most [`MAX_REGION_BP`] wide and
/// inside the shard `--region` (when given), and no two overlap (a row carries one region's
/// sums). Returns them in genomic order.
pub fn check(mut regions: Vec<Region>, shard: Option<&Region>) -> Result<Vec<Region>> {
    for region in &regions {
        if region.end == u64::MAX {
            return Err(Error::usage(format!(
                "--ld-region {region}: give an end (CHR:START-END)"
            )));
        }
        let width = region.end - region.start + 1;
        if width > MAX_REGION_BP {
            return Err(Error::usage(format!(
                "--ld-region {region}: {width} bp is wider than the {MAX_REGION_BP} bp an LD region may span; split it"
            )));
        }
        if let Some(shard) = shard {
            let inside = shard.chrom == region.chrom
                && shard.start <= region.start
                && region.end <= shard.end;
            if !inside {
                return Err(Error::usage(format!(
                    "--ld-region {region} is not inside --region {shard}"
                )));
            }
        }
    }
    regions.sort_by(|a, b| order::position_of(&a.chrom, a.start, &b.chrom, b.start));
    for pair in regions.windows(2) {
        if pair[0].chrom == pair[1].chrom && pair[1].start <= pair[0].end {
            return Err(Error::usage(format!(
                "--ld-region {} overlaps {}: merge them into one region",
                pair[0], pair[1]
            )));
        }
    }
    Ok(regions)
}
