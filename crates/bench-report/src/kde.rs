//! Gaussian kernel density estimates (Silverman's rule-of-thumb bandwidth, binned evaluation)
//! and the quantiles the box plots need.

use std::f64::consts::PI;

/// Silverman's bandwidth `0.9 * min(sd, IQR / 1.34) * n^(-1/5)`, or `None` when the sample has
/// no spread (fewer than two values, or all equal).
pub(crate) fn silverman_bandwidth(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n < 2 {
        return None;
    }
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let var = sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
    // When the middle half is flat but the tails are not, the IQR would give zero: use the sd.
    let spread = if iqr > 0.0 { sd.min(iqr / 1.34) } else { sd };
    let h = 0.9 * spread * (n as f64).powf(-0.2);
    (h > 0.0 && h.is_finite()).then_some(h)
}

/// `points` evenly spaced evaluations over `lo..=hi` of the Gaussian kernel density of
/// `sorted` (ascending) with bandwidth `h`; the density integrates to one.
///
/// Binned, so the cost is O(n + points × 81) rather than O(n × points): each value is split
/// linearly between the two nearest points of a lattice `h / 8` apart, and each evaluation sums
/// the kernel over the lattice points within `5 h`. The lattice follows the bandwidth, not the
/// data range, so the error does not grow with outliers: linear binning errs by at most
/// `(h/8)² / 8` times the density's curvature, which for a Gaussian kernel is under 0.3% of
/// the peak density, and the cut-off kernel drops under 0.01% more. The unit tests hold it to
/// 0.1% of the peak on normal, bimodal, skewed and tied samples (measured: at most 0.05%).
pub(crate) fn curve(sorted: &[f64], h: f64, lo: f64, hi: f64, points: usize) -> Vec<(f64, f64)> {
    let lattice = Lattice::of(sorted, h);
    let steps = points.max(2) - 1;
    (0..=steps)
        .map(|i| {
            let x = lo + (hi - lo) * i as f64 / steps as f64;
            (x, lattice.density(x))
        })
        .collect()
}

/// Lattice steps per bandwidth.
const STEPS_PER_BANDWIDTH: f64 = 8.0;
/// Bandwidths from its centre at which the kernel is cut off (there it is e^-12.5 of its peak).
const KERNEL_REACH: f64 = 5.0;

/// Values binned linearly onto a lattice: the occupied lattice points, ascending, with their
/// weights.
struct Lattice {
    origin: f64,
    step: f64,
    h: f64,
    /// 1 / (n h sqrt(2 pi)): the kernel's normalisation, shared by every value.
    norm: f64,
    cells: Vec<(i64, f64)>,
}

impl Lattice {
    fn of(sorted: &[f64], h: f64) -> Self {
        debug_assert!(
            sorted.is_sorted_by(|a, b| a <= b),
            "kde input must be sorted"
        );
        let origin = sorted.first().copied().unwrap_or(0.0);
        let step = h / STEPS_PER_BANDWIDTH;
        let mut cells: Vec<(i64, f64)> = Vec::new();
        // Sorted input makes the indices non-decreasing, so a value's two lattice points are
        // either among the last two occupied ones or new at the end.
        let mut add = |index: i64, weight: f64| match cells
            .iter_mut()
            .rev()
            .take(2)
            .find(|(i, _)| *i == index)
        {
            Some((_, total)) => *total += weight,
            None => cells.push((index, weight)),
        };
        for v in sorted {
            let at = (v - origin) / step;
            let below = at.floor();
            let frac = at - below;
            add(below as i64, 1.0 - frac);
            add(below as i64 + 1, frac);
        }
        Self {
            origin,
            step,
            h,
            norm: 1.0 / (sorted.len() as f64 * h * (2.0 * PI).sqrt()),
            cells,
        }
    }

    fn density(&self, x: f64) -> f64 {
        let centre = (x - self.origin) / self.step;
        let reach = KERNEL_REACH * STEPS_PER_BANDWIDTH;
        let first = self
            .cells
            .partition_point(|(i, _)| (*i as f64) < centre - reach);
        self.cells[first..]
            .iter()
            .take_while(|(i, _)| (*i as f64) <= centre + reach)
            .map(|(i, weight)| {
                let z = (x - self.origin - *i as f64 * self.step) / self.h;
                weight * (-0.5 * z * z).exp()
            })
            .sum::<f64>()
            * self.norm
    }
}

/// The `q` quantile of sorted, non-empty `sorted`, interpolating linearly between order
/// statistics (Hyndman & Fan type 7, as numpy's default).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let below = pos.floor() as usize;
    let above = pos.ceil() as usize;
    let frac = pos - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * frac
}

