//! Warm-up and adaptive-stopping checks: has a series settled, and is the mean known precisely
//! enough to stop measuring.

use crate::describe::{cv_of, mean_ci};
use crate::sample::Sample;

/// Whether the last `window` values have settled: their coefficient of variation
/// (`sd / |mean|`, divisor `n - 1`) is below `threshold`.
///
/// False while fewer than `window` values exist, for `window < 2`, for a zero mean, and when the
/// window holds a NaN or infinite value.
///
/// ```
/// use bench_stats::cv_settled;
/// let warming = [30.0, 22.0, 15.0, 10.2, 10.0, 10.1, 9.9];
/// assert!(!cv_settled(&warming[..5], 4, 0.02));
/// assert!(cv_settled(&warming, 4, 0.02));
/// ```
pub fn cv_settled(values: &[f64], window: usize, threshold: f64) -> bool {
    if window < 2 || values.len() < window {
        return false;
    }
    let tail = &values[values.len() - window..];
    if tail.iter().any(|v| !v.is_finite()) {
        return false;
    }
    cv_of(tail).is_some_and(|cv| cv < threshold)
}

/// Whether the 95% t confidence interval of the mean is narrow enough: its half-width divided by
/// `|mean|` is below `target_relative` (0.01 for "within ±1%"). False for a single value or a zero
/// mean.
///
/// ```
/// use bench_stats::{Sample, ci_half_width_below};
/// let s = Sample::new(vec![100.0, 101.0, 99.0, 100.5, 99.5])?;
/// assert!(ci_half_width_below(&s, 0.02));
/// assert!(!ci_half_width_below(&s, 0.005));
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn ci_half_width_below(sample: &Sample, target_relative: f64) -> bool {
    let Ok(ci) = mean_ci(sample, 0.95) else {
        return false;
    };
    let m = ci.estimate.abs();
    m > 0.0 && ci.half_width() / m < target_relative
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cv_window_edge_cases() {
        assert!(!cv_settled(&[1.0, 1.0], 3, 0.1));
        assert!(!cv_settled(&[1.0, 1.0, 1.0], 1, 0.1));
        assert!(cv_settled(&[1.0, 1.0, 1.0], 3, 0.1));
        assert!(!cv_settled(&[-1.0, 1.0], 2, 0.1));
        assert!(!cv_settled(&[1.0, f64::NAN, 1.0], 2, 0.1));
        assert!(cv_settled(&[f64::NAN, 1.0, 1.0], 2, 0.1));
        // Only the window counts: a wild start does not matter.
        assert!(cv_settled(&[1000.0, 1.0, 1.0, 1.0], 3, 0.1));
    }

    // [10, 12]: mean 11, sd sqrt(2), cv 0.12856
    #[test]
    fn cv_threshold_is_strict() {
        assert!(cv_settled(&[10.0, 12.0], 2, 0.1286));
        assert!(!cv_settled(&[10.0, 12.0], 2, 0.1285));
    }

    // scipy: x = [100, 101, 99, 100.5, 99.5]; lo, hi = stats.t.interval(0.95, 4, loc=100,
    //   scale=stats.sem(x)); (hi - lo) / 2 / 100 = 0.00981621580738775
    #[test]
    fn ci_target_is_relative_to_the_mean() {
        let s = Sample::new(vec![100.0, 101.0, 99.0, 100.5, 99.5]).unwrap();
        assert!(ci_half_width_below(&s, 0.0099));
        assert!(!ci_half_width_below(&s, 0.0098));
        assert!(!ci_half_width_below(&Sample::new(vec![5.0]).unwrap(), 1.0));
        assert!(!ci_half_width_below(
            &Sample::new(vec![-1.0, 1.0]).unwrap(),
            1e9
        ));
    }
}
