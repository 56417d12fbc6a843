//! Quantiles by linear interpolation between closest ranks, and the rule for when a sample is
//! large enough to report a tail quantile.
//!
//! # Definition
//!
//! For sorted values `x[0] <= ... <= x[n-1]` and `q` in `[0, 1]`, let `h = (n - 1) q`,
//! `i = floor(h)`. The q-quantile is `x[i] + (h - i) (x[i+1] - x[i])` (and `x[n-1]` when
//! `i = n - 1`). This is Hyndman and Fan's definition 7, the default of numpy's
//! `np.quantile`/`np.percentile` (`method="linear"`), R's `quantile(type = 7)` and Excel's
//! `PERCENTILE.INC`.
//!
//! # Tail support
//!
//! A q-quantile with `q` near 1 is an extrapolation unless some observations lie above it. A
//! sample of `n` supports the q-quantile when at least [`TAIL_MIN_EXCEEDANCES`] observations are
//! expected above it: `n (1 - q) >= 1`, that is `n >= 1 / (1 - q)`. So p90 needs 10 values,
//! p95 20, p99 100 and p99.9 1000.

use crate::error::StatsError;
use crate::sample::Sample;

/// Expected count of observations above a tail quantile for the sample to support it.
pub const TAIL_MIN_EXCEEDANCES: f64 = 1.0;

/// The q-quantile (`q` in `[0, 1]`) by linear interpolation (see the module docs).
///
/// ```
/// use bench_stats::{Sample, quantile};
/// let s = Sample::new(vec![1.0, 2.0, 3.0, 4.0])?;
/// assert_eq!(quantile(&s, 0.5)?, 2.5);
/// assert_eq!(quantile(&s, 0.25)?, 1.75); // np.quantile([1, 2, 3, 4], 0.25) == 1.75
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn quantile(sample: &Sample, q: f64) -> Result<f64, StatsError> {
    check_quantile(q)?;
    Ok(quantile_sorted(sample.sorted(), q))
}

/// The median: the 0.5-quantile.
pub fn median(sample: &Sample) -> f64 {
    quantile_sorted(sample.sorted(), 0.5)
}

/// Whether a sample of `n` values supports reporting the q-quantile: `n (1 - q) >= 1`.
///
/// ```
/// use bench_stats::tail_supported;
/// assert!(!tail_supported(99, 0.99));
/// assert!(tail_supported(100, 0.99));
/// assert!(!tail_supported(999, 0.999));
/// assert!(tail_supported(1000, 0.999));
/// ```
pub fn tail_supported(n: usize, q: f64) -> bool {
    // The tolerance absorbs rounding in `1 - q` (1 - 0.99 is not exactly 0.01).
    q < 1.0 && n as f64 * (1.0 - q) >= TAIL_MIN_EXCEEDANCES * (1.0 - 1e-9)
}

/// Refuses a quantile outside `[0, 1]` (or NaN).
pub(crate) fn check_quantile(q: f64) -> Result<(), StatsError> {
    if (0.0..=1.0).contains(&q) {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name: "quantile",
            value: q,
            expected: "a number in [0, 1]",
        })
    }
}

/// The q-quantile of values already sorted ascending; `q` must lie in `[0, 1]` and `sorted` must
/// be non-empty.
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    quantile_by_rank(sorted.len(), q, |i| sorted[i])
}

/// The q-quantile (`q` in `[0, 1]`) of `n >= 1` values known by rank: `nth(i)` is the `i`-th
/// smallest (from 0). Only the one or two ranks the quantile interpolates between are asked
/// for, so a caller that can find a rank without sorting (the median of the deviations in
/// [`crate::outliers`]) gets exactly the value [`quantile_sorted`] would give.
pub(crate) fn quantile_by_rank(n: usize, q: f64, nth: impl Fn(usize) -> f64) -> f64 {
    debug_assert!(n > 0 && (0.0..=1.0).contains(&q));
    let h = (n - 1) as f64 * q;
    let i = (h.floor() as usize).min(n - 1);
    if i + 1 == n {
        return nth(i);
    }
    let (lower, upper) = (nth(i), nth(i + 1));
    // The clamp keeps rounding from stepping outside the bracketing values, which keeps the
    // result monotone in q and within [min, max].
    (lower + (h - i as f64) * (upper - lower)).clamp(lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Reference values from numpy 2.4 (default method="linear"):
    //   import numpy as np
    //   x = [15, 20, 35, 40, 50, 7, 1, 100, 3, 42]
    //   print([np.quantile(x, q) for q in [0, .25, .5, .9, .95, .99, .999, 1]])
    // -> [1, 9.0, 27.5, 54.999999999999986, 77.49999999999994, 95.5, 99.54999999999998, 100]
    #[test]
    fn matches_numpy_linear_definition() {
        let s = Sample::new(vec![15., 20., 35., 40., 50., 7., 1., 100., 3., 42.]).unwrap();
        let expect = [
            (0.0, 1.0),
            (0.25, 9.0),
            (0.5, 27.5),
            (0.9, 55.0),
            (0.95, 77.5),
            (0.99, 95.5),
            (0.999, 99.55),
            (1.0, 100.0),
        ];
        for (q, want) in expect {
            let got = quantile(&s, q).unwrap();
            approx::assert_relative_eq!(got, want, max_relative = 1e-12);
        }
    }

    #[test]
    fn single_value_is_every_quantile() {
        let s = Sample::new(vec![4.2]).unwrap();
        for q in [0.0, 0.3, 0.5, 1.0] {
            assert_eq!(quantile(&s, q).unwrap(), 4.2);
        }
    }

    #[test]
    fn refuses_quantile_outside_unit_interval() {
        let s = Sample::new(vec![1.0]).unwrap();
        for q in [-0.1, 1.1, f64::NAN] {
            assert!(quantile(&s, q).is_err());
        }
    }

    #[test]
    fn tail_rule_thresholds() {
        for (q, n) in [(0.9, 10), (0.95, 20), (0.99, 100), (0.999, 1000)] {
            assert!(!tail_supported(n - 1, q), "q={q} n={}", n - 1);
            assert!(tail_supported(n, q), "q={q} n={n}");
        }
        assert!(!tail_supported(usize::MAX, 1.0));
    }

    proptest! {
        #[test]
        fn monotone_in_q_and_within_range(
            values in prop::collection::vec(-1e6f64..1e6, 1..200),
            mut qs in prop::collection::vec(0.0f64..=1.0, 2..20),
        ) {
            let s = Sample::new(values).unwrap();
            qs.sort_by(f64::total_cmp);
            let results: Vec<f64> = qs.iter().map(|&q| quantile(&s, q).unwrap()).collect();
            for pair in results.windows(2) {
                prop_assert!(pair[0] <= pair[1], "{results:?} for {qs:?}");
            }
            for r in results {
                prop_assert!(s.min() <= r && r <= s.max());
            }
            prop_assert_eq!(quantile(&s, 0.0).unwrap(), s.min());
            prop_assert_eq!(quantile(&s, 1.0).unwrap(), s.max());
        }
    }
}
