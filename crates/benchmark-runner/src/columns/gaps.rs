//! A label's pooled inter-token gaps ([`GapPool`]), and how they become the `itl_ms` metric's
//! values: sorted, in milliseconds.
//!
//! At a million requests a pool holds tens of millions of gaps, most of them within a few
//! milliseconds of each other (a decode step takes about as long each time), so they are sorted
//! by counting: once a pool is long, a few thousand gaps spread through it choose the window of
//! 2^21 consecutive nanoseconds that holds the most of them, and from then on each gap in the
//! window is counted rather than kept: gaps appended later are counted as they come, and only
//! those outside the window are kept. The sorted milliseconds are written from the counts value
//! by value, each converted once, with the kept gaps (sorted by a radix sort) before and after
//! them. A pool whose gaps spread too wide for one window to hold most of them is kept whole
//! and radix-sorted, as is a short one. Either way the result is that of sorting every gap and
//! converting each, as the conversion never reverses two values.

use super::widening::Widening;
use crate::metrics::gap_ms;

/// Gaps in nanoseconds: those counted in a window, and the rest kept in 32 bits until one
/// needs more.
#[derive(Debug, Clone, Default)]
pub struct GapPool {
    /// The gaps not counted: every one until a window is chosen, then those outside it.
    kept: Widening<u32>,
    /// The window and its counts, once chosen.
    counted: Option<Counted>,
    /// Whether a window was sought and none held enough of the gaps: it is not sought again.
    spread: bool,
}

/// Gaps counted in a window of consecutive nanoseconds.
#[derive(Debug, Clone)]
struct Counted {
    /// The window's first value.
    start: u64,
    /// How many gaps have each value of the window, modulo 2^16 (half the memory of wider
    /// counts, so that more of the table stays in a core's own cache as it is counted into).
    counts: Vec<u16>,
    /// The values (offsets in the window) whose count went past a multiple of 2^16, once for
    /// each time it did.
    carries: Vec<u32>,
    /// How many gaps are counted.
    total: usize,
}

/// The counting window, in nanoseconds: 4 MB of counts, which stay in the processor's shared
/// cache (a wider table would make each count a trip to memory, slower than sorting).
const WINDOW: u64 = 1 << 21;
/// A pool being read is counted from this length: its gaps then take twice the memory of the
/// counts.
const COUNTED_WHILE_READ_FROM: usize = WINDOW as usize;
/// A pool shorter than this when it is sorted is sorted whole: counting would save little.
const COUNTED_FROM: usize = 1 << 16;
/// How many gaps, evenly spaced through the pool, choose the window.
const PROBES: usize = 4096;
/// The share of the probes the window must hold for the pool to be counted.
const COUNTED_SHARE: f64 = 0.75;

