//! Moments of one sample: mean, standard deviation, coefficient of variation, and the t-based
//! confidence interval of the mean.

use crate::dist::t_quantile;
use crate::error::{StatsError, check_level};
use crate::interval::Interval;
use crate::radix::{SORTED_BLOCK, block_in_order};
use crate::sample::Sample;

/// Arithmetic mean.
pub fn mean(sample: &Sample) -> f64 {
    clamp_to_range(sample, sample.raw_moments().0)
}

/// Sample variance with Bessel's correction (divisor `n - 1`); `None` for a single value.
pub fn variance(sample: &Sample) -> Option<f64> {
    sample.raw_moments().1
}

/// Sample standard deviation (divisor `n - 1`); `None` for a single value.
pub fn sd(sample: &Sample) -> Option<f64> {
    variance(sample).map(f64::sqrt)
}

/// Coefficient of variation `sd / |mean|`; `None` for a single value or a zero mean.
pub fn cv(sample: &Sample) -> Option<f64> {
    let (mean, variance) = sample.raw_moments();
    cv_from(variance?, mean)
}

/// Confidence interval of the mean from Student's t: `mean ± t(1 - (1 - level) / 2, n - 1) ·
/// sd / sqrt(n)`. Needs at least two values.
///
/// ```
/// use bench_stats::{Sample, mean_ci};
/// let s = Sample::new(vec![1.0, 2.0, 3.0, 4.0, 5.0])?;
/// let ci = mean_ci(&s, 0.95)?;
/// // scipy: stats.t.interval(0.95, 4, loc=3, scale=stats.sem([1, 2, 3, 4, 5]))
/// assert!((ci.lower - 1.036_756_838_522_442_8).abs() < 1e-9);
/// assert!(mean_ci(&Sample::new(vec![1.0])?, 0.95).is_err());
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn mean_ci(sample: &Sample, level: f64) -> Result<Interval, StatsError> {
    t_interval(mean(sample), sd(sample), sample.len(), level)
}

/// The mean, sd and CV of one sample, each exactly what [`mean`], [`sd`] and [`cv`] return,
/// from the mean and variance the sample computes once (one pass for the mean and one for the
/// squared deviations, which shows on the tens of millions of inter-token gaps a long run
/// pools).
pub(crate) struct Moments {
    pub(crate) mean: f64,
    pub(crate) sd: Option<f64>,
    pub(crate) cv: Option<f64>,
}

impl Moments {
    pub(crate) fn of(sample: &Sample) -> Self {
        let (raw_mean, variance) = sample.raw_moments();
        Self {
            mean: clamp_to_range(sample, raw_mean),
            sd: variance.map(f64::sqrt),
            cv: variance.and_then(|variance| cv_from(variance, raw_mean)),
        }
    }

    /// [`mean_ci`] of the sample these are the moments of.
    pub(crate) fn mean_ci(&self, n: usize, level: f64) -> Result<Interval, StatsError> {
        t_interval(self.mean, self.sd, n, level)
    }
}

/// The mean of a sample's values clamped to its range: rounding can push a sum's mean an ulp
/// past the range; the true mean never is.
fn clamp_to_range(sample: &Sample, mean: f64) -> f64 {
    mean.clamp(sample.min(), sample.max())
}

/// `mean ± t · sd / sqrt(n)` at `level`, from a sample's mean, sd and size.
fn t_interval(mean: f64, sd: Option<f64>, n: usize, level: f64) -> Result<Interval, StatsError> {
    check_level(level)?;
    let too_few = StatsError::TooFewValues {
        what: "a t confidence interval of the mean",
        needed: 2,
        got: n,
    };
    let (Some(sd), Some(t)) = (sd, t_quantile(0.5 + level / 2.0, (n - 1) as f64)) else {
        return Err(too_few);
    };
    let half = t * sd / (n as f64).sqrt();
    Ok(Interval {
        estimate: mean,
        lower: mean - half,
        upper: mean + half,
        level,
    })
}

