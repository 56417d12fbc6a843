//! Two-dimensional histograms: a point cloud too large to draw point by point, as shaded cells
//! whose number is fixed whatever the number of points.

use crate::Scale;

/// Shades a cell can take; cells of one shade next to each other in a row merge into one.
const SHADES: usize = 8;
/// Opacity of the faintest and the darkest shade.
const OPACITY: (f64, f64) = (0.14, 0.9);

/// One drawn block of cells: its corners in data units and its opacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Block {
    pub(crate) x: (f64, f64),
    pub(crate) y: (f64, f64),
    pub(crate) opacity: f64,
}

/// `cols` x `rows` cells of equal size on screen over `x` and `y` (each a scale and the data's
/// extent: log axes are binned in log space).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cells {
    pub(crate) x: Span,
    pub(crate) y: Span,
}

/// One axis of the cells.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    scale: Scale,
    /// The extent in screen space (the value, or its logarithm).
    lo: f64,
    hi: f64,
    count: usize,
}

impl Span {
    /// `count` cells over `lo..=hi` on `scale`; an extent of one value gets a unit of room.
    pub(crate) fn new(scale: Scale, lo: f64, hi: f64, count: usize) -> Self {
        let (lo, hi) = (to_screen(scale, lo), to_screen(scale, hi));
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, hi + 0.5)
        };
        Self {
            scale,
            lo,
            hi,
            count: count.max(1),
        }
    }

    /// The cell `value` falls in.
    fn index(&self, value: f64) -> usize {
        let at = (to_screen(self.scale, value) - self.lo) / (self.hi - self.lo);
        // Truncation is the floor of what is not negative (and a call-free instruction).
        ((at * self.count as f64).max(0.0) as usize).min(self.count - 1)
    }

    /// Where cell edge `edge` (0..=count) lies, in data units.
    fn edge(&self, edge: usize) -> f64 {
        let at = self.lo + (self.hi - self.lo) * edge as f64 / self.count as f64;
        match self.scale {
            Scale::Linear => at,
            Scale::Log | Scale::Log2 => at.exp(),
        }
    }
}

fn to_screen(scale: Scale, value: f64) -> f64 {
    match scale {
        Scale::Linear => value,
        Scale::Log | Scale::Log2 => value.ln(),
    }
}

impl Cells {
    /// The non-empty cells of `points`, shaded on a log scale of their count (the fullest cell
    /// darkest), with neighbours of one shade in a row merged: at most `cols * rows` blocks.
    pub(crate) fn blocks(&self, points: &[(f64, f64)]) -> Vec<Block> {
        let cols = self.x.count;
        let mut counts = vec![0u64; cols * self.y.count];
        for (x, y) in points {
            counts[self.y.index(*y) * cols + self.x.index(*x)] += 1;
        }
        let fullest = counts.iter().copied().max().unwrap_or(0);
        let shade = |count: u64| -> Option<usize> {
            (count > 0).then(|| {
                let level = (count as f64).ln_1p() / (fullest as f64).ln_1p();
                ((level * SHADES as f64).ceil() as usize).clamp(1, SHADES)
            })
        };
        let mut out = Vec::new();
        for (row, counts) in counts.chunks(cols).enumerate() {
            let mut col = 0;
            while col < cols {
                let Some(level) = shade(counts[col]) else {
                    col += 1;
                    continue;
                };
                let start = col;
                while col < cols && shade(counts[col]) == Some(level) {
                    col += 1;
                }
                let fraction = (level - 1) as f64 / (SHADES - 1) as f64;
                out.push(Block {
                    x: (self.x.edge(start), self.x.edge(col)),
                    y: (self.y.edge(row), self.y.edge(row + 1)),
                    opacity: OPACITY.0 + (OPACITY.1 - OPACITY.0) * fraction,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(scale: Scale, cols: usize, rows: usize) -> Cells {
        Cells {
            x: Span::new(scale, 1.0, 100.0, cols),
            y: Span::new(Scale::Linear, 0.0, 10.0, rows),
        }
    }

    #[test]
    fn every_point_lands_in_a_cell_and_the_fullest_is_darkest() {
        let mut points = vec![(1.0, 0.0), (100.0, 10.0), (50.0, 5.0)];
        points.extend(std::iter::repeat_n((2.0, 0.5), 99));
        let blocks = cells(Scale::Linear, 10, 10).blocks(&points);
        assert_eq!(blocks.len(), 3);
        let darkest = blocks.iter().fold(0.0, |m, b| b.opacity.max(m));
        assert_eq!(darkest, OPACITY.1);
        let dark = blocks.iter().find(|b| b.opacity == darkest).unwrap();
        assert!(dark.x.0 <= 2.0 && dark.x.1 > 2.0 && dark.y.0 <= 0.5 && dark.y.1 > 0.5);
        assert!(blocks.iter().all(|b| b.opacity >= OPACITY.0));
    }

    #[test]
    fn log_axes_bin_in_log_space() {
        let span = Span::new(Scale::Log, 1.0, 100.0, 2);
        assert!((span.edge(1) - 10.0).abs() < 1e-9);
        assert_eq!(span.index(9.0), 0);
        assert_eq!(span.index(11.0), 1);
    }

    #[test]
    fn equal_neighbours_merge_and_blocks_stay_bounded() {
        // A full, even cloud: one block per row.
        let even: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (1.0 + f64::from(i % 100) * 0.99, f64::from(i / 100) * 0.1))
            .collect();
        let blocks = cells(Scale::Linear, 20, 10).blocks(&even);
        assert_eq!(blocks.len(), 10);
        assert!(blocks.iter().all(|b| b.x == (1.0, 100.0)));
        let spread: Vec<(f64, f64)> = (0..50_000)
            .map(|i| (f64::from(i % 997) / 10.0 + 1.0, f64::from(i % 101) / 10.0))
            .collect();
        assert!(cells(Scale::Linear, 20, 10).blocks(&spread).len() <= 200);
    }
}
