//! The in-place radix sort behind [`crate::Sample`]'s sorted values, and [`sort_unsigned`] for
//! whole numbers (a run's inter-token gaps in nanoseconds, sorted before they become
//! milliseconds: half the bytes to move, and the same order, as the conversion is monotonic).

use rayon::iter::{IntoParallelIterator, ParallelIterator};
use rayon::slice::ParallelSlice;

/// A value sorted by an integer key of the same order: [`f64::total_cmp`]'s for floats, the
/// value itself for unsigned integers.
pub trait RadixKey: Copy + Send + Sync {
    fn radix_key(self) -> u64;

    /// Whether `values` are ascending by key.
    fn is_sorted(values: &[Self]) -> bool {
        values.is_sorted_by_key(|&v| v.radix_key())
    }
}

impl RadixKey for f64 {
    /// A positive value gets its sign bit set, so it ranks above every negative one, and a
    /// negative value has every bit flipped, so a larger magnitude ranks lower.
    fn radix_key(self) -> u64 {
        const SIGN: u64 = 1 << 63;
        let bits = self.to_bits();
        bits ^ ((((bits as i64) >> 63) as u64) | SIGN)
    }

    fn is_sorted(values: &[f64]) -> bool {
        is_sorted(values)
    }
}

impl RadixKey for u32 {
    fn radix_key(self) -> u64 {
        u64::from(self)
    }
}

impl RadixKey for u64 {
    fn radix_key(self) -> u64 {
        self
    }
}

/// Sorts whole numbers ascending in place, by the same radix sort as [`crate::Sample`]'s.
///
/// ```
/// let mut gaps = vec![30_u32, 10, 20, 10];
/// bench_stats::sort_unsigned(&mut gaps);
/// assert_eq!(gaps, [10, 10, 20, 30]);
/// ```
pub fn sort_unsigned<T: RadixKey>(values: &mut [T]) {
    sort_in_place(values);
}

/// Slices up to this length are finished by a comparison sort, which beats another radix pass
/// over so few values.
const SMALL: usize = 256;
/// Slices at least this long are split on an 11-bit digit (2048 buckets), smaller ones on an
/// 8-bit digit (256 buckets): the wider digit saves a pass over large slices, and its larger
/// tables would cost more than they save on small ones.
const WIDE: usize = 1 << 14;
/// Slices at least this long are counted on all cores and have their buckets sorted on all
/// cores; below it the bookkeeping costs more than the other cores save.
const PARALLEL: usize = 1 << 16;

/// Sorts `values` ascending in place by their keys: finite floats in the order of
/// [`f64::total_cmp`] (so `-0.0` precedes `0.0`).
///
/// A run pools tens of millions of inter-token gaps, so this is an in-place most-significant-digit
/// radix sort on integer keys of the same order as the values, with the buckets of large slices
/// sorted on all cores: no buffer the size of the input, and linear work instead of a comparison
/// sort's `n log n`. The keys are derived from each value's bits whenever they are needed rather
/// than stored, and the leading bits that every value shares (the sign and exponent of
/// same-scale latencies) are skipped rather than spent a pass on.
pub(crate) fn sort_in_place<T: RadixKey>(values: &mut [T]) {
    // An input that is already sorted costs one pass to recognise.
    if !T::is_sorted(values) {
        radix_sort(values);
    }
}

/// Whether `values` are ascending in the order of [`f64::total_cmp`] (so `-0.0` before `0.0`).
///
/// A pooled metric holds tens of millions of values, and a check that stops at the first
/// descent compares one pair at a time; this one compares a block of pairs at once as floats
/// (a compiler vectorises the loop), and only a block holding a zero, whose two signs floats
/// compare equal, is checked again pair by pair in the total order.
///
/// ```
/// assert!(bench_stats::is_sorted(&[1.0, 2.0, 2.0, 3.5]));
/// assert!(bench_stats::is_sorted(&[-1.0, -0.0, 0.0]));
/// assert!(!bench_stats::is_sorted(&[0.0, -0.0]));
/// assert!(!bench_stats::is_sorted(&[1.0, f64::NAN]));
/// assert!(bench_stats::is_sorted(&[]));
/// ```
pub fn is_sorted(values: &[f64]) -> bool {
    let Some(&first) = values.first() else {
        return true;
    };
    let mut previous = first;
    values.chunks(SORTED_BLOCK).all(|block| {
        let ordered = block_in_order(previous, block);
        previous = block[block.len() - 1];
        ordered
    })
}

/// The values of a block checked at once by [`is_sorted`].
pub(crate) const SORTED_BLOCK: usize = 2048;

