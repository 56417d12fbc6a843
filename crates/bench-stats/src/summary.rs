//! [`Summary`]: the descriptive statistics of one sample, in the flat shape `summary.json` stores.

use serde::{Deserialize, Serialize};

use crate::describe::Moments;
use crate::quantile::{quantile_sorted, tail_supported};
use crate::sample::Sample;

/// Descriptive statistics of one sample. Field names are part of the results format: keep them.
///
/// Percentiles follow [`crate::quantile()`] (numpy's default linear interpolation). Fields that a
/// sample cannot determine are `None` (`null` in JSON): `sd` and `cv` need two values (`cv` also
/// a non-zero mean), `ci95` needs two values. Tail percentiles are always computed; [`tail`]
/// says whether the sample is large enough to trust them.
///
/// [`tail`]: Summary::tail
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (divisor `n - 1`).
    pub sd: Option<f64>,
    /// Coefficient of variation, `sd / |mean|`.
    pub cv: Option<f64>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p99_9: f64,
    /// 95% t-based confidence interval of the mean, `[lower, upper]`.
    pub ci95: Option<[f64; 2]>,
    /// Whether `n` supports each tail percentile.
    pub tail: TailSupport,
}

/// Whether a sample is large enough for each tail percentile: the q-quantile needs
/// `n >= 1 / (1 - q)` (see [`tail_supported`]), so p90 needs 10 values, p95 20, p99 100 and
/// p99.9 1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent flags, one per tail percentile, read as plain JSON booleans"
)]
pub struct TailSupport {
    /// `n >= 10`.
    pub p90_supported: bool,
    /// `n >= 20`.
    pub p95_supported: bool,
    /// `n >= 100`.
    pub p99_supported: bool,
    /// `n >= 1000`.
    pub p99_9_supported: bool,
}

impl TailSupport {
    /// The flags for a sample of `n` values.
    pub fn for_len(n: usize) -> Self {
        Self {
            p90_supported: tail_supported(n, 0.90),
            p95_supported: tail_supported(n, 0.95),
            p99_supported: tail_supported(n, 0.99),
            p99_9_supported: tail_supported(n, 0.999),
        }
    }
}

/// Computes the [`Summary`] of a sample.
///
/// ```
/// use bench_stats::{Sample, summarize};
/// let s = summarize(&Sample::new((1..=100).map(f64::from).collect())?);
/// assert_eq!((s.n, s.mean, s.p50), (100, 50.5, 50.5));
/// assert!(s.tail.p99_supported && !s.tail.p99_9_supported);
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn summarize(sample: &Sample) -> Summary {
    let sorted = sample.sorted();
    let moments = Moments::of(sample);
    Summary {
        n: sample.len(),
        mean: moments.mean,
        sd: moments.sd,
        cv: moments.cv,
        min: sample.min(),
        max: sample.max(),
        p50: quantile_sorted(sorted, 0.50),
        p90: quantile_sorted(sorted, 0.90),
        p95: quantile_sorted(sorted, 0.95),
        p99: quantile_sorted(sorted, 0.99),
        p99_9: quantile_sorted(sorted, 0.999),
        ci95: moments
            .mean_ci(sample.len(), 0.95)
            .ok()
            .map(|ci| ci.bounds()),
        tail: TailSupport::for_len(sample.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_stable() {
        let s = Sample::new(vec![10.0, 12.0, 11.0, 13.0, 14.0]).unwrap();
        insta::assert_json_snapshot!(summarize(&s));
    }

    #[test]
    fn single_value_serialises_nulls() {
        let s = summarize(&Sample::new(vec![7.0]).unwrap());
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["sd"], serde_json::Value::Null);
        assert_eq!(json["cv"], serde_json::Value::Null);
        assert_eq!(json["ci95"], serde_json::Value::Null);
        assert_eq!(json["p99_9"], 7.0);
        let back: Summary = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn moments_equal_those_of_the_separate_functions() {
        use crate::describe::{cv, mean, mean_ci, sd};
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut samples = vec![
            vec![7.0],
            vec![-1.0, 1.0],
            vec![0.1, 0.2, 0.3],
            vec![1e300, -1e300, 3.0],
        ];
        for n in [2, 3, 10, 1000, 5000] {
            samples.push((0..n).map(|_| rng.random_range(-5.0..20.0)).collect());
            samples.push((0..n).map(|_| 0.5 + rng.random::<f64>() / 1e3).collect());
        }
        let bits = |x: Option<f64>| x.map(f64::to_bits);
        for values in samples {
            for s in [
                Sample::new(values.clone()).unwrap(),
                Sample::unordered(values.clone()).unwrap(),
            ] {
                let summary = summarize(&s);
                assert_eq!(summary.mean.to_bits(), mean(&s).to_bits(), "{values:?}");
                assert_eq!(bits(summary.sd), bits(sd(&s)), "{values:?}");
                assert_eq!(bits(summary.cv), bits(cv(&s)), "{values:?}");
                let ci = mean_ci(&s, 0.95).ok().map(|ci| ci.bounds());
                assert_eq!(
                    summary.ci95.map(|b| b.map(f64::to_bits)),
                    ci.map(|b| b.map(f64::to_bits)),
                    "{values:?}"
                );
            }
        }
    }

    #[test]
    fn tail_flags_follow_n() {
        assert_eq!(
            TailSupport::for_len(999),
            TailSupport {
                p90_supported: true,
                p95_supported: true,
                p99_supported: true,
                p99_9_supported: false
            }
        );
        assert!(!TailSupport::for_len(9).p90_supported);
        assert!(TailSupport::for_len(1000).p99_9_supported);
    }
}