impl GapPool {
    /// How many gaps.
    pub fn len(&self) -> usize {
        self.kept.len() + self.counted.as_ref().map_or(0, |c| c.total)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `gaps`.
    pub fn extend(&mut self, gaps: &[u64]) {
        match &mut self.counted {
            Some(counted) => counted.add(gaps, &mut self.kept),
            None => self.kept.extend(gaps),
        }
    }

    /// Moves `other`'s gaps, read after these, to this pool, leaving `other` empty (its memory
    /// kept). A pool grown long enough starts counting here.
    pub fn take_from(&mut self, other: &mut GapPool) {
        if let Some(theirs) = other.counted.take() {
            for (value, count) in theirs.values() {
                for _ in 0..count {
                    self.extend(&[value]);
                }
            }
        }
        if let Some(counted) = &mut self.counted {
            counted.add_kept(&other.kept, &mut self.kept);
            other.kept.clear();
        } else {
            self.kept.take_from(&mut other.kept);
            self.count_from(COUNTED_WHILE_READ_FROM, WINDOW);
        }
        other.spread = false;
    }

    /// The gaps in milliseconds, as the `itl_ms` metric defines them, sorted ascending; the pool
    /// is left empty.
    pub fn take_sorted_ms(&mut self) -> Vec<f64> {
        let mut pool = std::mem::take(self);
        pool.count_from(COUNTED_FROM, WINDOW);
        match pool.kept {
            Widening::Narrow(kept) => sorted_ms(kept, pool.counted),
            Widening::Wide(kept) => sorted_ms(kept, pool.counted),
        }
    }

    /// Counts the gaps in a window of `window` nanoseconds from now on, the ones kept so far
    /// included, when the pool holds at least `from` and none was sought before.
    fn count_from(&mut self, from: usize, window: u64) {
        if self.counted.is_some() || self.spread || self.kept.len() < from {
            return;
        }
        let start = match &self.kept {
            Widening::Narrow(gaps) => counting_window(gaps, window),
            Widening::Wide(gaps) => counting_window(gaps, window),
        };
        let Some(start) = start else {
            self.spread = true;
            return;
        };
        let mut counted = Counted {
            start,
            counts: vec![0; usize::try_from(window).unwrap_or(usize::MAX)],
            carries: Vec::new(),
            total: 0,
        };
        let gaps = std::mem::take(&mut self.kept);
        counted.add_kept(&gaps, &mut self.kept);
        self.counted = Some(counted);
    }
}

impl Counted {
    /// Counts each of `gaps` that falls in the window; the others go to `kept`.
    #[inline]
    fn add<T: Copy + Into<u64>>(&mut self, gaps: &[T], kept: &mut Widening<u32>) {
        let (start, counts) = (self.start, &mut self.counts[..]);
        let len = counts.len() as u64;
        let mut outside = 0;
        for &g in gaps {
            let g: u64 = g.into();
            // Below the window wraps round to past its end: one comparison for both sides.
            let at = g.wrapping_sub(start);
            if at < len {
                let count = &mut counts[at as usize];
                *count = count.wrapping_add(1);
                if *count == 0 {
                    // `at` is below the window's length, 2^21.
                    self.carries.push(at as u32);
                }
            } else {
                kept.push(g);
                outside += 1;
            }
        }
        self.total += gaps.len() - outside;
    }

    /// Each value of the window with its count, ascending (values counted none times included).
    fn values(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        let mut carries = self.carries.clone();
        carries.sort_unstable();
        let mut carries = carries.into_iter().peekable();
        (self.start..)
            .zip(0u32..)
            .zip(&self.counts)
            .map(move |((value, at), &count)| {
                let mut count = usize::from(count);
                while carries.next_if_eq(&at).is_some() {
                    count += 1 << 16;
                }
                (value, count)
            })
    }

