//! Writes a run directory of any size for measuring the summary and reports at scale.
//!
//! ```sh
//! cargo run --release -p benchmark-runner --example synth_samples -- \
//!     --samples 1000000 --out target/synth/1m [--from DIR] [--tokens 64] [--seed 0]
//! ```
//!
//! The manifest, runs and energy are those of `--from` (default: the checked-in seeded sim run
//! `crates/benchmark-runner/tests/fixtures/v1-sim-run`), rewritten in the current layout with the
//! plan's request count set to the new size. Each engine label of `--from` gets an equal share of
//! the samples; each sample copies one of that label's measured samples with its timings scaled
//! by a seeded log-normal factor (sd 0.15), `--tokens` completion tokens (inter-token gaps drawn
//! from the template's) and fresh request ids, so the file has the shape and size of a real run.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use benchmark_runner::store::{self, EngineRun, SampleRow};
use benchmark_runner::{energy, manifest};
use shared_protocol::Phase;
use shared_protocol::seed::splitmix64;

struct Args {
    samples: u64,
    out: PathBuf,
    from: PathBuf,
    tokens: u32,
    seed: u64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        samples: 0,
        out: PathBuf::new(),
        from: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run"),
        tokens: 64,
        seed: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--samples" => args.samples = value()?.parse().context("--samples")?,
            "--out" => args.out = value()?.into(),
            "--from" => args.from = value()?.into(),
            "--tokens" => args.tokens = value()?.parse().context("--tokens")?,
            "--seed" => args.seed = value()?.parse().context("--seed")?,
            other => bail!(
                "unknown option {other} (--samples N --out DIR [--from DIR] [--tokens N] [--seed N])"
            ),
        }
    }
    if args.samples == 0 || args.out.as_os_str().is_empty() {
        bail!("usage: synth_samples --samples N --out DIR [--from DIR] [--tokens N] [--seed N]");
    }
    if args.tokens < 2 {
        bail!("--tokens must be at least 2");
    }
    Ok(args)
}

/// A seeded standard normal stream (Box-Muller over splitmix64).
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        // 53 random bits in (0, 1].
        ((splitmix64(&mut self.0) >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn next(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn index(&mut self, n: usize) -> usize {
        (splitmix64(&mut self.0) % n as u64) as usize
    }
}

fn scale(ns: u64, factor: f64) -> u64 {
    (ns as f64 * factor).round().max(1.0) as u64
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let mut manifest = manifest::read(&args.from)?;
    let templates: Vec<SampleRow> = store::read_jsonl(&args.from.join("samples.jsonl"))?
        .into_iter()
        .filter(|r: &SampleRow| r.sample.phase == Phase::Measure && r.sample.outcome.is_ok())
        .collect();
    let mut labels: Vec<String> = templates.iter().map(|r| r.label.clone()).collect();
    labels.sort();
    labels.dedup();
    if labels.is_empty() {
        bail!("{} has no successful measured samples", args.from.display());
    }
    let per_label = args.samples.div_ceil(labels.len() as u64);
    manifest.schema_version = manifest::SCHEMA_VERSION;
    manifest.plan.workload.requests = u32::try_from(per_label).context("too many samples")?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    store::write_json(&args.out.join("manifest.json"), &manifest)?;
    let runs: Vec<EngineRun> = store::read_jsonl(&args.from.join("runs.jsonl"))?;
    let mut runs_out = BufWriter::new(std::fs::File::create(args.out.join("runs.jsonl"))?);
    for run in &runs {
        serde_json::to_writer(&mut runs_out, run)?;
        runs_out.write_all(b"\n")?;
    }
    runs_out.flush()?;
    if let Some(report) = energy::read(&args.from)? {
        store::write_json(&args.out.join("energy.json"), &report)?;
    }

    let mut rng = Normal(args.seed);
    let mut out = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(args.out.join("samples.jsonl"))?,
    );
    for i in 0..args.samples {
        let label = &labels[(i % labels.len() as u64) as usize];
        let pool: Vec<&SampleRow> = templates.iter().filter(|r| &r.label == label).collect();
        let mut row = pool[rng.index(pool.len())].clone();
        let factor = (0.15 * rng.next()).exp();
        let s = &mut row.sample;
        s.request_id = i / labels.len() as u64;
        s.prefill_ns = s.prefill_ns.map(|ns| scale(ns, factor));
        s.ttft_ns = s.ttft_ns.map(|ns| scale(ns, factor));
        let gaps = s.itl_ns.clone();
        s.itl_ns = (1..args.tokens)
            .map(|_| scale(gaps[rng.index(gaps.len())], (0.15 * rng.next()).exp()))
            .collect();
        s.e2e_ns = s.ttft_ns.unwrap_or(0) + s.itl_ns.iter().sum::<u64>();
        s.completion_tokens = args.tokens;
        s.output_token_ids = s.output_token_ids.as_ref().map(|ids| {
            (0..args.tokens)
                .map(|t| ids[t as usize % ids.len()])
                .collect()
        });
        serde_json::to_writer(&mut out, &row)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    eprintln!(
        "wrote {} samples ({} per engine label, {} tokens each) to {}",
        args.samples,
        per_label,
        args.tokens,
        args.out.display()
    );
    Ok(())
}
