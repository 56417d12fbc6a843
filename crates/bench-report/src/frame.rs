//! What every figure shares: the white page, the title and subtitle, the plotting plane with its
//! labelled axes and grid, the legend box, and text styles.

use plotters::chart::{ChartBuilder, ChartContext, SeriesLabelPosition};
use plotters::coord::Shift;
use plotters::coord::cartesian::Cartesian2d;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::element::Text;
use plotters::prelude::{DrawingBackend, IntoFont, TextStyle, WHITE};
use plotters::style::{Color, FontStyle};

use crate::FigureMeta;
use crate::axis::AxisCoord;
use crate::font::FAMILY;
use crate::palette::{GRID, GRID_LIGHT, INK, MUTED};

/// Room left of a plane for tick labels and the y description; the same on every plane so
/// stacked planes line up.
const Y_LABEL_AREA: u32 = 92;

/// A plotting plane with one coordinate type for both axes.
pub(crate) type Plane<'a, DB> = ChartContext<'a, DB, Cartesian2d<AxisCoord, AxisCoord>>;
/// The error every drawing step returns.
pub(crate) type DrawError<DB> = DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>;

/// Regular text of `size` px in the ink colour.
pub(crate) fn text(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

/// Fills the page, draws the title and subtitle, and returns the area below them.
pub(crate) fn heading<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    meta: &FigureMeta,
) -> Result<DrawingArea<DB, Shift>, DrawError<DB>> {
    root.fill(&WHITE)?;
    let title = (FAMILY, 24.0)
        .into_font()
        .style(FontStyle::Bold)
        .color(&INK);
    root.draw(&Text::new(meta.title.clone(), (24, 14), title))?;
    let subtitle = (FAMILY, 15.0).into_font().color(&MUTED);
    root.draw(&Text::new(meta.subtitle(), (24, 46), subtitle))?;
    Ok(root.margin(72, 8, 8, 16))
}

/// How a plane's axes are described and gridded.
pub(crate) struct Mesh<'a> {
    /// The x axis description, "name (unit)".
    pub x_desc: &'a str,
    /// The y axis description, "name (unit)".
    pub y_desc: &'a str,
    /// At most this many labelled x ticks.
    pub x_labels: usize,
    /// Which grid lines to draw.
    pub grid: Grid,
    /// Tick labels and description on the x axis (off for a plane stacked above another).
    pub x_axis: bool,
    /// Tick labels on the y axis.
    pub y_ticks: bool,
}

/// Grid lines at the ticks of a plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grid {
    /// At the ticks of both axes.
    Both,
    /// At the y ticks only (categories along x).
    Horizontal,
    /// At the x ticks only.
    Vertical,
}

impl<'a> Mesh<'a> {
    /// Both axes labelled and gridded.
    pub(crate) fn new(x_desc: &'a str, y_desc: &'a str) -> Self {
        Self {
            x_desc,
            y_desc,
            x_labels: 10,
            grid: Grid::Both,
            x_axis: true,
            y_ticks: true,
        }
    }
}

/// Builds a plane on `area` and draws its axes, ticks, descriptions and grid.
pub(crate) fn plane<'a, DB: DrawingBackend + 'a>(
    area: &'a DrawingArea<DB, Shift>,
    x: AxisCoord,
    y: AxisCoord,
    mesh: &Mesh<'_>,
) -> Result<Plane<'a, DB>, DrawError<DB>> {
    let (x_ticks, y_ticks) = (x.clone(), y.clone());
    let mut chart = ChartBuilder::on(area)
        .margin_top(8)
        .margin_right(24)
        .x_label_area_size(if mesh.x_axis { 56 } else { 0 })
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x, y)?;
    let x_format = |v: &f64| x_ticks.label(*v);
    let y_format = |v: &f64| {
        if mesh.y_ticks {
            y_ticks.label(*v)
        } else {
            String::new()
        }
    };
    let mut config = chart.configure_mesh();
    config
        .y_desc(mesh.y_desc)
        .axis_desc_style(text(17.0))
        .label_style(text(14.0))
        .axis_style(INK.mix(0.8))
        .bold_line_style(GRID)
        .light_line_style(GRID_LIGHT)
        .x_labels(mesh.x_labels)
        .max_light_lines(2)
        .y_labels(8)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format);
    if mesh.x_axis {
        config.x_desc(mesh.x_desc);
    }
    match mesh.grid {
        Grid::Both => {}
        Grid::Horizontal => {
            config.disable_x_mesh();
        }
        Grid::Vertical => {
            config.disable_y_mesh();
        }
    }
    config.draw()?;
    Ok(chart)
}

/// The fraction of a plane on `area` that a legend of `entries` rows covers, to keep the data
/// clear of it (see [`AxisCoord::with_headroom`]).
pub(crate) fn legend_room<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: usize,
) -> f64 {
    // Rows are about 18 px apart; the box sits 12 px from the edge with 12 px of padding.
    let plot_height = f64::from(area.dim_in_pixel().1).max(100.0) - 64.0;
    (entries as f64 * 18.0 + 40.0) / plot_height
}

/// Draws the legend of the labelled series at `position`.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Plane<'a, DB>,
    position: SeriesLabelPosition,
) -> Result<(), DrawError<DB>> {
    chart
        .configure_series_labels()
        .position(position)
        .margin(12)
        .label_font(text(14.0))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .draw()
}
