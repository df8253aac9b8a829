//! Cache hints for the passes over a window that visit every input at once.
//!
//! A site's rows lie in every input: visiting sites in order reads each input's columns (sums,
//! component sets, variants) at its own pace, some 4 × 20 streams at 20 inputs, more than the
//! hardware prefetcher follows, so each row's first read waited on memory. Asking for the rows
//! some sites ahead overlaps those waits with the work on the sites between (issue 12: at 20
//! parties × 500 k variants, `PhenotypeLayout::member_sums` and `AlleleCheck::add_window` went
//! from 0.8–1.4 s of samples to 0.4–0.5 s; hints 4 or 8 sites ahead, or into the first-level
//! cache, gained less).

use super::{Merged, PhenotypeLayout, Site};

/// How many sites (or rows) ahead the data is asked for: the sites between must take longer
/// than a read from memory (measured, issue 12).
pub(crate) const AHEAD: usize = 16;

/// Hints that `value` will be read soon, every cache line of it. Only a hint: it never faults,
/// whatever the address, and changes no result.
#[inline(always)]
pub(crate) fn hint<T>(value: &T) {
    let start = (value as *const T).cast::<u8>();
    for offset in (0..std::mem::size_of::<T>().max(1)).step_by(64) {
        hint_line(start.wrapping_add(offset));
    }
}

/// Hints one cache line, into the second-level cache.
#[inline(always)]
#[allow(unsafe_code)]
fn hint_line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT1 reads nothing architecturally and cannot fault on any address; SSE,
    // which it needs, is part of every x86_64 CPU.
    unsafe {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T1};
        _mm_prefetch::<_MM_HINT_T1>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl Merged {
    /// Hints that `site`'s rows will be read soon: for each of its members, its sums in the
    /// group `layout` pools and, in a summary of several components, its component set.
    #[inline]
    pub(crate) fn prefetch_site(&self, site: &Site, layout: &PhenotypeLayout) {
        for m in self.members(site) {
            let input = m.input as usize;
            let rows = &self.inputs[input].rows;
            let row = m.row as usize;
            let sums = &rows.groups[layout.inputs[input].group];
            if let Some(atx0) = sums.atx0.get(row * sums.width) {
                hint(atx0);
            }
            if let Some(atu) = sums.atu.get(row * sums.width) {
                hint(atu);
            }
            if let Some(x0x0) = sums.x0x0.get(row) {
                hint(x0x0);
            }
            // A party's own summary (one component) needs no set read (see the allele check).
            if self.inputs[input].header.components.len() > 1 {
                if let Some(set) = rows.components.get(row) {
                    hint(set);
                }
            }
        }
    }
}
