//! Generated token ids, back to back ([`IdArena`]): in 16 bits while every id fits (a
//! vocabulary of at most 65,536 tokens, as the default model's), widened to 32 otherwise. At a
//! million requests of 64 tokens that is 128 MB instead of 256 to fill, copy and compare.

use super::widening::Widening;

/// Every request's generated ids, back to back.
pub type IdArena = Widening<u16>;

/// One request's generated ids, in the arena's width.
#[derive(Debug, Clone, Copy)]
pub enum Ids<'a> {
    Narrow(&'a [u16]),
    Wide(&'a [u32]),
}

impl Ids<'_> {
    /// How many ids.
    pub(crate) fn len(self) -> usize {
        match self {
            Ids::Narrow(ids) => ids.len(),
            Ids::Wide(ids) => ids.len(),
        }
    }

    /// How many leading ids the two have in common.
    pub fn common_prefix(self, other: Ids<'_>) -> usize {
        fn common<A: Copy + Into<u32>, B: Copy + Into<u32>>(a: &[A], b: &[B]) -> usize {
            a.iter()
                .zip(b)
                .take_while(|&(&x, &y)| x.into() == y.into())
                .count()
        }
        match (self, other) {
            (Ids::Narrow(a), Ids::Narrow(b)) => common(a, b),
            (Ids::Narrow(a), Ids::Wide(b)) => common(a, b),
            (Ids::Wide(a), Ids::Narrow(b)) => common(a, b),
            (Ids::Wide(a), Ids::Wide(b)) => common(a, b),
        }
    }

    /// The ids as 32-bit numbers.
    pub fn to_vec(self) -> Vec<u32> {
        match self {
            Ids::Narrow(ids) => ids.iter().map(|&id| u32::from(id)).collect(),
            Ids::Wide(ids) => ids.to_vec(),
        }
    }
}

/// The same ids in the same order, whatever the width of each.
impl PartialEq for Ids<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (*self, *other) {
            (Ids::Narrow(a), Ids::Narrow(b)) => a == b,
            (Ids::Wide(a), Ids::Wide(b)) => a == b,
            (a, b) => a.len() == b.len() && a.common_prefix(b) == a.len(),
        }
    }
}

impl IdArena {
    /// The `len` ids from `start`.
    pub(super) fn get(&self, start: usize, len: usize) -> Ids<'_> {
        match self {
            IdArena::Narrow(ids) => Ids::Narrow(&ids[start..start + len]),
            IdArena::Wide(ids) => Ids::Wide(&ids[start..start + len]),
        }
    }
}

/// Where a request's generated ids sit in its [`crate::columns::Columns`]' arena: the first
/// id's index (kept plus one, so that an absent span takes no room of its own) and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdSpan {
    start_plus_one: std::num::NonZeroU64,
    len: u32,
}

impl IdSpan {
    pub(crate) fn new(start: usize, len: u32) -> IdSpan {
        let start_plus_one = u64::try_from(start)
            .ok()
            .and_then(|start| std::num::NonZeroU64::MIN.checked_add(start))
            .expect("an arena index below 2^64 - 1");
        IdSpan {
            start_plus_one,
            len,
        }
    }

    /// The first id's index in the arena.
    pub(crate) fn start(self) -> usize {
        (self.start_plus_one.get() - 1) as usize
    }

    pub(crate) fn len(self) -> u32 {
        self.len
    }

    /// The same span moved `by` ids further into the arena.
    pub(crate) fn shifted(self, by: usize) -> IdSpan {
        IdSpan::new(self.start() + by, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arena_gives_each_request_its_ids_in_either_width() {
        let mut arena = IdArena::default();
        arena.extend(&[1, 65_535, 9]);
        assert_eq!(arena.get(1, 2), Ids::Narrow(&[65_535, 9]));
        arena.extend(&[65_536]);
        assert_eq!(arena.get(1, 3).to_vec(), [65_535, 9, 65_536]);
        assert!(matches!(arena.get(0, 1), Ids::Wide(&[1])));
    }

    #[test]
    fn ids_compare_by_value_whatever_their_width() {
        let narrow: &[u16] = &[5, 6, 7];
        let wide: &[u32] = &[5, 6, 7];
        let other: &[u32] = &[5, 9, 7];
        assert_eq!(Ids::Narrow(narrow), Ids::Wide(wide));
        assert_ne!(Ids::Narrow(narrow), Ids::Wide(other));
        assert_ne!(Ids::Narrow(narrow), Ids::Narrow(&narrow[..2]));
        assert_eq!(Ids::Narrow(narrow).common_prefix(Ids::Wide(other)), 1);
        assert_eq!(Ids::Wide(wide).common_prefix(Ids::Narrow(&narrow[..2])), 2);
        assert_eq!(Ids::Wide(wide).common_prefix(Ids::Wide(wide)), 3);
    }

    #[test]
    fn an_id_span_keeps_its_start_and_length_and_moves_along_the_arena() {
        let span = IdSpan::new(0, 0);
        assert_eq!((span.start(), span.len()), (0, 0));
        let span = IdSpan::new(40, 64).shifted(1_000);
        assert_eq!((span.start(), span.len()), (1_040, 64));
        // An absent span takes no room beside a present one.
        assert_eq!(
            std::mem::size_of::<Option<IdSpan>>(),
            std::mem::size_of::<IdSpan>()
        );
    }
}
