//! Variant record types: how a record's main track is stored and which auxiliary tracks follow.
//!
//! Bits 0–2 of the type byte give the main track's storage, bit 3 a multi-allelic hard-call
//! track, bit 4 a hard-call phase track, bits 5–6 the dosage track, bit 7 phased dosages.

/// How the main track (2-bit categories: 0 hom-REF, 1 het REF/ALT, 2 two ALT alleles, 3
/// missing) is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MainTrack {
    /// Type 0: the packed categories, `ceil(N/4)` bytes.
    Plain,
    /// Type 1: a byte naming the two most common categories, a bit array choosing between them,
    /// and a difflist of the samples in the other two.
    OneBit,
    /// Types 2 and 3: a difflist against the last record that is not LD-compressed; type 3
    /// swaps categories 0 and 2 after patching.
    Ld {
        /// Type 3.
        inverted: bool,
    },
    /// Types 4, 6, 7: every sample in category 0, 2 or 3 except those of a difflist.
    Sparse {
        /// The category of the samples not listed.
        common: u8,
    },
}

/// How the dosage track (bits 5–6) says which samples have a dosage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DosageLayout {
    /// A deltalist of the samples with a dosage.
    List,
    /// One value per sample; 65535 is missing.
    Every,
    /// A bit array over the samples.
    Bits,
}

/// One record's type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordType(pub u8);

impl RecordType {
    /// The main track's storage; `None` for the reserved type 5.
    pub fn main(self) -> Option<MainTrack> {
        match self.0 & 7 {
            0 => Some(MainTrack::Plain),
            1 => Some(MainTrack::OneBit),
            2 => Some(MainTrack::Ld { inverted: false }),
            3 => Some(MainTrack::Ld { inverted: true }),
            4 => Some(MainTrack::Sparse { common: 0 }),
            6 => Some(MainTrack::Sparse { common: 2 }),
            7 => Some(MainTrack::Sparse { common: 3 }),
            _ => None,
        }
    }

    /// Whether the main track is a difflist against an earlier record.
    pub fn is_ld(self) -> bool {
        self.0 & 6 == 2
    }

    /// Bit 3: calls involving a second or later ALT allele follow the main track.
    pub fn multiallelic(self) -> bool {
        self.0 & 0x08 != 0
    }

    /// Bit 4: phase of heterozygous calls.
    pub fn phased(self) -> bool {
        self.0 & 0x10 != 0
    }

    /// Bits 5–6: the dosage track, if any.
    pub fn dosage(self) -> Option<DosageLayout> {
        match self.0 & 0x60 {
            0x20 => Some(DosageLayout::List),
            0x40 => Some(DosageLayout::Every),
            0x60 => Some(DosageLayout::Bits),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_bits() {
        let t = RecordType(0x63);
        assert_eq!(t.main(), Some(MainTrack::Ld { inverted: true }));
        assert!(t.is_ld() && !t.multiallelic() && !t.phased());
        assert_eq!(t.dosage(), Some(DosageLayout::Bits));
        assert_eq!(RecordType(0x5).main(), None);
        assert!(!RecordType(0x16).is_ld());
        assert_eq!(
            RecordType(0x1c).main(),
            Some(MainTrack::Sparse { common: 0 })
        );
        assert!(RecordType(0x1c).multiallelic() && RecordType(0x1c).phased());
    }
}
