//! A trade-off between two costs, e.g. energy per token against time per token: one labelled
//! point per engine, the points on the Pareto front filled and joined by a step line, the
//! dominated ones hollow. Which points are on the front is the caller's to say.

use std::ops::Range;

use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{EmptyElement, PathElement, Text};
use plotters::prelude::DrawingBackend;
use plotters::style::{Color, ShapeStyle};
use serde::{Deserialize, Serialize};

use crate::axis::AxisCoord;
use crate::charts::Plot;
use crate::data::{check_values, extent, no_data};
use crate::frame::{DrawError, Mesh, legend, legend_room, plane, text};
use crate::marker::Mark;
use crate::palette::{self, MUTED, Marker};
use crate::{Axis, Chart, FigureMeta, ReportError};

/// Radius of a point's marker, in px.
const MARK: i32 = 6;
/// Space between a marker and its label, in px.
const GAP: i32 = 9;

/// One labelled point of a trade-off figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeoffPoint {
    /// The label drawn beside the point, usually the engine label.
    pub label: String,
    /// The cost along the x axis, in its unit.
    pub x: f64,
    /// The cost along the y axis, in its unit.
    pub y: f64,
    /// Whether the point is on the Pareto front (drawn filled, joined by the step line).
    pub on_front: bool,
}

/// Every point over `x` and `y`, labelled, with the points on the front joined by a step line
/// in order of `x`.
pub fn tradeoff(
    meta: &FigureMeta,
    points: &[TradeoffPoint],
    x: &Axis,
    y: &Axis,
) -> Result<Chart, ReportError> {
    if points.is_empty() {
        return Err(no_data(&meta.title));
    }
    for p in points {
        check_values(&meta.title, &p.label, [p.x], x.scale)?;
        check_values(&meta.title, &p.label, [p.y], y.scale)?;
    }
    Ok(Chart::new(
        meta,
        Plot::Tradeoff(Tradeoff {
            x: x.clone(),
            y: y.clone(),
            points: points.to_vec(),
        }),
    ))
}

#[derive(Debug, Clone)]
pub(crate) struct Tradeoff {
    x: Axis,
    y: Axis,
    points: Vec<TradeoffPoint>,
}

impl Tradeoff {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let (x_lo, x_hi) = extent(self.points.iter().map(|p| p.x)).unwrap_or((0.0, 1.0));
        let (y_lo, y_hi) = extent(self.points.iter().map(|p| p.y)).unwrap_or((0.0, 1.0));
        let x = AxisCoord::fit(self.x.scale, x_lo, x_hi, false);
        let y = AxisCoord::fit(self.y.scale, y_lo, y_hi, false).with_headroom(legend_room(area, 3));
        let (x_desc, y_desc) = (self.x.quantity.label(), self.y.quantity.label());
        let mut chart = plane(area, x, y, &Mesh::new(&x_desc, &y_desc))?;

