//! Trends across nightly runs: one line per engine (or metric), each point with its confidence
//! interval as an error bar, runs along the x axis in the order given.

use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::PathElement;
use plotters::prelude::DrawingBackend;
use plotters::series::LineSeries;
use plotters::style::Color;
use serde::{Deserialize, Serialize};

use crate::axis::AxisCoord;
use crate::charts::Plot;
use crate::data::{check_values, extent, no_data};
use crate::frame::{DrawError, Mesh, legend, legend_room, plane};
use crate::marker::Mark;
use crate::{Chart, FigureMeta, Quantity, ReportError, Scale, palette};

/// Half the width of an error bar's caps, in run units.
const CAP: f64 = 0.06;
/// How far apart the lines' points sit within one run, in run units.
const DODGE: f64 = 0.12;

/// One run's value, e.g. a nightly median TTFT with its bootstrap CI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// The run it belongs to; must be one of the runs passed to [`trend`].
    pub run: String,
    /// The value, in the unit of the y axis.
    pub value: f64,
    /// Lower and upper bound of its confidence interval, when known.
    pub ci: Option<(f64, f64)>,
}

/// One labelled line across runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendLine {
    /// Legend label, usually the engine id.
    pub label: String,
    /// Points in any order; a run may be missing.
    pub points: Vec<TrendPoint>,
}

/// Each line across `runs` (x axis, oldest first, labelled with the run ids) against `y`.
pub fn trend(
    meta: &FigureMeta,
    runs: &[String],
    lines: &[TrendLine],
    y: &Quantity,
) -> Result<Chart, ReportError> {
    let mut kept = Vec::new();
    for line in lines.iter().filter(|l| !l.points.is_empty()) {
        let mut placed = Vec::with_capacity(line.points.len());
        for point in &line.points {
            let Some(index) = runs.iter().position(|run| *run == point.run) else {
                return Err(ReportError::UnknownRun {
                    figure: meta.title.clone(),
                    series: line.label.clone(),
                    run: point.run.clone(),
                });
            };
            let bounds = point.ci.map_or([point.value; 2], |(lo, hi)| [lo, hi]);
            check_values(
                &meta.title,
                &line.label,
                [point.value, bounds[0], bounds[1]],
                Scale::Linear,
            )?;
            placed.push((index as f64, point.value, point.ci));
        }
        placed.sort_by(|a, b| a.0.total_cmp(&b.0));
        kept.push((line.label.clone(), placed));
    }
    if kept.is_empty() {
        return Err(no_data(&meta.title));
    }
    Ok(Chart::new(
        meta,
        Plot::Trend(Trend {
            y: y.clone(),
            runs: runs.to_vec(),
            lines: kept,
        }),
    ))
}

/// A point placed on the axis: (run index, value, confidence interval).
type Placed = (f64, f64, Option<(f64, f64)>);

#[derive(Debug, Clone)]
pub(crate) struct Trend {
    y: Quantity,
    runs: Vec<String>,
    /// Label and points sorted by run.
    lines: Vec<(String, Vec<Placed>)>,
}

impl Trend {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let values = self.lines.iter().flat_map(|(_, points)| {
            points.iter().flat_map(|(_, v, ci)| {
                let (lo, hi) = ci.unwrap_or((*v, *v));
                [*v, lo, hi]
            })
        });
        let (lo, hi) = extent(values).unwrap_or((0.0, 1.0));
        let widest = self
            .runs
            .iter()
            .map(|r| r.chars().count())
            .max()
            .unwrap_or(1);
        let x = AxisCoord::Categories {
            names: self.runs.clone(),
        };
        let y = AxisCoord::fit(Scale::Linear, lo, hi, false)
            .with_headroom(legend_room(area, self.lines.len()));
        let y_desc = self.y.label();
        let mut mesh = Mesh::new("run (oldest to newest)", &y_desc);
        // Roughly 8 px per character at the tick font size, on a plot about 850 px wide.
        mesh.x_labels = (850 / (widest * 8 + 16)).clamp(2, 30);
        let mut chart = plane(area, x, y, &mesh)?;

        let count = self.lines.len();
        for (position, (label, points)) in self.lines.iter().enumerate() {
            // Side by side within a run, so error bars of close values stay apart.
            let step = if count > 1 {
                DODGE.min(0.5 / (count - 1) as f64)
            } else {
                0.0
            };
            let shift = (position as f64 - (count - 1) as f64 / 2.0) * step;
            let points: Vec<_> = points
                .iter()
                .map(|(x, v, ci)| (x + shift, *v, *ci))
                .collect();
            let index = palette::index_for(&meta.engines, label, position);
            let (color, shape) = (palette::color(index), palette::marker(index));
            let bar = color.stroke_width(2);
            chart.draw_series(
                points
                    .iter()
                    .filter_map(|(x, _, ci)| ci.map(|(lo, hi)| (x, lo, hi)))
                    .flat_map(|(x, lo, hi)| {
                        [
                            PathElement::new([(*x, lo), (*x, hi)], bar),
                            PathElement::new([(x - CAP, lo), (x + CAP, lo)], bar),
                            PathElement::new([(x - CAP, hi), (x + CAP, hi)], bar),
                        ]
                    }),
            )?;
            chart.draw_series(LineSeries::new(
                points.iter().map(|(x, v, _)| (*x, *v)),
                color.stroke_width(2),
            ))?;
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|(x, v, _)| Mark::new((*x, *v), shape, 5, color.filled())),
                )?
                .label(label.clone())
                .legend(move |c| Mark::icon(c, shape, color.filled(), Some(color.stroke_width(2))));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_svg_has, meta};

    fn point(run: &str, value: f64) -> TrendPoint {
        TrendPoint {
            run: run.to_owned(),
            value,
            ci: Some((value * 0.95, value * 1.05)),
        }
    }

    #[test]
    fn refuses_points_of_unknown_runs() {
        let runs = vec!["2025-01-01".to_owned()];
        let lines = [TrendLine {
            label: "candle".into(),
            points: vec![point("2025-01-02", 1.0)],
        }];
        let result = trend(
            &meta("t"),
            &runs,
            &lines,
            &Quantity::new("median TTFT", "ms"),
        );
        assert!(matches!(result, Err(ReportError::UnknownRun { .. })));
    }

    #[test]
    fn renders_runs_lines_and_units() {
        let runs: Vec<String> = (1..=7).map(|d| format!("2025-03-0{d}")).collect();
        let lines = [
            TrendLine {
                label: "candle".into(),
                points: runs
                    .iter()
                    .enumerate()
                    .map(|(i, r)| point(r, 20.0 + i as f64))
                    .collect(),
            },
            TrendLine {
                label: "burn".into(),
                points: vec![point("2025-03-07", 30.0), point("2025-03-02", 28.0)],
            },
        ];
        let chart = trend(
            &meta("Nightly median TTFT"),
            &runs,
            &lines,
            &Quantity::new("median TTFT", "ms"),
        )
        .unwrap();
        assert_svg_has(
            &chart.svg().unwrap(),
            &[
                "run (oldest to newest)",
                "median TTFT (ms)",
                "2025-03-01",
                "2025-03-07",
            ],
        );
    }
}
