//! Quantities over time (power, cumulative energy) with the requests marked as bars in a strip
//! below, one lane per overlapping request.

use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{PathElement, Rectangle};
use plotters::prelude::DrawingBackend;
use plotters::series::LineSeries;
use plotters::style::{Color, RGBColor};

use crate::axis::AxisCoord;
use crate::charts::Plot;
use crate::data::{check_values, extent, no_data};
use crate::frame::{DrawError, Grid, Mesh, legend, legend_room, plane};
use crate::{Chart, FigureMeta, Line, Quantity, ReportError, Scale, Span, palette};

/// Lanes in the request strip; more overlapping requests share the least busy lane.
const MAX_LANES: usize = 24;
/// The colour of request bars: a neutral slate, apart from every series colour.
const REQUEST: RGBColor = RGBColor(0x55, 0x62, 0x70);

/// Each line over time (`x`, e.g. seconds since the run started) against `y`, with `requests`
/// (submission to last token, in the unit of `x`) marked beneath.
pub fn time_series(
    meta: &FigureMeta,
    lines: &[Line],
    requests: &[Span],
    x: &Quantity,
    y: &Quantity,
) -> Result<Chart, ReportError> {
    let mut kept = Vec::new();
    for line in lines.iter().filter(|l| !l.points.is_empty()) {
        let values = line.points.iter().flat_map(|p| [p.0, p.1]);
        check_values(&meta.title, &line.label, values, Scale::Linear)?;
        kept.push(line.clone());
    }
    if kept.is_empty() {
        return Err(no_data(&meta.title));
    }
    for span in requests {
        check_values(
            &meta.title,
            "requests",
            [span.start, span.end],
            Scale::Linear,
        )?;
        if span.end < span.start {
            return Err(ReportError::BadSpan {
                figure: meta.title.clone(),
                start: span.start,
                end: span.end,
            });
        }
    }
    Ok(Chart::new(
        meta,
        Plot::TimeSeries(TimeSeries {
            x: x.clone(),
            y: y.clone(),
            lines: kept,
            lanes: lanes(requests),
        }),
    ))
}

#[derive(Debug, Clone)]
pub(crate) struct TimeSeries {
    x: Quantity,
    y: Quantity,
    lines: Vec<Line>,
    /// Each request with its lane.
    lanes: Vec<(Span, usize)>,
}

/// Assigns each span the first lane free at its start (interval partitioning), up to
/// [`MAX_LANES`]; beyond that, the lane that frees first.
fn lanes(requests: &[Span]) -> Vec<(Span, usize)> {
    let mut order: Vec<Span> = requests.to_vec();
    order.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut ends: Vec<f64> = Vec::new();
    order
        .into_iter()
        .map(|span| {
            let lane = match ends.iter().position(|end| *end <= span.start) {
                Some(free) => free,
                None if ends.len() < MAX_LANES => {
                    ends.push(span.end);
                    ends.len() - 1
                }
                None => (0..ends.len())
                    .min_by(|a, b| ends[*a].total_cmp(&ends[*b]))
                    .unwrap_or(0),
            };
            ends[lane] = ends[lane].max(span.end);
            (span, lane)
        })
        .collect()
}

impl TimeSeries {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let points = || self.lines.iter().flat_map(|l| l.points.iter());
        let spans = self.lanes.iter().flat_map(|(s, _)| [s.start, s.end]);
        let (x_lo, x_hi) = extent(points().map(|p| p.0).chain(spans)).unwrap_or((0.0, 1.0));
        let (y_lo, y_hi) = extent(points().map(|p| p.1)).unwrap_or((0.0, 1.0));
        let x = AxisCoord::fit(Scale::Linear, x_lo, x_hi, true);
        let (x_desc, y_desc) = (self.x.label(), self.y.label());

