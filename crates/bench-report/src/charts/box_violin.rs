//! Box plots inside violins, one per series (e.g. TPOT per engine): quartiles, Tukey whiskers,
//! outliers, the mean, and the kernel density as the violin's outline.

use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, EmptyElement, PathElement, Polygon, Rectangle, Text};
use plotters::prelude::{BLACK, DrawingBackend, WHITE};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::AxisCoord;
use crate::charts::Plot;
use crate::data::{checked_sorted, extent, no_data};
use crate::frame::{DrawError, Grid, Mesh, plane, text};
use crate::kde::{curve, quantile, silverman_bandwidth};
use crate::palette::{self, MUTED};
use crate::{Chart, FigureMeta, Quantity, ReportError, Scale, Series};

/// Half the width of a violin at its widest, in category units.
const VIOLIN_HALF_WIDTH: f64 = 0.38;
/// Half the width of a box.
const BOX_HALF_WIDTH: f64 = 0.07;
/// Points along each violin's outline.
const VIOLIN_POINTS: usize = 120;
/// Most outliers drawn per series: beyond it, half go to the most extreme and half are spread
/// evenly by rank over the rest, and the plot says how many it shows.
const MAX_OUTLIERS: usize = 300;

/// A box plot inside a violin for each series, side by side, values on a linear `y` axis.
pub fn box_violin(
    meta: &FigureMeta,
    series: &[Series],
    y: &Quantity,
) -> Result<Chart, ReportError> {
    let mut groups = Vec::new();
    for one in series.iter().filter(|s| !s.values.is_empty()) {
        let values = checked_sorted(&meta.title, one, Scale::Linear)?;
        groups.push(Group::of_sorted(&one.label, &values));
    }
    if groups.is_empty() {
        return Err(no_data(&meta.title));
    }
    Ok(Chart::new(
        meta,
        Plot::BoxViolin(BoxViolin {
            y: y.clone(),
            groups,
        }),
    ))
}

#[derive(Debug, Clone)]
pub(crate) struct BoxViolin {
    y: Quantity,
    groups: Vec<Group>,
}

/// One series, summarised.
#[derive(Debug, Clone)]
struct Group {
    label: String,
    n: usize,
    q1: f64,
    median: f64,
    q3: f64,
    mean: f64,
    /// The most extreme values within 1.5 IQR of the box.
    whiskers: (f64, f64),
    /// The outliers drawn, ascending: all of them, or [`MAX_OUTLIERS`] including the extremes.
    outliers: Vec<f64>,
    /// How many values lie beyond the whiskers.
    outlier_count: usize,
    /// (value, density) along the data range; `None` when the values do not vary.
    violin: Option<Vec<(f64, f64)>>,
}

impl Group {
    #[cfg(test)]
    fn new(label: &str, values: &[f64]) -> Self {
        Self::of_sorted(label, &crate::kde::sorted(values))
    }

    /// The group of `s`, values sorted ascending.
    fn of_sorted(label: &str, s: &[f64]) -> Self {
        let (q1, median, q3) = (quantile(s, 0.25), quantile(s, 0.5), quantile(s, 0.75));
        let fence = 1.5 * (q3 - q1);
        let inside = |v: &&f64| **v >= q1 - fence && **v <= q3 + fence;
        let low = s.iter().find(inside).copied().unwrap_or(q1);
        let high = s.iter().rev().find(inside).copied().unwrap_or(q3);
        let outliers: Vec<f64> = s.iter().filter(|v| !inside(v)).copied().collect();
        let violin =
            silverman_bandwidth(s).map(|h| curve(s, h, s[0], s[s.len() - 1], VIOLIN_POINTS));
        Self {
            label: label.to_owned(),
            n: s.len(),
            q1,
            median,
            q3,
            mean: s.iter().sum::<f64>() / s.len() as f64,
            whiskers: (low, high),
            outlier_count: outliers.len(),
            outliers: thin(&outliers, q1, q3, MAX_OUTLIERS),
            violin,
        }
    }
}

