//! [`Sample`]: a non-empty set of finite observations, the input of every statistic here.

use rayon::iter::{IntoParallelIterator, ParallelIterator};
use rayon::slice::ParallelSlice;

use crate::error::{StatsError, check_finite};

/// A non-empty set of finite observations.
///
/// The constructor is the only way in, so every function taking a `&Sample` may rely on "at
/// least one value, no NaN, no infinity". The values are kept twice: in the order they were
/// recorded (outlier indices and warm-up checks refer to it) and sorted ascending (percentiles
/// and the bootstrap read it), except for a sample built by [`Sample::unordered`], which has no
/// recorded order and keeps its values once.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// `None` for a sample without a recorded order.
    recorded: Option<Vec<f64>>,
    sorted: Vec<f64>,
}

impl Sample {
    /// Builds a sample, refusing an empty input and any NaN or infinite value.
    ///
    /// ```
    /// use bench_stats::Sample;
    /// let s = Sample::new(vec![3.0, 1.0, 2.0])?;
    /// assert_eq!(s.sorted(), &[1.0, 2.0, 3.0]);
    /// assert_eq!(s.values(), &[3.0, 1.0, 2.0]);
    /// assert!(Sample::new(vec![]).is_err());
    /// assert!(Sample::new(vec![1.0, f64::NAN]).is_err());
    /// # Ok::<(), bench_stats::StatsError>(())
    /// ```
    pub fn new(values: Vec<f64>) -> Result<Self, StatsError> {
        if values.is_empty() {
            return Err(StatsError::Empty);
        }
        check_finite(&values)?;
        let sorted = sorted_copy(&values);
        Ok(Self {
            recorded: Some(values),
            sorted,
        })
    }

    /// Builds a sample whose order carries no meaning (values pooled from many requests), kept
    /// sorted only: half the memory of [`Sample::new`], and [`Sample::values`] is the sorted
    /// order, which outlier indices then refer to.
    ///
    /// ```
    /// use bench_stats::Sample;
    /// let s = Sample::unordered(vec![3.0, 1.0, 2.0])?;
    /// assert_eq!(s.values(), &[1.0, 2.0, 3.0]);
    /// # Ok::<(), bench_stats::StatsError>(())
    /// ```
    pub fn unordered(values: Vec<f64>) -> Result<Self, StatsError> {
        if values.is_empty() {
            return Err(StatsError::Empty);
        }
        check_finite(&values)?;
        let mut sorted = values;
        sort_in_place(&mut sorted);
        Ok(Self {
            recorded: None,
            sorted,
        })
    }

    /// Number of observations (at least 1).
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Always false: a sample holds at least one value. Present for API symmetry with slices.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The values in the order they were recorded (sorted, for an [`unordered`](Self::unordered)
    /// sample).
    pub fn values(&self) -> &[f64] {
        self.recorded.as_deref().unwrap_or(&self.sorted)
    }

    /// The values sorted ascending.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// The smallest value.
    pub fn min(&self) -> f64 {
        self.sorted[0]
    }

    /// The largest value.
    pub fn max(&self) -> f64 {
        self.sorted[self.sorted.len() - 1]
    }
}

impl TryFrom<Vec<f64>> for Sample {
    type Error = StatsError;

    fn try_from(values: Vec<f64>) -> Result<Self, Self::Error> {
        Self::new(values)
    }
}

impl TryFrom<&[f64]> for Sample {
    type Error = StatsError;

    fn try_from(values: &[f64]) -> Result<Self, Self::Error> {
        Self::new(values.to_vec())
    }
}

/// `values` (finite) sorted ascending, as [`sort_in_place`] sorts them.
fn sorted_copy(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sort_in_place(&mut sorted);
    sorted
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

/// Sorts finite `values` ascending in place, in the order of [`f64::total_cmp`] (so `-0.0`
/// precedes `0.0`).
///
/// A run pools tens of millions of inter-token gaps, so this is an in-place most-significant-digit
/// radix sort on integer keys of the same order as the floats, with the buckets of large slices
/// sorted on all cores: no buffer the size of the input, and linear work instead of a comparison
/// sort's `n log n`. The keys are derived from each value's bits whenever they are needed rather
/// than stored, and the leading bits that every value shares (the sign and exponent of
/// same-scale latencies) are skipped rather than spent a pass on.
fn sort_in_place(values: &mut [f64]) {
    // An input that is already sorted costs one pass to recognise; any other is given up on at
    // its first descent.
    if !values.is_sorted_by_key(|&v| sort_key(v)) {
        radix_sort(values);
    }
}

/// An integer with the order of [`f64::total_cmp`]: a positive value gets its sign bit set, so it
/// ranks above every negative one, and a negative value has every bit flipped, so a larger
/// magnitude ranks lower.
fn sort_key(value: f64) -> u64 {
    const SIGN: u64 = 1 << 63;
    let bits = value.to_bits();
    bits ^ ((((bits as i64) >> 63) as u64) | SIGN)
}

/// The digit of `value`'s key at `shift` (its lowest bit) for `B` buckets.
fn digit<const B: usize>(value: f64, shift: u32) -> usize {
    ((sort_key(value) >> shift) as usize) & (B - 1)
}

/// Sorts `values` by [`sort_key`].
fn radix_sort(values: &mut [f64]) {
    if values.len() <= SMALL {
        values.sort_unstable_by_key(|&v| sort_key(v));
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
        split::<2048>(values, top);
    } else {
        split::<256>(values, top);
    }
}

/// Moves `values` into `B` buckets by the `log2(B)` bits of their keys just below bit `top` (the
/// bits from `top` up being the same in every key), then sorts each bucket.
fn split<const B: usize>(values: &mut [f64], top: u32) {
    let shift = top.saturating_sub(B.trailing_zeros());
    let counts = histogram::<B>(values, shift);
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
fn differing_bits(values: &[f64]) -> u64 {
    let first = sort_key(values[0]);
    let differing = |chunk: &[f64]| {
        chunk
            .iter()
            .fold(0, |bits, &v| bits | (sort_key(v) ^ first))
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

/// How many of `values` fall in each of `B` buckets by the digit at `shift`.
fn histogram<const B: usize>(values: &[f64], shift: u32) -> [usize; B] {
    // Runs of equal digits are the rule in latency data; spreading the counting over four
    // tables keeps each increment from waiting on the previous one. A chunk is shorter than
    // 2^32, so `u32` counts do not overflow and the tables stay small.
    let count = |chunk: &[f64]| {
        let mut tables = [[0_u32; B]; 4];
        let mut quads = chunk.chunks_exact(4);
        for quad in &mut quads {
            for (table, &value) in tables.iter_mut().zip(quad) {
                table[digit::<B>(value, shift)] += 1;
            }
        }
        for &value in quads.remainder() {
            tables[0][digit::<B>(value, shift)] += 1;
        }
        let mut counts = [0; B];
        for table in &tables {
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
        || [0; B],
        |mut counts, more| {
            for (count, m) in counts.iter_mut().zip(more) {
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
fn permute<const B: usize>(values: &mut [f64], counts: &[usize; B], shift: u32) {
    let mut next = [0; B];
    let mut end = [0; B];
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
                let home = digit::<B>(values[i], shift);
                values.swap(i, next[home]);
                next[home] += 1;
            }
            unfinished |= next[bucket] < end[bucket];
        }
    }
}

#[cfg(test)]
#[path = "sample_tests.rs"]
mod tests;
