//! Scatter plots with fitted regression lines, e.g. input tokens vs TTFT, total tokens vs E2E
//! latency or energy, total tokens vs power on a log scale.

use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{PathElement, Rectangle};
use plotters::prelude::DrawingBackend;
use plotters::series::LineSeries;
use plotters::style::Color;
use serde::{Deserialize, Serialize};

use crate::axis::AxisCoord;
use crate::charts::Plot;
use crate::charts::density::{Cells, Span};
use crate::data::{check_values, extent, no_data};
use crate::frame::{DrawError, Mesh, legend, legend_room, plane};
use crate::marker::Mark;
use crate::{Axis, Chart, FigureMeta, ReportError, Scale, format, palette};

/// Points along each drawn fit.
const FIT_POINTS: usize = 100;
/// Above this many points in all, each group is drawn as a density (a 2-D histogram) instead of
/// one marker per point, so the figure's size and cost stop growing with the sample.
const MAX_MARKERS: usize = 4000;
/// Density cells across and up, for up to [`DENSITY_GROUPS`] groups; more groups get fewer
/// cells each, so the figure holds at most `80 * 50 * 3` blocks whatever the data.
const DENSITY_CELLS: (usize, usize) = (80, 50);
/// Groups that get the full [`DENSITY_CELLS`].
const DENSITY_GROUPS: usize = 3;

/// The shape of a fitted model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitModel {
    /// `y = intercept + slope * x` (ordinary least squares on y).
    Linear,
    /// `ln y = intercept + slope * x` (least squares on the natural log of y).
    LogLinear,
}

/// A fitted regression line, as computed elsewhere (e.g. `summary.json` regressions).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// The model the coefficients belong to.
    pub model: FitModel,
    /// Change in y (or ln y) per unit of x.
    pub slope: f64,
    /// y (or ln y) at x = 0.
    pub intercept: f64,
    /// Coefficient of determination, shown in the legend when known.
    pub r_squared: Option<f64>,
}

impl Fit {
    /// The fitted y at `x`.
    pub fn predict(&self, x: f64) -> f64 {
        let linear = self.intercept + self.slope * x;
        match self.model {
            FitModel::Linear => linear,
            FitModel::LogLinear => linear.exp(),
        }
    }

    /// The legend text, e.g. "y = 31.2 + 0.52·x, R² = 0.98".
    fn describe(&self) -> String {
        let lhs = match self.model {
            FitModel::Linear => "y",
            FitModel::LogLinear => "ln y",
        };
        let sign = if self.slope < 0.0 { '−' } else { '+' };
        let mut out = format!(
            "{lhs} = {} {sign} {}·x",
            format::number(self.intercept),
            format::number(self.slope.abs())
        );
        if let Some(r2) = self.r_squared {
            out.push_str(", R² = ");
            out.push_str(&format::number(r2));
        }
        out
    }
}

/// One labelled cloud of points with its optional fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scatter {
    /// Legend label, usually the engine id.
    pub label: String,
    /// (x, y) per request or per run.
    pub points: Vec<(f64, f64)>,
    /// The regression drawn over the points' x range.
    pub fit: Option<Fit>,
}

/// Points per group with their regression lines, over `x` and `y`.
pub fn scatter_fit(
    meta: &FigureMeta,
    groups: &[Scatter],
    x: &Axis,
    y: &Axis,
) -> Result<Chart, ReportError> {
    let mut kept = Vec::new();
    for group in groups.iter().filter(|g| !g.points.is_empty()) {
        check_values(
            &meta.title,
            &group.label,
            group.points.iter().map(|p| p.0),
            x.scale,
        )?;
        check_values(
            &meta.title,
            &group.label,
            group.points.iter().map(|p| p.1),
            y.scale,
        )?;
        if let Some(fit) = group.fit {
            check_values(
                &meta.title,
                &group.label,
                [fit.slope, fit.intercept],
                Scale::Linear,
            )?;
        }
        kept.push(group.clone());
    }
    if kept.is_empty() {
        return Err(no_data(&meta.title));
    }
    Ok(Chart::new(
        meta,
        Plot::Scatter(ScatterPlot {
            x: x.clone(),
            y: y.clone(),
            groups: kept,
        }),
    ))
}

#[derive(Debug, Clone)]
pub(crate) struct ScatterPlot {
    x: Axis,
    y: Axis,
    groups: Vec<Scatter>,
}

impl ScatterPlot {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let points = || self.groups.iter().flat_map(|g| g.points.iter());
        let (x_lo, x_hi) = extent(points().map(|p| p.0)).unwrap_or((0.0, 1.0));
        let (y_lo, y_hi) = extent(points().map(|p| p.1)).unwrap_or((0.0, 1.0));
        let x = AxisCoord::fit(self.x.scale, x_lo, x_hi, false);
        let entries = self.groups.len() + self.groups.iter().filter(|g| g.fit.is_some()).count();
        let y = AxisCoord::fit(self.y.scale, y_lo, y_hi, false)
            .with_headroom(legend_room(area, entries));
        let (x_desc, y_desc) = (self.x.quantity.label(), self.y.quantity.label());
        let mut chart = plane(area, x, y, &Mesh::new(&x_desc, &y_desc))?;
        let total: usize = self.groups.iter().map(|g| g.points.len()).sum();
        let cells = (total > MAX_MARKERS).then(|| {
            // Fewer cells each beyond three groups keeps the figure's total bounded.
            let share = (DENSITY_GROUPS as f64 / self.groups.len() as f64)
                .min(1.0)
                .sqrt();
            let (cols, rows) = DENSITY_CELLS;
            Cells {
                x: Span::new(self.x.scale, x_lo, x_hi, (cols as f64 * share) as usize),
                y: Span::new(self.y.scale, y_lo, y_hi, (rows as f64 * share) as usize),
            }
        });

