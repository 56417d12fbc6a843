//! Pure statistics over benchmark samples: descriptive summaries with tail percentiles, seeded
//! bootstrap intervals, two-sample tests and effect sizes, a faster/slower verdict, outlier
//! classification, warm-up and stopping checks, regressions, and change detection.
//!
//! Everything takes a [`Sample`], whose constructor guarantees at least one value and no NaN or
//! infinity, or a plain slice where the input is a series. Functions are pure: no I/O, no clocks,
//! no global state; the bootstrap is seeded and gives the same answer for the same seed on every
//! platform. Result types derive serde, so they go straight into `summary.json`.
//!
//! # Layout
//!
//! - [`sample`]: [`Sample`], the validated input.
//! - [`quantile`](mod@quantile): the percentile definition (numpy's default linear
//!   interpolation) and the rule for when `n` supports a tail percentile.
//! - [`describe`]: mean, sd, CV and the t-based confidence interval of the mean.
//! - [`summary`]: [`Summary`], the descriptive statistics `summarize` writes.
//! - [`interval`]: [`Interval`], an estimate with its confidence interval.
//! - [`bootstrap`]: percentile-bootstrap intervals for one statistic and for a ratio.
//! - [`welch`], [`mann_whitney`], [`effect_size`], [`holm`](mod@holm): two-sample tests, effect
//!   sizes and the Holm-Bonferroni adjustment.
//! - [`compare`](mod@compare): the verdict on whether B is faster or slower than A.
//! - [`outliers`](mod@outliers): Tukey's fences and the modified z-score.
//! - [`stopping`]: warm-up (CV settled) and adaptive stopping (CI narrow enough).
//! - [`regression`]: ordinary least squares, linear and log-y.
//! - [`change`]: change detection for the last point of a series.
//! - [`error`]: [`StatsError`], the one error type.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::float_cmp,
        reason = "tests fail loudly on unexpected errors and compare exactly computed values"
    )
)]

pub mod bootstrap;
pub mod change;
pub mod compare;
pub mod describe;
mod dist;
pub mod effect_size;
pub mod error;
pub mod holm;
pub mod interval;
pub mod mann_whitney;
pub mod outliers;
pub mod quantile;
mod radix;
pub mod regression;
pub mod sample;
pub mod stopping;
pub mod summary;
pub mod welch;

pub use bootstrap::{
    BootstrapOptions, Statistic, bootstrap_ci, bootstrap_ci_with, bootstrap_ratio_ci,
};
pub use change::{Change, ChangeCheck, ChangeOptions, detect_change};
pub use compare::{CompareOptions, Comparison, Verdict, compare, verdict};
pub use describe::{cv, mean, mean_ci, sd, variance};
pub use effect_size::{cliffs_delta, cohens_d};
pub use error::StatsError;
pub use holm::holm;
pub use interval::Interval;
pub use mann_whitney::{MannWhitney, MannWhitneyMethod, mann_whitney_u};
pub use outliers::{
    ModifiedZ, OutlierCounts, Outliers, Tukey, TukeyCounts, outlier_counts, outliers,
};
pub use quantile::{median, quantile, tail_supported};
pub use radix::{RadixKey, is_sorted, sort_unsigned};
pub use regression::{Regression, ols, ols_log_y};
pub use sample::Sample;
pub use stopping::{ci_half_width_below, cv_settled};
pub use summary::{Summary, TailSupport, summarize};
pub use welch::{WelchTest, welch_t_test};