    /// [`Counted::add`] for a pool's kept gaps.
    fn add_kept(&mut self, gaps: &Widening<u32>, kept: &mut Widening<u32>) {
        match gaps {
            Widening::Narrow(gaps) => self.add(gaps, kept),
            Widening::Wide(gaps) => self.add(gaps, kept),
        }
    }
}

/// The gaps kept and those counted, sorted ascending and made milliseconds (see the module's
/// description).
fn sorted_ms<T>(mut kept: Vec<T>, counted: Option<Counted>) -> Vec<f64>
where
    T: Copy + Into<u64> + bench_stats::RadixKey,
{
    bench_stats::sort_unsigned(&mut kept);
    let Some(counted) = counted else {
        return to_ms(kept);
    };
    // Every kept gap is below the window or above it.
    let below = kept.partition_point(|&g| g.into() < counted.start);
    let mut ms = vec![0.0; kept.len() + counted.total];
    let (low, rest) = ms.split_at_mut(below);
    for (m, &g) in low.iter_mut().zip(&kept[..below]) {
        *m = gap_ms(g.into());
    }
    let (middle, high) = rest.split_at_mut(counted.total);
    let mut at = 0;
    for (value, count) in counted.values() {
        if count > 0 {
            let next = at + count;
            middle[at..next].fill(gap_ms(value));
            at = next;
        }
    }
    drop(counted);
    for (m, &g) in high.iter_mut().zip(&kept[below..]) {
        *m = gap_ms(g.into());
    }
    ms
}

/// Where a window of `window` nanoseconds starts that holds the most of [`PROBES`] gaps spread
/// evenly through `gaps`; `None` when it holds less than [`COUNTED_SHARE`] of them (the gaps
/// spread too wide to count).
fn counting_window<T: Copy + Into<u64>>(gaps: &[T], window: u64) -> Option<u64> {
    let step = gaps.len().div_ceil(PROBES).max(1);
    let mut probes: Vec<u64> = gaps.iter().step_by(step).map(|&g| g.into()).collect();
    probes.sort_unstable();
    // For each probe as the window's first value, how many probes the window holds.
    let (mut best, mut held) = (0, 0);
    let mut end = 0;
    for (first, &start) in probes.iter().enumerate() {
        while end < probes.len() && probes[end] - start < window {
            end += 1;
        }
        if end - first > held {
            (best, held) = (first, end - first);
        }
    }
    (held as f64 >= COUNTED_SHARE * probes.len() as f64).then(|| probes[best])
}

/// `gaps` in milliseconds, in their order, as the `itl_ms` metric defines them.
///
/// They are made from the back, a block at a time, and each block of `gaps` given back once
/// made: the gaps are never whole in both forms (8 bytes a gap at most rather than 12).
fn to_ms<T: Copy + Into<u64>>(gaps: Vec<T>) -> Vec<f64> {
    to_ms_in(gaps, 1 << 20)
}

/// [`to_ms`] in blocks of `block` gaps.
fn to_ms_in<T: Copy + Into<u64>>(mut gaps: Vec<T>, block: usize) -> Vec<f64> {
    // Zeroed pages are not touched until written.
    let mut ms = vec![0.0; gaps.len()];
    while !gaps.is_empty() {
        let from = gaps.len().saturating_sub(block);
        for (m, &g) in ms[from..gaps.len()].iter_mut().zip(&gaps[from..]) {
            *m = gap_ms(g.into());
        }
        gaps.truncate(from);
        gaps.shrink_to_fit();
    }
    ms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(gaps: &[u64]) -> Vec<f64> {
        let mut sorted = gaps.to_vec();
        sorted.sort_unstable();
        sorted.iter().map(|&g| g as f64 / 1e6).collect()
    }

    fn random(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || shared_protocol::seed::splitmix64(&mut state)
    }

    fn pool_of(gaps: &[u64]) -> GapPool {
        let mut pool = GapPool::default();
        pool.extend(gaps);
        pool
    }

    /// `pool`'s gaps sorted, in milliseconds, as they stand (no window sought).
    fn sorted_as_is(pool: GapPool) -> Vec<f64> {
        match pool.kept {
            Widening::Narrow(kept) => sorted_ms(kept, pool.counted),
            Widening::Wide(kept) => sorted_ms(kept, pool.counted),
        }
    }

    #[test]
    fn gaps_widen_when_one_needs_more_than_32_bits() {
        let mut pool = pool_of(&[1, 2_000_000]);
        assert!(matches!(pool.kept, Widening::Narrow(_)));
        let long = u64::from(u32::MAX) + 7;
        pool.extend(&[3, long, 4]);
        assert!(matches!(pool.kept, Widening::Wide(_)));
        pool.extend(&[5]);
        assert_eq!(pool.len(), 6);
        assert_eq!(
            pool.take_sorted_ms(),
            reference(&[1, 3, 4, 5, 2_000_000, long])
        );
        assert!(pool.take_sorted_ms().is_empty());
    }

    /// A streamed reply's gaps: a tenth near zero (tokens that arrived together), most around
    /// 10 ms, and a long tail.
    fn bimodal(len: usize, seed: u64) -> Vec<u64> {
        let mut next = random(seed);
        (0..len)
            .map(|i| match i % 20 {
                0 | 1 => next() % 50_000,
                2 => 12_000_000 + next() % 400_000_000,
                _ => 9_500_000 + next() % 1_000_000,
            })
            .collect()
    }

    #[test]
    fn the_window_holds_the_body_of_the_gaps_or_none_is_chosen() {
        let gaps = bimodal(100_000, 3);
        let start = counting_window(&gaps, WINDOW).expect("most gaps within one window");
        assert!((8_400_000..=9_600_000).contains(&start), "{start}");
        // A window too narrow for most of them, and gaps spread wide, are not counted.
        assert_eq!(counting_window(&gaps, 100_000), None);
        let mut next = random(4);
        let wide: Vec<u64> = (0..100_000).map(|_| next() % 3_000_000_000).collect();
        assert_eq!(counting_window(&wide, WINDOW), None);
        // All the same: counted from that value.
        assert_eq!(counting_window(&vec![42u32; 10_000], WINDOW), Some(42));
    }

    /// Pools counted with some gaps below and above the window, pools sorted whole (spread
    /// wide, or few), in both widths: each time what a sort of every gap gives.
    #[test]
    fn sorted_gaps_are_those_a_full_sort_gives() {
        let mut next = random(5);
        let pools: Vec<(Vec<u64>, bool)> = vec![
            (bimodal(70_000, 6), true),
            ([vec![42; 70_000], vec![41]].concat(), true),
            ((0..70_000).map(|_| next() % 3_000_000_000).collect(), false),
            (bimodal(5_000, 7), false),
            (vec![7], false),
            (vec![0, 0, u64::from(u32::MAX)], false),
        ];
        for (gaps, counted) in &pools {
            let mut pool = pool_of(gaps);
            pool.count_from(COUNTED_FROM, WINDOW);
            assert_eq!(pool.counted.is_some(), *counted);
            assert_eq!(pool.len(), gaps.len());
            let expected = reference(gaps);
            assert_eq!(sorted_as_is(pool), expected);
            assert_eq!(pool_of(gaps).take_sorted_ms(), expected);
            let wide: Vec<u64> = gaps.iter().map(|&g| g + (1 << 40)).collect();
            assert_eq!(pool_of(&wide).take_sorted_ms(), reference(&wide));
        }
        assert!(GapPool::default().take_sorted_ms().is_empty());
    }

    /// Gaps appended a piece at a time, as reading does: once the pool is long enough a window
    /// is chosen and the rest are counted as they come, only those outside it kept, whatever
    /// their width; the result is that of sorting them all.
    #[test]
    fn gaps_appended_after_the_window_is_chosen_are_counted_as_they_come() {
        let gaps = bimodal(60_000, 8);
        let mut pool = GapPool::default();
        let mut appended = Vec::new();
        for (i, piece) in gaps.chunks(7_000).enumerate() {
            let mut more = pool_of(piece);
            if i == 5 {
                more.extend(&[u64::from(u32::MAX) + 3]);
                appended.push(u64::from(u32::MAX) + 3);
            }
            appended.extend_from_slice(piece);
            pool.take_from(&mut more);
            assert!(more.is_empty());
            if i == 1 {
                // Long enough here (the threshold is lowered for the test).
                pool.count_from(10_000, WINDOW);
                assert!(pool.counted.is_some());
            }
        }
        assert_eq!(pool.len(), appended.len());
        let kept = pool.kept.len();
        assert!(
            kept < appended.len() / 5,
            "{kept} of {} kept",
            appended.len()
        );
        assert!(matches!(pool.kept, Widening::Wide(_)));
        assert_eq!(pool.take_sorted_ms(), reference(&appended));
    }

    /// A value counted past what 16 bits hold many times over, one past it once and one to it
    /// exactly: every count is whole when the milliseconds are written.
    #[test]
    fn counts_past_sixteen_bits_are_carried() {
        let mut gaps = vec![5_000_000_u64; 200_000];
        gaps.extend(std::iter::repeat_n(5_000_001, 65_537));
        gaps.extend(std::iter::repeat_n(5_000_002, 65_536));
        gaps.extend(bimodal(10_000, 10));
        let mut pool = GapPool::default();
        pool.extend(&gaps[..1_000]);
        pool.count_from(1_000, WINDOW);
        pool.extend(&gaps[1_000..]);
        let counted = pool.counted.as_ref().expect("a window");
        assert_eq!(counted.carries.len(), 3 + 1 + 1, "{:?}", counted.carries);
        assert_eq!(pool.len(), gaps.len());
        assert_eq!(pool.take_sorted_ms(), reference(&gaps));
    }

    #[test]
    fn gaps_become_milliseconds_block_by_block_in_their_order() {
        let mut next = random(5);
        let gaps: Vec<u64> = (0..2_500)
            .map(|_| next() % 3_000_000)
            .chain([u64::from(u32::MAX) + 1, 0])
            .collect();
        let expected: Vec<f64> = gaps.iter().map(|&g| g as f64 / 1e6).collect();
        let narrow: Vec<u32> = gaps.iter().map(|&g| g as u32).collect();
        let narrow_ms: Vec<f64> = narrow.iter().map(|&g| f64::from(g) / 1e6).collect();
        for block in [1, 7, 1000, 2_502, 5_000] {
            assert_eq!(to_ms_in(gaps.clone(), block), expected, "blocks of {block}");
            assert_eq!(
                to_ms_in(narrow.clone(), block),
                narrow_ms,
                "blocks of {block}"
            );
        }
        assert!(to_ms_in(Vec::<u32>::new(), 3).is_empty());
    }
}
