//! The one error type every fallible function in this crate returns.

use thiserror::Error;

/// Why a statistic could not be computed from the input it was given.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// A sample or series had no values.
    #[error("sample is empty: record at least one value")]
    Empty,
    /// A value was NaN or infinite.
    #[error("value at index {index} is not finite ({value})")]
    NonFinite {
        /// Position of the offending value in the input.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A value that must be strictly positive (a log-scale fit, say) was not.
    #[error("value at index {index} is not positive ({value}): a log scale needs y > 0")]
    NonPositive {
        /// Position of the offending value in the input.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A computation needs more values than it was given.
    #[error("{what} needs at least {needed} values, got {got}")]
    TooFewValues {
        /// What was being computed.
        what: &'static str,
        /// The minimum number of values it needs.
        needed: usize,
        /// How many it got.
        got: usize,
    },
    /// Two inputs that must pair up element by element have different lengths.
    #[error("inputs differ in length: {left} vs {right}")]
    LengthMismatch {
        /// Length of the first input.
        left: usize,
        /// Length of the second input.
        right: usize,
    },
    /// Every x of a regression is the same, so no slope exists.
    #[error("x has zero variance (every x is {0}): vary x to fit a slope")]
    ZeroVarianceX(f64),
    /// The spread needed to scale a test statistic is zero.
    #[error("{0} is undefined: both samples have zero variance")]
    ZeroVariance(&'static str),
    /// The denominator of a ratio of statistics is zero.
    #[error("ratio is undefined: the baseline {0} is zero")]
    ZeroDenominator(&'static str),
    /// A statistic of a bootstrap resample was not finite.
    #[error("bootstrap statistic is not finite on resample {0}")]
    NonFiniteStatistic(usize),
    /// An option or parameter lies outside its valid range.
    #[error("invalid {name} {value}: expected {expected}")]
    InvalidParameter {
        /// Name of the parameter.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The valid range, in words.
        expected: &'static str,
    },
}

/// Checks that every value is finite, reporting the first that is not.
#[allow(
    clippy::needless_bitwise_bool,
    reason = "a branch-free step is what lets the loop vectorise"
)]
pub(crate) fn check_finite(values: &[f64]) -> Result<(), StatsError> {
    // A block at a time without stopping inside it (the loop vectorises); the first value
    // that is not finite is looked for only when there is one.
    const BLOCK: usize = 2048;
    if values
        .chunks(BLOCK)
        .all(|block| block.iter().fold(true, |finite, v| finite & v.is_finite()))
    {
        return Ok(());
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NonFinite {
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Checks that a confidence level lies strictly between 0 and 1.
pub(crate) fn check_level(level: f64) -> Result<(), StatsError> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name: "confidence level",
            value: level,
            expected: "a number strictly between 0 and 1",
        })
    }
}
