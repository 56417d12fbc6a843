use super::*;
use crate::describe::mean_ci;
use proptest::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

/// `n` evenly spaced quantiles of the standard normal: deterministic, mean 0, sd close to 1.
fn normal_scores(n: usize, shift: f64) -> Sample {
    let z = Normal::standard();
    Sample::new(
        (0..n)
            .map(|i| shift + z.inverse_cdf((i as f64 + 0.5) / n as f64))
            .collect(),
    )
    .unwrap()
}

#[test]
fn mean_interval_agrees_with_t_interval_for_large_n() {
    let s = normal_scores(1000, 10.0);
    let boot = bootstrap_ci(&s, Statistic::Mean, BootstrapOptions::default()).unwrap();
    let t = mean_ci(&s, 0.95).unwrap();
    assert!((boot.estimate - t.estimate).abs() < 1e-12);
    let ratio = boot.half_width() / t.half_width();
    assert!((0.9..1.1).contains(&ratio), "half-width ratio {ratio}");
    assert!(boot.contains(10.0));
}

#[test]
fn ratio_of_scaled_sample_centres_on_the_scale() {
    let a = normal_scores(400, 10.0);
    let b = Sample::new(a.values().iter().map(|v| v * 2.0).collect()).unwrap();
    let ci = bootstrap_ratio_ci(&a, &b, Statistic::Median, BootstrapOptions::default()).unwrap();
    assert!((ci.estimate - 2.0).abs() < 1e-12);
    assert!(
        ci.contains(2.0) && ci.lower > 1.9 && ci.upper < 2.1,
        "{ci:?}"
    );
}

#[test]
fn ratio_interval_excludes_one_for_a_clear_shift() {
    let a = normal_scores(200, 10.0);
    let b = normal_scores(200, 11.0);
    let ci = bootstrap_ratio_ci(&a, &b, Statistic::Mean, BootstrapOptions::default()).unwrap();
    assert!(ci.lower > 1.0, "{ci:?}");
}

#[test]
fn refuses_zero_denominator_and_bad_options() {
    let zero = Sample::new(vec![0.0, 0.0, 0.0]).unwrap();
    let one = Sample::new(vec![1.0]).unwrap();
    let opts = BootstrapOptions::default();
    assert_eq!(
        bootstrap_ratio_ci(&zero, &one, Statistic::Median, opts),
        Err(StatsError::ZeroDenominator("median"))
    );
    let half_zero = Sample::new(vec![0.0, 1.0]).unwrap();
    assert!(matches!(
        bootstrap_ratio_ci(&half_zero, &one, Statistic::Median, opts),
        Err(StatsError::NonFiniteStatistic(_))
    ));
    let none = BootstrapOptions {
        resamples: 0,
        ..opts
    };
    assert!(bootstrap_ci(&one, Statistic::Mean, none).is_err());
    assert!(bootstrap_ci(&one, Statistic::Quantile(1.5), opts).is_err());
}

#[test]
fn resample_is_sorted_and_drawn_from_the_data() {
    let s = Sample::new(vec![5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut r = Resampler::default();
    for _ in 0..50 {
        let draw = r.draw(s.sorted(), &mut rng).to_vec();
        assert_eq!(draw.len(), 5);
        assert!(draw.windows(2).all(|w| w[0] <= w[1]));
        assert!(draw.iter().all(|v| s.sorted().contains(v)));
    }
}

#[test]
fn order_statistics_follow_the_exact_bootstrap_distribution() {
    // Rank r of a resample of n lies at index <= j exactly when at least r + 1 of the n
    // draws land on indices 0..=j: P = P(Binomial(n, (j + 1) / n) >= r + 1).
    use statrs::distribution::{Binomial as ExactBinomial, DiscreteCDF};
    let n = 9;
    let draws = 200_000;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for ranks in [[0, 1], [4, 5], [7, 8], [3, 3]] {
        let mut counts = [[0u32; 9]; 2];
        for _ in 0..draws {
            let found = resample_order_statistics(n, ranks, &mut rng);
            assert!(found[0] <= found[1], "{found:?} for ranks {ranks:?}");
            counts[0][found[0]] += 1;
            counts[1][found[1]] += 1;
        }
        for (k, counts) in counts.iter().enumerate() {
            let mut cumulative = 0.0;
            for (j, &count) in counts.iter().enumerate() {
                cumulative += f64::from(count) / f64::from(draws);
                let p = (j + 1) as f64 / n as f64;
                let exact = if j + 1 == n {
                    1.0
                } else {
                    let bin = ExactBinomial::new(p, n as u64).unwrap();
                    1.0 - bin.cdf(ranks[k] as u64)
                };
                assert!(
                    (cumulative - exact).abs() < 0.005,
                    "rank {} index {j}: {cumulative} vs exact {exact}",
                    ranks[k]
                );
            }
        }
    }
}

#[test]
fn quantile_interval_agrees_with_drawing_every_index() {
    // The descent and the full resample have one distribution; their intervals differ by
    // Monte Carlo error only.
    let s = Sample::new(
        normal_scores(600, 50.0)
            .values()
            .iter()
            .map(|v| v.exp())
            .collect(),
    )
    .unwrap();
    for q in [0.5, 0.9] {
        let fast = bootstrap_ci(&s, Statistic::Quantile(q), BootstrapOptions::default()).unwrap();
        let full = bootstrap_ci_with(
            &s,
            |sorted| quantile_sorted(sorted, q),
            BootstrapOptions {
                seed: 11,
                ..BootstrapOptions::default()
            },
        )
        .unwrap();
        assert_eq!(fast.estimate, full.estimate);
        let width = full.upper - full.lower;
        assert!(
            (fast.lower - full.lower).abs() < 0.1 * width
                && (fast.upper - full.upper).abs() < 0.1 * width,
            "q={q}: {fast:?} vs {full:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn deterministic_for_a_seed_and_within_range(
        values in prop::collection::vec(0.0f64..1e3, 1..60),
        seed in any::<u64>(),
        q in 0.0f64..=1.0,
    ) {
        let s = Sample::new(values).unwrap();
        let opts = BootstrapOptions { resamples: 300, level: 0.9, seed };
        for stat in [Statistic::Mean, Statistic::Median, Statistic::Quantile(q)] {
            let first = bootstrap_ci(&s, stat, opts).unwrap();
            prop_assert_eq!(first, bootstrap_ci(&s, stat, opts).unwrap());
            prop_assert!(s.min() <= first.lower && first.lower <= first.upper);
            prop_assert!(first.upper <= s.max());
        }
    }
}
