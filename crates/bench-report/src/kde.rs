//! Gaussian kernel density estimates with Silverman's rule-of-thumb bandwidth, and the
//! quantiles the box plots need.

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

/// The Gaussian kernel density of `values` with bandwidth `h` at `x` (integrates to one).
pub(crate) fn density(values: &[f64], h: f64, x: f64) -> f64 {
    let norm = 1.0 / (values.len() as f64 * h * (2.0 * PI).sqrt());
    values
        .iter()
        .map(|v| {
            let z = (x - v) / h;
            (-0.5 * z * z).exp()
        })
        .sum::<f64>()
        * norm
}

/// `points` evenly spaced evaluations of the density over `lo..=hi`.
pub(crate) fn curve(values: &[f64], h: f64, lo: f64, hi: f64, points: usize) -> Vec<(f64, f64)> {
    let steps = points.max(2) - 1;
    (0..=steps)
        .map(|i| {
            let x = lo + (hi - lo) * i as f64 / steps as f64;
            (x, density(values, h, x))
        })
        .collect()
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
pub(crate) fn sorted(values: &[f64]) -> Vec<f64> {
    let mut out = values.to_vec();
    out.sort_by(f64::total_cmp);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
