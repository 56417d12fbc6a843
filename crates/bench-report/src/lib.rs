//! Figures and the one-file HTML report for benchmark results.
//!
//! Everything here takes plain data (labels, numbers, strings) and knows nothing of runs,
//! engines or statistics: the caller computes, this crate draws.
//!
//! # Layout
//!
//! - [`FigureMeta`], [`Quantity`], [`Axis`] (`meta.rs`): the heading every figure carries (title;
//!   engines, model and hardware in the subtitle) and axis labels with units.
//! - [`Series`], [`Line`], [`Span`] (`data.rs`): the data the figures take.
//! - figure functions (`charts/`): [`latency_cdf`], [`box_violin`], [`scatter_fit`],
//!   [`histogram_kde`], [`curves`], [`time_series`], [`trend`], [`tradeoff`]; each validates
//!   its data and returns a [`Chart`].
//! - [`Chart`] (`chart.rs`): renders to SVG or PNG, in memory or to a file.
//! - [`HtmlReport`] and [`render_html`] (`html/`): one self-contained offline HTML file with
//!   tables, verdicts, inline SVG figures and collapsible details (the manifest).
//! - internals: axes and ticks (`axis.rs`), number format (`format.rs`), the embedded font
//!   (`font.rs`), colours and markers (`palette.rs`, `marker.rs`), page frame (`frame.rs`),
//!   kernel density estimates (`kde.rs`), the PNG backend (`raster.rs`); inside `charts/`, the
//!   2-D histograms of large scatters (`density.rs`) and the request strip (`requests.rs`).
//!
//! # Large samples
//!
//! A figure's size and drawing cost stay bounded whatever the number of samples, so a report
//! of a million requests stays a few megabytes: past a few thousand points, scatter clouds
//! become 2-D histograms (`charts/density.rs`), CDFs are traced through fixed quantiles and
//! their tails, box plots show a few hundred outliers and say so, time series lines keep their
//! envelope and the request strip shades how busy each lane is (`charts/requests.rs`). Kernel
//! densities are evaluated binned, in time linear in the sample.
//!
//! # Fonts
//!
//! Text is laid out (and, in PNGs, drawn) with `DejaVu Sans` embedded from the `dejavu` crate, so
//! rendering never looks up system fonts and works on a bare machine. SVG text asks for the CSS
//! family `sans-serif`.
//!
//! # Colours
//!
//! Series use the Okabe-Ito colour-blind-safe palette, and markers differ in shape too. A label
//! that is one of [`FigureMeta::engines`] takes its colour from its position there, so an
//! engine looks the same in every figure.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::float_cmp,
        reason = "tests fail loudly on unexpected errors and compare exactly computed values"
    )
)]

mod axis;
mod chart;
mod charts;
mod data;
mod error;
mod font;
mod format;
mod frame;
mod html;
mod kde;
mod marker;
mod meta;
mod palette;
mod raster;

pub use chart::{Chart, DEFAULT_SIZE};
pub use charts::{
    Fit, FitModel, Scatter, TradeoffPoint, TrendLine, TrendPoint, box_violin, curves,
    histogram_kde, latency_cdf, scatter_fit, time_series, tradeoff, trend,
};
pub use data::{Line, Series, Span};
pub use error::ReportError;

pub use html::{Block, HtmlReport, Outcome, Section, Table, Verdict, render_html};
pub use meta::{Axis, FigureMeta, Quantity, Scale};
