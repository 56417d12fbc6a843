//! Box plots inside violins, one per series (e.g. TPOT per engine): quartiles, Tukey whiskers,
//! outliers, the mean, and the kernel density as the violin's outline.

use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, PathElement, Polygon, Rectangle};
use plotters::prelude::{BLACK, DrawingBackend, WHITE};
use plotters::style::Color;

use crate::axis::AxisCoord;
use crate::charts::Plot;
use crate::data::{check_values, extent, no_data};
use crate::frame::{DrawError, Grid, Mesh, plane};
use crate::kde::{curve, quantile, silverman_bandwidth, sorted};
use crate::{Chart, FigureMeta, Quantity, ReportError, Scale, Series, palette};

/// Half the width of a violin at its widest, in category units.
const VIOLIN_HALF_WIDTH: f64 = 0.38;
/// Half the width of a box.
const BOX_HALF_WIDTH: f64 = 0.07;
/// Points along each violin's outline.
const VIOLIN_POINTS: usize = 120;

/// A box plot inside a violin for each series, side by side, values on a linear `y` axis.
pub fn box_violin(
    meta: &FigureMeta,
    series: &[Series],
    y: &Quantity,
) -> Result<Chart, ReportError> {
    let mut groups = Vec::new();
    for one in series.iter().filter(|s| !s.values.is_empty()) {
        check_values(
            &meta.title,
            &one.label,
            one.values.iter().copied(),
            Scale::Linear,
        )?;
        groups.push(Group::new(&one.label, &one.values));
    }
    if groups.is_empty() {
        return Err(no_data(&meta.title));
    }
    Ok(Chart::new(
        meta,
        Plot::BoxViolin(BoxViolin {
            y: y.clone(),
            groups,
        }),
    ))
}

#[derive(Debug, Clone)]
pub(crate) struct BoxViolin {
    y: Quantity,
    groups: Vec<Group>,
}

/// One series, summarised.
#[derive(Debug, Clone)]
struct Group {
    label: String,
    n: usize,
    q1: f64,
    median: f64,
    q3: f64,
    mean: f64,
    /// The most extreme values within 1.5 IQR of the box.
    whiskers: (f64, f64),
    outliers: Vec<f64>,
    /// (value, density) along the data range; `None` when the values do not vary.
    violin: Option<Vec<(f64, f64)>>,
}

impl Group {
    fn new(label: &str, values: &[f64]) -> Self {
        let s = sorted(values);
        let (q1, median, q3) = (quantile(&s, 0.25), quantile(&s, 0.5), quantile(&s, 0.75));
        let fence = 1.5 * (q3 - q1);
        let inside = |v: &&f64| **v >= q1 - fence && **v <= q3 + fence;
        let low = s.iter().find(inside).copied().unwrap_or(q1);
        let high = s.iter().rev().find(inside).copied().unwrap_or(q3);
        let outliers = s.iter().filter(|v| !inside(v)).copied().collect();
        let violin =
            silverman_bandwidth(&s).map(|h| curve(&s, h, s[0], s[s.len() - 1], VIOLIN_POINTS));
        Self {
            label: label.to_owned(),
            n: s.len(),
            q1,
            median,
            q3,
            mean: s.iter().sum::<f64>() / s.len() as f64,
            whiskers: (low, high),
            outliers,
            violin,
        }
    }
}

impl BoxViolin {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let names = self
            .groups
            .iter()
            .map(|g| format!("{} (n={})", g.label, g.n))
            .collect();
        let x = AxisCoord::Categories { names };
        let bounds = self.groups.iter().flat_map(|g| {
            let (lo, hi) = (g.outliers.first().copied(), g.outliers.last().copied());
            [
                g.whiskers.0,
                g.whiskers.1,
                lo.unwrap_or(g.q1),
                hi.unwrap_or(g.q3),
            ]
        });
        let (lo, hi) = extent(bounds).unwrap_or((0.0, 1.0));
        let y = AxisCoord::fit(Scale::Linear, lo, hi, false);
        let y_desc = self.y.label();
        let x_desc = "engine · box: quartiles · whiskers: 1.5 × IQR · bar: median · dot: mean · shape: density";
        let mut mesh = Mesh::new(x_desc, &y_desc);
        mesh.grid = Grid::Horizontal;
        let mut chart = plane(area, x, y, &mesh)?;

