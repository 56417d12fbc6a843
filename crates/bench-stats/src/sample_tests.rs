use super::*;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn refuses_empty_and_non_finite_input() {
    assert_eq!(Sample::new(vec![]), Err(StatsError::Empty));
    assert!(matches!(
        Sample::new(vec![1.0, f64::INFINITY]),
        Err(StatsError::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        Sample::new(vec![f64::NAN]),
        Err(StatsError::NonFinite { index: 0, .. })
    ));
}

/// Pooled values, sorted or not, with a value that is not finite anywhere: refused, naming the
/// first such value's place, as [`Sample::new`] names it.
#[test]
fn unordered_refuses_non_finite_input_in_order_or_not() {
    let inf = f64::INFINITY;
    let cases: [(Vec<f64>, usize); 8] = [
        (vec![1.0, 2.0, inf], 2),
        (vec![-inf, 1.0, 2.0], 0),
        (vec![1.0, f64::NAN, 2.0], 1),
        (vec![f64::NAN], 0),
        (vec![1.0, 2.0, f64::NAN], 2),
        (vec![3.0, 1.0, inf, 2.0], 2),
        (vec![inf, inf], 0),
        (vec![-inf], 0),
    ];
    for (values, at) in cases {
        assert!(
            matches!(
                Sample::unordered(values.clone()),
                Err(StatsError::NonFinite { index, .. }) if index == at
            ),
            "{values:?}"
        );
        assert!(matches!(
            Sample::new(values.clone()),
            Err(StatsError::NonFinite { index, .. }) if index == at
        ));
    }
    // In order, finite, zeros of both signs included: kept as given.
    let s = Sample::unordered(vec![-2.0, -0.0, 0.0, 5.0]).unwrap();
    assert_eq!(s.sorted(), &[-2.0, -0.0, 0.0, 5.0]);
    assert!(s.sorted()[1].is_sign_negative());
    // Out of order in the signs of zero only: sorted.
    let s = Sample::unordered(vec![0.0, -0.0]).unwrap();
    assert!(s.sorted()[0].is_sign_negative() && s.sorted()[1].is_sign_positive());
}

#[test]
fn sorted_copy_orders_like_total_cmp() {
    let values = vec![
        3.5,
        -0.0,
        0.0,
        -2.25,
        f64::MAX,
        f64::MIN,
        1e-300,
        -1e-300,
        7.0,
        -7.0,
        0.5,
    ];
    let mut expected = values.clone();
    expected.sort_by(f64::total_cmp);
    let got = sorted_copy(&values);
    assert_eq!(
        got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        expected.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

/// Sorts `values` both ways and compares bit for bit, so `-0.0` before `0.0` is checked too.
fn assert_sorts_like_total_cmp(mut values: Vec<f64>, what: &str) {
    let mut expected = values.clone();
    expected.sort_by(f64::total_cmp);
    sort_in_place(&mut values);
    let first_difference = values
        .iter()
        .zip(&expected)
        .position(|(a, b)| a.to_bits() != b.to_bits());
    assert_eq!(first_difference, None, "{what}, {} values", values.len());
}

/// A finite value with uniformly random bits.
fn random_finite(rng: &mut ChaCha8Rng) -> f64 {
    loop {
        let v = f64::from_bits(rng.random());
        if v.is_finite() {
            return v;
        }
    }
}

/// Inputs of `n` values that exercise the sort's paths: latencies of one scale (shared sign
/// and exponent, many ties), full-range bits, signed zeros and subnormals, runs, few
/// distinct keys, keys that differ one bit per byte, and neighbours one ulp apart.
fn varied_inputs(n: usize, seed: u64) -> Vec<(&'static str, Vec<f64>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let latencies: Vec<f64> = (0..n)
        .map(|_| (500_000.0 + rng.random_range(0.0..1_500_000.0_f64).round()) / 1e6)
        .collect();
    let mut ascending = latencies.clone();
    ascending.sort_by(f64::total_cmp);
    let descending = ascending.iter().rev().copied().collect();
    let mut nearly = ascending.clone();
    for _ in 0..=n / 100 {
        let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
        nearly.swap(i, j);
    }
    let signed = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        5e-324,
        -5e-324,
        f64::MIN_POSITIVE,
        f64::MAX,
    ];
    vec![
        ("latencies", latencies),
        ("ascending", ascending),
        ("descending", descending),
        ("nearly sorted", nearly),
        (
            "random bits",
            (0..n).map(|_| random_finite(&mut rng)).collect(),
        ),
        (
            "signed zeros and extremes",
            (0..n)
                .map(|_| match rng.random_range(0..3) {
                    0 => signed[rng.random_range(0..signed.len())],
                    1 => -signed[rng.random_range(0..signed.len())],
                    _ => rng.random_range(-1e3..1e3),
                })
                .collect(),
        ),
        ("all equal", vec![0.75; n]),
        ("all negative zero", vec![-0.0; n]),
        (
            "three distinct",
            (0..n)
                .map(|_| [2.0, 0.5, 1.0][rng.random_range(0..3)])
                .collect(),
        ),
        (
            "one bit per byte",
            (0..n)
                .map(|_| {
                    let byte: u8 = rng.random();
                    let bits = (0..8)
                        .filter(|b| byte >> b & 1 == 1)
                        .fold(0_u64, |bits, b| bits | 1 << (8 * b));
                    f64::from_bits(bits & !(1 << 63))
                })
                .collect(),
        ),
        (
            "ulp neighbours",
            (0..n)
                .map(|_| f64::from_bits(1.0_f64.to_bits() + rng.random_range(0..64)))
                .collect(),
        ),
    ]
}

#[test]
fn sorts_like_total_cmp_at_every_size() {
    // From below the comparison-sort cut-off to past the parallel one.
    for (n, seed) in [
        (1, 1),
        (2, 2),
        (3, 3),
        (255, 4),
        (257, 5),
        (5000, 6),
        (20_000, 7),
    ] {
        for (what, values) in varied_inputs(n, seed) {
            assert_sorts_like_total_cmp(values, what);
        }
    }
    for (what, values) in varied_inputs(300_000, 8) {
        assert_sorts_like_total_cmp(values, what);
    }
}

proptest! {
    #[test]
    fn sorts_arbitrary_finite_values_like_total_cmp(
        values in prop::collection::vec(
            prop::num::f64::POSITIVE
                | prop::num::f64::NEGATIVE
                | prop::num::f64::NORMAL
                | prop::num::f64::SUBNORMAL
                | prop::num::f64::ZERO,
            0..3000,
        ),
    ) {
        assert_sorts_like_total_cmp(values, "arbitrary");
    }
}

#[test]
fn unordered_and_new_sort_alike() {
    let values: Vec<f64> = varied_inputs(100_000, 9).remove(0).1;
    let unordered = Sample::unordered(values.clone()).unwrap();
    let recorded = Sample::new(values.clone()).unwrap();
    assert_eq!(unordered.sorted(), recorded.sorted());
    assert_eq!(unordered.values(), unordered.sorted());
    assert_eq!(recorded.values(), values.as_slice());
}

#[test]
fn keeps_recorded_order_and_sorted_copy() {
    let s = Sample::new(vec![5.0, -1.0, 3.0, 3.0]).unwrap();
    assert_eq!(s.values(), &[5.0, -1.0, 3.0, 3.0]);
    assert_eq!(s.sorted(), &[-1.0, 3.0, 3.0, 5.0]);
    assert_eq!((s.min(), s.max(), s.len()), (-1.0, 5.0, 4));
}
