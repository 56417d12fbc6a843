//! Change detection for a series of nightly results: does the latest point leave the band that
//! the points before it define?
//!
//! # Method
//!
//! The baseline is the up to [`ChangeOptions::window`] points just before the last one. With its
//! median `m` and its median absolute deviation `MAD`, the band is
//! `m ± max(threshold · 1.4826 · MAD, min_relative · |m|)`: `1.4826 · MAD` estimates the standard
//! deviation of normal noise robustly (one bad night does not widen it), and the relative floor
//! keeps a very quiet history from flagging changes too small to matter. The last point above the
//! band is an [`Change::Increase`], below it a [`Change::Decrease`]; whether that is good depends
//! on the metric.

use serde::{Deserialize, Serialize};

use crate::error::{StatsError, check_finite};
use crate::quantile::quantile_sorted;

/// Scale from the MAD to the standard deviation of normal data (`1 / 0.6745`).
const MAD_TO_SD: f64 = 1.4826;

/// Fewest baseline points [`detect_change`] accepts.
pub const MIN_BASELINE: usize = 3;

/// Parameters of [`detect_change`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChangeOptions {
    /// How many points before the last form the baseline, at most (10 by default).
    pub window: usize,
    /// Band half-width in robust standard deviations (3.5 by default, the modified z-score limit).
    pub threshold: f64,
    /// Smallest relative change that counts, as a fraction of the baseline median (0.02 by
    /// default).
    pub min_relative: f64,
}

impl Default for ChangeOptions {
    fn default() -> Self {
        Self {
            window: 10,
            threshold: 3.5,
            min_relative: 0.02,
        }
    }
}

/// Direction of a detected change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The last point lies above the band.
    Increase,
    /// The last point lies below the band.
    Decrease,
    /// The last point lies within the band.
    Steady,
}

/// What [`detect_change`] found about the last point of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChangeCheck {
    /// The last point.
    pub last: f64,
    /// How many points formed the baseline.
    pub baseline_n: usize,
    /// Median of the baseline.
    pub baseline_median: f64,
    /// Median absolute deviation of the baseline (unscaled).
    pub baseline_mad: f64,
    /// `(last - median) / (1.4826 · MAD)`; `None` when the MAD is zero.
    pub robust_z: Option<f64>,
    /// `(last - median) / |median|`; `None` when the median is zero.
    pub relative_change: Option<f64>,
    /// The band `[lower, upper]`.
    pub band: [f64; 2],
    /// Where the last point lies against the band.
    pub change: Change,
}

/// Checks whether the last point of `series` departs from the points before it (see the module
/// docs). Needs [`MIN_BASELINE`] points before the last, all finite.
///
/// ```
/// use bench_stats::{Change, ChangeOptions, detect_change};
/// let nightly = [101.0, 99.0, 100.0, 102.0, 98.0, 100.0, 101.0, 115.0];
/// let check = detect_change(&nightly, ChangeOptions::default())?;
/// assert_eq!(check.change, Change::Increase);
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn detect_change(series: &[f64], options: ChangeOptions) -> Result<ChangeCheck, StatsError> {
    check_options(options)?;
    check_finite(series)?;
    let Some((&last, history)) = series.split_last() else {
        return Err(StatsError::Empty);
    };
    let baseline_n = history.len().min(options.window);
    if baseline_n < MIN_BASELINE {
        return Err(StatsError::TooFewValues {
            what: "change detection (points before the last)",
            needed: MIN_BASELINE + 1,
            got: series.len(),
        });
    }
    let mut baseline = history[history.len() - baseline_n..].to_vec();
    baseline.sort_unstable_by(f64::total_cmp);
    let median = quantile_sorted(&baseline, 0.5);
    let mut deviations: Vec<f64> = baseline.iter().map(|v| (v - median).abs()).collect();
    deviations.sort_unstable_by(f64::total_cmp);
    let mad = quantile_sorted(&deviations, 0.5);
    let robust_sd = MAD_TO_SD * mad;
    let half_width = (options.threshold * robust_sd).max(options.min_relative * median.abs());
    let band = [median - half_width, median + half_width];
    let change = if last > band[1] {
        Change::Increase
    } else if last < band[0] {
        Change::Decrease
    } else {
        Change::Steady
    };
    Ok(ChangeCheck {
        last,
        baseline_n,
        baseline_median: median,
        baseline_mad: mad,
        robust_z: (robust_sd > 0.0).then(|| (last - median) / robust_sd),
        relative_change: (median != 0.0).then(|| (last - median) / median.abs()),
        band,
        change,
    })
}

