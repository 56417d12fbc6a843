//! Outliers classified, never dropped: Tukey's fences on the interquartile range and the
//! MAD-based modified z-score of Iglewicz and Hoaglin.

use serde::{Deserialize, Serialize};

use crate::quantile::{quantile_by_rank, quantile_sorted};
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

/// The numbers [`outliers`] finds, without the indices: how many values fall in each Tukey class
/// and how many the modified z-score flags, with the statistics both rest on.
///
/// Every field equals its counterpart in [`Outliers`] bit for bit (`tukey.q1` and the others,
/// `modified_z.median` and `mad`, and the lengths of the index lists).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OutlierCounts {
    /// First quartile.
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
    /// `q3 - q1`.
    pub iqr: f64,
    /// How many values fall in each Tukey class.
    pub tukey: TukeyCounts,
    /// Median of the sample.
    pub median: f64,
    /// Median absolute deviation from the median (unscaled).
    pub mad: f64,
    /// How many values have `|M_i| > 3.5`.
    pub modified_z_flagged: usize,
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

/// Counts the outliers of a sample by Tukey's fences and by the modified z-score: the numbers of
/// [`outliers`] without its index lists.
///
/// For a sample of tens of millions of values (the pooled inter-token gaps of a long run) this
/// is what a summary needs, and it costs a few binary searches over the sorted values where
/// [`outliers`] walks them all and allocates an index per outlier. Only a median absolute
/// deviation of zero makes it walk the values once, without allocating.
///
/// ```
/// use bench_stats::{Sample, outlier_counts, outliers};
/// let s = Sample::new(vec![10.0, 11.0, 10.5, 10.2, 10.8, 50.0, 10.1, 10.9])?;
/// let counts = outlier_counts(&s);
/// assert_eq!((counts.tukey.high_severe, counts.modified_z_flagged), (1, 1));
/// assert_eq!(counts.mad, outliers(&s).modified_z.mad);
/// # Ok::<(), bench_stats::StatsError>(())
/// ```
pub fn outlier_counts(sample: &Sample) -> OutlierCounts {
    let sorted = sample.sorted();
    let fences = Fences::of(sorted);
    // Each class is a run of the sorted values: the values above a lower bound form a suffix,
    // those below an upper bound a prefix, and the class is where the two overlap. The
    // predicates are the filters of `tukey`, so values on a fence land in the same class.
    let first_where = |keep: &dyn Fn(f64) -> bool| sorted.partition_point(|&v| !keep(v));
    let end_of = |keep: &dyn Fn(f64) -> bool| sorted.partition_point(|&v| keep(v));
    let low_severe = end_of(&|v| v < fences.low_severe);
    let low_mild =
        end_of(&|v| v < fences.low_mild).saturating_sub(first_where(&|v| v >= fences.low_severe));
    let high_mild =
        end_of(&|v| v <= fences.high_severe).saturating_sub(first_where(&|v| v > fences.high_mild));
    let high_severe = sorted.len() - first_where(&|v| v > fences.high_severe);
    let spread = Spread::of(sorted);
    let modified_z_flagged = if spread.scale > 0.0 {
        // The score grows walking away from the median on either side, so the flagged values
        // are a prefix of those below the median and a suffix of the rest.
        let flagged = |v: f64| spread.is_flagged(v);
        let split = sorted.partition_point(|&v| v < spread.median);
        let (below, above) = sorted.split_at(split);
        below.partition_point(|&v| flagged(v)) + above.len()
            - above.partition_point(|&v| !flagged(v))
    } else {
        0
    };
    OutlierCounts {
        q1: fences.q1,
        q3: fences.q3,
        iqr: fences.iqr,
        tukey: TukeyCounts {
            low_severe,
            low_mild,
            high_mild,
            high_severe,
        },
        median: spread.median,
        mad: spread.mad,
        modified_z_flagged,
    }
}

/// The quartiles of a sample and Tukey's fences on them.
struct Fences {
    q1: f64,
    q3: f64,
    iqr: f64,
    low_severe: f64,
    low_mild: f64,
    high_mild: f64,
    high_severe: f64,
}

