//! [`Sample`]: a non-empty set of finite observations, the input of every statistic here.

use crate::error::{StatsError, check_finite};

/// A non-empty set of finite observations.
///
/// The constructor is the only way in, so every function taking a `&Sample` may rely on "at
/// least one value, no NaN, no infinity". The values are kept twice: in the order they were
/// recorded (outlier indices and warm-up checks refer to it) and sorted ascending (percentiles
/// and the bootstrap read it).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    recorded: Vec<f64>,
    sorted: Vec<f64>,
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
        let mut sorted = values.clone();
        // Total order is exact here: NaN was refused above.
        sorted.sort_unstable_by(f64::total_cmp);
        Ok(Self {
            recorded: values,
            sorted,
        })
    }

    /// Number of observations (at least 1).
    pub fn len(&self) -> usize {
        self.recorded.len()
    }

    /// Always false: a sample holds at least one value. Present for API symmetry with slices.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The values in the order they were recorded.
    pub fn values(&self) -> &[f64] {
        &self.recorded
    }

    /// The values sorted ascending.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_empty_and_non_finite_input() {
        assert_eq!(Sample::new(vec![]), Err(StatsError::Empty));
        assert!(matches!(
            Sample::new(vec![1.0, f64::INFINITY]),
            Err(StatsError::NonFinite { index: 1, .. })
        ));
        assert!(matches!(
            Sample::new(vec![f64::NAN]),
            Err(StatsError::NonFinite { index: 0, .. })
        ));
    }

    #[test]
    fn keeps_recorded_order_and_sorted_copy() {
        let s = Sample::new(vec![5.0, -1.0, 3.0, 3.0]).unwrap();
        assert_eq!(s.values(), &[5.0, -1.0, 3.0, 3.0]);
        assert_eq!(s.sorted(), &[-1.0, 3.0, 3.0, 5.0]);
        assert_eq!((s.min(), s.max(), s.len()), (-1.0, 5.0, 4));
    }
}