/// Whether `previous` and the values of `block` (not empty) are in ascending total order: the
/// step [`is_sorted`] and [`crate::describe::sum_if_sorted`] take for each block.
#[allow(
    clippy::needless_bitwise_bool,
    reason = "a branch-free step is what lets the loop vectorise"
)]
pub(crate) fn block_in_order(previous: f64, block: &[f64]) -> bool {
    // The pair across the blocks' boundary, then the block's own.
    let start = (previous <= block[0], previous == 0.0);
    let (ascending, zero) = block
        .iter()
        .zip(&block[1..])
        .fold(start, |(ascending, zero), (&a, &b)| {
            (ascending & (a <= b), zero | (b == 0.0))
        });
    ascending
        && (!zero
            || std::iter::once(&previous)
                .chain(block)
                .is_sorted_by(|a, b| a.total_cmp(b).is_le()))
}

/// The digit of `value`'s key at `shift` (its lowest bit) for `B` buckets.
fn digit<const B: usize, T: RadixKey>(value: T, shift: u32) -> usize {
    ((value.radix_key() >> shift) as usize) & (B - 1)
}

/// Sorts `values` by [`RadixKey::radix_key`].
fn radix_sort<T: RadixKey>(values: &mut [T]) {
    if values.len() <= SMALL {
        values.sort_unstable_by_key(|&v| v.radix_key());
        return;
    }
    let differing = differing_bits(values);
    if differing == 0 {
        return;
    }
    // The digit starts at the highest bit on which two keys differ: the bits above it are
    // shared by every value (always so for the sign and exponent of latencies of one scale), so
    // a pass on them would leave everything in one bucket.
    let top = u64::BITS - differing.leading_zeros();
    if values.len() >= WIDE {
        split::<2048, _>(values, top);
    } else {
        split::<256, _>(values, top);
    }
}

/// Moves `values` into `B` buckets by the `log2(B)` bits of their keys just below bit `top` (the
/// bits from `top` up being the same in every key), then sorts each bucket.
fn split<const B: usize, T: RadixKey>(values: &mut [T], top: u32) {
    let shift = top.saturating_sub(B.trailing_zeros());
    let counts = histogram::<B, _>(values, shift);
    permute(values, &counts, shift);
    let large = values.len() >= PARALLEL;
    let buckets = counts
        .iter()
        .scan(values, |rest, &count| {
            let (bucket, tail) = std::mem::take(rest).split_at_mut(count);
            *rest = tail;
            Some(bucket)
        })
        .filter(|bucket| bucket.len() > 1);
    if large {
        buckets
            .collect::<Vec<_>>()
            .into_par_iter()
            .for_each(radix_sort);
    } else {
        buckets.for_each(radix_sort);
    }
}

/// The bits on which some key of `values` differs from the first one: zero when every key is
/// the same.
fn differing_bits<T: RadixKey>(values: &[T]) -> u64 {
    let first = values[0].radix_key();
    let differing = |chunk: &[T]| {
        chunk
            .iter()
            .fold(0, |bits, &v| bits | (v.radix_key() ^ first))
    };
    if values.len() < PARALLEL {
        differing(values)
    } else {
        values
            .par_chunks(PARALLEL)
            .map(differing)
            .reduce(|| 0, |a, b| a | b)
    }
}

/// `N` copies of `value` on the heap. A sort's tables are tens of kilobytes, and a sort recurses
/// into its buckets on every core's stack (with other work stolen on top of it), where a build
/// without optimisation would keep several copies of each: they stay off the stack.
#[allow(
    clippy::unnecessary_box_returns,
    reason = "the box is the point: the table stays off the stack"
)]
fn boxed<T: Clone, const N: usize>(value: T) -> Box<[T; N]> {
    let Ok(table) = vec![value; N].into_boxed_slice().try_into() else {
        unreachable!("a vector of N values")
    };
    table
}

/// How many of `values` fall in each of `B` buckets by the digit at `shift`.
#[allow(
    clippy::unnecessary_box_returns,
    reason = "kept off the stack, as `boxed` says"
)]
fn histogram<const B: usize, T: RadixKey>(values: &[T], shift: u32) -> Box<[usize; B]> {
    // Runs of equal digits are the rule in latency data; spreading the counting over four
    // tables keeps each increment from waiting on the previous one. A chunk is shorter than
    // 2^32, so `u32` counts do not overflow and the tables stay small.
    let count = |chunk: &[T]| {
        let mut tables: Box<[[u32; B]; 4]> = boxed([0; B]);
        let mut quads = chunk.chunks_exact(4);
        for quad in &mut quads {
            for (table, &value) in tables.iter_mut().zip(quad) {
                table[digit::<B, T>(value, shift)] += 1;
            }
        }
        for &value in quads.remainder() {
            tables[0][digit::<B, T>(value, shift)] += 1;
        }
        let mut counts: Box<[usize; B]> = boxed(0);
        for table in tables.iter() {
            for (count, &n) in counts.iter_mut().zip(table) {
                *count += n as usize;
            }
        }
        counts
    };
    if values.len() < PARALLEL {
        return count(values);
    }
    values.par_chunks(PARALLEL).map(count).reduce(
        || boxed(0),
        |mut counts, more| {
            for (count, m) in counts.iter_mut().zip(more.iter()) {
                *count += m;
            }
            counts
        },
    )
}