        let mut front: Vec<(f64, f64)> = self
            .points
            .iter()
            .filter(|p| p.on_front)
            .map(|p| (p.x, p.y))
            .collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let stair = MUTED.stroke_width(2);
        chart
            .draw_series(std::iter::once(PathElement::new(steps(&front), stair)))?
            .label("Pareto front (lower is better on both axes)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 22, y)], stair));

        for (position, p) in self.points.iter().enumerate() {
            let index = palette::index_for(&meta.engines, &p.label, position);
            let (color, shape) = (palette::color(index), palette::marker(index));
            let style = if p.on_front {
                color.filled()
            } else {
                color.stroke_width(2)
            };
            chart.draw_series(std::iter::once(Mark::new((p.x, p.y), shape, MARK, style)))?;
        }
        let grey: ShapeStyle = MUTED.filled();
        chart
            .draw_series(std::iter::empty::<Mark<(f64, f64)>>())?
            .label("on the front (filled)")
            .legend(move |c| Mark::icon(c, Marker::Circle, grey, None));
        chart
            .draw_series(std::iter::empty::<Mark<(f64, f64)>>())?
            .label("dominated (hollow)")
            .legend(move |c| Mark::icon(c, Marker::Circle, MUTED.stroke_width(2), None));

        let style = text(14.0);
        let plot = chart.plotting_area();
        let sizes = self
            .points
            .iter()
            .map(|p| plot.estimate_text_size(&p.label, &style))
            .collect::<Result<Vec<_>, _>>()?;
        let anchors: Vec<(i32, i32)> = self
            .points
            .iter()
            .map(|p| chart.backend_coord(&(p.x, p.y)))
            .collect();
        let corners = place_labels(&anchors, &sizes, &plot.get_pixel_range());
        chart.draw_series(self.points.iter().zip(anchors.iter().zip(&corners)).map(
            |(p, (at, corner))| {
                let offset = (corner.0 - at.0, corner.1 - at.1);
                EmptyElement::at((p.x, p.y)) + Text::new(p.label.clone(), offset, style.clone())
            },
        ))?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

/// The staircase through points sorted by x: across at each point's y to the next point's x,
/// then down (or up) to it.
fn steps(sorted: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut path = Vec::with_capacity(sorted.len() * 2);
    for (i, p) in sorted.iter().enumerate() {
        if i > 0 {
            path.push((p.0, sorted[i - 1].1));
        }
        path.push(*p);
    }
    path
}

/// Top-left corners (px) for labels of `sizes` beside markers at `anchors`, inside `bounds`
/// (x range, y range): for each label in turn, the first of right, left, above and below its
/// marker that overlaps no marker and no label placed before it, else the spot that overlaps
/// least.
pub(crate) fn place_labels(
    anchors: &[(i32, i32)],
    sizes: &[(u32, u32)],
    bounds: &(Range<i32>, Range<i32>),
) -> Vec<(i32, i32)> {
    type Rect = (i32, i32, i32, i32);
    let overlap = |a: Rect, b: Rect| -> i64 {
        let w = (a.2.min(b.2) - a.0.max(b.0)).max(0);
        let h = (a.3.min(b.3) - a.1.max(b.1)).max(0);
        i64::from(w) * i64::from(h)
    };
    let markers: Vec<Rect> = anchors
        .iter()
        .map(|&(x, y)| (x - MARK, y - MARK, x + MARK, y + MARK))
        .collect();
    let mut placed: Vec<Rect> = Vec::with_capacity(anchors.len());
    for (&(x, y), &(w, h)) in anchors.iter().zip(sizes) {
        let (w, h) = (w as i32, h as i32);
        let candidates = [
            (x + GAP, y - h / 2),
            (x - GAP - w, y - h / 2),
            (x + GAP / 2, y - GAP - h),
            (x + GAP / 2, y + GAP),
            (x - GAP / 2 - w, y - GAP - h),
            (x - GAP / 2 - w, y + GAP),
        ];
        let cost = |&(left, top): &(i32, i32)| -> i64 {
            let rect = (left, top, left + w, top + h);
            let inside = (bounds.0.start, bounds.1.start, bounds.0.end, bounds.1.end);
            let outside = i64::from(w) * i64::from(h) - overlap(rect, inside);
            let covered: i64 = markers
                .iter()
                .chain(&placed)
                .map(|r| overlap(rect, *r))
                .sum();
            covered + 4 * outside
        };
        // `min_by_key` keeps the first of equals: the earliest spot in the order above.
        let best = candidates
            .iter()
            .min_by_key(|c| cost(c))
            .copied()
            .unwrap_or((x + GAP, y));
        placed.push((best.0, best.1, best.0 + w, best.1 + h));
    }
    placed.iter().map(|r| (r.0, r.1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quantity;
    use crate::charts::test_support::{assert_svg_has, meta};

    #[test]
    fn steps_go_across_then_down() {
        let path = steps(&[(1.0, 5.0), (2.0, 3.0), (4.0, 1.0)]);
        assert_eq!(
            path,
            vec![(1.0, 5.0), (2.0, 5.0), (2.0, 3.0), (4.0, 3.0), (4.0, 1.0)]
        );
        assert_eq!(steps(&[(1.0, 1.0)]), vec![(1.0, 1.0)]);
    }

    #[test]
    fn labels_go_right_unless_taken_or_outside() {
        let bounds = (0..200, 0..100);
        // Alone, in the middle: right of the marker, centred on it.
        let alone = place_labels(&[(50, 50)], &[(40, 10)], &bounds);
        assert_eq!(alone, vec![(50 + GAP, 45)]);
        // Two markers side by side: the first label would cover the second marker on the
        // right (60..100 against 64..76), so it goes left; the second goes right.
        let pair = place_labels(&[(50, 50), (70, 50)], &[(40, 10), (40, 10)], &bounds);
        assert_eq!(pair, vec![(50 - GAP - 40, 45), (70 + GAP, 45)]);
        // At the right edge: left of the marker.
        let edge = place_labels(&[(190, 50)], &[(40, 10)], &bounds);
        assert_eq!(edge, vec![(190 - GAP - 40, 45)]);
    }

    #[test]
    fn refuses_empty_and_non_finite_points() {
        let axis = || Axis::linear(Quantity::new("cost", "s"));
        assert!(matches!(
            tradeoff(&meta("t"), &[], &axis(), &axis()),
            Err(ReportError::NoData { .. })
        ));
        let bad = TradeoffPoint {
            label: "candle".into(),
            x: f64::NAN,
            y: 1.0,
            on_front: true,
        };
        assert!(matches!(
            tradeoff(&meta("t"), &[bad], &axis(), &axis()),
            Err(ReportError::NonFinite { .. })
        ));
    }

    #[test]
    fn renders_labels_front_and_units() {
        let point = |label: &str, x: f64, y: f64, on_front: bool| TradeoffPoint {
            label: label.into(),
            x,
            y,
            on_front,
        };
        let chart = tradeoff(
            &meta("Energy vs latency"),
            &[
                point("candle", 12.0, 0.8, true),
                point("burn", 20.0, 0.5, true),
                point("burn@f16", 25.0, 0.9, false),
            ],
            &Axis::linear(Quantity::new("TPOT p50", "ms")),
            &Axis::linear(Quantity::new("energy per output token", "J/token")),
        )
        .unwrap();
        assert_svg_has(
            &chart.svg().unwrap(),
            &[
                "TPOT p50 (ms)",
                "energy per output token (J/token)",
                "candle",
                "burn@f16",
                "Pareto front",
                "dominated",
            ],
        );
    }
}
