//! `compare`: settings into a plan, then the run pipeline: preflight, manifest, idle baseline,
//! the engines in their planned order, energy, and the rendered results.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;

use super::{exit_for, runtime, write_stdout};
use crate::catalog::{self, EngineKind};
use crate::cli::{CommandResult, CompareArgs};
use crate::error::Failure;
use crate::execute::{self, RunContext};
use crate::locate::Locator;
use crate::manifest::{self, ComputePeak, Host, MemoryBandwidth, RunRecord, TelemetrySources};
use crate::plan::{self, Device, Plan};
use crate::progress::Bars;
use crate::settings::{Settings, layer};
use crate::store::{self, RunDir, SampleRow};
use crate::summary::RunSummary;
use crate::{energy, inputs, render, report, workload};

/// `compare`.
pub fn run(args: &CompareArgs) -> CommandResult {
    let now = jiff::Timestamp::now();
    let config = match &args.config {
        Some(path) => Settings::read(path)?,
        None => Settings::default(),
    };
    let settings = layer(config, args.settings.clone());
    let plan = plan::build(&settings, &now, args.verbose)?;
    let rt = runtime()?;
    let (summary, _) = rt.block_on(run_plan(&plan, &now))?;
    write_stdout(&report::terminal_table(&summary));
    Ok(exit_for(&summary))
}

/// Run a validated plan to the end: preflight, measure, summarise, render. Returns the summary
/// and the results directory.
pub async fn run_plan(
    plan: &Plan,
    now: &jiff::Timestamp,
) -> Result<(RunSummary, PathBuf), Failure> {
    let locator = Locator::from_env();
    let needs_model = plan
        .engines
        .iter()
        .any(|e| catalog::entry(e.id).kind == EngineKind::InProcess);
    let inputs = inputs::prepare(plan, needs_model)?;
    let mut sources = energy::detect(&plan.telemetry)?;
    let prepared = execute::preflight(plan, inputs.model.as_ref(), &locator).await?;

    // Everything is validated: from here on, results are written.
    let hellos: BTreeMap<String, _> = prepared
        .iter()
        .map(|p| (p.plan.label.clone(), p.hello.clone()))
        .collect();
    let served = plan
        .engines
        .iter()
        .any(|e| catalog::entry(e.id).is_served());
    let local = telemetry::host_info(&sources.roots, &mut sources.collectors);
    let host = Host {
        memory_bandwidth: memory_bandwidth(plan, &local),
        compute_peak: compute_peak(plan, &local),
        local,
        remote: sources.remote_host.clone(),
        telemetry: TelemetrySources {
            sources: sources
                .collectors
                .iter()
                .map(|c| c.name().to_owned())
                .collect(),
            unavailable: sources.unavailable.clone(),
        },
    };
    let record = RunRecord {
        engines: hellos,
        host,
        inputs: inputs.record(),
        harness: served.then(|| crate::calibration::for_summary(&crate::calibration::cache_path())),
    };
    let manifest = manifest::new_manifest(plan, now, record);
    let mut dir = RunDir::create(&plan.out_dir, &manifest)?;
    eprintln!("results: {}", dir.path().display());
    let idle = tokio::task::block_in_place(|| energy::idle_baseline(&mut sources, &plan.telemetry));
    let source_names = manifest.host.telemetry.sources.clone();
    let sampler = energy::start_sampler(&mut sources, &plan.telemetry, dir.path())?;

    let requests = workload::build(&plan.workload, &inputs.prompts, inputs.chat, plan.seed);
    let per_engine =
        u64::from(plan.workload.requests + plan.workload.warmup) * u64::from(plan.repetitions);
    let bars = Bars::new(&plan.labels(), per_engine);
    let ctx = RunContext {
        plan,
        model: inputs.model.as_ref(),
        requests: &requests,
        tokenizer: inputs.tokenizer.as_ref(),
        bars: &bars,
    };
    let runs = execute::execute(&ctx, &prepared, &mut dir).await?;
    drop(bars);
    let series = match sampler {
        Some(s) => {
            let finished = s.stop().context("telemetry sampler failed")?;
            if let Some(e) = finished.write_error {
                eprintln!("warning: telemetry.jsonl is incomplete: {e}");
            }
            finished.series
        }
        None => telemetry::Series::default(),
    };
    let rows: Vec<SampleRow> = store::read_jsonl(&dir.path().join("samples.jsonl"))?;
    let energy_report = energy::analyse(
        &series,
        &source_names,
        sources.unavailable.clone(),
        plan.telemetry.interval,
        idle,
        &runs,
        &rows,
    );
    store::write_json(&dir.path().join("energy.json"), &energy_report)?;
    let summary = render::render_dir(dir.path())?;
    Ok((summary, dir.path().to_path_buf()))
}

/// The threads CPU figures are measured with when a CPU engine runs: one per physical core.
fn cpu_threads(plan: &Plan, host: &telemetry::HostInfo) -> Option<usize> {
    let cpu_engines = plan
        .engines
        .iter()
        .any(|e| catalog::entry(e.id).kind == EngineKind::InProcess && e.device == Device::Cpu);
    cpu_engines.then(|| {
        host.cpu_physical_cores
            .or(host.cpu_logical_cores)
            .unwrap_or(1)
    })
}

/// The f32 matrix-multiply peak for MFU when a CPU engine runs (see
/// [`crate::compute::for_run`]).
fn compute_peak(plan: &Plan, host: &telemetry::HostInfo) -> Option<ComputePeak> {
    let threads = cpu_threads(plan, host)?;
    Some(
        match tokio::task::block_in_place(|| crate::compute::for_run(threads)) {
            Ok(g) => ComputePeak::Measured(g),
            Err(reason) => ComputePeak::Unavailable {
                unavailable: reason,
            },
        },
    )
}

/// Memory bandwidth for MBU when a CPU engine runs (see [`crate::bandwidth::for_run`]).
fn memory_bandwidth(plan: &Plan, host: &telemetry::HostInfo) -> Option<MemoryBandwidth> {
    let threads = cpu_threads(plan, host)?;
    Some(
        match tokio::task::block_in_place(|| crate::bandwidth::for_run(threads)) {
            Ok(b) => MemoryBandwidth::Measured(b),
            Err(reason) => MemoryBandwidth::Unavailable {
                unavailable: reason,
            },
        },
    )
}
