//! [`Interval`]: a point estimate with a two-sided confidence interval.

use serde::{Deserialize, Serialize};

/// A point estimate with a two-sided confidence interval `[lower, upper]` at `level` (0.95 for a
/// 95% interval).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The statistic computed on the data itself.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Confidence level in `(0, 1)`.
    pub level: f64,
}

impl Interval {
    /// Whether `x` lies within `[lower, upper]`.
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }

    /// Half the width of the interval.
    pub fn half_width(&self) -> f64 {
        (self.upper - self.lower) / 2.0
    }

    /// The bounds as `[lower, upper]`, the form summaries serialise.
    pub fn bounds(&self) -> [f64; 2] {
        [self.lower, self.upper]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_is_inclusive() {
        let i = Interval {
            estimate: 1.0,
            lower: 0.5,
            upper: 2.0,
            level: 0.95,
        };
        assert!(i.contains(0.5) && i.contains(2.0) && i.contains(1.0));
        assert!(!i.contains(0.49) && !i.contains(2.01));
        assert_eq!(i.half_width(), 0.75);
        assert_eq!(i.bounds(), [0.5, 2.0]);
    }
}
