//! Outliers classified, never dropped: Tukey's fences on the interquartile range and the
//! MAD-based modified z-score of Iglewicz and Hoaglin.

use serde::{Deserialize, Serialize};

use crate::describe::mean_of;
use crate::quantile::quantile_sorted;
use crate::sample::Sample;

/// Multiple of the IQR beyond a quartile where mild outliers start.
pub const MILD_IQR: f64 = 1.5;
/// Multiple of the IQR beyond a quartile where severe outliers start.
pub const SEVERE_IQR: f64 = 3.0;
/// Modified z-score above which a value is flagged.
pub const MODIFIED_Z_LIMIT: f64 = 3.5;

/// Outliers of one sample by two methods. Indices refer to [`Sample::values`] (recorded order),
/// ascending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outliers {
    /// Tukey's fences.
    pub tukey: Tukey,
    /// The modified z-score.
    pub modified_z: ModifiedZ,
}

/// Tukey's fences: with quartiles `q1`, `q3` (by [`crate::quantile()`]) and `iqr = q3 - q1`,
/// a value is a mild outlier beyond `1.5 iqr` from its nearer quartile and a severe one beyond
/// `3 iqr`. The two classes are disjoint: a severe outlier is not also counted as mild.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tukey {
    /// First quartile.
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
    /// `q3 - q1`.
    pub iqr: f64,
    /// How many values fall in each class.
    pub counts: TukeyCounts,
    /// Values below `q1 - 3 iqr`.
    pub low_severe: Vec<usize>,
    /// Values in `[q1 - 3 iqr, q1 - 1.5 iqr)`.
    pub low_mild: Vec<usize>,
    /// Values in `(q3 + 1.5 iqr, q3 + 3 iqr]`.
    pub high_mild: Vec<usize>,
    /// Values above `q3 + 3 iqr`.
    pub high_severe: Vec<usize>,
}

/// Counts per Tukey class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TukeyCounts {
    /// Below `q1 - 3 iqr`.
    pub low_severe: usize,
    /// In `[q1 - 3 iqr, q1 - 1.5 iqr)`.
    pub low_mild: usize,
    /// In `(q3 + 1.5 iqr, q3 + 3 iqr]`.
    pub high_mild: usize,
    /// Above `q3 + 3 iqr`.
    pub high_severe: usize,
}

/// The modified z-score `M_i = 0.6745 (x_i - median) / MAD`, where `MAD` is the median absolute
/// deviation from the median; `|M_i| > 3.5` is flagged (Iglewicz and Hoaglin, 1993).
///
/// When more than half the values equal the median, the MAD is zero; the score then uses the
/// mean absolute deviation instead, `M_i = (x_i - median) / (1.253314 · MeanAD)`. When that is
/// zero too, every value equals the median and nothing is flagged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModifiedZ {
    /// Median of the sample.
    pub median: f64,
    /// Median absolute deviation from the median (unscaled).
    pub mad: f64,
    /// Indices with `|M_i| > 3.5`.
    pub flagged: Vec<usize>,
}

/// Classifies the outliers of a sample by Tukey's fences and by the modified z-score.
///
/// ```
/// use bench_stats::{Sample, outliers};
/// let s = Sample::new(vec![10.0, 11.0, 10.5, 10.2, 10.8, 50.0, 10.1, 10.9])?;
/// let o = outliers(&s);
/// assert_eq!(o.tukey.high_severe, [5]);
/// assert_eq!(o.modified_z.flagged, [5]);
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn outliers(sample: &Sample) -> Outliers {
    Outliers {
        tukey: tukey(sample),
        modified_z: modified_z(sample),
    }
}

fn tukey(sample: &Sample) -> Tukey {
    let q1 = quantile_sorted(sample.sorted(), 0.25);
    let q3 = quantile_sorted(sample.sorted(), 0.75);
    let iqr = q3 - q1;
    let indices = |keep: &dyn Fn(f64) -> bool| -> Vec<usize> {
        let values = sample.values().iter().enumerate();
        values.filter(|&(_, &v)| keep(v)).map(|(i, _)| i).collect()
    };
    let (low_mild_fence, low_severe_fence) = (q1 - MILD_IQR * iqr, q1 - SEVERE_IQR * iqr);
    let (high_mild_fence, high_severe_fence) = (q3 + MILD_IQR * iqr, q3 + SEVERE_IQR * iqr);
    let low_severe = indices(&|v| v < low_severe_fence);
    let low_mild = indices(&|v| v >= low_severe_fence && v < low_mild_fence);
    let high_mild = indices(&|v| v > high_mild_fence && v <= high_severe_fence);
    let high_severe = indices(&|v| v > high_severe_fence);
    Tukey {
        q1,
        q3,
        iqr,
        counts: TukeyCounts {
            low_severe: low_severe.len(),
            low_mild: low_mild.len(),
            high_mild: high_mild.len(),
            high_severe: high_severe.len(),
        },
        low_severe,
        low_mild,
        high_mild,
        high_severe,
    }
}