/// At most `budget` of the sorted `outliers` (beyond `q1` and `q3`), ascending: the most
/// extreme half of the budget by distance from the box, and the rest evenly by rank in between.
fn thin(outliers: &[f64], q1: f64, q3: f64, budget: usize) -> Vec<f64> {
    if outliers.len() <= budget {
        return outliers.to_vec();
    }
    // outliers[..low] and outliers[high..] are the extremes taken so far.
    let (mut low, mut high) = (0, outliers.len());
    for _ in 0..budget / 2 {
        if q1 - outliers[low] >= outliers[high - 1] - q3 {
            low += 1;
        } else {
            high -= 1;
        }
    }
    let rest = &outliers[low..high];
    let spread = budget - budget / 2;
    let mut out = outliers[..low].to_vec();
    out.extend((0..spread).map(|i| rest[i * rest.len() / spread]));
    out.extend_from_slice(&outliers[high..]);
    out
}

impl BoxViolin {
    pub(crate) fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        meta: &FigureMeta,
    ) -> Result<(), DrawError<DB>> {
        let names = self
            .groups
            .iter()
            .map(|g| format!("{} (n={})", g.label, g.n))
            .collect();
        let x = AxisCoord::Categories { names };
        let bounds = self.groups.iter().flat_map(|g| {
            let (lo, hi) = (g.outliers.first().copied(), g.outliers.last().copied());
            [
                g.whiskers.0,
                g.whiskers.1,
                lo.unwrap_or(g.q1),
                hi.unwrap_or(g.q3),
            ]
        });
        let (lo, hi) = extent(bounds).unwrap_or((0.0, 1.0));
        let y = AxisCoord::fit(Scale::Linear, lo, hi, false);
        let top = y.range().end;
        let y_desc = self.y.label();
        let x_desc = "engine · box: quartiles · whiskers: 1.5 × IQR · bar: median · dot: mean · shape: density";
        let mut mesh = Mesh::new(x_desc, &y_desc);
        mesh.grid = Grid::Horizontal;
        let mut chart = plane(area, x, y, &mesh)?;

        for (position, group) in self.groups.iter().enumerate() {
            let color = palette::color(palette::index_for(&meta.engines, &group.label, position));
            let at = position as f64;
            if let Some(violin) = &group.violin {
                let peak = violin.iter().map(|p| p.1).fold(f64::MIN_POSITIVE, f64::max);
                let scale = VIOLIN_HALF_WIDTH / peak;
                let outline: Vec<(f64, f64)> = violin
                    .iter()
                    .map(|(v, d)| (at - d * scale, *v))
                    .chain(violin.iter().rev().map(|(v, d)| (at + d * scale, *v)))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(
                    outline.clone(),
                    color.mix(0.22).filled(),
                )))?;
                let mut closed = outline;
                closed.push(closed[0]);
                chart.draw_series(std::iter::once(PathElement::new(
                    closed,
                    color.stroke_width(1),
                )))?;
            }
            let (low, high) = group.whiskers;
            let whisker = color.stroke_width(2);
            let cap = BOX_HALF_WIDTH * 0.7;
            chart.draw_series([
                PathElement::new([(at, group.q3), (at, high)], whisker),
                PathElement::new([(at, group.q1), (at, low)], whisker),
                PathElement::new([(at - cap, high), (at + cap, high)], whisker),
                PathElement::new([(at - cap, low), (at + cap, low)], whisker),
            ])?;
            let corners = [
                (at - BOX_HALF_WIDTH, group.q1),
                (at + BOX_HALF_WIDTH, group.q3),
            ];
            chart.draw_series([
                Rectangle::new(corners, color.mix(0.75).filled()),
                Rectangle::new(corners, BLACK.stroke_width(1)),
            ])?;
            let median = [
                (at - BOX_HALF_WIDTH, group.median),
                (at + BOX_HALF_WIDTH, group.median),
            ];
            chart.draw_series(std::iter::once(PathElement::new(
                median,
                BLACK.stroke_width(3),
            )))?;
            chart.draw_series(
                group
                    .outliers
                    .iter()
                    .map(|v| Circle::new((at, *v), 3, color.stroke_width(1))),
            )?;
            if group.outliers.len() < group.outlier_count {
                let note = format!(
                    "showing {} of {} outliers",
                    group.outliers.len(),
                    group.outlier_count
                );
                let style = text(12.0)
                    .color(&MUTED)
                    .pos(Pos::new(HPos::Center, VPos::Top));
                let label = EmptyElement::at((at, top)) + Text::new(note, (0, 4), style);
                chart.draw_series(std::iter::once(label))?;
            }
            chart.draw_series([
                Circle::new((at, group.mean), 5, WHITE.filled()),
                Circle::new((at, group.mean), 5, BLACK.stroke_width(2)),
            ])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_support::{assert_svg_has, meta, skewed};

    #[test]
    fn group_summary_follows_tukey() {
        let mut values: Vec<f64> = (1..=20).map(f64::from).collect();
        values.push(100.0);
        let g = Group::new("a", &values);
        assert_eq!(g.n, 21);
        assert!((g.median - 11.0).abs() < 1e-12);
        assert_eq!(g.outliers, vec![100.0]);
        assert_eq!(g.outlier_count, 1);
        assert!((g.whiskers.1 - 20.0).abs() < 1e-12);
        assert!((g.whiskers.0 - 1.0).abs() < 1e-12);
        assert!(g.violin.is_some());
        assert!(Group::new("flat", &[3.0, 3.0]).violin.is_none());
    }

    #[test]
    fn many_outliers_are_thinned_keeping_the_extremes() {
        // 1..=4000 in the box, 400 high outliers and 100 lower ones further out.
        let mut values: Vec<f64> = (1..=4000).map(f64::from).collect();
        values.extend((0..400).map(|i| 20_000.0 + f64::from(i)));
        values.extend((0..100).map(|i| -20_000.0 - f64::from(i) * 10.0));
        let g = Group::new("a", &values);
        assert_eq!(g.outlier_count, 500);
        assert_eq!(g.outliers.len(), MAX_OUTLIERS);
        assert!(g.outliers.is_sorted());
        assert_eq!(g.outliers.first(), Some(&-20_990.0));
        assert_eq!(g.outliers.last(), Some(&20_399.0));
        // The 150 most extreme: all 100 low ones and the top 50 high ones; the other 150 are
        // spread over the remaining high ones, from the nearest.
        assert_eq!(g.outliers.iter().filter(|v| **v < 0.0).count(), 100);
        assert_eq!(g.outliers.iter().filter(|v| **v >= 20_350.0).count(), 50);
        assert!(g.outliers.contains(&20_000.0));
        let chart = box_violin(&meta("t"), &[Series::new("candle", values)], &ms()).unwrap();
        assert_svg_has(&chart.svg().unwrap(), &["showing 300 of 500 outliers"]);
    }

    fn ms() -> Quantity {
        Quantity::new("time per output token", "ms")
    }

    #[test]
    fn renders_each_engine_and_the_axis_unit() {
        let series = [
            Series::new("candle", skewed(300, 8.0)),
            Series::new("burn", skewed(300, 11.0)),
        ];
        let chart = box_violin(
            &meta("Time per output token"),
            &series,
            &Quantity::new("time per output token", "ms"),
        )
        .unwrap();
        assert_svg_has(
            &chart.svg().unwrap(),
            &[
                "Time per output token",
                "time per output token (ms)",
                "candle (n=300)",
                "burn (n=300)",
                "engine · box: quartiles · whiskers: 1.5 × IQR",
            ],
        );
    }
}
