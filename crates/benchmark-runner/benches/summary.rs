//! Speed of `report`'s stages on run directories of 10k, 100k and 1M samples: reading
//! `samples.jsonl`, the summary (metric samples, statistics, verdicts) and the figures.
//!
//! The directories come from `scripts/bench-summary.sh` (which writes them with the
//! `synth_samples` example, then runs this); a size whose directory is missing is skipped with a
//! message. `SUMMARY_BENCH_DIR` names their parent (default `target/synth`).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use benchmark_runner::columns::Columns;
use benchmark_runner::report::figures::{figures, sample_figures};
use benchmark_runner::summary::agreement::agreement;
use benchmark_runner::summary::{
    RunData, metric_samples, regression_points_by_label, summarize_run,
};
use benchmark_runner::{energy, manifest, store};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let root = std::env::var_os("SUMMARY_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/synth"),
        PathBuf::from,
    );
    for n in [10_000, 100_000, 1_000_000] {
        let dir = root.join(format!("n{n}"));
        if !dir.join("samples.jsonl").is_file() {
            eprintln!(
                "{}: missing, skipping n={n} (scripts/bench-summary.sh writes it)",
                dir.display()
            );
            continue;
        }
        let mut group = c.benchmark_group(format!("report n={n}"));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(if n >= 1_000_000 { 60 } else { 10 }));
        let samples = dir.join("samples.jsonl");
        group.bench_function("read samples.jsonl", |b| {
            b.iter(|| Columns::read(black_box(&samples)).map(|rows| rows.requests().count()));
        });
        let manifest = manifest::read(&dir).expect("manifest");
        let rows = Columns::read(&samples).expect("samples");
        let runs: Vec<store::EngineRun> = store::read_jsonl(&dir.join("runs.jsonl")).expect("runs");
        let energy = energy::read(&dir).expect("energy");
        let summarize = |mut rows: Columns| {
            let agreement = agreement(&manifest.plan, &rows);
            rows.drop_output_ids();
            let metrics = metric_samples(&mut rows);
            let points = regression_points_by_label(&rows, energy.as_ref());
            let summary = summarize_run(RunData {
                manifest: &manifest,
                rows: &rows,
                runs: &runs,
                energy: energy.as_ref(),
                metrics: &metrics,
                agreement: &agreement,
                points: &points,
            });
            (metrics, points, summary)
        };
        // Each iteration from a fresh copy of the rows (the summary takes their pooled gaps);
        // the copy is not timed.
        group.bench_function("summary", |b| {
            b.iter_batched(
                || rows.clone(),
                |rows| black_box(summarize(rows)).2.engines.len(),
                BatchSize::LargeInput,
            );
        });
        let (metrics, points, summary) = summarize(rows.clone());
        group.bench_function("figures", |b| {
            let labels: Vec<String> = summary.engines.keys().cloned().collect();
            // The points the figures take are copied for each iteration, untimed.
            b.iter_batched(
                || points.clone(),
                |points| {
                    let drawn = sample_figures(&labels, &manifest, &rows, &metrics, None);
                    figures(&summary, &manifest, points, drawn).len()
                },
                BatchSize::LargeInput,
            );
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