fn modified_z(sample: &Sample) -> ModifiedZ {
    let median = quantile_sorted(sample.sorted(), 0.5);
    let deviations = sorted_deviations(sample.sorted(), median);
    let mad = quantile_sorted(&deviations, 0.5);
    // 0.6745 is the 0.75-quantile of the standard normal, so MAD / 0.6745 estimates sd for
    // normal data; 1.253314 = sqrt(pi / 2) does the same for the mean absolute deviation.
    let scale = if mad > 0.0 {
        mad / 0.6745
    } else {
        1.253_314 * mean_of(&deviations)
    };
    let flagged = if scale > 0.0 {
        let values = sample.values().iter().enumerate();
        values
            .filter(|&(_, &v)| (v - median).abs() / scale > MODIFIED_Z_LIMIT)
            .map(|(i, _)| i)
            .collect()
    } else {
        Vec::new()
    };
    ModifiedZ {
        median,
        mad,
        flagged,
    }
}

/// `|x - centre|` of every value of `sorted` (ascending), sorted ascending: the deviations below
/// the centre grow walking down from it and those above walking up, so merging the two runs
/// sorts them in one pass.
fn sorted_deviations(sorted: &[f64], centre: f64) -> Vec<f64> {
    let split = sorted.partition_point(|&x| x < centre);
    let mut below = sorted[..split]
        .iter()
        .rev()
        .map(|v| (v - centre).abs())
        .peekable();
    let mut above = sorted[split..]
        .iter()
        .map(|v| (v - centre).abs())
        .peekable();
    let mut out = Vec::with_capacity(sorted.len());
    while let (Some(&b), Some(&a)) = (below.peek(), above.peek()) {
        if b <= a {
            out.push(b);
            below.next();
        } else {
            out.push(a);
            above.next();
        }
    }
    out.extend(below);
    out.extend(above);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_deviations_equal_sorted_deviations() {
        let values = [5.0, -3.0, 2.5, 2.5, 9.0, 0.0, 4.0, 100.0, -50.0, 3.0, 3.0];
        let s = Sample::new(values.to_vec()).unwrap();
        for centre in [3.0, 2.5, -100.0, 200.0, 0.1] {
            let mut expected: Vec<f64> = values.iter().map(|v| (v - centre).abs()).collect();
            expected.sort_by(f64::total_cmp);
            assert_eq!(
                sorted_deviations(s.sorted(), centre),
                expected,
                "centre {centre}"
            );
        }
    }

    // numpy: np.quantile(x, [0.25, 0.75]) for
    //   x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -20, 25, 40] -> [3.0, 9.0], iqr 6:
    //   mild fences -6 / 18, severe fences -15 / 27
    #[test]
    fn tukey_classes_by_fence() {
        let x = vec![1., 2., 3., 4., 5., 6., 7., 8., 9., 10., -20., 25., 40.];
        let t = tukey(&Sample::new(x).unwrap());
        assert_eq!((t.q1, t.q3, t.iqr), (3.0, 9.0, 6.0));
        assert_eq!(t.low_severe, [10]);
        assert!(t.low_mild.is_empty());
        assert_eq!(t.high_mild, [11]);
        assert_eq!(t.high_severe, [12]);
        assert_eq!(
            t.counts,
            TukeyCounts {
                low_severe: 1,
                low_mild: 0,
                high_mild: 1,
                high_severe: 1
            }
        );
    }

    #[test]
    fn values_on_a_fence_belong_to_the_milder_class() {
        // Sorted: q1 = 0, q3 = 4 (np.quantile), iqr 4: mild fence 10, severe fence 16.
        let x = vec![0., 0., 0., 0., 4., 4., 4., 4., 10., 16.];
        let t = tukey(&Sample::new(x).unwrap());
        assert_eq!((t.q1, t.q3, t.iqr), (0.0, 4.0, 4.0));
        assert_eq!(
            (t.high_mild.as_slice(), t.counts.high_severe),
            (&[9][..], 0)
        );
    }

    // Python:
    //   x = np.array([10, 11, 10.5, 10.2, 10.8, 50, 10.1, 10.9, 9.9, 2])
    //   med = np.median(x); mad = np.median(abs(x - med))
    //   np.where(abs(0.6745 * (x - med) / mad) > 3.5) -> [5, 9]; med 10.35, mad 0.45
    #[test]
    fn modified_z_flags_far_values() {
        let x = vec![10., 11., 10.5, 10.2, 10.8, 50., 10.1, 10.9, 9.9, 2.];
        let z = modified_z(&Sample::new(x).unwrap());
        assert!((z.median - 10.35).abs() < 1e-12 && (z.mad - 0.45).abs() < 1e-12);
        assert_eq!(z.flagged, [5, 9]);
    }

    #[test]
    fn zero_mad_falls_back_to_mean_absolute_deviation() {
        // MAD 0; MeanAD = 10 / 6; scale 2.0888; |10 - 0| / 2.0888 = 4.79 > 3.5.
        let z = modified_z(&Sample::new(vec![0., 0., 0., 0., 0., 10.]).unwrap());
        assert_eq!((z.mad, z.flagged.as_slice()), (0.0, &[5][..]));
        let flat = modified_z(&Sample::new(vec![4.0; 5]).unwrap());
        assert!(flat.flagged.is_empty());
    }

    #[test]
    fn serialises_counts_and_indices() {
        // q1 = 3, q3 = 7, severe fence 19.
        let o = outliers(&Sample::new(vec![1., 2., 3., 4., 5., 6., 7., 8., 100.]).unwrap());
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json["tukey"]["counts"]["high_severe"], 1);
        assert_eq!(json["tukey"]["high_severe"][0], 8);
        assert_eq!(json["modified_z"]["flagged"][0], 8);
    }
}