/// Mean of a non-empty slice: its values added in their order, over their number.
pub(crate) fn mean_of(values: &[f64]) -> f64 {
    add_in_order(-0.0, values) / values.len() as f64
}

/// `sum` plus each of `values`, one after another in their order. From `-0.0` this is the
/// sum `Iterator::sum` gives (a sum of negative zeros alone is a negative zero), and a sum
/// carried from one block of values to the next is that of all of them.
pub(crate) fn add_in_order(sum: f64, values: &[f64]) -> f64 {
    values.iter().fold(sum, |sum, &v| sum + v)
}

/// The sum of `values` in their order ([`add_in_order`] from `-0.0`, bit for bit what
/// [`mean_of`] sums), when they are in ascending order as
/// [`crate::is_sorted`] has it; `None` when they are not.
///
/// One pass does both: the additions, one after another, take several cycles each, and the
/// block's check beside them reads values already in cache, where a check of its own reads
/// them all from memory once more (a pooled metric's values are hundreds of megabytes).
pub(crate) fn sum_if_sorted(values: &[f64]) -> Option<f64> {
    let mut sum = -0.0;
    let mut previous = *values.first()?;
    for block in values.chunks(SORTED_BLOCK) {
        if !block_in_order(previous, block) {
            return None;
        }
        sum = add_in_order(sum, block);
        previous = block[block.len() - 1];
    }
    Some(sum)
}

/// Two-pass sample variance (divisor `n - 1`); `None` below two values.
pub(crate) fn variance_of(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    Some(variance_about(values, mean_of(values)))
}

/// The sum of squared deviations from `mean` over `n - 1`; `values` holds at least two.
pub(crate) fn variance_about(values: &[f64], mean: f64) -> f64 {
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    ss / (values.len() - 1) as f64
}

/// `sd / |mean|` of a slice; `None` below two values or for a zero mean.
pub(crate) fn cv_of(values: &[f64]) -> Option<f64> {
    let variance = variance_of(values)?;
    cv_from(variance, mean_of(values))
}

