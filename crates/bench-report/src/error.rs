//! The error type of every fallible function in this crate.

use std::path::PathBuf;

/// Why a figure or the report could not be built, drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Every series handed to a figure was empty.
    #[error("figure '{figure}' has no data to draw: pass at least one non-empty series")]
    NoData { figure: String },
    /// A value was NaN or infinite.
    #[error("figure '{figure}': series '{series}' holds a non-finite value")]
    NonFinite { figure: String, series: String },
    /// A value at or below zero was placed on a logarithmic axis.
    #[error(
        "figure '{figure}': series '{series}' has a value <= 0 on a log axis: use a linear axis"
    )]
    NonPositiveOnLog { figure: String, series: String },
    /// A span ends before it starts.
    #[error("figure '{figure}': a request span ends ({end}) before it starts ({start})")]
    BadSpan {
        figure: String,
        start: f64,
        end: f64,
    },
    /// A trend point names a run that is not on the x axis.
    #[error("figure '{figure}': series '{series}' names run '{run}', which is not among the runs")]
    UnknownRun {
        figure: String,
        series: String,
        run: String,
    },
    /// The figure size is too small to hold a plot.
    #[error("figure '{figure}': size {width}x{height} px is too small (at least 320x240)")]
    TooSmall {
        figure: String,
        width: u32,
        height: u32,
    },
    /// The embedded font could not be parsed.
    #[error("the embedded DejaVu Sans font could not be registered")]
    Font,
    /// The drawing backend failed.
    #[error("drawing figure '{figure}' failed: {message}")]
    Draw { figure: String, message: String },
    /// Encoding a PNG failed.
    #[error("encoding png failed: {0}")]
    Png(#[from] png::EncodingError),
    /// Writing a file failed.
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Rendering the HTML template failed.
    #[error("rendering the html report failed: {0}")]
    Template(#[from] minijinja::Error),
}