        for (position, group) in self.groups.iter().enumerate() {
            let color = palette::color(palette::index_for(&meta.engines, &group.label, position));
            let at = position as f64;
            if let Some(violin) = &group.violin {
                let peak = violin.iter().map(|p| p.1).fold(f64::MIN_POSITIVE, f64::max);
                let scale = VIOLIN_HALF_WIDTH / peak;
                let outline: Vec<(f64, f64)> = violin
                    .iter()
                    .map(|(v, d)| (at - d * scale, *v))
                    .chain(violin.iter().rev().map(|(v, d)| (at + d * scale, *v)))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(
                    outline.clone(),
                    color.mix(0.22).filled(),
                )))?;
                let mut closed = outline;
                closed.push(closed[0]);
                chart.draw_series(std::iter::once(PathElement::new(
                    closed,
                    color.stroke_width(1),
                )))?;
            }
            let (low, high) = group.whiskers;
            let whisker = color.stroke_width(2);
            let cap = BOX_HALF_WIDTH * 0.7;
            chart.draw_series([
                PathElement::new([(at, group.q3), (at, high)], whisker),
                PathElement::new([(at, group.q1), (at, low)], whisker),
                PathElement::new([(at - cap, high), (at + cap, high)], whisker),
                PathElement::new([(at - cap, low), (at + cap, low)], whisker),
            ])?;
            let corners = [
                (at - BOX_HALF_WIDTH, group.q1),
                (at + BOX_HALF_WIDTH, group.q3),
            ];
            chart.draw_series([
                Rectangle::new(corners, color.mix(0.75).filled()),
                Rectangle::new(corners, BLACK.stroke_width(1)),
            ])?;
            let median = [
                (at - BOX_HALF_WIDTH, group.median),
                (at + BOX_HALF_WIDTH, group.median),
            ];
            chart.draw_series(std::iter::once(PathElement::new(
                median,
                BLACK.stroke_width(3),
            )))?;
            chart.draw_series(
                group
                    .outliers
                    .iter()
                    .map(|v| Circle::new((at, *v), 3, color.stroke_width(1))),
            )?;
            chart.draw_series([
                Circle::new((at, group.mean), 5, WHITE.filled()),
                Circle::new((at, group.mean), 5, BLACK.stroke_width(2)),
            ])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_svg_has, meta, skewed};

    #[test]
    fn group_summary_follows_tukey() {
        let mut values: Vec<f64> = (1..=20).map(f64::from).collect();
        values.push(100.0);
        let g = Group::new("a", &values);
        assert_eq!(g.n, 21);
        assert!((g.median - 11.0).abs() < 1e-12);
        assert_eq!(g.outliers, vec![100.0]);
        assert!((g.whiskers.1 - 20.0).abs() < 1e-12);
        assert!((g.whiskers.0 - 1.0).abs() < 1e-12);
        assert!(g.violin.is_some());
        assert!(Group::new("flat", &[3.0, 3.0]).violin.is_none());
    }

    #[test]
    fn renders_each_engine_and_the_axis_unit() {
        let series = [
            Series::new("candle", skewed(300, 8.0)),
            Series::new("burn", skewed(300, 11.0)),
        ];
        let chart = box_violin(
            &meta("Time per output token"),
            &series,
            &Quantity::new("time per output token", "ms"),
        )
        .unwrap();
        assert_svg_has(
            &chart.svg().unwrap(),
            &[
                "Time per output token",
                "time per output token (ms)",
                "candle (n=300)",
                "burn (n=300)",
                "engine · box: quartiles · whiskers: 1.5 × IQR",
            ],
        );
    }
}
