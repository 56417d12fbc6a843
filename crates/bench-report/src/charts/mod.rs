//! The figure kinds. Each file owns one: its public constructor (validation included) and its
//! drawing; `Plot` dispatches between them.

mod box_violin;
mod cdf;
mod curves;
mod density;
mod histogram;
mod requests;
mod scatter;
mod time_series;
mod tradeoff;
mod trend;

use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;

pub use box_violin::box_violin;
pub use cdf::latency_cdf;
pub use curves::curves;
pub use histogram::histogram_kde;
pub use scatter::{Fit, FitModel, Scatter, scatter_fit};
pub use time_series::time_series;
pub use tradeoff::{TradeoffPoint, tradeoff};
pub use trend::{TrendLine, TrendPoint, trend};

use crate::FigureMeta;
use crate::frame::DrawError;

/// The data of one figure, validated.
#[derive(Debug, Clone)]
pub(crate) enum Plot {
    Cdf(cdf::Cdf),
    BoxViolin(box_violin::BoxViolin),
    Scatter(scatter::ScatterPlot),
    Histogram(histogram::Histogram),
    Curves(curves::Curves),
    TimeSeries(time_series::TimeSeries),
    Trend(trend::Trend),
    Tradeoff(tradeoff::Tradeoff),
}

impl Plot {
    /// Draws the plot into `area` (the page below the heading).
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        match self {
            Self::Cdf(plot) => plot.draw(area, meta),
            Self::BoxViolin(plot) => plot.draw(area, meta),
            Self::Scatter(plot) => plot.draw(area, meta),
            Self::Histogram(plot) => plot.draw(area, meta),
            Self::Curves(plot) => plot.draw(area, meta),
            Self::TimeSeries(plot) => plot.draw(area, meta),
            Self::Trend(plot) => plot.draw(area, meta),
            Self::Tradeoff(plot) => plot.draw(area, meta),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Shared fixtures for the figure tests.

    use crate::FigureMeta;

    pub(crate) fn meta(title: &str) -> FigureMeta {
        FigureMeta {
            title: title.to_owned(),
            engines: vec!["candle".to_owned(), "burn".to_owned()],
            model: "tinyllama-1.1b-q4".to_owned(),
            hardware: "test-gpu".to_owned(),
        }
    }

    /// The text of every `<text>` element, unescaped enough for the labels used in tests.
    pub(crate) fn svg_texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|rest| {
                let body = &rest[rest.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim().replace("&amp;", "&"))
            })
            .collect()
    }

    /// Asserts the SVG is a document naming engines, model and hardware, in which some `<text>`
    /// starts with each of `labels`.
    pub(crate) fn assert_svg_has(svg: &str, labels: &[&str]) {
        assert!(svg.starts_with("<svg"), "not an svg document");
        assert!(svg.trim_end().ends_with("</svg>"), "svg not closed");
        let texts = svg_texts(svg);
        let subtitle = meta("any").subtitle();
        assert!(
            texts.contains(&subtitle),
            "svg lacks the subtitle {subtitle:?}"
        );
        for label in labels {
            assert!(
                texts.iter().any(|t| t.starts_with(label)),
                "svg has no text starting with {label:?}; texts: {texts:?}"
            );
        }
    }

    /// Deterministic, skewed, latency-like values.
    pub(crate) fn skewed(n: usize, base: f64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let u = (i as f64 + 0.5) / n as f64;
                base * (1.0 + 0.3 * (-(1.0 - u).ln()))
            })
            .collect()
    }
}
