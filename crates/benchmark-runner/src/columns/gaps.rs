//! A label's pooled inter-token gaps ([`GapPool`]), and how they become the `itl_ms` metric's
//! values: sorted, in milliseconds.
//!
//! At a million requests a pool holds tens of millions of gaps, most of them within a few
//! milliseconds of each other (a decode step takes about as long each time), so they are sorted
//! by counting: a few thousand gaps spread through the pool choose the window of 2^21
//! consecutive nanoseconds that holds the most of them; one pass counts each value in it, and
//! the sorted milliseconds are written value by value, each converted once. The gaps below and
//! above the window are sorted apart (a radix sort) and go before and after the counted ones. A
//! pool whose gaps spread too wide for one window to hold most of them is radix-sorted whole
//! instead, as is a short one. Either way the result is that of sorting every gap and converting
//! each, as the conversion never reverses two values.

use super::widening::Widening;
use crate::metrics::gap_ms;

/// Gaps in nanoseconds, in 32 bits until one needs more.
pub type GapPool = Widening<u32>;

impl GapPool {
    /// The gaps in milliseconds, as the `itl_ms` metric defines them, sorted ascending; the pool
    /// is left empty.
    pub fn take_sorted_ms(&mut self) -> Vec<f64> {
        match std::mem::take(self) {
            GapPool::Narrow(gaps) => sorted_ms(gaps, WINDOW),
            GapPool::Wide(gaps) => sorted_ms(gaps, WINDOW),
        }
    }
}

/// The counting window, in nanoseconds: 8 MB of counts, which stay in a processor's cache (a
/// wider table would make each count a trip to memory, slower than sorting).
const WINDOW: u64 = 1 << 21;
/// Pools shorter than this are sorted whole: counting would save little.
const COUNTED_FROM: usize = 1 << 16;
/// How many gaps, evenly spaced through the pool, choose the window.
const PROBES: usize = 4096;
/// The share of the probes the window must hold for the pool to be counted.
const COUNTED_SHARE: f64 = 0.75;

/// `gaps` sorted ascending and made milliseconds (see the module's description), counting those
/// in the `window` nanoseconds that hold most of them; `gaps` is given back once counted.
fn sorted_ms<T>(gaps: Vec<T>, window: u64) -> Vec<f64>
where
    T: Copy + Into<u64> + bench_stats::RadixKey,
{
    let len = gaps.len();
    // A value cannot be counted more often than a count holds (a pool that long is 16 GiB).
    let Some(start) = (u32::try_from(len).is_ok() && len >= COUNTED_FROM)
        .then(|| counting_window(&gaps, window))
        .flatten()
    else {
        let mut gaps = gaps;
        bench_stats::sort_unsigned(&mut gaps);
        return to_ms(gaps);
    };
    let mut counts = vec![0u32; window as usize];
    let (mut below, mut above): (Vec<T>, Vec<T>) = (Vec::new(), Vec::new());
    for &g in &gaps {
        let g64: u64 = g.into();
        match g64.checked_sub(start) {
            None => below.push(g),
            Some(at) => match usize::try_from(at).ok().and_then(|at| counts.get_mut(at)) {
                Some(count) => *count += 1,
                None => above.push(g),
            },
        }
    }
    drop(gaps);
    bench_stats::sort_unsigned(&mut below);
    bench_stats::sort_unsigned(&mut above);
    let mut ms = Vec::with_capacity(len);
    ms.extend(below.iter().map(|&g| gap_ms(g.into())));
    drop(below);
    for (at, &count) in (start..).zip(&counts) {
        if count > 0 {
            ms.extend(std::iter::repeat_n(gap_ms(at), count as usize));
        }
    }
    drop(counts);
    ms.extend(above.iter().map(|&g| gap_ms(g.into())));
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

    #[test]
    fn gaps_widen_when_one_needs_more_than_32_bits() {
        let mut pool = GapPool::default();
        pool.extend(&[1, 2_000_000]);
        assert!(matches!(pool, GapPool::Narrow(_)));
        let long = u64::from(u32::MAX) + 7;
        pool.extend(&[3, long, 4]);
        assert!(matches!(pool, GapPool::Wide(_)));
        pool.extend(&[5]);
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

    /// Gaps counted with some below and above the window, gaps sorted whole (spread wide, or
    /// few), in both widths: each time what a sort of every gap gives.
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
            assert_eq!(
                gaps.len() >= COUNTED_FROM && counting_window(gaps, WINDOW).is_some(),
                *counted
            );
            let expected = reference(gaps);
            let narrow: Vec<u32> = gaps.iter().map(|&g| g as u32).collect();
            assert_eq!(sorted_ms(narrow, WINDOW), expected);
            assert_eq!(sorted_ms(gaps.clone(), WINDOW), expected);
            let wide: Vec<u64> = gaps.iter().map(|&g| g + (1 << 40)).collect();
            assert_eq!(sorted_ms(wide.clone(), WINDOW), reference(&wide));
        }
        assert!(sorted_ms(Vec::<u32>::new(), WINDOW).is_empty());
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