/// `values` sorted ascending; callers have already refused NaN.
pub(crate) fn sorted(values: &[f64]) -> std::borrow::Cow<'_, [f64]> {
    if bench_stats::is_sorted(values) {
        return std::borrow::Cow::Borrowed(values);
    }
    let mut out = values.to_vec();
    out.sort_unstable_by(f64::total_cmp);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use rand_distr::{Distribution, LogNormal, Normal};

    use super::*;

    /// The Gaussian kernel density at `x`, summed over every value: the reference.
    fn exact(values: &[f64], h: f64, x: f64) -> f64 {
        let norm = 1.0 / (values.len() as f64 * h * (2.0 * PI).sqrt());
        values
            .iter()
            .map(|v| (-0.5 * ((x - v) / h).powi(2)).exp())
            .sum::<f64>()
            * norm
    }

    /// The largest gap between binned and exact densities over the data range, as a share of
    /// the exact peak.
    fn binned_error(values: &[f64]) -> f64 {
        let s = sorted(values);
        let h = silverman_bandwidth(&s).unwrap();
        let (lo, hi) = (s[0] - 3.0 * h, s[s.len() - 1] + 3.0 * h);
        let binned = curve(&s, h, lo, hi, 1001);
        let exact: Vec<f64> = binned.iter().map(|(x, _)| exact(&s, h, *x)).collect();
        let peak = exact.iter().copied().fold(0.0, f64::max);
        let worst = binned
            .iter()
            .zip(&exact)
            .map(|((_, b), e)| (b - e).abs())
            .fold(0.0, f64::max);
        worst / peak
    }

    #[test]
    fn quantiles_match_numpy_linear_interpolation() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&v, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile(&v, 0.25) - 1.75).abs() < 1e-12);
        assert!((quantile(&v, 1.0) - 4.0).abs() < 1e-12);
        assert!((quantile(&[7.0], 0.9) - 7.0).abs() < 1e-12);
    }

    #[test]
    fn silverman_matches_the_textbook_formula() {
        // sd = 1.2910, IQR/1.34 = 1.1194, n = 4: 0.9 * 1.1194 * 4^-0.2 = 0.7635
        let h = silverman_bandwidth(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!((h - 0.763_5).abs() < 1e-3, "{h}");
        assert_eq!(silverman_bandwidth(&[5.0, 5.0, 5.0]), None);
        assert_eq!(silverman_bandwidth(&[5.0]), None);
    }

    #[test]
    fn density_integrates_to_one() {
        let values = sorted(&[1.0, 2.0, 2.5, 3.0, 7.0]);
        let h = silverman_bandwidth(&values).unwrap();
        let grid = curve(&values, h, -10.0, 20.0, 3001);
        let dx = 30.0 / 3000.0;
        let area: f64 = grid.iter().map(|(_, d)| d * dx).sum();
        assert!((area - 1.0).abs() < 1e-3, "{area}");
    }

    #[test]
    fn binned_density_is_within_a_tenth_of_a_percent_of_the_peak_of_the_exact_one() {
        let mut rng = StdRng::seed_from_u64(7);
        let normal = Normal::new(50.0, 8.0).unwrap();
        let wide = Normal::new(90.0, 4.0).unwrap();
        let skewed = LogNormal::new(3.0, 0.8).unwrap();
        let samples: [(&str, Vec<f64>); 4] = [
            (
                "normal",
                (0..4000).map(|_| normal.sample(&mut rng)).collect(),
            ),
            (
                "bimodal",
                (0..4000)
                    .map(|i| {
                        if i % 3 == 0 {
                            wide.sample(&mut rng)
                        } else {
                            normal.sample(&mut rng)
                        }
                    })
                    .collect(),
            ),
            (
                "skewed",
                (0..4000).map(|_| skewed.sample(&mut rng)).collect(),
            ),
            // Whole numbers with a far outlier: many values share lattice points.
            (
                "integers",
                (0..3000)
                    .map(|i| f64::from(100 + (i * 37) % 50))
                    .chain([5000.0])
                    .collect(),
            ),
        ];
        for (name, values) in samples {
            let error = binned_error(&values);
            assert!(error < 0.001, "{name}: {:.4}% of the peak", error * 100.0);
        }
    }

    #[test]
    fn binned_density_of_one_value_is_the_kernel() {
        let grid = curve(&[2.0], 0.5, 1.0, 3.0, 3);
        assert!((grid[1].1 - exact(&[2.0], 0.5, 2.0)).abs() < 1e-12);
        assert!((grid[0].1 - exact(&[2.0], 0.5, 1.0)).abs() < 1e-12);
    }
}
