//! A finished figure: validated data plus its heading, drawn on demand as SVG or PNG.

use std::path::Path;

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
}

impl Chart {
    pub(crate) fn new(meta: &FigureMeta, plot: Plot) -> Self {
        Self {
            meta: meta.clone(),
            size: DEFAULT_SIZE,
            plot,
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

    /// A standalone SVG document.
    pub fn svg(&self) -> Result<String, ReportError> {
        font::ensure_registered()?;
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, self.size).into_drawing_area();
            self.draw_on(&root)?;
        }
        Ok(out)
    }

    /// A PNG image (8-bit RGB).
    pub fn png(&self) -> Result<Vec<u8>, ReportError> {
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
        // A chart is flat colour: the PNG-tuned fast deflate keeps it within a few percent of
        // the default's size in a fraction of the time.
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()?;
        Ok(out)
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
