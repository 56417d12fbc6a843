//! `compare`: settings into a plan, then the run pipeline: preflight, manifest, idle baseline,
//! the engines in their planned order, energy, and the rendered results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{exit_for, runtime, write_stdout};
use crate::catalog::{self, EngineKind};
use crate::cli::{CommandResult, CompareArgs};
use crate::error::{Failure, usage};
use crate::execute::{self, Already, RunContext};
use crate::locate::Locator;
use crate::manifest::continuity::{self as cont, Interruption, Resumption};
use crate::manifest::{
    self, ComputePeak, Host, Manifest, MemoryBandwidth, RunRecord, TelemetrySources,
};
use crate::plan::{self, Device, Plan};
use crate::progress::Bars;
use crate::settings::{Settings, layer};
use crate::store::{self, EngineRun, RunDir, SampleRow};
use crate::summary::RunSummary;
use crate::{energy, inputs, render, report, workload};

/// `compare`.
pub fn run(args: &CompareArgs) -> CommandResult {
    let now = jiff::Timestamp::now();
    if let Some(dir) = &args.resume {
        return resume(args, dir, &now);
    }
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

/// `compare --resume DIR`: the plan of DIR's manifest run again over the same directory, only
/// the missing requests measured. Settings given beside `--resume` must plan the same run.
fn resume(args: &CompareArgs, dir: &Path, now: &jiff::Timestamp) -> CommandResult {
    let recorded =
        manifest::read(dir).map_err(|e| usage(format!("--resume {}: {e:#}", dir.display())))?;
    if args.config.is_some() || args.settings != Settings::default() {
        let config = match &args.config {
            Some(path) => Settings::read(path)?,
            None => Settings::default(),
        };
        let mut settings = layer(config, args.settings.clone());
        settings.out = None;
        let now_plan = plan::build(&settings, now, args.verbose)?;
        if let Some(d) = cont::plan_difference(&recorded.plan, &now_plan) {
            return Err(usage(format!(
                "--resume {}: the plan differs from the run's: {d}",
                dir.display()
            )));
        }
    }
    let rt = runtime()?;
    let (summary, _) = rt.block_on(continue_recorded(recorded, dir, now, args.verbose))?;
    write_stdout(&report::terminal_table(&summary));
    Ok(exit_for(&summary))
}

/// Continue the run in `dir` as `compare --resume DIR` does, with the plan its manifest
/// records: only what it is missing runs.
pub async fn continue_run(
    dir: &Path,
    now: &jiff::Timestamp,
    verbose: bool,
) -> Result<(RunSummary, PathBuf), Failure> {
    let recorded =
        manifest::read(dir).map_err(|e| usage(format!("--resume {}: {e:#}", dir.display())))?;
    Box::pin(continue_recorded(recorded, dir, now, verbose)).await
}

/// [`continue_run`] with the manifest already read.
async fn continue_recorded(
    recorded: Manifest,
    dir: &Path,
    now: &jiff::Timestamp,
    verbose: bool,
) -> Result<(RunSummary, PathBuf), Failure> {
    let mut plan = recorded.plan.clone();
    plan.out_dir = dir.to_path_buf();
    plan.verbose = verbose;
    run_plan_in(&plan, now, Some(recorded)).await
}

/// Run a validated plan to the end: preflight, measure, summarise, render. Returns the summary
/// and the results directory. `SIGINT`/`SIGTERM` stop the workers; what was measured is kept
/// and summarised, the summary marked interrupted.
pub async fn run_plan(
    plan: &Plan,
    now: &jiff::Timestamp,
) -> Result<(RunSummary, PathBuf), Failure> {
    run_plan_in(plan, now, None).await
}

/// [`run_plan`], continuing the run whose manifest is `resumed` when given.
#[allow(
    clippy::too_many_lines,
    reason = "the run pipeline read top to bottom: inputs, preflight, results, measure, summarise"
)]
async fn run_plan_in(
    plan: &Plan,
    now: &jiff::Timestamp,
    resumed: Option<Manifest>,
) -> Result<(RunSummary, PathBuf), Failure> {
    let locator = Locator::from_env();
    let needs_model = plan
        .engines
        .iter()
        .any(|e| catalog::entry(e.id).kind == EngineKind::InProcess);
    let inputs = inputs::prepare(plan, needs_model)?;
    let cannot_resume = |d: String| usage(format!("--resume {}: {d}", plan.out_dir.display()));
    if let Some(d) = resumed
        .as_ref()
        .and_then(|m| cont::inputs_difference(&m.inputs, &inputs.record()))
    {
        return Err(cannot_resume(format!(
            "the inputs differ from the run's: {d}"
        )));
    }
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
    let (mut manifest, mut dir, already) = match resumed {
        None => {
            let manifest = manifest::new_manifest(plan, now, record);
            let dir = RunDir::create(&plan.out_dir, &manifest)?;
            (manifest, dir, Already::default())
        }
        Some(recorded) => {
            if let Some(d) =
                cont::workers_difference(&recorded, &record.engines, &manifest::workers(plan))
            {
                return Err(cannot_resume(format!(
                    "the workers differ from the run's: {d}"
                )));
            }
            reopen(recorded, plan, now)?
        }
    };
    eprintln!("results: {}", dir.path().display());
    let mut signals = Signals::new()?;
    let idle = tokio::task::block_in_place(|| energy::idle_baseline(&mut sources, &plan.telemetry));
    let source_names = manifest.host.telemetry.sources.clone();
    let sampler = energy::start_sampler(&mut sources, &plan.telemetry, dir.path())?;

    let mut requests = workload::build(&plan.workload, &inputs.prompts, inputs.chat, plan.seed);
    if let Some(shard) = &plan.shard {
        requests.measure = shard.select(std::mem::take(&mut requests.measure));
    }
    let per_engine = u64::from(plan.measured_per_repetition() + plan.workload.warmup)
        * u64::from(plan.repetitions);
    let bars = Bars::new(&plan.labels(), per_engine);
    let ctx = RunContext {
        plan,
        model: inputs.model.as_ref(),
        requests: &requests,
        tokenizer: inputs.tokenizer.as_ref(),
        bars: &bars,
        already: &already,
    };
    let stopped_by = tokio::select! {
        biased;
        signal = signals.next() => Some(signal),
        ran = execute::execute(&ctx, &prepared, &mut dir) => { ran?; None }
    };
    drop(bars);
    let runs: Vec<EngineRun> = store::read_jsonl(&dir.path().join("runs.jsonl"))?;
    if let Some((signal, exit_code)) = stopped_by {
        eprintln!("{signal}: workers stopped; summarising what was measured");
        manifest.interrupted = Some(Interruption {
            signal: signal.to_owned(),
            exit_code,
            at_utc: jiff::Timestamp::now().to_string(),
            during: first_unfinished(plan, &runs),
        });
        store::write_json(&dir.path().join("manifest.json"), &manifest)?;
    }
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

/// The first slot of the plan's order with no record in `runs`, as `REPETITION:LABEL`.
fn first_unfinished(plan: &Plan, runs: &[EngineRun]) -> Option<String> {
    plan.order
        .iter()
        .find(|s| {
            !runs
                .iter()
                .any(|r| r.label == s.label && r.repetition == s.repetition)
        })
        .map(|s| format!("{}:{}", s.repetition, s.label))
}

/// Open a run directory to resume it: torn last lines set aside, what it holds read, the
/// resume recorded in its manifest (rewritten), its telemetry of before kept aside.
fn reopen(
    mut manifest: Manifest,
    plan: &Plan,
    now: &jiff::Timestamp,
) -> anyhow::Result<(Manifest, RunDir, Already)> {
    let (dir, torn) = RunDir::reopen(&plan.out_dir)?;
    let path = dir.path();
    let runs: Vec<EngineRun> = if path.join("runs.jsonl").is_file() {
        store::read_jsonl(&path.join("runs.jsonl"))?
    } else {
        Vec::new()
    };
    let rows = if path.join("samples.jsonl").is_file() {
        store::read_sample_rows(&path.join("samples.jsonl"))?
    } else {
        Vec::new()
    };
    let resume = u32::try_from(manifest.resumes.len() + 1).unwrap_or(u32::MAX);
    let mut already = Already {
        resume,
        ..Already::default()
    };
    for r in &runs {
        already.finished.insert((r.label.clone(), r.repetition));
    }
    // Each earlier run's window per slot: (first submission, last completion).
    let mut windows: BTreeMap<(String, u32, u32), (u64, u64)> = BTreeMap::new();
    for row in &rows {
        let slot = (row.label.clone(), row.repetition);
        already
            .measured
            .entry(slot)
            .or_default()
            .insert(row.sample.request_id);
        let (start, end) = (
            row.sample.start_mono_ns,
            row.sample.start_mono_ns + row.sample.e2e_ns,
        );
        windows
            .entry((row.label.clone(), row.repetition, row.resume))
            .and_modify(|w| *w = (w.0.min(start), w.1.max(end)))
            .or_insert((start, end));
    }
    for ((label, repetition, _), (start, end)) in windows {
        *already.earlier_ns.entry((label, repetition)).or_default() += end - start;
    }
    let slots_done = plan
        .order
        .iter()
        .filter(|s| already.finished(&s.label, s.repetition))
        .map(|s| format!("{}:{}", s.repetition, s.label))
        .collect();
    let record = Resumption {
        at_utc: now.to_string(),
        after: manifest.interrupted.take(),
        measured_rows_before: rows.len() as u64,
        slots_done,
        continued_at: first_unfinished(plan, &runs),
        torn_lines_set_aside: torn,
    };
    eprintln!(
        "resuming {}: {} measured rows held, continuing at {}",
        path.display(),
        record.measured_rows_before,
        record
            .continued_at
            .as_deref()
            .unwrap_or("(every slot finished)")
    );
    manifest.resumes.push(record);
    store::write_json(&path.join("manifest.json"), &manifest)?;
    let telemetry = path.join("telemetry.jsonl");
    if telemetry.is_file() {
        let aside = path.join(format!("telemetry.before-resume-{resume}.jsonl"));
        std::fs::rename(&telemetry, &aside)
            .with_context(|| format!("cannot move {} aside", telemetry.display()))?;
    }
    Ok((manifest, dir, already))
}

/// `SIGINT` and `SIGTERM`, caught from the moment results are written.
pub(super) struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    pub(super) fn new() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).context("cannot catch SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot catch SIGTERM")?,
        })
    }

    /// The next signal: its name and the exit status it gives (128 + its number).
    pub(super) async fn next(&mut self) -> (&'static str, u8) {
        tokio::select! {
            _ = self.interrupt.recv() => ("SIGINT", 130),
            _ = self.terminate.recv() => ("SIGTERM", 143),
        }
    }
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
