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
use crate::charts::requests::{MAX_BARS, busy, lanes};
use crate::data::{check_values, extent, no_data};
use crate::frame::{DrawError, Grid, Mesh, legend, legend_room, plane};
use crate::{Chart, FigureMeta, Line, Quantity, ReportError, Scale, Span, palette};

/// Most points drawn per line; beyond, the line is drawn through its envelope (see
/// [`envelope`]).
const MAX_LINE_POINTS: usize = 4000;
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
            // A dense envelope zig-zags: at 2 px the PNG backend's mitred joins would spike far
            // past the data, so it is drawn 1 px wide.
            let width = if line.points.len() > MAX_LINE_POINTS {
                1
            } else {
                2
            };
            chart
                .draw_series(LineSeries::new(
                    envelope(&line.points),
                    color.stroke_width(width),
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
        let row = |lane: usize| (lane_count - 1 - lane) as f64;
        if self.lanes.len() <= MAX_BARS {
            requests.draw_series(self.lanes.iter().map(|(span, lane)| {
                Rectangle::new(
                    [
                        (span.start, row(*lane) + 0.15),
                        (span.end, row(*lane) + 0.85),
                    ],
                    REQUEST.mix(0.75).filled(),
                )
            }))?;
        } else {
            let spans = self.lanes.iter().flat_map(|(s, _)| [s.start, s.end]);
            let (lo, hi) = extent(spans).unwrap_or((0.0, 1.0));
            requests.draw_series(busy(&self.lanes, lo, hi).into_iter().map(|b| {
                Rectangle::new(
                    [(b.start, row(b.lane) + 0.15), (b.end, row(b.lane) + 0.85)],
                    REQUEST.mix(0.75 * b.share).filled(),
                )
            }))?;
        }
        Ok(())
    }
}

/// The points a line is drawn through: all of them up to [`MAX_LINE_POINTS`]; beyond, the
/// points in time order, and in each of `MAX_LINE_POINTS / 4` equal stretches of x only the
/// first, lowest, highest and last, which draws the same envelope a pixel column would show.
fn envelope(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() <= MAX_LINE_POINTS {
        return points.to_vec();
    }
    let mut ordered = points.to_vec();
    ordered.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (lo, hi) = (ordered[0].0, ordered[ordered.len() - 1].0);
    let buckets = MAX_LINE_POINTS / 4;
    let bucket = |x: f64| (((x - lo) / (hi - lo) * buckets as f64) as usize).min(buckets - 1);
    let mut out = Vec::with_capacity(MAX_LINE_POINTS);
    for run in ordered.chunk_by(|a, b| hi <= lo || bucket(a.0) == bucket(b.0)) {
        let by_y = |a: &&(f64, f64), b: &&(f64, f64)| a.1.total_cmp(&b.1);
        let low = run.iter().min_by(by_y);
        let high = run.iter().max_by(by_y);
        let mut picks: Vec<&(f64, f64)> = [run.first(), low, high, run.last()]
            .into_iter()
            .flatten()
            .collect();
        // Back in time order, each point once.
        picks.sort_by(|a, b| a.0.total_cmp(&b.0));
        picks.dedup_by(|a, b| std::ptr::eq(*a, *b));
        out.extend(picks.into_iter().copied());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_svg_has, meta};

    fn span(start: f64, end: f64) -> Span {
        Span { start, end }
    }

    #[test]
    fn long_lines_keep_their_envelope_in_bounded_points() {
        let wave: Vec<(f64, f64)> = (0..100_000)
            .map(|i| (f64::from(i) * 0.01, f64::from(i % 97) - f64::from(i % 13)))
            .collect();
        let drawn = envelope(&wave);
        assert!(drawn.len() <= MAX_LINE_POINTS, "{}", drawn.len());
        assert!(drawn.windows(2).all(|w| w[1].0 >= w[0].0));
        let (lo, hi) = (-12.0, 96.0);
        assert!(drawn.iter().any(|p| p.1 == lo) && drawn.iter().any(|p| p.1 == hi));
        assert_eq!(drawn.first(), wave.first());
        assert_eq!(drawn.last(), wave.last());
        assert_eq!(envelope(&wave[..100]), wave[..100].to_vec());
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
