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
                let mut deviations: Vec<f64> = values.iter().map(|v| (v - centre).abs()).collect();
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