/// `sqrt(variance) / |mean|`; `None` for a zero mean.
fn cv_from(variance: f64, mean: f64) -> Option<f64> {
    let m = mean.abs();
    (m > 0.0).then(|| variance.sqrt() / m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use proptest::prelude::*;

    /// The mean and variance a sample keeps are those of its values computed afresh, bit for
    /// bit, whichever statistic asks first, in both kinds of sample.
    #[test]
    fn kept_moments_are_the_values_own() {
        let values = vec![3.25, 1e-3, 7.5, 2.0, 2.0, 9.75, 0.125];
        let mut in_order = values.clone();
        in_order.sort_unstable_by(f64::total_cmp);
        // Values that come sorted have their mean from the pass that checks their order.
        for (k, s) in [
            Sample::new(values.clone()).unwrap(),
            Sample::unordered(values.clone()).unwrap(),
            Sample::unordered(in_order).unwrap(),
        ]
        .into_iter()
        .enumerate()
        {
            let order = s.values().to_vec();
            let fresh_mean = mean_of(&order).clamp(s.min(), s.max());
            let fresh_variance = variance_of(&order);
            // A different statistic asks first each time round.
            let first = [cv(&s), variance(&s), cv(&s)][k].map(f64::to_bits);
            assert_eq!(mean(&s).to_bits(), fresh_mean.to_bits());
            assert_eq!(
                variance(&s).map(f64::to_bits),
                fresh_variance.map(f64::to_bits)
            );
            assert_eq!(cv(&s).map(f64::to_bits), cv_of(&order).map(f64::to_bits));
            assert_eq!(
                first,
                [cv_of(&order), fresh_variance, cv_of(&order)][k].map(f64::to_bits)
            );
            assert_eq!(s.clone(), s);
        }
        let one = Sample::new(vec![4.0]).unwrap();
        assert_eq!((mean(&one), variance(&one), cv(&one)), (4.0, None, None));
    }

    /// Sorted values are summed as `Iterator::sum` sums them, bit for bit, across blocks;
    /// any descent (inside a block, across two, between the zeros) gives none.
    #[test]
    fn a_sum_checked_for_order_is_the_plain_sum_or_none() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        for n in [1_usize, 2, 2_047, 2_048, 2_049, 10_000] {
            // Magnitudes far apart, so that the order of the additions shows in the sum.
            let mut sorted: Vec<f64> = (0..n)
                .map(|_| rng.random_range(-1e3..1e3) * 10f64.powi(rng.random_range(-9..9)))
                .collect();
            sorted.sort_unstable_by(f64::total_cmp);
            let plain: f64 = sorted.iter().sum();
            assert_eq!(
                sum_if_sorted(&sorted).map(f64::to_bits),
                Some(plain.to_bits())
            );
            for at in [1, 2_048, n - 1] {
                if at == 0 || at >= n {
                    continue;
                }
                let mut descent = sorted.clone();
                descent.swap(at - 1, at);
                if descent[at - 1] != descent[at] {
                    assert_eq!(sum_if_sorted(&descent), None, "n={n} at={at}");
                }
            }
        }
        assert_eq!(
            sum_if_sorted(&[-0.0, -0.0]).map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        let mut zeros = vec![-0.0; 4_096];
        zeros[2_048..].fill(0.0);
        assert_eq!(sum_if_sorted(&zeros), Some(0.0));
        zeros[2_049] = -0.0;
        assert_eq!(sum_if_sorted(&zeros), None);
        assert_eq!(sum_if_sorted(&[1.0, f64::NAN]), None);
        assert_eq!(sum_if_sorted(&[]), None);
    }

    // numpy/scipy reference:
    //   x = [2, 4, 4, 4, 5, 5, 7, 9]
    //   np.mean(x) = 5.0, np.std(x, ddof=1) = 2.138089935299395,
    //   stats.t.interval(0.95, 7, loc=5, scale=stats.sem(x))
    //     = (3.21251208176379, 6.787487918236209)
    #[test]
    fn textbook_values() {
        let s = Sample::new(vec![2., 4., 4., 4., 5., 5., 7., 9.]).unwrap();
        assert_eq!(mean(&s), 5.0);
        assert_relative_eq!(sd(&s).unwrap(), 2.138_089_935_299_395, max_relative = 1e-12);
        assert_relative_eq!(
            cv(&s).unwrap(),
            2.138_089_935_299_395 / 5.0,
            max_relative = 1e-12
        );
        let ci = mean_ci(&s, 0.95).unwrap();
        assert_relative_eq!(ci.lower, 3.212_512_081_763_79, max_relative = 1e-9);
        assert_relative_eq!(ci.upper, 6.787_487_918_236_209, max_relative = 1e-9);
    }

    #[test]
    fn single_value_has_no_spread() {
        let s = Sample::new(vec![3.0]).unwrap();
        assert_eq!((sd(&s), cv(&s)), (None, None));
        assert!(matches!(
            mean_ci(&s, 0.95),
            Err(StatsError::TooFewValues { got: 1, .. })
        ));
    }

    #[test]
    fn zero_mean_has_no_cv() {
        let s = Sample::new(vec![-1.0, 1.0]).unwrap();
        assert_eq!(cv(&s), None);
    }

    #[test]
    fn refuses_bad_level() {
        let s = Sample::new(vec![1.0, 2.0]).unwrap();
        assert!(mean_ci(&s, 1.0).is_err());
        assert!(mean_ci(&s, 0.0).is_err());
    }

    proptest! {
        #[test]
        fn ci_contains_mean_and_widens_with_level(
            values in prop::collection::vec(-1e6f64..1e6, 2..100),
        ) {
            let s = Sample::new(values).unwrap();
            let narrow = mean_ci(&s, 0.80).unwrap();
            let wide = mean_ci(&s, 0.99).unwrap();
            prop_assert!(narrow.contains(mean(&s)));
            prop_assert!(wide.lower <= narrow.lower && narrow.upper <= wide.upper);
        }
    }
}
