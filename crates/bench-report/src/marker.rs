//! Point markers (circle, triangle, square, cross): drawn as a series on a plane, or as a legend
//! icon.

use plotters::chart::SeriesAnno;
use plotters::element::{
    Circle, Cross, DynElement, EmptyElement, IntoDynElement, PathElement, Rectangle, TriangleMarker,
};
use plotters::prelude::DrawingBackend;
use plotters::style::ShapeStyle;

use crate::frame::{DrawError, Plane};
use crate::palette::Marker;

/// Draws `shape` of radius `size` px at each point; returns the series for its legend entry.
pub(crate) fn draw_points<'a, 'c, DB, I>(
    chart: &'c mut Plane<'a, DB>,
    points: I,
    shape: Marker,
    size: i32,
    style: ShapeStyle,
) -> Result<&'c mut SeriesAnno<'a, DB>, DrawError<DB>>
where
    DB: DrawingBackend + 'a,
    I: IntoIterator<Item = (f64, f64)>,
{
    let points = points.into_iter();
    match shape {
        Marker::Circle => chart.draw_series(points.map(|p| Circle::new(p, size, style))),
        Marker::Triangle => chart.draw_series(points.map(|p| TriangleMarker::new(p, size + 1, style))),
        Marker::Square => chart.draw_series(
            points.map(|p| EmptyElement::at(p) + Rectangle::new([(-size, -size), (size, size)], style)),
        ),
        Marker::Cross => chart.draw_series(points.map(|p| Cross::new(p, size, style))),
    }
}

/// A legend icon: `shape` alone, or on a short line when `line` is given.
pub(crate) fn legend_icon<'a, DB>(
    (x, y): (i32, i32),
    shape: Marker,
    line: Option<ShapeStyle>,
    point: ShapeStyle,
) -> DynElement<'a, DB, (i32, i32)>
where
    DB: DrawingBackend + 'a,
{
    let stroke = line.unwrap_or(ShapeStyle {
        stroke_width: 0,
        ..point
    });
    let base = EmptyElement::at((x, y)) + PathElement::new(vec![(0, 0), (22, 0)], stroke);
    match shape {
        Marker::Circle => (base + Circle::new((11, 0), 4, point)).into_dyn(),
        Marker::Triangle => (base + TriangleMarker::new((11, 0), 5, point)).into_dyn(),
        Marker::Square => (base + Rectangle::new([(7, -4), (15, 4)], point)).into_dyn(),
        Marker::Cross => (base + Cross::new((11, 0), 4, point)).into_dyn(),
    }
}
