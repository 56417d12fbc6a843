//! Lines with markers over two quantities, e.g. throughput vs concurrency and latency vs
//! throughput across a load sweep.

use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::series::LineSeries;
use plotters::style::Color;

use crate::axis::AxisCoord;
use crate::charts::Plot;
use crate::data::{check_values, extent, no_data};
use crate::frame::{DrawError, Mesh, legend, legend_room, plane};
use crate::marker::Mark;
use crate::{Axis, Chart, FigureMeta, Line, ReportError, palette};

/// One line per label through its points, in the order given (a sweep's order), over `x` and
/// `y`; linear axes start at zero when the data is non-negative.
pub fn curves(meta: &FigureMeta, lines: &[Line], x: &Axis, y: &Axis) -> Result<Chart, ReportError> {
    let mut kept = Vec::new();
    for line in lines.iter().filter(|l| !l.points.is_empty()) {
        check_values(
            &meta.title,
            &line.label,
            line.points.iter().map(|p| p.0),
            x.scale,
        )?;
        check_values(
            &meta.title,
            &line.label,
            line.points.iter().map(|p| p.1),
            y.scale,
        )?;
        kept.push(line.clone());
    }
    if kept.is_empty() {
        return Err(no_data(&meta.title));
    }
    Ok(Chart::new(
        meta,
        Plot::Curves(Curves {
            x: x.clone(),
            y: y.clone(),
            lines: kept,
        }),
    ))
}

#[derive(Debug, Clone)]
pub(crate) struct Curves {
    x: Axis,
    y: Axis,
    lines: Vec<Line>,
}

impl Curves {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let points = || self.lines.iter().flat_map(|l| l.points.iter());
        let (x_lo, x_hi) = extent(points().map(|p| p.0)).unwrap_or((0.0, 1.0));
        let (y_lo, y_hi) = extent(points().map(|p| p.1)).unwrap_or((0.0, 1.0));
        let x = AxisCoord::fit(self.x.scale, x_lo, x_hi, true);
        let y = AxisCoord::fit(self.y.scale, y_lo, y_hi, true)
            .with_headroom(legend_room(area, self.lines.len()));
        let (x_desc, y_desc) = (self.x.quantity.label(), self.y.quantity.label());
        let mut chart = plane(area, x, y, &Mesh::new(&x_desc, &y_desc))?;

        for (position, line) in self.lines.iter().enumerate() {
            let index = palette::index_for(&meta.engines, &line.label, position);
            let (color, shape) = (palette::color(index), palette::marker(index));
            chart.draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))?;
            chart
                .draw_series(
                    line.points
                        .iter()
                        .map(|p| Mark::new(*p, shape, 5, color.filled())),
                )?
                .label(line.label.clone())
                .legend(move |c| Mark::icon(c, shape, color.filled(), Some(color.stroke_width(2))));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quantity;
    use crate::charts::test_support::{assert_svg_has, meta};

    #[test]
    fn renders_sweep_lines_with_units() {
        let sweep = |rate: f64| -> Vec<(f64, f64)> {
            [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
                .iter()
                .map(|c| (*c, rate * c / (1.0 + c / 8.0)))
                .collect()
        };
        let chart = curves(
            &meta("Throughput vs concurrency"),
            &[
                Line::new("candle", sweep(40.0)),
                Line::new("burn", sweep(30.0)),
            ],
            &Axis::log(Quantity::new("concurrency", "requests in flight")),
            &Axis::linear(Quantity::new("throughput", "tokens/s")),
        )
        .unwrap();
        assert_svg_has(
            &chart.svg().unwrap(),
            &[
                "concurrency (requests in flight)",
                "throughput (tokens/s)",
                "candle",
                "burn",
            ],
        );
    }
}
