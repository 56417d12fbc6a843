//! Statistics across a campaign's cycles: each run gives one value per engine and metric (its
//! median); over the cycles these are summarised by their mean, sd and the t interval of the
//! mean.

use bench_stats::{Sample, mean_ci, sd};
use serde::{Deserialize, Serialize};

/// Confidence level of the interval across cycles.
pub const LEVEL: f64 = 0.95;

/// One metric of one engine in one experiment, over its cycles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcrossCycles {
    /// Mean of the runs' values.
    pub mean: f64,
    /// Sample standard deviation (n - 1); absent with one cycle.
    pub sd: Option<f64>,
    /// 95% t interval of the mean (lower, upper); absent with one cycle.
    pub ci95: Option<[f64; 2]>,
    /// Cycles that gave a value.
    pub n: usize,
    /// The runs' values, in cycle order.
    pub values: Vec<f64>,
}

/// The summary of `values` (one per cycle); `None` when there is none or one is not a number.
pub fn across_cycles(values: &[f64]) -> Option<AcrossCycles> {
    let sample = Sample::new(values.to_vec()).ok()?;
    let ci = mean_ci(&sample, LEVEL).ok();
    Some(AcrossCycles {
        mean: bench_stats::mean(&sample),
        sd: sd(&sample),
        ci95: ci.map(|i| [i.lower, i.upper]),
        n: values.len(),
        values: values.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_sd_and_t_interval_of_three_medians_by_hand() {
        // Medians 10, 12, 14: mean 12; deviations -2, 0, 2, so sd = sqrt(8 / 2) = 2;
        // t(0.975, 2 df) = 4.302652729749464, half-width 4.3027 * 2 / sqrt(3) = 4.968275.
        let s = across_cycles(&[10.0, 12.0, 14.0]).expect("three values");
        assert!((s.mean - 12.0).abs() < 1e-12);
        assert!((s.sd.expect("sd") - 2.0).abs() < 1e-12);
        let [lo, hi] = s.ci95.expect("interval");
        let half = 4.302_652_729_749_464 * 2.0 / 3f64.sqrt();
        assert!((lo - (12.0 - half)).abs() < 1e-6, "{lo}");
        assert!((hi - (12.0 + half)).abs() < 1e-6, "{hi}");
        assert_eq!(s.n, 3);
    }

    #[test]
    fn one_cycle_has_a_mean_and_no_spread_and_nothing_has_nothing() {
        let s = across_cycles(&[7.5]).expect("one value");
        assert_eq!((s.mean, s.sd, s.ci95, s.n), (7.5, None, None, 1));
        assert!(across_cycles(&[]).is_none());
        assert!(across_cycles(&[1.0, f64::NAN]).is_none());
    }
}
