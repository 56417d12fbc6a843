//! Histograms with a Gaussian KDE on top (Silverman bandwidth), e.g. prompt and output token
//! lengths; series share bin edges so their bars line up.

use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{EmptyElement, PathElement, Rectangle};
use plotters::prelude::DrawingBackend;
use plotters::series::LineSeries;
use plotters::style::Color;

use crate::axis::AxisCoord;
use crate::charts::Plot;
use crate::data::{checked_sorted, no_data};
use crate::frame::{DrawError, Mesh, legend, legend_room, plane};
use crate::kde::{curve, quantile, silverman_bandwidth, sorted};
use crate::{Chart, FigureMeta, Quantity, ReportError, Scale, Series, format, palette};

/// Most bins a histogram gets.
const MAX_BINS: usize = 80;
/// Points along each KDE curve.
const KDE_POINTS: usize = 200;

/// A histogram with its kernel density estimate for each series, over a linear `x` axis.
pub fn histogram_kde(
    meta: &FigureMeta,
    series: &[Series],
    x: &Quantity,
) -> Result<Chart, ReportError> {
    let mut kept = Vec::new();
    for one in series.iter().filter(|s| !s.values.is_empty()) {
        let values = checked_sorted(&meta.title, one, Scale::Linear)?;
        kept.push((one.label.clone(), values.into_owned()));
    }
    if kept.is_empty() {
        return Err(no_data(&meta.title));
    }
    let bins = Bins::for_values(
        &kept
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .collect::<Vec<_>>(),
    );
    Ok(Chart::new(
        meta,
        Plot::Histogram(Histogram {
            x: x.clone(),
            bins,
            series: kept,
        }),
    ))
}

#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    x: Quantity,
    bins: Bins,
    /// Label and sorted values.
    series: Vec<(String, Vec<f64>)>,
}

/// Equal-width bins from `start`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bins {
    start: f64,
    width: f64,
    count: usize,
}

impl Bins {
    /// Freedman-Diaconis width over all values, at most [`MAX_BINS`] bins; whole-number data
    /// gets whole-number widths with bins centred on the integers.
    fn for_values(values: &[f64]) -> Self {
        let s = sorted(values);
        let (lo, hi) = (s[0], s[s.len() - 1]);
        let n = s.len() as f64;
        let iqr = quantile(&s, 0.75) - quantile(&s, 0.25);
        let integers = s.iter().all(|v| v.fract() == 0.0);
        let mut width = 2.0 * iqr * n.powf(-1.0 / 3.0);
        if width.is_nan() || width <= 0.0 {
            width = (hi - lo) / 10.0;
        }
        if width.is_nan() || width <= 0.0 {
            width = if integers {
                1.0
            } else {
                lo.abs().max(1.0) * 0.01
            };
        }
        width = width.max((hi - lo) / MAX_BINS as f64);
        let start = if integers {
            width = width.ceil().max(1.0);
            lo - 0.5
        } else {
            lo
        };
        let count = (((hi - start) / width).floor() as usize + 1).min(MAX_BINS + 1);
        Self {
            start,
            width,
            count,
        }
    }

    fn end(&self) -> f64 {
        self.start + self.width * self.count as f64
    }

    /// Values per bin.
    fn counts(&self, values: &[f64]) -> Vec<usize> {
        let mut counts = vec![0; self.count];
        for v in values {
            // Truncation is the floor of what is not negative.
            let bin = ((v - self.start) / self.width).max(0.0) as usize;
            counts[bin.min(self.count - 1)] += 1;
        }
        counts
    }
}