fn check_options(options: ChangeOptions) -> Result<(), StatsError> {
    if options.window < MIN_BASELINE {
        return Err(StatsError::InvalidParameter {
            name: "change window",
            value: options.window as f64,
            expected: "at least 3 points",
        });
    }
    for (name, value) in [
        ("change threshold", options.threshold),
        ("minimum relative change", options.min_relative),
    ] {
        if !(value >= 0.0 && value.is_finite()) {
            return Err(StatsError::InvalidParameter {
                name,
                value,
                expected: "a finite number >= 0",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    const HISTORY: [f64; 7] = [101.0, 99.0, 100.0, 102.0, 98.0, 100.0, 101.0];

    fn with_last(last: f64) -> Vec<f64> {
        let mut s = HISTORY.to_vec();
        s.push(last);
        s
    }

    // HISTORY: median 100, |deviations| [1, 1, 0, 2, 2, 0, 1] -> MAD 1;
    // band 100 ± max(3.5 · 1.4826, 2) = 100 ± 5.1891.
    #[test]
    fn band_from_median_and_mad() {
        let c = detect_change(&with_last(105.0), ChangeOptions::default()).unwrap();
        assert_eq!(
            (c.baseline_median, c.baseline_mad, c.baseline_n),
            (100.0, 1.0, 7)
        );
        assert_relative_eq!(c.band[1], 105.1891, max_relative = 1e-12);
        assert_relative_eq!(c.robust_z.unwrap(), 5.0 / 1.4826, max_relative = 1e-12);
        assert_relative_eq!(c.relative_change.unwrap(), 0.05, max_relative = 1e-12);
        assert_eq!(c.change, Change::Steady);
        let up = detect_change(&with_last(105.2), ChangeOptions::default()).unwrap();
        assert_eq!(up.change, Change::Increase);
        let down = detect_change(&with_last(94.0), ChangeOptions::default()).unwrap();
        assert_eq!(down.change, Change::Decrease);
    }

    #[test]
    fn relative_floor_guards_a_flat_history() {
        let flat = [50.0, 50.0, 50.0, 50.0, 50.5];
        let c = detect_change(&flat, ChangeOptions::default()).unwrap();
        assert_eq!(
            (c.baseline_mad, c.robust_z, c.change),
            (0.0, None, Change::Steady)
        );
        let c = detect_change(&[50.0, 50.0, 50.0, 50.0, 52.0], ChangeOptions::default()).unwrap();
        assert_eq!(c.change, Change::Increase);
    }

    #[test]
    fn window_limits_the_baseline() {
        // An old regime at 10 falls outside a window of 3.
        let s = [10.0, 10.0, 10.0, 100.0, 101.0, 99.0, 100.0];
        let opts = ChangeOptions {
            window: 3,
            ..Default::default()
        };
        let c = detect_change(&s, opts).unwrap();
        assert_eq!(
            (c.baseline_n, c.baseline_median, c.change),
            (3, 100.0, Change::Steady)
        );
    }

    #[test]
    fn refuses_short_or_bad_input() {
        let opts = ChangeOptions::default();
        assert!(matches!(
            detect_change(&[1.0, 2.0, 3.0], opts),
            Err(StatsError::TooFewValues { .. })
        ));
        assert_eq!(detect_change(&[], opts), Err(StatsError::Empty));
        assert!(detect_change(&[1.0, f64::NAN, 1.0, 1.0], opts).is_err());
        let bad = ChangeOptions { window: 2, ..opts };
        assert!(detect_change(&with_last(1.0), bad).is_err());
    }
}
