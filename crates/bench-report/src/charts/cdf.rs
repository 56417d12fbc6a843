//! Empirical cumulative distribution functions: one step line per series, with p50, p90 and
//! p99 guides, on a linear or log value axis.

use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::drawing::DrawingArea;
use plotters::element::{EmptyElement, PathElement, Text};
use plotters::prelude::DrawingBackend;
use plotters::series::{DashedLineSeries, LineSeries};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::AxisCoord;
use crate::charts::Plot;
use crate::data::{checked_sorted, extent, no_data};
use crate::frame::{DrawError, Mesh, legend, plane, text};
use crate::kde::quantile;
use crate::palette::{self, MUTED};
use crate::{Axis, Chart, FigureMeta, ReportError, Series};

/// Up to this many values a CDF is drawn step by step; above, through quantiles.
const MAX_STEPS: usize = 2000;
/// Evenly spaced probabilities a large sample's CDF is traced through (plus the tails).
const QUANTILES: usize = 1000;
/// Extra probabilities per decade in each tail beyond 1/[`QUANTILES`], down to 1/n, so p99.9,
/// p99.99 and the extremes keep their shape.
const TAIL_PER_DECADE: usize = 4;

/// The empirical CDF of each series (e.g. TTFT per engine) over `x`.
pub fn latency_cdf(meta: &FigureMeta, series: &[Series], x: &Axis) -> Result<Chart, ReportError> {
    let mut kept = Vec::new();
    for one in series.iter().filter(|s| !s.values.is_empty()) {
        let values = checked_sorted(&meta.title, one, x.scale)?;
        kept.push(CdfLine {
            label: one.label.clone(),
            n: values.len(),
            steps: steps(&values),
        });
    }
    if kept.is_empty() {
        return Err(no_data(&meta.title));
    }
    Ok(Chart::new(
        meta,
        Plot::Cdf(Cdf {
            x: x.clone(),
            series: kept,
        }),
    ))
}

#[derive(Debug, Clone)]
pub(crate) struct Cdf {
    x: Axis,
    series: Vec<CdfLine>,
}

/// One series' CDF, reduced to its polyline when the chart is made (a chart of a large sample
/// holds a bounded number of points, not the sample).
#[derive(Debug, Clone)]
struct CdfLine {
    label: String,
    n: usize,
    /// From the smallest value at 0 % to the largest at 100 %.
    steps: Vec<(f64, f64)>,
}

impl Cdf {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let all = self
            .series
            .iter()
            .flat_map(|l| [l.steps[0].0, l.steps[l.steps.len() - 1].0]);
        let (lo, hi) = extent(all).unwrap_or((0.0, 1.0));
        let x = AxisCoord::fit(self.x.scale, lo, hi, false);
        let x_range = x.range();
        let y = AxisCoord::Linear { lo: 0.0, hi: 102.0 };
        let x_desc = self.x.quantity.label();
        let mut chart = plane(
            area,
            x,
            y,
            &Mesh::new(&x_desc, "requests at or below x (%)"),
        )?;

        for (level, name) in [(50.0, "p50"), (90.0, "p90"), (99.0, "p99")] {
            let guide = [(x_range.start, level), (x_range.end, level)];
            chart.draw_series(DashedLineSeries::new(
                guide,
                6,
                4,
                MUTED.mix(0.7).stroke_width(1),
            ))?;
            let style = text(12.0)
                .color(&MUTED)
                .pos(Pos::new(HPos::Left, VPos::Bottom));
            let label = EmptyElement::at((x_range.start, level)) + Text::new(name, (4, -3), style);
            chart.draw_series(std::iter::once(label))?;
        }

        for (position, line) in self.series.iter().enumerate() {
            let color = palette::color(palette::index_for(&meta.engines, &line.label, position));
            chart
                .draw_series(LineSeries::new(
                    line.steps.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(format!("{} (n={})", line.label, line.n))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 22, y)], color.stroke_width(3))
                });
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

