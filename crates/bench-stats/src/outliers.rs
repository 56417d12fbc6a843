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
#[path = "outliers_tests.rs"]
mod tests;
