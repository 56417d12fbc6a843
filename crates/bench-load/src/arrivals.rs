//! Open-loop send times, precomputed from the seed before the run starts.
//!
//! Gaps are drawn with unit mean (constant 1, exponential, or gamma with the given shape and
//! scale 1/shape), summed into an expected-arrival count `u`, and mapped to time through the
//! inverse of the cumulative rate. With a linear ramp from 0 to `rate` over `ramp` seconds,
//! the cumulative rate is `rate t^2 / (2 ramp)` during the ramp and `rate (t - ramp/2)` after.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1, Gamma};
use shared_protocol::Arrival;

/// An open-loop shape that cannot be scheduled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("rate_rps must be positive and finite, got {0}")]
    Rate(f64),
    #[error("ramp_up_s must be zero or positive and finite, got {0}")]
    Ramp(f64),
    #[error("gamma shape must be positive and finite, got {0}")]
    Shape(f64),
}

/// Offsets from the run's start, in nanoseconds, one per request, non-decreasing; the first
/// request goes at 0.
pub fn offsets_ns(
    n: usize,
    rate_rps: f64,
    arrival: Arrival,
    seed: u64,
    ramp_up_s: f64,
) -> Result<Vec<u64>, ScheduleError> {
    if !(rate_rps.is_finite() && rate_rps > 0.0) {
        return Err(ScheduleError::Rate(rate_rps));
    }
    if !(ramp_up_s.is_finite() && ramp_up_s >= 0.0) {
        return Err(ScheduleError::Ramp(ramp_up_s));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let gamma = match arrival {
        Arrival::Gamma { shape } => {
            if !(shape.is_finite() && shape > 0.0) {
                return Err(ScheduleError::Shape(shape));
            }
            Some(Gamma::new(shape, 1.0 / shape).map_err(|_| ScheduleError::Shape(shape))?)
        }
        _ => None,
    };
    let mut u = 0.0f64;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 {
            u += match (arrival, &gamma) {
                (Arrival::Constant, _) => 1.0,
                (_, Some(g)) => g.sample(&mut rng),
                _ => Exp1.sample(&mut rng),
            };
        }
        out.push((time_s(u, rate_rps, ramp_up_s) * 1e9).round() as u64);
    }
    Ok(out)
}

/// Inverse of the cumulative rate: the time at which `u` arrivals are expected.
fn time_s(u: f64, rate: f64, ramp: f64) -> f64 {
    let ramp_count = rate * ramp / 2.0;
    if u < ramp_count {
        (2.0 * ramp * u / rate).sqrt()
    } else {
        u / rate + ramp / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_rate_is_evenly_spaced() {
        let t = offsets_ns(5, 4.0, Arrival::Constant, 0, 0.0).expect("valid");
        assert_eq!(
            t,
            vec![0, 250_000_000, 500_000_000, 750_000_000, 1_000_000_000]
        );
    }

    #[test]
    fn poisson_is_seeded_and_has_the_right_mean() {
        let a = offsets_ns(20_000, 100.0, Arrival::Poisson, 7, 0.0).expect("valid");
        let b = offsets_ns(20_000, 100.0, Arrival::Poisson, 7, 0.0).expect("valid");
        let c = offsets_ns(20_000, 100.0, Arrival::Poisson, 8, 0.0).expect("valid");
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mean_gap_s = a[a.len() - 1] as f64 / 1e9 / (a.len() - 1) as f64;
        assert!((mean_gap_s - 0.01).abs() < 0.0005, "mean gap {mean_gap_s}");
        assert!(a.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn bursty_gamma_has_a_larger_spread_than_poisson() {
        let cv = |t: &[u64]| {
            let gaps: Vec<f64> = t.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
            let m = gaps.iter().sum::<f64>() / gaps.len() as f64;
            let var = gaps.iter().map(|g| (g - m).powi(2)).sum::<f64>() / gaps.len() as f64;
            var.sqrt() / m
        };
        let p = offsets_ns(20_000, 10.0, Arrival::Poisson, 1, 0.0).expect("valid");
        let g = offsets_ns(20_000, 10.0, Arrival::Gamma { shape: 0.25 }, 1, 0.0).expect("valid");
        assert!((cv(&p) - 1.0).abs() < 0.05, "poisson cv {}", cv(&p));
        assert!(cv(&g) > 1.7, "gamma(0.25) cv {}", cv(&g));
    }

    #[test]
    fn ramp_starts_slow_and_reaches_the_rate() {
        // 10 rps ramping over 10 s: 50 arrivals expected during the ramp.
        let t = offsets_ns(101, 10.0, Arrival::Constant, 0, 10.0).expect("valid");
        assert!(t[1] > 1_000_000_000, "first gap {} ns", t[1]);
        assert_eq!(t[50], 10_000_000_000);
        assert_eq!(t[100] - t[99], 100_000_000);
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(offsets_ns(1, 0.0, Arrival::Poisson, 0, 0.0).is_err());
        assert!(offsets_ns(1, 1.0, Arrival::Poisson, 0, -1.0).is_err());
        assert!(offsets_ns(1, 1.0, Arrival::Gamma { shape: 0.0 }, 0, 0.0).is_err());
    }
}
