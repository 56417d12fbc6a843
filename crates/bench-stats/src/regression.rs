//! Ordinary least squares of y on one x, linear and with y on a log scale.

use serde::{Deserialize, Serialize};

use crate::describe::mean_of;
use crate::error::{StatsError, check_finite};

/// A fitted line `y = intercept + slope · x`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Regression {
    /// Change in y per unit of x.
    pub slope: f64,
    /// y at `x = 0`.
    pub intercept: f64,
    /// Coefficient of determination in `[0, 1]`; 0 when y is constant (as scipy's `linregress`).
    pub r2: f64,
    /// Number of points.
    pub n: usize,
    /// Mean of the fitted y (of `ln y` for [`ols_log_y`]).
    pub mean_y: f64,
}

impl Regression {
    /// The fitted y at `x`.
    pub fn predict(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }
}

/// Fits `y = intercept + slope · x` by ordinary least squares.
///
/// Fails when the inputs differ in length, hold fewer than two points or a non-finite value, or
/// when every x is the same.
///
/// ```
/// use bench_stats::ols;
/// let fit = ols(&[1.0, 2.0, 3.0], &[3.0, 5.0, 7.0])?;
/// assert_eq!((fit.slope, fit.intercept, fit.r2), (2.0, 1.0, 1.0));
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn ols(x: &[f64], y: &[f64]) -> Result<Regression, StatsError> {
    if x.len() != y.len() {
        return Err(StatsError::LengthMismatch {
            left: x.len(),
            right: y.len(),
        });
    }
    if x.len() < 2 {
        return Err(StatsError::TooFewValues {
            what: "a regression",
            needed: 2,
            got: x.len(),
        });
    }
    check_finite(x)?;
    check_finite(y)?;
    // Checked on the values, not on the computed variance, which rounding can leave non-zero.
    let lowest = x.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lowest >= highest {
        return Err(StatsError::ZeroVarianceX(x[0]));
    }
    let (mean_x, mean_y) = (mean_of(x), mean_of(y));
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for (&xi, &yi) in x.iter().zip(y) {
        let (dx, dy) = (xi - mean_x, yi - mean_y);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    let slope = sxy / sxx;
    let r2 = if syy > 0.0 {
        (sxy * sxy / (sxx * syy)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Ok(Regression {
        slope,
        intercept: mean_y - slope * mean_x,
        r2,
        n: x.len(),
        mean_y,
    })
}

/// Fits `ln y = intercept + slope · x`, that is `y = e^intercept · e^(slope · x)`: growth by a
/// constant factor `e^slope` per unit of x. Every y must be positive.
pub fn ols_log_y(x: &[f64], y: &[f64]) -> Result<Regression, StatsError> {
    check_finite(y)?;
    if let Some(index) = y.iter().position(|&v| v <= 0.0) {
        return Err(StatsError::NonPositive {
            index,
            value: y[index],
        });
    }
    let ln_y: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    ols(x, &ln_y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    // scipy 1.17: stats.linregress([1, 2, 3, 4, 5, 6], [2.1, 3.9, 6.2, 7.8, 10.1, 12.2])
    // -> slope 2.0199999999999996, intercept -0.019999999999998685, rvalue**2 0.9982106661074996
    #[test]
    fn matches_scipy_linregress() {
        let fit = ols(&[1., 2., 3., 4., 5., 6.], &[2.1, 3.9, 6.2, 7.8, 10.1, 12.2]).unwrap();
        assert_relative_eq!(fit.slope, 2.02, max_relative = 1e-12);
        assert_relative_eq!(fit.intercept, -0.02, max_relative = 1e-9);
        assert_relative_eq!(fit.r2, 0.998_210_666_107_499_6, max_relative = 1e-12);
        assert_eq!(fit.n, 6);
        assert_relative_eq!(fit.mean_y, 42.3 / 6.0, max_relative = 1e-12);
    }

    #[test]
    fn log_fit_recovers_exponential_growth() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y: Vec<f64> = x.iter().map(|&v| 5.0 * 1.5f64.powf(v)).collect();
        let fit = ols_log_y(&x, &y).unwrap();
        assert_relative_eq!(fit.slope.exp(), 1.5, max_relative = 1e-12);
        assert_relative_eq!(fit.intercept.exp(), 5.0, max_relative = 1e-12);
        assert!(matches!(
            ols_log_y(&x, &[1.0, 0.0, 2.0, 3.0]),
            Err(StatsError::NonPositive { index: 1, .. })
        ));
    }

    #[test]
    fn refuses_degenerate_input() {
        assert!(matches!(
            ols(&[1.0], &[1.0]),
            Err(StatsError::TooFewValues { .. })
        ));
        assert!(matches!(
            ols(&[1.0, 2.0], &[1.0]),
            Err(StatsError::LengthMismatch { .. })
        ));
        assert_eq!(
            ols(&[0.1; 3], &[1.0, 2.0, 3.0]),
            Err(StatsError::ZeroVarianceX(0.1))
        );
        assert!(matches!(
            ols(&[1.0, f64::NAN], &[1.0, 2.0]),
            Err(StatsError::NonFinite { .. })
        ));
    }

    #[test]
    fn constant_y_has_zero_slope_and_r2() {
        let fit = ols(&[1.0, 2.0, 3.0], &[4.0, 4.0, 4.0]).unwrap();
        assert_eq!((fit.slope, fit.intercept, fit.r2), (0.0, 4.0, 0.0));
    }

    proptest! {
        #[test]
        fn recovers_an_exact_line(
            slope in -1e3f64..1e3,
            intercept in -1e3f64..1e3,
            mut x in prop::collection::vec(-1e3f64..1e3, 2..50),
        ) {
            x.dedup();
            prop_assume!(x.iter().any(|&v| (v - x[0]).abs() > 1e-3));
            prop_assume!(slope.abs() > 1e-3);
            let y: Vec<f64> = x.iter().map(|&v| intercept + slope * v).collect();
            let fit = ols(&x, &y).unwrap();
            let scale = slope.abs().max(1.0);
            prop_assert!((fit.slope - slope).abs() <= 1e-6 * scale);
            prop_assert!((fit.intercept - intercept).abs() <= 1e-6 * (intercept.abs() + 1e3 * scale));
            prop_assert!(fit.r2 > 1.0 - 1e-9);
        }
    }
}
