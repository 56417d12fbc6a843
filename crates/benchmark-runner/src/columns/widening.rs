//! Numbers kept in a narrow type until one needs a wider one ([`Widening`]): a run's pooled
//! gaps (32 bits, else 64) and generated ids (16 bits, else 32), most of a large run's memory.

/// A whole-number type with a wider one that holds every value of it.
pub trait Narrow: Copy + Into<Self::Wide> {
    type Wide: Copy;
    /// Whether `wide` fits in this type.
    fn fits(wide: Self::Wide) -> bool;
    /// `wide`, which fits, in this type.
    fn narrow(wide: Self::Wide) -> Self;
}

/// `Narrow` for `$narrow`, whose wider type is `$wide`.
macro_rules! narrow {
    ($narrow:ty, $wide:ty) => {
        impl Narrow for $narrow {
            type Wide = $wide;
            fn fits(wide: $wide) -> bool {
                <$narrow>::try_from(wide).is_ok()
            }
            fn narrow(wide: $wide) -> $narrow {
                wide as $narrow
            }
        }
    };
}

narrow!(u16, u32);
narrow!(u32, u64);

/// Numbers as `N` while every one fits, then all of them as `N::Wide`.
#[derive(Debug, Clone)]
pub enum Widening<N: Narrow> {
    Narrow(Vec<N>),
    Wide(Vec<N::Wide>),
}

impl<N: Narrow> Default for Widening<N> {
    fn default() -> Self {
        Widening::Narrow(Vec::new())
    }
}

impl<N: Narrow> Widening<N> {
    /// How many numbers.
    pub fn len(&self) -> usize {
        match self {
            Widening::Narrow(v) => v.len(),
            Widening::Wide(v) => v.len(),
        }
    }

    /// Appends `values`, widening every number when one of them does not fit.
    pub fn extend(&mut self, values: &[N::Wide]) {
        if let Widening::Narrow(narrow) = self {
            // Checked first, then converted: both loops are simple enough to vectorise.
            if values.iter().all(|&v| N::fits(v)) {
                narrow.extend(values.iter().map(|&v| N::narrow(v)));
                return;
            }
            *self = Widening::Wide(narrow.iter().map(|&v| v.into()).collect());
        }
        if let Widening::Wide(wide) = self {
            wide.extend_from_slice(values);
        }
    }

    /// Appends `value`, widening every number when it does not fit.
    pub fn push(&mut self, value: N::Wide) {
        if let Widening::Narrow(narrow) = self {
            if N::fits(value) {
                narrow.push(N::narrow(value));
                return;
            }
            *self = Widening::Wide(narrow.iter().map(|&v| v.into()).collect());
        }
        if let Widening::Wide(wide) = self {
            wide.push(value);
        }
    }

    /// Every number in order, widened.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = N::Wide> + '_ {
        let (narrow, wide) = match self {
            Widening::Narrow(v) => (&v[..], &[][..]),
            Widening::Wide(v) => (&[][..], &v[..]),
        };
        narrow.iter().map(|&v| v.into()).chain(wide.iter().copied())
    }

    /// Removes every number, keeping the memory.
    pub fn clear(&mut self) {
        match self {
            Widening::Narrow(v) => v.clear(),
            Widening::Wide(v) => v.clear(),
        }
    }

    /// Makes room for `more` numbers.
    pub fn reserve(&mut self, more: usize) {
        match self {
            Widening::Narrow(v) => v.reserve(more),
            Widening::Wide(v) => v.reserve(more),
        }
    }

    /// Moves `other`'s numbers to the end of these, leaving it empty (its memory kept).
    pub fn take_from(&mut self, other: &mut Widening<N>) {
        match (&mut *self, &mut *other) {
            (Widening::Narrow(these), Widening::Narrow(more)) => {
                these.extend_from_slice(more);
                more.clear();
            }
            (Widening::Wide(these), Widening::Narrow(more)) => {
                these.extend(more.iter().map(|&v| v.into()));
                more.clear();
            }
            (_, Widening::Wide(more)) => {
                self.extend(more);
                more.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(w: &Widening<u16>) -> Vec<u32> {
        match w {
            Widening::Narrow(v) => v.iter().map(|&x| u32::from(x)).collect(),
            Widening::Wide(v) => v.clone(),
        }
    }

    #[test]
    fn numbers_widen_when_one_does_not_fit() {
        let mut w = Widening::<u16>::default();
        w.extend(&[1, 65_535]);
        assert!(matches!(w, Widening::Narrow(_)));
        w.extend(&[65_536, 2]);
        assert!(matches!(w, Widening::Wide(_)));
        w.extend(&[3]);
        assert_eq!(all(&w), [1, 65_535, 65_536, 2, 3]);
        assert_eq!(w.len(), 5);
        assert_eq!(w.iter().collect::<Vec<_>>(), all(&w));
        let mut pushed = Widening::<u16>::default();
        for v in [1, 65_535, 65_536, 2] {
            pushed.push(v);
        }
        assert!(matches!(pushed, Widening::Wide(_)));
        assert_eq!(all(&pushed), [1, 65_535, 65_536, 2]);
        pushed.clear();
        assert_eq!(pushed.len(), 0);
    }

    #[test]
    fn either_width_appends_to_either_in_order() {
        let of = |values: &[u32]| {
            let mut w = Widening::<u16>::default();
            w.extend(values);
            w
        };
        for (first, second) in [
            (of(&[1, 2]), of(&[3])),
            (of(&[1, 2]), of(&[70_000])),
            (of(&[70_000, 2]), of(&[3])),
            (of(&[70_000]), of(&[80_000, 4])),
        ] {
            let expected = [all(&first), all(&second)].concat();
            let (mut joined, mut more) = (first, second);
            joined.reserve(more.len());
            joined.take_from(&mut more);
            assert_eq!(more.len(), 0);
            assert_eq!(all(&joined), expected);
        }
    }
}
