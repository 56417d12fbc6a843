//! The verdict on "is B faster or slower than A": a ratio of medians with a bootstrap interval,
//! a rank test, and effect sizes, combined by one documented rule.

use serde::{Deserialize, Serialize};

use crate::bootstrap::{BootstrapOptions, Statistic, bootstrap_ratio_ci};
use crate::effect_size::cohens_d;
use crate::error::StatsError;
use crate::interval::Interval;
use crate::mann_whitney::mann_whitney_and_cliffs_delta;
use crate::sample::Sample;
use crate::welch::welch_t_test;

/// How [`compare`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CompareOptions {
    /// Significance level in `(0, 1)` (0.05 by default). The ratio interval has level
    /// `1 - alpha`.
    pub alpha: f64,
    /// Smallest relative change that counts, `|ratio - 1|` (0.02, that is 2%, by default).
    pub noise_threshold: f64,
    /// Bootstrap resamples for the ratio interval (10,000 by default).
    pub resamples: usize,
    /// Bootstrap seed (0 by default).
    pub seed: u64,
    /// Whether larger values are better (throughput) rather than smaller (latency). False by
    /// default.
    pub higher_is_better: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            noise_threshold: 0.02,
            resamples: 10_000,
            seed: 0,
            higher_is_better: false,
        }
    }
}

/// Whether B is better than A, worse, or indistinguishable. "Faster" means better on the
/// metric's own direction: lower for a latency, higher for a throughput.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// B is better than A.
    Faster,
    /// B is worse than A.
    Slower,
    /// No difference that is both significant and larger than the noise threshold.
    NoDifference,
}

impl Verdict {
    /// The one word every rendering uses (terminal, markdown, HTML).
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "SLOWER",
            Verdict::NoDifference => "no significant difference",
        }
    }
}

/// Everything [`compare`] measured about B against A.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// `median(b) / median(a)`.
    pub ratio: f64,
    /// Percentile-bootstrap interval of the ratio at level `1 - alpha`.
    pub ratio_ci: Interval,
    /// Two-sided Mann-Whitney U p-value: the one the verdict uses.
    pub p_value: f64,
    /// Two-sided Welch t-test p-value; `None` when a sample has one value or both are constant.
    pub welch_p: Option<f64>,
    /// Cohen's d of b against a; `None` when the pooled variance is zero or undefined.
    pub cohens_d: Option<f64>,
    /// Cliff's delta of b against a.
    pub cliffs_delta: f64,
    /// The verdict from `p_value` and `ratio_ci` (see [`verdict`]).
    pub verdict: Verdict,
}

/// Compares B (candidate) against A (baseline) on one metric.
///
/// The verdict follows [`verdict`] with the Mann-Whitney p-value. A caller comparing many metrics
/// at once can adjust the p-values (with [`crate::holm()`], say) and call [`verdict`] again with
/// the adjusted value and [`Comparison::ratio_ci`].
///
/// Fails on invalid options and when `median(a)` is zero.
///
/// ```
/// use bench_stats::{CompareOptions, Sample, Verdict, compare};
/// let a = Sample::new((0..30).map(|i| 100.0 + f64::from(i % 7)).collect())?;
/// let b = Sample::new((0..30).map(|i| 110.0 + f64::from(i % 5)).collect())?;
/// let latency = compare(&a, &b, CompareOptions::default())?;
/// assert_eq!(latency.verdict, Verdict::Slower);
/// let throughput = compare(&a, &b, CompareOptions { higher_is_better: true, ..Default::default() })?;
/// assert_eq!(throughput.verdict, Verdict::Faster);
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn compare(a: &Sample, b: &Sample, options: CompareOptions) -> Result<Comparison, StatsError> {
    check_options(&options)?;
    let bootstrap = BootstrapOptions {
        resamples: options.resamples,
        level: 1.0 - options.alpha,
        seed: options.seed,
    };
    let ratio_ci = bootstrap_ratio_ci(a, b, Statistic::Median, bootstrap)?;
    let (mann_whitney, cliffs_delta) = mann_whitney_and_cliffs_delta(a, b);
    let p_value = mann_whitney.p_value;
    Ok(Comparison {
        ratio: ratio_ci.estimate,
        ratio_ci,
        p_value,
        welch_p: welch_t_test(a, b).ok().map(|w| w.p_value),
        cohens_d: cohens_d(a, b).ok(),
        cliffs_delta,
        verdict: verdict(p_value, &ratio_ci, &options),
    })
}

/// The decision rule. B differs from A only when all three hold:
///
/// 1. the test is significant: `p_value < alpha` (pass a p-value adjusted for multiple
///    comparisons where there are several);
/// 2. the ratio interval excludes 1, wholly below it or wholly above it;
/// 3. the ratio estimate lies beyond the noise band on the same side:
///    `ratio < 1 - noise_threshold` or `ratio > 1 + noise_threshold`.
///
/// A ratio below 1 means B is lower: [`Verdict::Faster`] for a lower-is-better metric,
/// [`Verdict::Slower`] when `higher_is_better`; above 1 the other way round. Anything else is
/// [`Verdict::NoDifference`].
pub fn verdict(p_value: f64, ratio_ci: &Interval, options: &CompareOptions) -> Verdict {
    let ratio = ratio_ci.estimate;
    let significant = p_value < options.alpha;
    let lower = ratio_ci.upper < 1.0 && ratio < 1.0 - options.noise_threshold;
    let higher = ratio_ci.lower > 1.0 && ratio > 1.0 + options.noise_threshold;
    match (significant, lower, higher, options.higher_is_better) {
        (true, true, false, false) | (true, false, true, true) => Verdict::Faster,
        (true, true, false, true) | (true, false, true, false) => Verdict::Slower,
        _ => Verdict::NoDifference,
    }
}

