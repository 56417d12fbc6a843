//! [`Sample`]: a non-empty set of finite observations, the input of every statistic here.

use crate::error::{StatsError, check_finite};

/// A non-empty set of finite observations.
///
/// The constructor is the only way in, so every function taking a `&Sample` may rely on "at
/// least one value, no NaN, no infinity". The values are kept twice: in the order they were
/// recorded (outlier indices and warm-up checks refer to it) and sorted ascending (percentiles
/// and the bootstrap read it), except for a sample built by [`Sample::unordered`], which has no
/// recorded order and keeps its values once.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// `None` for a sample without a recorded order.
    recorded: Option<Vec<f64>>,
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
        let sorted = sorted_copy(&values);
        Ok(Self {
            recorded: Some(values),
            sorted,
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
        check_finite(&values)?;
        let mut sorted = values;
        sort_in_place(&mut sorted);
        Ok(Self {
            recorded: None,
            sorted,
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

/// `values` (finite) sorted ascending. Each value is mapped to an integer key of the same order
/// (IEEE 754 bits with the sign folded, as `f64::total_cmp` orders them), the keys sorted on
/// all cores, and mapped back: several times faster than a comparison sort of floats when a run
/// pools millions of inter-token gaps.
fn sorted_copy(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sort_in_place(&mut sorted);
    sorted
}

/// Sorts finite `values` ascending in place, as [`sorted_copy`] does.
fn sort_in_place(values: &mut [f64]) {
    use rayon::slice::ParallelSliceMut;
    const SIGN: u64 = 1 << 63;
    let mut keys: Vec<u64> = values
        .iter()
        .map(|v| {
            let bits = v.to_bits();
            if bits & SIGN == 0 { bits | SIGN } else { !bits }
        })
        .collect();
    keys.par_sort_unstable();
    for (v, k) in values.iter_mut().zip(keys) {
        *v = f64::from_bits(if k & SIGN == 0 { !k } else { k & !SIGN });
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
    fn sorted_copy_orders_like_total_cmp() {
        let values = vec![
            3.5,
            -0.0,
            0.0,
            -2.25,
            f64::MAX,
            f64::MIN,
            1e-300,
            -1e-300,
            7.0,
            -7.0,
            0.5,
        ];
        let mut expected = values.clone();
        expected.sort_by(f64::total_cmp);
        let got = sorted_copy(&values);
        assert_eq!(
            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            expected.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn keeps_recorded_order_and_sorted_copy() {
        let s = Sample::new(vec![5.0, -1.0, 3.0, 3.0]).unwrap();
        assert_eq!(s.values(), &[5.0, -1.0, 3.0, 3.0]);
        assert_eq!(s.sorted(), &[-1.0, 3.0, 3.0, 5.0]);
        assert_eq!((s.min(), s.max(), s.len()), (-1.0, 5.0, 4));
    }
}
