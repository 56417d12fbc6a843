//! Speed of the costlier statistics at the sizes a benchmark run produces.

use std::hint::black_box;

use bench_stats::{
    BootstrapOptions, CompareOptions, Sample, Statistic, bootstrap_ci, bootstrap_ratio_ci, compare,
    outlier_counts, summarize,
};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

/// A deterministic right-skewed sample, shaped like request latencies.
fn latencies(n: u32, scale: f64) -> Sample {
    let values = (0..n)
        .map(|i| {
            let u = (f64::from(i) + 0.5) / f64::from(n);
            scale * (1.0 - (-3.0 * u).exp()) + scale * 0.1 * (f64::from(i) * 0.618).fract()
        })
        .collect();
    match Sample::new(values) {
        Ok(sample) => sample,
        Err(e) => panic!("synthetic sample is finite and non-empty: {e}"),
    }
}

/// Deterministic inter-token gaps in milliseconds as a run pools them: whole nanoseconds over
/// 1e6, a 0.5 ms floor with an exponential tail, so many values repeat.
fn gaps(n: u32) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let u = (f64::from(i) * 0.618_033_988_749_895).fract();
            (500_000.0 - 40_000.0 * (1.0 - u).ln()).round() / 1e6
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let a = latencies(1000, 100.0);
    let b = latencies(1000, 103.0);
    let opts = BootstrapOptions::default();
    c.bench_function("bootstrap_ci median n=1000 x10k", |bench| {
        bench.iter(|| bootstrap_ci(black_box(&a), Statistic::Median, opts));
    });
    c.bench_function("bootstrap_ci mean n=1000 x10k", |bench| {
        bench.iter(|| bootstrap_ci(black_box(&a), Statistic::Mean, opts));
    });
    c.bench_function("bootstrap_ratio_ci median n=1000 x10k", |bench| {
        bench.iter(|| bootstrap_ratio_ci(black_box(&a), black_box(&b), Statistic::Median, opts));
    });
    c.bench_function("compare n=1000", |bench| {
        bench.iter(|| compare(black_box(&a), black_box(&b), CompareOptions::default()));
    });
    let big = latencies(100_000, 100.0);
    c.bench_function("summarize n=100000", |bench| {
        bench.iter(|| summarize(black_box(&big)));
    });
    let pooled = gaps(1_000_000);
    c.bench_function("Sample::unordered gaps n=1000000", |bench| {
        bench.iter_batched(
            || pooled.clone(),
            |values| Sample::unordered(black_box(values)),
            BatchSize::LargeInput,
        );
    });
    let pooled = match Sample::unordered(pooled) {
        Ok(sample) => sample,
        Err(e) => panic!("synthetic gaps are finite and non-empty: {e}"),
    };
    c.bench_function("outlier_counts gaps n=1000000", |bench| {
        bench.iter(|| outlier_counts(black_box(&pooled)));
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