/// Moves every value into its bucket by the digit at `shift`, bucket `b` holding `counts[b]`
/// values.
///
/// Each bucket's region has a prefix of values already in place; the rest is scanned in order
/// and each value swapped to the end of its own bucket's prefix, extending it by one, while the
/// displaced value takes its place, to be looked at again in the next round. Every swap places
/// one value for good, and unlike following each displaced value to its home at once, the
/// swaps of a scan do not wait on one another's memory reads.
fn permute<const B: usize, T: RadixKey>(values: &mut [T], counts: &[usize; B], shift: u32) {
    let mut next: Box<[usize; B]> = boxed(0);
    let mut end: Box<[usize; B]> = boxed(0);
    let mut start = 0;
    for bucket in 0..B {
        next[bucket] = start;
        start += counts[bucket];
        end[bucket] = start;
    }
    let mut unfinished = true;
    while unfinished {
        unfinished = false;
        for bucket in 0..B {
            let (from, to) = (next[bucket], end[bucket]);
            for i in from..to {
                let home = digit::<B, T>(values[i], shift);
                values.swap(i, next[home]);
                next[home] += 1;
            }
            unfinished |= next[bucket] < end[bucket];
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// Sizes on both sides of every threshold of the sort.
    const SIZES: [usize; 7] = [0, 1, 200, 300, 20_000, 70_000, 300_000];

    /// A descent anywhere (inside a block, across two, at either end) is found, as the
    /// standard check finds it; both zeros in `f64::total_cmp`'s order.
    #[test]
    fn sortedness_is_that_of_the_standard_check() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for n in [0_usize, 1, 2, 2_047, 2_048, 2_049, 4_096, 10_000] {
            let mut sorted: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..1e3)).collect();
            sorted.sort_unstable_by(f64::total_cmp);
            assert!(is_sorted(&sorted), "n={n}");
            for at in [1, 2_047, 2_048, 2_049, n / 2, n.saturating_sub(1)] {
                if at == 0 || at >= n {
                    continue;
                }
                let mut descent = sorted.clone();
                descent[at] = descent[at - 1] - 1.0;
                let expected = descent.is_sorted_by(|a, b| a.total_cmp(b).is_le());
                assert_eq!(is_sorted(&descent), expected, "n={n} at={at}");
                assert!(!expected);
            }
        }
        // Both zeros, inside a block and across two.
        assert!(is_sorted(&[-0.0, 0.0, 0.0]));
        assert!(!is_sorted(&[0.0, -0.0]));
        let mut zeros = vec![0.0; 4_096];
        assert!(is_sorted(&zeros));
        zeros[2_048] = -0.0;
        assert!(!is_sorted(&zeros));
        zeros[..2_048].fill(-0.0);
        assert!(is_sorted(&zeros));
        assert!(!is_sorted(&[1.0, f64::NAN, 2.0]));
        assert!(u32::is_sorted(&[3, 3, 7]));
        assert!(!u64::is_sorted(&[3, 2]));
    }

    /// A large sort fits in small stacks on every core, as an unoptimised build runs it
    /// (with the work stolen on top of it): its tables are on the heap. With them on the stack
    /// it overflowed stacks of 1 MiB.
    #[test]
    fn a_large_sort_fits_in_small_stacks() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .stack_size(256 << 10)
            .build()
            .expect("a thread pool");
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let values: Vec<f64> = (0..1_000_000)
            .map(|_| rng.random_range(0.0_f64..1e6).floor())
            .collect();
        let mut expected = values.clone();
        expected.sort_by(f64::total_cmp);
        let sorted = pool.install(|| {
            let mut sorted = values;
            sort_in_place(&mut sorted);
            sorted
        });
        assert_eq!(sorted, expected);
    }

    #[test]
    fn whole_numbers_sort_as_the_standard_sort_does() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in SIZES {
            // Latency-like gaps (a narrow band), the full range, and many repeats.
            let inputs: [(&str, Vec<u64>); 3] = [
                (
                    "band",
                    (0..n)
                        .map(|_| rng.random_range(900_000..1_100_000))
                        .collect(),
                ),
                ("full", (0..n).map(|_| rng.random()).collect()),
                ("repeats", (0..n).map(|_| rng.random_range(0..4)).collect()),
            ];
            for (what, values) in inputs {
                let mut expected = values.clone();
                expected.sort_unstable();
                let mut wide = values.clone();
                sort_unsigned(&mut wide);
                assert_eq!(wide, expected, "u64 {what} n={n}");
                if let Ok(narrow) = values
                    .iter()
                    .map(|&v| u32::try_from(v))
                    .collect::<Result<Vec<_>, _>>()
                {
                    let mut narrow = narrow;
                    sort_unsigned(&mut narrow);
                    assert!(
                        narrow
                            .iter()
                            .map(|&v| u64::from(v))
                            .eq(expected.iter().copied()),
                        "u32 {what} n={n}"
                    );
                }
            }
        }
    }
}
