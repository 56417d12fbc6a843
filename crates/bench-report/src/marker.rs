//! Point markers (circle, triangle, square, cross) as one plotters element, for data points and
//! legend icons alike.

use plotters::element::{Drawable, PointCollection};
use plotters::prelude::DrawingBackend;
use plotters::style::ShapeStyle;
use plotters_backend::{BackendCoord, DrawingErrorKind};

use crate::palette::Marker;

/// Half the length of the line through a legend icon, in px.
const ICON_HALF_LINE: i32 = 11;

/// A marker of radius `size` px at `at`, optionally on a short horizontal line (legend icons).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark<C> {
    at: C,
    shape: Marker,
    size: i32,
    style: ShapeStyle,
    line: Option<ShapeStyle>,
}

impl<C> Mark<C> {
    /// A data point.
    pub(crate) fn new(at: C, shape: Marker, size: i32, style: ShapeStyle) -> Self {
        Self {
            at,
            shape,
            size,
            style,
            line: None,
        }
    }
}

impl Mark<BackendCoord> {
    /// A legend icon at the legend's anchor `(x, y)` (the icon's left middle), with a line
    /// through the marker when `line` is given.
    pub(crate) fn icon(
        (x, y): BackendCoord,
        shape: Marker,
        style: ShapeStyle,
        line: Option<ShapeStyle>,
    ) -> Self {
        Self {
            at: (x + ICON_HALF_LINE, y),
            shape,
            size: 4,
            style,
            line,
        }
    }
}

impl<'a, C> PointCollection<'a, C> for &'a Mark<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;

    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for Mark<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut points: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = points.next() else {
            return Ok(());
        };
        if let Some(line) = &self.line {
            backend.draw_line((x - ICON_HALF_LINE, y), (x + ICON_HALF_LINE, y), line)?;
        }
        let (s, style, fill) = (self.size, &self.style, self.style.filled);
        match self.shape {
            Marker::Circle => backend.draw_circle((x, y), s.unsigned_abs(), style, fill),
            Marker::Square => backend.draw_rect((x - s, y - s), (x + s, y + s), style, fill),
            Marker::Triangle => {
                // Equilateral, pointing up, a little larger so its area matches the others.
                let r = f64::from(s + 1);
                let corners = [
                    (x, y - r as i32),
                    (x - (r * 0.866) as i32, y + (r * 0.5) as i32),
                    (x + (r * 0.866) as i32, y + (r * 0.5) as i32),
                ];
                if fill {
                    backend.fill_polygon(corners, style)
                } else {
                    backend.draw_path(corners.iter().chain(&corners[..1]).copied(), style)
                }
            }
            Marker::Cross => {
                let stroke = ShapeStyle {
                    stroke_width: style.stroke_width.max(2),
                    ..*style
                };
                backend.draw_line((x - s, y - s), (x + s, y + s), &stroke)?;
                backend.draw_line((x - s, y + s), (x + s, y - s), &stroke)
            }
        }
    }
}