        for (position, group) in self.groups.iter().enumerate() {
            let index = palette::index_for(&meta.engines, &group.label, position);
            let (color, shape) = (palette::color(index), palette::marker(index));
            let n = group.points.len();
            if let Some(cells) = &cells {
                let blocks = cells.blocks(&group.points).into_iter().map(|b| {
                    let corners = [(b.x.0, b.y.0), (b.x.1, b.y.1)];
                    Rectangle::new(corners, color.mix(b.opacity).filled())
                });
                chart
                    .draw_series(blocks)?
                    .label(format!("{}: density of n={n} points", group.label))
                    .legend(move |(x, y)| {
                        Rectangle::new([(x + 5, y - 6), (x + 17, y + 6)], color.mix(0.6).filled())
                    });
            } else {
                let point_style = color.mix(0.55).filled();
                chart
                    .draw_series(
                        group
                            .points
                            .iter()
                            .map(|p| Mark::new(*p, shape, 3, point_style)),
                    )?
                    .label(format!("{} (n={n})", group.label))
                    .legend(move |c| Mark::icon(c, shape, color.filled(), None));
            }
            let Some(fit) = group.fit else { continue };
            let (lo, hi) = extent(group.points.iter().map(|p| p.0)).unwrap_or((0.0, 1.0));
            // Straight on this y axis: two points draw it cleanly; else trace the curve.
            let straight = matches!(
                (fit.model, self.y.scale),
                (FitModel::Linear, Scale::Linear) | (FitModel::LogLinear, Scale::Log)
            );
            let steps = if straight { 2 } else { FIT_POINTS };
            let line = (0..steps).map(|i| {
                let at = lo + (hi - lo) * i as f64 / (steps - 1) as f64;
                (at, fit.predict(at))
            });
            let line: Vec<(f64, f64)> = line
                .filter(|p| p.1.is_finite() && (self.y.scale == Scale::Linear || p.1 > 0.0))
                .collect();
            chart
                .draw_series(LineSeries::new(line, color.stroke_width(3)))?
                .label(format!("{} fit: {}", group.label, fit.describe()))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 22, y)], color.stroke_width(3))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quantity;
    use crate::charts::test_support::{assert_svg_has, meta};

    fn cloud(slope: f64, intercept: f64) -> Vec<(f64, f64)> {
        (1..=60)
            .map(|i| {
                let x = f64::from(i) * 16.0;
                let wobble = f64::from(i % 7) - 3.0;
                (x, intercept + slope * x + wobble)
            })
            .collect()
    }

    #[test]
    fn fits_predict_linear_and_log_linear() {
        let linear = Fit {
            model: FitModel::Linear,
            slope: 2.0,
            intercept: 1.0,
            r_squared: None,
        };
        assert!((linear.predict(3.0) - 7.0).abs() < 1e-12);
        let log = Fit {
            model: FitModel::LogLinear,
            slope: 0.5,
            intercept: 0.0,
            r_squared: Some(0.9),
        };
        assert!((log.predict(2.0) - 1f64.exp()).abs() < 1e-12);
        assert_eq!(log.describe(), "ln y = 0 + 0.5·x, R² = 0.9");
        let falling = Fit {
            model: FitModel::Linear,
            slope: -2.0,
            intercept: 1.0,
            r_squared: None,
        };
        assert_eq!(falling.describe(), "y = 1 − 2·x");
    }

    #[test]
    fn renders_points_fits_and_axis_units() {
        let groups = [
            Scatter {
                label: "candle".into(),
                points: cloud(0.05, 20.0),
                fit: Some(Fit {
                    model: FitModel::Linear,
                    slope: 0.05,
                    intercept: 20.0,
                    r_squared: Some(0.97),
                }),
            },
            Scatter {
                label: "burn".into(),
                points: cloud(0.08, 25.0),
                fit: None,
            },
        ];
        let chart = scatter_fit(
            &meta("Input tokens vs TTFT"),
            &groups,
            &Axis::linear(Quantity::new("input tokens", "tokens")),
            &Axis::log(Quantity::new("time to first token", "ms")),
        )
        .unwrap();
        assert_svg_has(
            &chart.svg().unwrap(),
            &[
                "input tokens (tokens)",
                "time to first token (ms)",
                "candle (n=60)",
                "candle fit: y = 20 + 0.05·x, R² = 0.97",
                "burn (n=60)",
            ],
        );
    }

    #[test]
    fn large_clouds_are_drawn_as_densities_of_bounded_size() {
        let render = |n: i32| {
            let points: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let x = f64::from(i % 1009) + 1.0;
                    (x, 20.0 + 0.05 * x + f64::from(i % 13))
                })
                .collect();
            let group = Scatter {
                label: "candle".into(),
                points,
                fit: Some(Fit {
                    model: FitModel::Linear,
                    slope: 0.05,
                    intercept: 26.0,
                    r_squared: None,
                }),
            };
            scatter_fit(
                &meta("E2E"),
                &[group],
                &Axis::linear(Quantity::new("total tokens", "tokens")),
                &Axis::log(Quantity::new("e2e latency", "ms")),
            )
            .unwrap()
            .svg()
            .unwrap()
        };
        let (small, large) = (render(MAX_MARKERS as i32 + 1), render(100_000));
        assert_svg_has(
            &large,
            &["candle: density of n=100000 points", "candle fit: y = 26"],
        );
        // No markers, and the size does not follow the number of points.
        assert!(!large.contains("<circle"));
        assert!(
            large.len() < small.len() * 3 / 2,
            "{} vs {}",
            large.len(),
            small.len()
        );
        assert!(render(MAX_MARKERS as i32).contains("<circle"));
    }
}
