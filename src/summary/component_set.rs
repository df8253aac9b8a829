//! Which components (parties) of a summary hold one row: almost always a single one, so it is
//! kept inline, and a row read allocates nothing for it (issue 12).

use std::ops::Deref;

/// Indices into [`super::Header::components`] of the components holding a row.
///
/// Dereferences to the slice of indices.
///
/// ```
/// use dash::summary::ComponentSet;
/// let one = ComponentSet::from(&[3][..]);
/// assert_eq!(&one[..], [3]);
/// let two = ComponentSet::from(vec![0, 2]);
/// assert_eq!((two.len(), two.contains(&2)), (2, true));
/// assert_eq!(ComponentSet::Many(vec![3].into()), one);
/// ```
#[derive(Debug, Clone)]
pub enum ComponentSet {
    /// One component: a single party's file, or a merged row held by one party.
    One(u32),
    /// Several (a merged summary's row), or none (refused by the reader).
    Many(Box<[u32]>),
}

impl Deref for ComponentSet {
    type Target = [u32];

    fn deref(&self) -> &[u32] {
        match self {
            ComponentSet::One(c) => std::slice::from_ref(c),
            ComponentSet::Many(all) => all,
        }
    }
}

/// Sets are equal when they list the same indices, however they are kept.
impl PartialEq for ComponentSet {
    fn eq(&self, other: &ComponentSet) -> bool {
        self[..] == other[..]
    }
}

impl Eq for ComponentSet {}

impl From<&[u32]> for ComponentSet {
    fn from(indices: &[u32]) -> ComponentSet {
        match indices {
            [c] => ComponentSet::One(*c),
            _ => ComponentSet::Many(indices.into()),
        }
    }
}

impl From<Vec<u32>> for ComponentSet {
    fn from(indices: Vec<u32>) -> ComponentSet {
        match indices[..] {
            [c] => ComponentSet::One(c),
            _ => ComponentSet::Many(indices.into_boxed_slice()),
        }
    }
}

impl<'a> IntoIterator for &'a ComponentSet {
    type Item = &'a u32;
    type IntoIter = std::slice::Iter<'a, u32>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
