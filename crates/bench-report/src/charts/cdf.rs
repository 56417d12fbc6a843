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
use crate::data::{check_values, extent, no_data};
use crate::frame::{DrawError, Mesh, legend, plane, text};
use crate::kde::{quantile, sorted};
use crate::palette::{self, MUTED};
use crate::{Axis, Chart, FigureMeta, ReportError, Series};

/// Above this many values a CDF is drawn through this many quantiles instead of every step.
const MAX_STEPS: usize = 4000;

/// The empirical CDF of each series (e.g. TTFT per engine) over `x`.
pub fn latency_cdf(meta: &FigureMeta, series: &[Series], x: &Axis) -> Result<Chart, ReportError> {
    let mut kept = Vec::new();
    for one in series.iter().filter(|s| !s.values.is_empty()) {
        check_values(&meta.title, &one.label, one.values.iter().copied(), x.scale)?;
        kept.push((one.label.clone(), sorted(&one.values)));
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
    /// Label and sorted values.
    series: Vec<(String, Vec<f64>)>,
}

impl Cdf {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let all = self.series.iter().flat_map(|(_, v)| [v[0], v[v.len() - 1]]);
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

        for (position, (label, values)) in self.series.iter().enumerate() {
            let color = palette::color(palette::index_for(&meta.engines, label, position));
            chart
                .draw_series(LineSeries::new(steps(values), color.stroke_width(2)))?
                .label(format!("{label} (n={})", values.len()))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 22, y)], color.stroke_width(3))
                });
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

/// The CDF as a polyline in (value, percent): exact steps for small samples, a dense quantile
/// trace for large ones.
fn steps(sorted: &[f64]) -> Vec<(f64, f64)> {
    let n = sorted.len();
    if n > MAX_STEPS {
        return (0..=MAX_STEPS)
            .map(|i| {
                let q = i as f64 / MAX_STEPS as f64;
                (quantile(sorted, q), q * 100.0)
            })
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
        let big = steps(&(0..10_000).map(f64::from).collect::<Vec<_>>());
        assert_eq!(big.len(), MAX_STEPS + 1);
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
