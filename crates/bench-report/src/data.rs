//! The plain data figures take: samples per label, (x, y) lines, and time spans.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::{ReportError, Scale};

/// One labelled sample, e.g. every TTFT of one engine: owned, or borrowed from the caller's
/// values (tens of millions of them for a large run's inter-token gaps, not worth a copy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series<'a> {
    /// Legend label, usually the engine id.
    pub label: String,
    /// The measured values, in the unit of the figure's axis.
    pub values: Cow<'a, [f64]>,
    /// The sample whose sorted values `values` borrows, for a series made by
    /// [`Series::of_sample`]: they are finite and in order, and need no check of their own.
    #[serde(skip)]
    sample: Option<&'a bench_stats::Sample>,
}

impl<'a> Series<'a> {
    /// A series labelled `label`, of a `Vec<f64>` or a borrowed `&[f64]`.
    pub fn new(label: impl Into<String>, values: impl Into<Cow<'a, [f64]>>) -> Self {
        Self {
            label: label.into(),
            values: values.into(),
            sample: None,
        }
    }

    /// A series labelled `label` of `sample`'s values, sorted (borrowed, not copied). A figure
    /// takes them as they are: a sample's values are finite, and these are in order.
    pub fn of_sample(label: impl Into<String>, sample: &'a bench_stats::Sample) -> Self {
        Self {
            label: label.into(),
            values: Cow::Borrowed(sample.sorted()),
            sample: Some(sample),
        }
    }

    /// Whether its values are still the sorted values of the sample it was made of.
    pub(crate) fn of_sorted_sample(&self) -> bool {
        self.sample
            .is_some_and(|s| std::ptr::eq(self.values.as_ref(), s.sorted()))
    }
}

/// One labelled line of (x, y) points, e.g. throughput per concurrency level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Legend label.
    pub label: String,
    /// The points, in the units of the figure's axes.
    pub points: Vec<(f64, f64)>,
}

impl Line {
    /// A line labelled `label`.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
        }
    }
}

/// A closed interval on the x axis, e.g. one request from submission to its last token.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// Where it starts, in the unit of the x axis.
    pub start: f64,
    /// Where it ends; at or after `start`.
    pub end: f64,
}

/// Checks that every value is finite and, on a logarithmic axis, above zero.
pub(crate) fn check_values(
    figure: &str,
    series: &str,
    values: impl IntoIterator<Item = f64>,
    scale: Scale,
) -> Result<(), ReportError> {
    for value in values {
        if !value.is_finite() {
            return Err(ReportError::NonFinite {
                figure: figure.to_owned(),
                series: series.to_owned(),
            });
        }
        if scale != Scale::Linear && value <= 0.0 {
            return Err(ReportError::NonPositiveOnLog {
                figure: figure.to_owned(),
                series: series.to_owned(),
            });
        }
    }
    Ok(())
}

/// [`check_values`] for a series' values: a block of them at a time, without stopping inside
/// it (the loop vectorises: a figure may draw a pooled metric of tens of millions of values).
#[allow(
    clippy::needless_bitwise_bool,
    reason = "a branch-free step is what lets the loop vectorise"
)]
pub(crate) fn check_series(
    figure: &str,
    series: &str,
    values: &[f64],
    scale: Scale,
) -> Result<(), ReportError> {
    const BLOCK: usize = 2048;
    let log = scale != Scale::Linear;
    let clean = values.chunks(BLOCK).all(|block| {
        !block
            .iter()
            .fold(false, |bad, &v| bad | !v.is_finite() | (log & (v <= 0.0)))
    });
    if clean {
        Ok(())
    } else {
        // The first offending value decides which error.
        check_values(figure, series, values.iter().copied(), scale)
    }
}

/// A series' values checked as [`check_series`] checks them, and sorted ascending (by
/// `f64::total_cmp`). A sample's sorted values ([`Series::of_sample`]) are borrowed as they are
/// (on a log axis, once the first is found positive). Other values that come sorted are
/// borrowed and checked in one pass: in order between two finite ends they are all finite, and
/// on a log axis all positive when the first is. Others are checked, then sorted into a copy.
pub(crate) fn checked_sorted<'v>(
    figure: &str,
    series: &'v Series<'_>,
    scale: Scale,
) -> Result<Cow<'v, [f64]>, ReportError> {
    let values: &'v [f64] = &series.values;
    let (Some(&first), Some(&last)) = (values.first(), values.last()) else {
        return Ok(Cow::Borrowed(values));
    };
    // A sample's sorted values need no pass at all.
    if series.of_sorted_sample() && (scale == Scale::Linear || first > 0.0) {
        return Ok(Cow::Borrowed(values));
    }
    let series = series.label.as_str();
    if first.is_finite()
        && last.is_finite()
        && (scale == Scale::Linear || first > 0.0)
        && bench_stats::is_sorted(values)
    {
        return Ok(Cow::Borrowed(values));
    }
    check_series(figure, series, values, scale)?;
    let mut out = values.to_vec();
    out.sort_unstable_by(f64::total_cmp);
    Ok(Cow::Owned(out))
}