impl Histogram {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let bins = self.bins;
        let prepared: Vec<_> = self
            .series
            .iter()
            .map(|(label, values)| {
                let h = silverman_bandwidth(values);
                // Density times n times bin width puts the curve on the count scale.
                let kde = h.map(|h| {
                    curve(values, h, bins.start, bins.end(), KDE_POINTS)
                        .into_iter()
                        .map(|(x, d)| (x, d * values.len() as f64 * bins.width))
                        .collect::<Vec<_>>()
                });
                (label, values.len(), h, bins.counts(values), kde)
            })
            .collect();
        let peak = prepared
            .iter()
            .flat_map(|(_, _, _, counts, kde)| {
                let bar = counts.iter().max().map_or(0.0, |c| *c as f64);
                let curve = kde.iter().flatten().map(|p| p.1).fold(0.0, f64::max);
                [bar, curve]
            })
            .fold(1.0, f64::max);
        // A few bins alone would fill the width as slabs: show at least ten bins' worth.
        let (mid, half) = (
            f64::midpoint(bins.start, bins.end()),
            (bins.end() - bins.start) / 2.0,
        );
        let half = half.max(bins.width * 5.0);
        let x = AxisCoord::fit(Scale::Linear, mid - half, mid + half, false);
        let y = AxisCoord::fit(Scale::Linear, 0.0, peak, true)
            .with_headroom(legend_room(area, self.series.len()));
        let x_desc = self.x.label();
        let mut chart = plane(area, x, y, &Mesh::new(&x_desc, "requests per bin (count)"))?;

        for (position, (label, n, h, counts, kde)) in prepared.into_iter().enumerate() {
            let color = palette::color(palette::index_for(&meta.engines, label, position));
            let bars = counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .flat_map(|(i, c)| {
                    let left = bins.start + bins.width * i as f64;
                    let corners = [(left, 0.0), (left + bins.width, *c as f64)];
                    [
                        Rectangle::new(corners, color.mix(0.28).filled()),
                        Rectangle::new(corners, color.mix(0.8).stroke_width(1)),
                    ]
                });
            let bars = chart.draw_series(bars)?;
            let Some((kde, h)) = kde.zip(h) else {
                bars.label(format!("{label}: histogram (n={n}, all values equal)"))
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 22, y + 5)], color.mix(0.4).filled())
                    });
                continue;
            };
            let unit = self.x.unit.clone();
            chart
                .draw_series(LineSeries::new(kde, color.stroke_width(3)))?
                .label(format!(
                    "{label}: histogram + KDE (n={n}, bandwidth {} {unit})",
                    format::number(h)
                ))
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + Rectangle::new([(0, -6), (22, 6)], color.mix(0.28).filled())
                        + PathElement::new([(0, 0), (22, 0)], color.stroke_width(3))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_svg_has, meta};

    #[test]
    fn integer_data_gets_integer_bins_centred_on_integers() {
        let values: Vec<f64> = (0..500).map(|i| f64::from(100 + i % 57)).collect();
        let bins = Bins::for_values(&values);
        assert!((bins.width.fract()).abs() < 1e-12 && bins.width >= 1.0);
        assert!((bins.start - 99.5).abs() < 1e-12);
        let counts = bins.counts(&values);
        assert_eq!(counts.iter().sum::<usize>(), values.len());
        assert!(bins.end() >= 156.0);
    }

    #[test]
    fn constant_data_gets_one_bin() {
        let bins = Bins::for_values(&[128.0; 10]);
        assert_eq!(bins.count, 1);
        assert_eq!(bins.counts(&[128.0; 10]), vec![10]);
    }

    #[test]
    fn bin_count_is_capped() {
        let mut values: Vec<f64> = (0..10_000).map(|i| f64::from(i) * 0.001).collect();
        values.push(1e6);
        assert!(Bins::for_values(&values).count <= MAX_BINS + 1);
    }

    #[test]
    fn renders_bars_curves_and_units() {
        let prompt: Vec<f64> = (0..400).map(|i| f64::from(200 + (i * 37) % 300)).collect();
        let fixed = vec![128.0; 50];
        let chart = histogram_kde(
            &meta("Prompt lengths"),
            &[Series::new("candle", prompt), Series::new("burn", fixed)],
            &Quantity::new("prompt length", "tokens"),
        )
        .unwrap();
        assert_svg_has(
            &chart.svg().unwrap(),
            &[
                "prompt length (tokens)",
                "requests per bin (count)",
                "candle: histogram + KDE (n=400, bandwidth",
                "burn: histogram (n=50, all values equal)",
            ],
        );
    }
}