        let (upper, lower) = if self.lanes.is_empty() {
            (area.clone(), None)
        } else {
            let height = area.dim_in_pixel().1 as i32;
            let (upper, lower) = area.split_vertically(height * 3 / 4);
            (upper, Some(lower))
        };
        let mut top_mesh = Mesh::new(&x_desc, &y_desc);
        top_mesh.x_axis = lower.is_none();
        let y = AxisCoord::fit(Scale::Linear, y_lo, y_hi, true)
            .with_headroom(legend_room(&upper, self.lines.len()));
        let mut chart = plane(&upper, x.clone(), y, &top_mesh)?;
        for (position, line) in self.lines.iter().enumerate() {
            let color = palette::color(palette::index_for(&meta.engines, &line.label, position));
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(line.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 22, y)], color.stroke_width(3))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;

        let Some(lower) = lower else { return Ok(()) };
        let lane_count = self
            .lanes
            .iter()
            .map(|(_, lane)| lane + 1)
            .max()
            .unwrap_or(1);
        let strip = AxisCoord::Linear {
            lo: 0.0,
            hi: lane_count as f64,
        };
        let mut strip_mesh = Mesh::new(&x_desc, "requests");
        strip_mesh.y_ticks = false;
        strip_mesh.grid = Grid::Vertical;
        let mut requests = plane(&lower, x, strip, &strip_mesh)?;
        requests.draw_series(self.lanes.iter().map(|(span, lane)| {
            let row = (lane_count - 1 - lane) as f64;
            Rectangle::new(
                [(span.start, row + 0.15), (span.end, row + 0.85)],
                REQUEST.mix(0.75).filled(),
            )
        }))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_svg_has, meta};

    fn span(start: f64, end: f64) -> Span {
        Span { start, end }
    }

    #[test]
    fn overlapping_requests_get_separate_lanes_and_free_lanes_are_reused() {
        let assigned = lanes(&[
            span(0.0, 2.0),
            span(1.0, 3.0),
            span(2.5, 4.0),
            span(2.0, 2.2),
        ]);
        let lane_of = |start: f64| {
            assigned
                .iter()
                .find(|(s, _)| s.start == start)
                .map(|(_, l)| *l)
        };
        assert_eq!(lane_of(0.0), Some(0));
        assert_eq!(lane_of(1.0), Some(1));
        assert_eq!(lane_of(2.0), Some(0));
        assert_eq!(lane_of(2.5), Some(0));
    }

    #[test]
    fn lanes_are_capped() {
        let many: Vec<Span> = (0..100).map(|_| span(0.0, 1.0)).collect();
        assert!(lanes(&many).iter().all(|(_, lane)| *lane < MAX_LANES));
    }

    #[test]
    fn refuses_a_span_that_ends_before_it_starts() {
        let result = time_series(
            &meta("Power"),
            &[Line::new("gpu 0", vec![(0.0, 100.0)])],
            &[span(2.0, 1.0)],
            &Quantity::new("time", "s"),
            &Quantity::new("power", "W"),
        );
        assert!(matches!(result, Err(ReportError::BadSpan { .. })));
    }

    #[test]
    fn renders_lines_requests_and_units() {
        let power: Vec<(f64, f64)> = (0..200)
            .map(|i| {
                (
                    f64::from(i) * 0.05,
                    90.0 + 200.0 * f64::from(u8::from(i % 40 > 8)),
                )
            })
            .collect();
        let requests: Vec<Span> = (0..8)
            .map(|i| span(f64::from(i) * 1.2 + 0.5, f64::from(i) * 1.2 + 1.9))
            .collect();
        let chart = time_series(
            &meta("GPU power during the run"),
            &[Line::new("gpu 0 power", power)],
            &requests,
            &Quantity::new("time since start", "s"),
            &Quantity::new("power", "W"),
        )
        .unwrap();
        assert_svg_has(
            &chart.svg().unwrap(),
            &[
                "time since start (s)",
                "power (W)",
                "requests",
                "gpu 0 power",
            ],
        );
    }
}
