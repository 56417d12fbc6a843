//! [`Sample`]: a non-empty set of finite observations, the input of every statistic here.

use std::sync::OnceLock;

use crate::describe::{mean_of, sum_if_sorted, variance_about};
use crate::error::{StatsError, check_finite};
use crate::radix::sort_in_place;

/// A non-empty set of finite observations.
///
/// The constructor is the only way in, so every function taking a `&Sample` may rely on "at
/// least one value, no NaN, no infinity". The values are kept twice: in the order they were
/// recorded (outlier indices and warm-up checks refer to it) and sorted ascending (percentiles
/// and the bootstrap read it), except for a sample built by [`Sample::unordered`], which has no
/// recorded order and keeps its values once.
///
/// Its mean and variance are computed the first time any statistic asks for them, and kept: a
/// summary and a comparison read them several times (the sd, the CV, the interval of the mean,
/// Welch's test, Cohen's d), and each computation walks every value twice, in order. An
/// [`unordered`](Self::unordered) sample whose values come sorted has its mean from the pass
/// that checks their order.
#[derive(Debug, Clone)]
pub struct Sample {
    /// `None` for a sample without a recorded order.
    recorded: Option<Vec<f64>>,
    sorted: Vec<f64>,
    /// The mean of [`Sample::values`] (unclamped).
    mean: OnceLock<f64>,
    /// Their variance (`None` below two values).
    variance: OnceLock<Option<f64>>,
}

/// Two samples are equal when their values are, in the same order.
impl PartialEq for Sample {
    fn eq(&self, other: &Self) -> bool {
        self.recorded == other.recorded && self.sorted == other.sorted
    }
}

impl Sample {
    /// Builds a sample, refusing an empty input and any NaN or infinite value.
    ///
    /// ```
    /// use bench_stats::Sample;
    /// let s = Sample::new(vec![3.0, 1.0, 2.0])?;
    /// assert_eq!(s.sorted(), &[1.0, 2.0, 3.0]);
    /// assert_eq!(s.values(), &[3.0, 1.0, 2.0]);
    /// assert!(Sample::new(vec![]).is_err());
    /// assert!(Sample::new(vec![1.0, f64::NAN]).is_err());
    /// # Ok::<(), bench_stats::StatsError>(())
    /// ```
    pub fn new(values: Vec<f64>) -> Result<Self, StatsError> {
        if values.is_empty() {
            return Err(StatsError::Empty);
        }
        check_finite(&values)?;
        let sorted = sorted_copy(&values);
        Ok(Self {
            recorded: Some(values),
            sorted,
            mean: OnceLock::new(),
            variance: OnceLock::new(),
        })
    }

    /// Builds a sample whose order carries no meaning (values pooled from many requests), kept
    /// sorted only: half the memory of [`Sample::new`], and [`Sample::values`] is the sorted
    /// order, which outlier indices then refer to.
    ///
    /// ```
    /// use bench_stats::Sample;
    /// let s = Sample::unordered(vec![3.0, 1.0, 2.0])?;
    /// assert_eq!(s.values(), &[1.0, 2.0, 3.0]);
    /// # Ok::<(), bench_stats::StatsError>(())
    /// ```
    pub fn unordered(values: Vec<f64>) -> Result<Self, StatsError> {
        if values.is_empty() {
            return Err(StatsError::Empty);
        }
        // Pooled values often come sorted: then one pass checks both, and sums them for the
        // mean (a NaN is never found in order, and values in order between two finite ends are
        // finite).
        let mut sorted = values;
        let ends_finite = sorted[0].is_finite() && sorted[sorted.len() - 1].is_finite();
        let mean = if let Some(sum) = ends_finite.then(|| sum_if_sorted(&sorted)).flatten() {
            OnceLock::from(sum / sorted.len() as f64)
        } else {
            check_finite(&sorted)?;
            sort_in_place(&mut sorted);
            OnceLock::new()
        };
        Ok(Self {
            recorded: None,
            sorted,
            mean,
            variance: OnceLock::new(),
        })
    }

    /// Number of observations (at least 1).
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Always false: a sample holds at least one value. Present for API symmetry with slices.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The values in the order they were recorded (sorted, for an [`unordered`](Self::unordered)
    /// sample).
    pub fn values(&self) -> &[f64] {
        self.recorded.as_deref().unwrap_or(&self.sorted)
    }

    /// The values sorted ascending.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// The mean of the values, summed in their order and not clamped to their range, and their
    /// variance with divisor `n - 1` about that mean (`None` for a single value): computed once.
    pub(crate) fn raw_moments(&self) -> (f64, Option<f64>) {
        let values = self.values();
        let mean = *self.mean.get_or_init(|| mean_of(values));
        let variance = *self
            .variance
            .get_or_init(|| (values.len() >= 2).then(|| variance_about(values, mean)));
        (mean, variance)
    }

    /// The smallest value.
    pub fn min(&self) -> f64 {
        self.sorted[0]
    }

    /// The largest value.
    pub fn max(&self) -> f64 {
        self.sorted[self.sorted.len() - 1]
    }
}

impl TryFrom<Vec<f64>> for Sample {
    type Error = StatsError;

    fn try_from(values: Vec<f64>) -> Result<Self, Self::Error> {
        Self::new(values)
    }
}

impl TryFrom<&[f64]> for Sample {
    type Error = StatsError;

    fn try_from(values: &[f64]) -> Result<Self, Self::Error> {
        Self::new(values.to_vec())
    }
}

/// `values` (finite) sorted ascending, as [`sort_in_place`] sorts them.
fn sorted_copy(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sort_in_place(&mut sorted);
    sorted
}

#[cfg(test)]
#[path = "sample_tests.rs"]
mod tests;
