//! Speed of the costlier statistics at the sizes a benchmark run produces.

use std::hint::black_box;

use bench_stats::{
    BootstrapOptions, CompareOptions, Sample, Statistic, bootstrap_ci, bootstrap_ratio_ci, compare,
    summarize,
};
use criterion::{Criterion, criterion_group, criterion_main};

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
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
