//! A finished figure: validated data plus its heading, drawn on demand as SVG or PNG.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::{DrawingBackend, IntoDrawingArea, SVGBackend};

use crate::charts::Plot;
use crate::frame::{DrawError, heading};
use crate::raster::Raster;
use crate::{FigureMeta, ReportError, font};

/// The default figure size in pixels: wide enough for a legend beside the data.
pub const DEFAULT_SIZE: (u32, u32) = (1000, 620);

/// One figure, ready to render. Built by the figure functions ([`crate::latency_cdf`] and
/// friends), which validate the data, so rendering only fails in the backend.
#[derive(Debug, Clone)]
pub struct Chart {
    meta: FigureMeta,
    size: (u32, u32),
    plot: Plot,
    /// What it has been drawn as so far.
    drawn: Box<Drawn>,
}

/// A chart's drawings, each made the first time it is asked for: a report writes the SVG as a
/// file and again inside its HTML, and may draw a figure before it writes it.
#[derive(Debug, Clone, Default)]
struct Drawn {
    svg: OnceLock<String>,
    png: OnceLock<Vec<u8>>,
}

impl Chart {
    pub(crate) fn new(meta: &FigureMeta, plot: Plot) -> Self {
        Self {
            meta: meta.clone(),
            size: DEFAULT_SIZE,
            plot,
            drawn: Box::default(),
        }
    }

    /// The same figure at `width` x `height` pixels (at least 320 x 240).
    pub fn with_size(mut self, width: u32, height: u32) -> Result<Self, ReportError> {
        if width < 320 || height < 240 {
            return Err(ReportError::TooSmall {
                figure: self.meta.title.clone(),
                width,
                height,
            });
        }
        self.size = (width, height);
        self.drawn = Box::default();
        Ok(self)
    }

    /// The heading it is drawn with.
    pub fn meta(&self) -> &FigureMeta {
        &self.meta
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// A standalone SVG document, drawn the first time it is asked for.
    pub fn svg(&self) -> Result<String, ReportError> {
        if let Some(svg) = self.drawn.svg.get() {
            return Ok(svg.clone());
        }
        font::ensure_registered()?;
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, self.size).into_drawing_area();
            self.draw_on(&root)?;
        }
        Ok(self.drawn.svg.get_or_init(|| out).clone())
    }

    /// A PNG image (8-bit RGB), drawn the first time it is asked for.
    pub fn png(&self) -> Result<Vec<u8>, ReportError> {
        if let Some(png) = self.drawn.png.get() {
            return Ok(png.clone());
        }
        font::ensure_registered()?;
        let (width, height) = self.size;
        let mut rgb = vec![0u8; width as usize * height as usize * 3];
        {
            let root = Raster::new(&mut rgb, self.size)?.into_drawing_area();
            self.draw_on(&root)?;
        }
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // A chart is flat colour: the deflate tuned for PNG encodes it in a fraction of the
        // default's time, for a file about a third larger (tens of kilobytes).
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()?;
        Ok(self.drawn.png.get_or_init(|| out).clone())
    }

    /// Writes [`Chart::svg`] to `path`.
    pub fn write_svg(&self, path: &Path) -> Result<(), ReportError> {
        write(path, self.svg()?.as_bytes())
    }

    /// Writes [`Chart::png`] to `path`.
    pub fn write_png(&self, path: &Path) -> Result<(), ReportError> {
        write(path, &self.png()?)
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), ReportError> {
        let failed = |error: DrawError<DB>| ReportError::Draw {
            figure: self.meta.title.clone(),
            message: error.to_string(),
        };
        let area = heading(root, &self.meta).map_err(failed)?;
        self.plot.draw(&area, &self.meta).map_err(failed)?;
        root.present().map_err(failed)
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|source| ReportError::Io {
        path: path.to_owned(),
        source,
    })
}