impl Fences {
    fn of(sorted: &[f64]) -> Self {
        let q1 = quantile_sorted(sorted, 0.25);
        let q3 = quantile_sorted(sorted, 0.75);
        let iqr = q3 - q1;
        Self {
            q1,
            q3,
            iqr,
            low_severe: q1 - SEVERE_IQR * iqr,
            low_mild: q1 - MILD_IQR * iqr,
            high_mild: q3 + MILD_IQR * iqr,
            high_severe: q3 + SEVERE_IQR * iqr,
        }
    }
}

fn tukey(sample: &Sample) -> Tukey {
    let fences = Fences::of(sample.sorted());
    let indices = |keep: &dyn Fn(f64) -> bool| -> Vec<usize> {
        let values = sample.values().iter().enumerate();
        values.filter(|&(_, &v)| keep(v)).map(|(i, _)| i).collect()
    };
    let low_severe = indices(&|v| v < fences.low_severe);
    let low_mild = indices(&|v| v >= fences.low_severe && v < fences.low_mild);
    let high_mild = indices(&|v| v > fences.high_mild && v <= fences.high_severe);
    let high_severe = indices(&|v| v > fences.high_severe);
    Tukey {
        q1: fences.q1,
        q3: fences.q3,
        iqr: fences.iqr,
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

/// The centre and spread the modified z-score is measured in.
struct Spread {
    median: f64,
    mad: f64,
    /// What a deviation from the median is divided by: `MAD / 0.6745`, or `1.253314 · MeanAD`
    /// when the MAD is zero; zero when every value equals the median.
    scale: f64,
}

impl Spread {
    fn of(sorted: &[f64]) -> Self {
        let median = quantile_sorted(sorted, 0.5);
        let mad = median_deviation(sorted, median);
        // 0.6745 is the 0.75-quantile of the standard normal, so MAD / 0.6745 estimates sd for
        // normal data; 1.253314 = sqrt(pi / 2) does the same for the mean absolute deviation.
        let scale = if mad > 0.0 {
            mad / 0.6745
        } else {
            // The deviations summed in ascending order, as the mean of them sorted would be.
            let sum: f64 = merged_deviations(sorted, median).sum();
            1.253_314 * (sum / sorted.len() as f64)
        };
        Self { median, mad, scale }
    }

    /// Whether `|M| > 3.5` for `value`; only meaningful when `scale > 0`.
    fn is_flagged(&self, value: f64) -> bool {
        (value - self.median).abs() / self.scale > MODIFIED_Z_LIMIT
    }
}

fn modified_z(sample: &Sample) -> ModifiedZ {
    let spread = Spread::of(sample.sorted());
    let flagged = if spread.scale > 0.0 {
        let values = sample.values().iter().enumerate();
        values
            .filter(|&(_, &v)| spread.is_flagged(v))
            .map(|(i, _)| i)
            .collect()
    } else {
        Vec::new()
    };
    ModifiedZ {
        median: spread.median,
        mad: spread.mad,
        flagged,
    }
}

/// `|x - centre|` of every value of `sorted` (ascending), in ascending order: the deviations
/// below the centre grow walking down from it and those above walking up, so merging the two
/// runs orders them in one pass.
fn merged_deviations(sorted: &[f64], centre: f64) -> impl Iterator<Item = f64> {
    let split = sorted.partition_point(|&x| x < centre);
    let mut below = sorted[..split]
        .iter()
        .rev()
        .map(move |v| (v - centre).abs())
        .peekable();
    let mut above = sorted[split..]
        .iter()
        .map(move |v| (v - centre).abs())
        .peekable();
    std::iter::from_fn(move || match (below.peek(), above.peek()) {
        (Some(b), Some(a)) if b <= a => below.next(),
        (Some(_), None) => below.next(),
        _ => above.next(),
    })
}

/// The median of `|x - centre|` over `sorted` (ascending), by [`quantile_sorted`]'s rule, without
/// materialising the deviations: they form two ascending runs (see [`merged_deviations`]), and
/// the one or two ranks the median needs are found in their union by binary search.
fn median_deviation(sorted: &[f64], centre: f64) -> f64 {
    let split = sorted.partition_point(|&x| x < centre);
    let (low, high) = sorted.split_at(split);
    let below = |j: usize| (low[low.len() - 1 - j] - centre).abs();
    let above = |j: usize| (high[j] - centre).abs();
    quantile_by_rank(sorted.len(), 0.5, |k| {
        nth_of_union(k, (low.len(), below), (high.len(), above))
    })
}

/// The `rank`-th smallest (from 0) of two ascending sequences taken together, each given by its
/// length and its `j`-th element; `rank` must be less than the two lengths' sum.
///
/// The `rank + 1` smallest are the first `taken` of `first` and the rest from `second`, for the
/// least `taken` at which the next element of `first` is not below the last one taken from
/// `second`; the answer is the larger of the two last taken.
fn nth_of_union(
    rank: usize,
    (first_len, first): (usize, impl Fn(usize) -> f64),
    (second_len, second): (usize, impl Fn(usize) -> f64),
) -> f64 {
    debug_assert!(rank < first_len + second_len);
    let mut low = (rank + 1).saturating_sub(second_len);
    let mut high = (rank + 1).min(first_len);
    while low < high {
        let taken = low + (high - low) / 2;
        if first(taken) < second(rank - taken) {
            low = taken + 1;
        } else {
            high = taken;
        }
    }
    let taken = low;
    let last_of_first = taken.checked_sub(1).map(&first);
    let last_of_second = (taken <= rank).then(|| second(rank - taken));
    match (last_of_first, last_of_second) {
        (Some(a), Some(b)) => a.max(b),
        (Some(last), None) | (None, Some(last)) => last,
        (None, None) => unreachable!("rank + 1 elements are taken"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn merged_deviations_equal_sorted_deviations() {
        let values = [5.0, -3.0, 2.5, 2.5, 9.0, 0.0, 4.0, 100.0, -50.0, 3.0, 3.0];
        let s = Sample::new(values.to_vec()).unwrap();
        for centre in [3.0, 2.5, -100.0, 200.0, 0.1] {
            let mut expected: Vec<f64> = values.iter().map(|v| (v - centre).abs()).collect();
            expected.sort_by(f64::total_cmp);
            assert_eq!(
                merged_deviations(s.sorted(), centre).collect::<Vec<_>>(),
                expected,
                "centre {centre}"
            );
        }
    }

    #[test]
    fn nth_of_union_equals_the_merged_sequence() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..300 {
            let mut run = || -> Vec<f64> {
                let len = rng.random_range(0..12);
                let mut v: Vec<f64> = (0..len)
                    .map(|_| f64::from(rng.random_range(0..8)))
                    .collect();
                v.sort_by(f64::total_cmp);
                v
            };
            let (a, b) = (run(), run());
            let mut merged = [a.clone(), b.clone()].concat();
            merged.sort_by(f64::total_cmp);
            for (k, &want) in merged.iter().enumerate() {
                let got = nth_of_union(k, (a.len(), |j| a[j]), (b.len(), |j| b[j]));
                assert_eq!(got, want, "k {k} of {a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn median_deviation_equals_median_of_sorted_deviations() {
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        for n in 1..60 {
            for _ in 0..20 {
                let values: Vec<f64> = (0..n)
                    .map(|_| f64::from(rng.random_range(-5..6)) / 4.0)
                    .collect();
                let s = Sample::new(values.clone()).unwrap();
                let median = quantile_sorted(s.sorted(), 0.5);
                for centre in [median, 0.3, -10.0, 10.0] {
                    let mut deviations: Vec<f64> =
                        values.iter().map(|v| (v - centre).abs()).collect();
                    deviations.sort_by(f64::total_cmp);
                    let want = quantile_sorted(&deviations, 0.5);
                    let got = median_deviation(s.sorted(), centre);
                    assert_eq!(got.to_bits(), want.to_bits(), "{values:?} about {centre}");
                }
            }
        }
    }

    /// The modified z-score's median, MAD and flagged count the direct way: every deviation
    /// computed, sorted and kept.
    fn modified_z_by_sorting(values: &[f64]) -> (f64, f64, usize) {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = quantile_sorted(&sorted, 0.5);
        let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        let mad = quantile_sorted(&deviations, 0.5);
        let scale = if mad > 0.0 {
            mad / 0.6745
        } else {
            1.253_314 * crate::describe::mean_of(&deviations)
        };
        let flagged = if scale > 0.0 {
            let far = |v: &&f64| (*v - median).abs() / scale > MODIFIED_Z_LIMIT;
            values.iter().filter(far).count()
        } else {
            0
        };
        (median, mad, flagged)
    }

    /// `outlier_counts` against `outliers` and against [`modified_z_by_sorting`], every float
    /// compared bit for bit.
    fn assert_counts_match(values: Vec<f64>) {
        let (median, mad, flagged) = modified_z_by_sorting(&values);
        let s = Sample::new(values).unwrap();
        let (full, counts) = (outliers(&s), outlier_counts(&s));
        assert_eq!(
            (
                counts.median.to_bits(),
                counts.mad.to_bits(),
                counts.modified_z_flagged
            ),
            (median.to_bits(), mad.to_bits(), flagged),
            "{:?}",
            s.values()
        );
        let bits = |xs: [f64; 5]| xs.map(f64::to_bits);
        assert_eq!(
            bits([counts.q1, counts.q3, counts.iqr, counts.median, counts.mad]),
            bits([
                full.tukey.q1,
                full.tukey.q3,
                full.tukey.iqr,
                full.modified_z.median,
                full.modified_z.mad
            ]),
            "{:?}",
            s.values()
        );
        assert_eq!(counts.tukey, full.tukey.counts, "{:?}", s.values());
        assert_eq!(
            counts.modified_z_flagged,
            full.modified_z.flagged.len(),
            "{:?}",
            s.values()
        );
    }

    #[test]
    fn counts_equal_those_of_the_index_lists() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        for round in 0..2000 {
            let n = rng.random_range(1..80);
            let values: Vec<f64> = match round % 5 {
                // Few distinct values: ties on the quartiles, the median and the fences.
                0 => (0..n).map(|_| f64::from(rng.random_range(0..4))).collect(),
                // Mostly one value, so the MAD is zero and the mean deviation takes over.
                1 => (0..n)
                    .map(|_| {
                        if rng.random_bool(0.8) {
                            2.0
                        } else {
                            rng.random_range(-50.0..50.0)
                        }
                    })
                    .collect(),
                // A tight body with far tails, as latencies have.
                2 => (0..n)
                    .map(|_| {
                        let body = 0.5 + f64::from(rng.random_range(0..1000)) / 1e6;
                        if rng.random_bool(0.1) {
                            body * rng.random_range(1.0..40.0)
                        } else {
                            body
                        }
                    })
                    .collect(),
                // Signed zeros among small integers.
                3 => (0..n)
                    .map(|_| [-0.0, 0.0, 1.0, -1.0, 3.0][rng.random_range(0..5)])
                    .collect(),
                _ => (0..n).map(|_| rng.random_range(-1e3..1e3)).collect(),
            };
            assert_counts_match(values);
        }
        // Values placed exactly on the fences (q1 0, q3 4: mild 10 and -6, severe 16 and -12),
        // and spreads too large to subtract without overflow.
        assert_counts_match(vec![0., 0., 0., 0., 4., 4., 4., 4., 10., 16., -6., -12.]);
        assert_counts_match(vec![-1e308, -1e308, 1e308, 1e308, 0.0]);
        assert_counts_match(vec![-f64::MAX, f64::MAX, f64::MAX]);
        assert_counts_match(vec![4.0; 7]);
    }

    #[test]
    fn counts_match_on_a_large_pooled_sample() {
        let mut rng = ChaCha8Rng::seed_from_u64(14);
        let values: Vec<f64> = (0..200_000)
            .map(|_| {
                let ns = 500_000.0 - 40_000.0 * (1.0 - rng.random::<f64>()).ln();
                ns.round() / 1e6
            })
            .collect();
        let full = outliers(&Sample::new(values.clone()).unwrap());
        assert!(full.tukey.counts.high_mild > 0 && !full.modified_z.flagged.is_empty());
        assert_counts_match(values);
    }

    proptest! {
        #[test]
        fn counts_equal_those_of_the_index_lists_for_any_sample(
            values in prop::collection::vec(
                prop_oneof![(-20i32..20).prop_map(f64::from), -1e6f64..1e6],
                1..120,
            ),
        ) {
            assert_counts_match(values);
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