/// The CDF as a polyline in (value, percent): exact steps for small samples, a quantile trace
/// of bounded length for large ones.
fn steps(sorted: &[f64]) -> Vec<(f64, f64)> {
    let n = sorted.len();
    if n > MAX_STEPS {
        return probabilities(n)
            .into_iter()
            .map(|q| (quantile(sorted, q), q * 100.0))
            .collect();
    }
    let mut out = Vec::with_capacity(2 * n + 1);
    out.push((sorted[0], 0.0));
    for (i, v) in sorted.iter().enumerate() {
        out.push((*v, i as f64 * 100.0 / n as f64));
        out.push((*v, (i + 1) as f64 * 100.0 / n as f64));
    }
    out
}

/// The probabilities a sample of `n` is traced through, ascending: [`QUANTILES`] steps from 0
/// to 1, refined geometrically in both tails down to 1/n.
fn probabilities(n: usize) -> Vec<f64> {
    let mut tail = Vec::new();
    let floor = 1.0 / n as f64;
    for j in 1u32.. {
        let p = (QUANTILES as f64).recip() * 10f64.powf(-f64::from(j) / TAIL_PER_DECADE as f64);
        // A hair of tolerance keeps 1e-6 itself for a million values.
        if p < floor * (1.0 - 1e-9) {
            break;
        }
        tail.push(p);
    }
    let even = (0..=QUANTILES).map(|i| i as f64 / QUANTILES as f64);
    let mut out: Vec<f64> = tail
        .iter()
        .copied()
        .chain(even)
        .chain(tail.iter().map(|p| 1.0 - p))
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quantity;
    use crate::charts::test_support::{assert_svg_has, meta, skewed};

    #[test]
    fn steps_rise_from_zero_to_one_hundred_percent() {
        let s = steps(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.first(), Some(&(1.0, 0.0)));
        assert_eq!(s.last(), Some(&(4.0, 100.0)));
        assert!(s.windows(2).all(|w| w[1].1 >= w[0].1 && w[1].0 >= w[0].0));
        let at_limit = steps(&(0..MAX_STEPS).map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(at_limit.len(), 2 * MAX_STEPS + 1);
    }

    #[test]
    fn large_samples_are_traced_through_quantiles_and_their_tails() {
        let values: Vec<f64> = (0..1_000_000).map(f64::from).collect();
        let trace = steps(&values);
        // Four per decade from 1e-3 down to 1e-6, in each tail.
        assert_eq!(trace.len(), QUANTILES + 1 + 2 * 12);
        assert_eq!(trace.first(), Some(&(0.0, 0.0)));
        assert_eq!(trace.last(), Some(&(999_999.0, 100.0)));
        assert!(
            trace
                .windows(2)
                .all(|w| w[1].1 > w[0].1 && w[1].0 >= w[0].0)
        );
        let p9999 = trace.iter().find(|p| (p.1 - 99.99).abs() < 1e-9).unwrap();
        assert!((p9999.0 - 999_899.0).abs() < 1.0, "{p9999:?}");
    }

    #[test]
    fn renders_axes_series_and_guides() {
        let series = [
            Series::new("candle", skewed(200, 20.0)),
            Series::new("burn", skewed(150, 30.0)),
            Series::new("empty", Vec::new()),
        ];
        let x = Axis::log(Quantity::new("time to first token", "ms"));
        let chart = latency_cdf(&meta("TTFT distribution"), &series, &x).unwrap();
        assert_svg_has(
            &chart.svg().unwrap(),
            &[
                "TTFT distribution",
                "time to first token (ms)",
                "requests at or below x (%)",
                "candle (n=200)",
                "burn (n=150)",
                "p99",
            ],
        );
    }

    #[test]
    fn refuses_no_data_and_zero_on_log_axis() {
        let x = Axis::log(Quantity::new("ttft", "ms"));
        let none = latency_cdf(&meta("t"), &[Series::new("a", vec![])], &x);
        assert!(matches!(none, Err(ReportError::NoData { .. })));
        let zero = latency_cdf(&meta("t"), &[Series::new("a", vec![0.0, 1.0])], &x);
        assert!(matches!(zero, Err(ReportError::NonPositiveOnLog { .. })));
    }
}