/// The error for a figure left with nothing to draw.
pub(crate) fn no_data(figure: &str) -> ReportError {
    ReportError::NoData {
        figure: figure.to_owned(),
    }
}

/// The smallest and largest of `values`, or `None` when there are none.
pub(crate) fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values.into_iter().fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_and_non_positive_log_values_are_refused() {
        assert!(check_values("f", "s", [1.0, 2.0], Scale::Log).is_ok());
        assert!(matches!(
            check_values("f", "s", [1.0, f64::NAN], Scale::Linear),
            Err(ReportError::NonFinite { .. })
        ));
        assert!(matches!(
            check_values("f", "s", [0.0], Scale::Log),
            Err(ReportError::NonPositiveOnLog { .. })
        ));
        assert!(check_values("f", "s", [0.0, -1.0], Scale::Linear).is_ok());
    }

    /// Sorted or not, a series is refused as [`check_series`] refuses it, and otherwise given
    /// back sorted: borrowed when it came sorted.
    #[test]
    fn a_series_checked_and_sorted_is_refused_or_ordered_as_its_values_are() {
        let check = |values: &[f64], scale| {
            let series = Series::new("s", values);
            checked_sorted("f", &series, scale).map(|v| (v.to_vec(), matches!(v, Cow::Borrowed(_))))
        };
        assert_eq!(
            check(&[1.0, 2.0, 2.0], Scale::Log).unwrap(),
            (vec![1.0, 2.0, 2.0], true)
        );
        assert_eq!(
            check(&[3.0, -0.0, 0.0, -1.0], Scale::Linear).unwrap(),
            (vec![-1.0, -0.0, 0.0, 3.0], false)
        );
        assert_eq!(check(&[], Scale::Log).unwrap(), (vec![], true));
        for (values, scale) in [
            (vec![1.0, f64::NAN, 2.0], Scale::Linear),
            (vec![f64::NEG_INFINITY, 1.0], Scale::Linear),
            (vec![1.0, f64::INFINITY], Scale::Log),
            (vec![0.0, 1.0, 2.0], Scale::Log),
            (vec![2.0, 1.0, -1.0], Scale::Log),
            (vec![2.0, f64::NAN, 1.0], Scale::Linear),
        ] {
            let expected = check_series("f", "s", &values, scale).expect_err("refused");
            let got = check(&values, scale).expect_err("refused");
            assert_eq!(
                std::mem::discriminant(&got),
                std::mem::discriminant(&expected),
                "{values:?}"
            );
        }
    }

    /// A sample's sorted values are taken as they are, and refused on a log axis from a value
    /// that is not positive; once replaced, a series' values are checked again.
    #[test]
    fn a_series_of_a_sample_is_taken_as_it_is_while_it_holds_the_sample_s_values() {
        let sample = bench_stats::Sample::new(vec![3.0, 1.0, 2.0]).expect("a sample");
        let series = Series::of_sample("s", &sample);
        assert!(series.of_sorted_sample());
        let taken = checked_sorted("f", &series, Scale::Log).expect("positive and in order");
        assert!(matches!(taken, Cow::Borrowed(v) if std::ptr::eq(v, sample.sorted())));
        let at_zero = bench_stats::Sample::new(vec![0.0, 1.0]).expect("a sample");
        assert!(matches!(
            checked_sorted("f", &Series::of_sample("s", &at_zero), Scale::Log),
            Err(ReportError::NonPositiveOnLog { .. })
        ));
        // Values replaced after the series was made are no longer the sample's.
        let mut replaced = Series::of_sample("s", &sample);
        replaced.values = Cow::Owned(vec![1.0, f64::NAN]);
        assert!(!replaced.of_sorted_sample());
        assert!(matches!(
            checked_sorted("f", &replaced, Scale::Linear),
            Err(ReportError::NonFinite { .. })
        ));
    }

    /// A series is checked as its values are one by one, the first offender deciding.
    #[test]
    fn a_series_is_refused_as_its_values_are() {
        let mut long = vec![1.0; 5_000];
        assert!(check_series("f", "s", &long, Scale::Log).is_ok());
        long[4_000] = 0.0;
        long[4_500] = f64::INFINITY;
        assert!(matches!(
            check_series("f", "s", &long, Scale::Log),
            Err(ReportError::NonPositiveOnLog { .. })
        ));
        assert!(matches!(
            check_series("f", "s", &long, Scale::Linear),
            Err(ReportError::NonFinite { .. })
        ));
        long[4_500] = 1.0;
        assert!(check_series("f", "s", &long, Scale::Linear).is_ok());
        assert!(check_series("f", "s", &[], Scale::Log).is_ok());
    }

    #[test]
    fn extent_finds_min_and_max() {
        assert_eq!(extent([3.0, -1.0, 2.0]), Some((-1.0, 3.0)));
        assert_eq!(extent(std::iter::empty()), None);
    }
}