fn check_options(options: &CompareOptions) -> Result<(), StatsError> {
    if !(options.alpha > 0.0 && options.alpha < 1.0) {
        return Err(StatsError::InvalidParameter {
            name: "alpha",
            value: options.alpha,
            expected: "a number strictly between 0 and 1",
        });
    }
    if !(options.noise_threshold >= 0.0 && options.noise_threshold.is_finite()) {
        return Err(StatsError::InvalidParameter {
            name: "noise threshold",
            value: options.noise_threshold,
            expected: "a finite number >= 0",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic, roughly bell-shaped sample around `centre` with spread `spread`.
    fn around(centre: f64, spread: f64, n: u32) -> Sample {
        Sample::new(
            (0..n)
                .map(|i| {
                    let u = (f64::from(i) + 0.5) / f64::from(n);
                    centre + spread * (u - 0.5) * (1.0 + 4.0 * (u - 0.5).powi(2))
                })
                .collect(),
        )
        .unwrap()
    }

    fn interval(estimate: f64, lower: f64, upper: f64) -> Interval {
        Interval {
            estimate,
            lower,
            upper,
            level: 0.95,
        }
    }

    #[test]
    fn clear_regression_and_improvement() {
        let a = around(100.0, 10.0, 60);
        let b = around(120.0, 10.0, 60);
        let opts = CompareOptions::default();
        let slower = compare(&a, &b, opts).unwrap();
        assert_eq!(slower.verdict, Verdict::Slower);
        assert!(slower.ratio_ci.lower > 1.0 && slower.p_value < 1e-6);
        assert!(slower.cliffs_delta > 0.9 && slower.cohens_d.unwrap() > 2.0);
        assert_eq!(compare(&b, &a, opts).unwrap().verdict, Verdict::Faster);
        let higher = CompareOptions {
            higher_is_better: true,
            ..opts
        };
        assert_eq!(compare(&a, &b, higher).unwrap().verdict, Verdict::Faster);
        assert_eq!(compare(&b, &a, higher).unwrap().verdict, Verdict::Slower);
    }

    #[test]
    fn identical_samples_do_not_differ() {
        let a = around(50.0, 5.0, 40);
        let c = compare(&a, &a, CompareOptions::default()).unwrap();
        assert_eq!(c.verdict, Verdict::NoDifference);
        assert_eq!((c.ratio, c.cliffs_delta), (1.0, 0.0));
    }

    #[test]
    fn significant_but_within_noise_is_no_difference() {
        // A 1% shift with a tiny spread: significant, interval excludes 1, but under 2%.
        let a = around(100.0, 0.1, 200);
        let b = around(101.0, 0.1, 200);
        let c = compare(&a, &b, CompareOptions::default()).unwrap();
        assert!(c.p_value < 1e-10 && c.ratio_ci.lower > 1.0);
        assert_eq!(c.verdict, Verdict::NoDifference);
        let strict = CompareOptions {
            noise_threshold: 0.005,
            ..Default::default()
        };
        assert_eq!(verdict(c.p_value, &c.ratio_ci, &strict), Verdict::Slower);
    }

    #[test]
    fn rule_needs_all_three_conditions() {
        let opts = CompareOptions::default();
        let clear = interval(0.8, 0.7, 0.9);
        assert_eq!(verdict(0.01, &clear, &opts), Verdict::Faster);
        assert_eq!(verdict(0.05, &clear, &opts), Verdict::NoDifference);
        let straddles = interval(0.8, 0.7, 1.01);
        assert_eq!(verdict(0.001, &straddles, &opts), Verdict::NoDifference);
        let small = interval(0.99, 0.985, 0.995);
        assert_eq!(verdict(0.001, &small, &opts), Verdict::NoDifference);
        // Estimate and interval on opposite sides of 1 is not a consistent difference.
        let inconsistent = interval(1.05, 0.7, 0.9);
        assert_eq!(verdict(0.001, &inconsistent, &opts), Verdict::NoDifference);
    }

    #[test]
    fn single_values_and_constant_samples_are_handled() {
        let a = Sample::new(vec![10.0]).unwrap();
        let b = Sample::new(vec![20.0]).unwrap();
        let c = compare(&a, &b, CompareOptions::default()).unwrap();
        assert_eq!(
            (c.welch_p, c.cohens_d, c.verdict),
            (None, None, Verdict::NoDifference)
        );
        let flat = Sample::new(vec![5.0; 10]).unwrap();
        let c = compare(&flat, &flat, CompareOptions::default()).unwrap();
        assert_eq!((c.p_value, c.verdict), (1.0, Verdict::NoDifference));
    }

    #[test]
    fn refuses_bad_options_and_zero_baseline() {
        let a = around(10.0, 1.0, 10);
        for bad in [
            CompareOptions {
                alpha: 0.0,
                ..Default::default()
            },
            CompareOptions {
                noise_threshold: -0.1,
                ..Default::default()
            },
            CompareOptions {
                resamples: 0,
                ..Default::default()
            },
        ] {
            assert!(compare(&a, &a, bad).is_err(), "{bad:?}");
        }
        let zero = Sample::new(vec![0.0, 0.0, 0.0]).unwrap();
        assert!(matches!(
            compare(&zero, &a, CompareOptions::default()),
            Err(StatsError::ZeroDenominator(_))
        ));
    }
}
