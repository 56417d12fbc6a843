//! Running a plan: preflight every engine, then each engine in each repetition in the planned
//! order, one worker process at a time, persisting every sample as it arrives.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use shared_protocol::{
    Done, FailureKind, GenerateRequest, Hello, LoadPattern, LoadRequest, ModelSpec, Outcome, Phase,
    Request, Sample, TokenSource, WorkerMessage, Workload,
};

use crate::catalog::{self, EngineKind};
use crate::error::{Failure, usage};
use crate::locate::{LocateError, Locator};
use crate::plan::{EnginePlan, Plan, ShardPlan};
use crate::progress::Bars;
use crate::store::{EngineRun, RunDir, RunStatus, SampleRow};
use crate::worker::{Timeouts, WorkerFailure, WorkerProcess};
use crate::workload::Requests;

/// An engine ready to run: its binary and its handshake.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub plan: EnginePlan,
    pub path: PathBuf,
    pub hello: Hello,
}

/// The load request an engine receives.
pub fn load_request(engine: &EnginePlan, model: Option<&ModelSpec>) -> LoadRequest {
    LoadRequest {
        model: model.cloned(),
        device: engine.device.to_string(),
        options: engine.options.clone(),
    }
}

/// Locate (or build) each worker, spawn it, read its handshake and have it check its options.
/// Every problem here is reported before anything is written.
pub async fn preflight(
    plan: &Plan,
    model: Option<&ModelSpec>,
    locator: &Locator,
) -> Result<Vec<Prepared>, Failure> {
    let mut prepared = Vec::new();
    for engine in &plan.engines {
        let entry = catalog::entry(engine.id);
        // The plan checked the device against the catalogue.
        let features = entry.features_for(engine.device).unwrap_or_default();
        let flavour = entry.flavour_for(engine.device, &engine.label);
        let path = locator
            .ensure(&entry, features, flavour)
            .map_err(|e| match e {
                LocateError::NoPackage { .. } | LocateError::NotFound { .. } => {
                    usage(e.to_string())
                }
                other => Failure::Run(other.into()),
            })?
            .path;
        let mut worker = WorkerProcess::spawn(&path, engine.id, &plan.timeouts, plan.verbose)
            .await
            .map_err(|e| Failure::Run(e.into()))?;
        let rejection = worker
            .check(&load_request(engine, model), plan.timeouts.hello)
            .await
            .map_err(|e| Failure::Run(e.into()))?;
        if let Err(message) = rejection {
            return Err(usage(format!("engine {}: {message}", engine.label)));
        }
        let hello = worker.hello().clone();
        let _ = worker.shutdown(plan.timeouts.shutdown).await;
        prepared.push(Prepared {
            plan: engine.clone(),
            path,
            hello,
        });
    }
    Ok(prepared)
}

/// Everything one engine run needs.
pub struct RunContext<'a> {
    pub plan: &'a Plan,
    pub model: Option<&'a ModelSpec>,
    pub requests: &'a Requests,
    /// Counts the tokens of returned text (served engines), beside the server's own count.
    pub tokenizer: Option<&'a bench_inputs::Tokenizer>,
    pub bars: &'a Bars,
    /// What the run directory already holds (`compare --resume`); empty for a fresh run.
    pub already: &'a Already,
}

/// What a run directory already holds when a run is resumed: the slots that finished and the
/// measured requests of the others, which are not run again.
#[derive(Debug, Clone, Default)]
pub struct Already {
    /// Which `compare --resume` this is (0: a fresh run); written into every row.
    pub resume: u32,
    /// Slots (label, repetition) with a record in `runs.jsonl`: skipped.
    pub finished: BTreeSet<(String, u32)>,
    /// Measured request ids per slot (label, repetition) in `samples.jsonl`.
    pub measured: BTreeMap<(String, u32), BTreeSet<u64>>,
    /// Per slot with measured rows: their wall time, each earlier run's rows from first
    /// submission to last completion, summed (see [`EngineRun::earlier_measure_ns`]).
    pub earlier_ns: BTreeMap<(String, u32), u64>,
}

impl Already {
    /// Whether the slot finished in an earlier run.
    pub fn finished(&self, label: &str, repetition: u32) -> bool {
        self.finished.contains(&(label.to_owned(), repetition))
    }

    /// The measured requests of a slot still to run, in planned order.
    pub fn missing<'r>(
        &self,
        label: &str,
        repetition: u32,
        requests: &'r [Request],
    ) -> Cow<'r, [Request]> {
        match self.measured.get(&(label.to_owned(), repetition)) {
            Some(done) if !done.is_empty() => Cow::Owned(
                requests
                    .iter()
                    .filter(|r| !done.contains(&r.id))
                    .cloned()
                    .collect(),
            ),
            _ => Cow::Borrowed(requests),
        }
    }
}

/// Run every slot of the plan's order; returns the engine-run records (also appended to
/// `runs.jsonl` as each finishes).
pub async fn execute(
    ctx: &RunContext<'_>,
    prepared: &[Prepared],
    dir: &mut RunDir,
) -> anyhow::Result<Vec<EngineRun>> {
    let mut runs = Vec::new();
    // Shards given `--start-at` start measuring together: the first slot each runs waits for
    // the instant after its warm-up; later slots follow on.
    let mut start_at = ctx.plan.shard.as_ref().and_then(ShardPlan::start_at);
    for slot in &ctx.plan.order {
        let Some(engine) = prepared.iter().find(|p| p.plan.label == slot.label) else {
            continue;
        };
        if ctx.already.finished(&slot.label, slot.repetition) {
            continue;
        }
        let run = run_engine(ctx, engine, slot.repetition, start_at.take(), dir).await?;
        dir.append_run(&run)?;
        let outcome = match &run.status {
            RunStatus::Ok => "done",
            RunStatus::Failed { .. } => "failed",
        };
        ctx.bars
            .finished(&engine.plan.label, slot.repetition, outcome);
        if let RunStatus::Failed { message, .. } = &run.status {
            ctx.bars.println(&format!(
                "{} (repetition {}) failed: {message}",
                engine.plan.label, slot.repetition
            ));
        }
        runs.push(run);
    }
    Ok(runs)
}

#[allow(
    clippy::too_many_lines,
    reason = "one engine run read top to bottom: spawn, load, phases, shutdown"
)]
async fn run_engine(
    ctx: &RunContext<'_>,
    engine: &Prepared,
    repetition: u32,
    start_at: Option<jiff::Timestamp>,
    dir: &mut RunDir,
) -> anyhow::Result<EngineRun> {
    let id = engine.plan.id;
    let label = engine.plan.label.clone();
    let bar = ctx.bars.bar(&label);
    let timeouts = &ctx.plan.timeouts;
    let mut run = EngineRun {
        engine: id,
        label: label.clone(),
        repetition,
        worker: engine.plan.worker.clone(),
        worker_pid: None,
        device: Some(engine.plan.device.to_string()),
        status: RunStatus::Ok,
        hello: None,
        loaded: None,
        done: None,
        samples: 0,
        measure_start_mono_ns: None,
        measure_end_mono_ns: None,
        server_metrics: None,
        earlier_measure_ns: ctx
            .already
            .earlier_ns
            .get(&(label.clone(), repetition))
            .copied(),
        start: None,
    };
    bar.set_message(format!("rep {repetition}: starting"));
    let mut worker = match WorkerProcess::spawn(&engine.path, id, timeouts, ctx.plan.verbose).await
    {
        Ok(w) => w,
        Err(e) => return Ok(failed(run, &e)),
    };
    run.hello = Some(worker.hello().clone());
    run.worker_pid = worker.pid();
    bar.set_message(format!("rep {repetition}: loading"));
    match worker
        .load(&load_request(&engine.plan, ctx.model), timeouts.load)
        .await
    {
        Ok(loaded) => run.loaded = Some(loaded),
        Err(e) => return Ok(failed(run, &e)),
    }
    // Served engines always run whole workloads; an in-process engine that schedules its own
    // load does so beyond one request at a time, and otherwise takes requests one by one like
    // every in-process engine (so stop rules apply to it alike).
    let load = ctx.plan.load_of(&engine.plan);
    let served = catalog::entry(id).kind == EngineKind::Served
        || (worker.hello().capabilities.workload
            && *load != LoadPattern::Closed { concurrency: 1 });
    let mut persist =
        |mut row: Sample, written_off: bool, run: &mut EngineRun| -> anyhow::Result<()> {
            run.samples += 1;
            if let (Some(tok), Some(text), None) = (
                ctx.tokenizer,
                row.output_text.as_deref(),
                row.token_counts.tokenizer_completion,
            ) {
                row.token_counts.tokenizer_completion =
                    tok.encode(text).ok().map(|ids| ids.len() as u32);
            }
            if let (Some(tok), Some(reasoning)) = (ctx.tokenizer, row.reasoning.as_mut()) {
                reasoning.count_with(|text| tok.count(text).ok().map(|n| n as u32));
            }
            // The measured window spans what the worker reported; a request the runner had to
            // write off (worker lost or silent) would stretch it by the timeout.
            if row.phase == Phase::Measure && !written_off {
                let end = row.start_mono_ns + row.e2e_ns;
                run.measure_start_mono_ns = Some(
                    run.measure_start_mono_ns
                        .map_or(row.start_mono_ns, |s| s.min(row.start_mono_ns)),
                );
                run.measure_end_mono_ns = Some(run.measure_end_mono_ns.map_or(end, |e| e.max(end)));
            }
            if let Outcome::Ok = row.outcome {
                bar.set_message(format!("rep {repetition}"));
            }
            bar.inc(1);
            dir.append_sample(&SampleRow {
                engine: id,
                label: label.clone(),
                repetition,
                resume: ctx.already.resume,
                shard: None,
                sample: row,
            })
        };
    // The warm-up always runs whole (a restarted worker is cold again); measured requests
    // already in `samples.jsonl` are not run again.
    let measure = ctx
        .already
        .missing(&label, repetition, &ctx.requests.measure);
    let phases = [
        (Phase::Warmup, &ctx.requests.warmup[..]),
        (Phase::Measure, &measure[..]),
    ];
    for (phase, requests) in phases {
        if let (Phase::Measure, Some(at)) = (phase, start_at) {
            bar.set_message(format!("rep {repetition}: waiting for {at}"));
            let start = crate::plan::shard::wait_until(at).await;
            if let Some(w) = start.warning() {
                ctx.bars.println(&format!("warning: {label}: {w}"));
            }
            run.start = Some(start);
        }
        if requests.is_empty() {
            continue;
        }
        let stop = match phase {
            Phase::Warmup => ctx.plan.workload.warmup_cv.map(StopRule::Settled),
            Phase::Measure => ctx.plan.workload.target_ci().map(StopRule::Precise),
        };
        let outcome = if served {
            run_workload(&mut worker, phase, requests, load, timeouts, &mut |s, w| {
                persist(s, w, &mut run)
            })
            .await
            .map(|done| {
                if phase == Phase::Measure {
                    run.server_metrics = done.server_metrics;
                }
            })
        } else {
            run_requests(&mut worker, phase, requests, timeouts, stop, &mut |s, w| {
                persist(s, w, &mut run)
            })
            .await
        };
        match outcome {
            Ok(()) => {}
            Err(Stop::Worker(e)) => return Ok(failed(run, &e)),
            Err(Stop::Store(e)) => return Err(e),
        }
    }
    bar.set_message(format!("rep {repetition}: done"));
    run.done = worker.shutdown(timeouts.shutdown).await;
    Ok(run)
}

/// When a phase may end before its last request.
#[derive(Debug, Clone, Copy)]
enum StopRule {
    /// Warm-up: the CV of the last 5 latencies is at most this.
    Settled(f64),
    /// Measurement: the 95% CI half-width of the mean is at most this fraction of the mean,
    /// after at least 20 requests.
    Precise(f64),
}

impl StopRule {
    fn met(self, e2e_ms: &[f64]) -> bool {
        match self {
            StopRule::Settled(cv) => bench_stats::cv_settled(e2e_ms, 5, cv),
            StopRule::Precise(target) => {
                e2e_ms.len() >= 20
                    && bench_stats::Sample::new(e2e_ms.to_vec())
                        .is_ok_and(|s| bench_stats::ci_half_width_below(&s, target))
            }
        }
    }
}

enum Stop {
    Worker(WorkerFailure),
    Store(anyhow::Error),
}

async fn run_requests(
    worker: &mut WorkerProcess,
    phase: Phase,
    requests: &[Request],
    timeouts: &Timeouts,
    stop: Option<StopRule>,
    persist: &mut dyn FnMut(Sample, bool) -> anyhow::Result<()>,
) -> Result<(), Stop> {
    let mut e2e_ms: Vec<f64> = Vec::with_capacity(requests.len());
    for request in requests {
        if stop.is_some_and(|rule| rule.met(&e2e_ms)) {
            break;
        }
        let sent_ns = telemetry::mono_ns();
        let result = worker
            .generate(
                GenerateRequest {
                    phase,
                    request: request.clone(),
                },
                timeouts.request,
            )
            .await;
        match result {
            Ok(sample) => {
                if sample.outcome.is_ok() {
                    e2e_ms.push(crate::metrics::e2e_ms_of(sample.e2e_ns));
                }
                persist(sample, false).map_err(Stop::Store)?;
            }
            Err(e) => {
                // The request in flight is lost with the worker: record it as such.
                let lost = lost_sample(request, phase, sent_ns, &e);
                persist(lost, true).map_err(Stop::Store)?;
                return Err(Stop::Worker(e));
            }
        }
    }
    Ok(())
}

async fn run_workload(
    worker: &mut WorkerProcess,
    phase: Phase,
    requests: &[Request],
    load: &LoadPattern,
    timeouts: &Timeouts,
    persist: &mut dyn FnMut(Sample, bool) -> anyhow::Result<()>,
) -> Result<Done, Stop> {
    let workload = Workload {
        phase,
        requests: requests.to_vec(),
        load: load.clone(),
        request_timeout_ms: timeouts.request.as_millis() as u64,
    };
    let mut store_error = None;
    let idle = timeouts.request + Duration::from_secs(30);
    let result = worker
        .workload(workload, idle, |m| {
            if let (WorkerMessage::Sample(s), None) = (m, &store_error) {
                store_error = persist(*s, false).err();
            }
        })
        .await;
    if let Some(e) = store_error {
        return Err(Stop::Store(e));
    }
    result.map_err(Stop::Worker)
}

fn lost_sample(request: &Request, phase: Phase, sent_ns: u64, failure: &WorkerFailure) -> Sample {
    let outcome = Outcome::Failed {
        kind: if matches!(failure, WorkerFailure::Timeout { .. }) {
            FailureKind::Timeout
        } else {
            FailureKind::WorkerLost
        },
        message: failure.to_string(),
        http_status: None,
    };
    let e2e_ns = telemetry::mono_ns().saturating_sub(sent_ns);
    Sample {
        prompt_tokens: request.prompt_token_ids.as_ref().map(|p| p.len() as u32),
        prompt_tokens_source: request
            .prompt_token_ids
            .as_ref()
            .map(|_| TokenSource::Tokenizer),
        ..Sample::new(request.id, phase, outcome, sent_ns, e2e_ns)
    }
}

fn failed(mut run: EngineRun, failure: &WorkerFailure) -> EngineRun {
    run.status = RunStatus::Failed {
        reason: failure.reason().to_owned(),
        message: failure.to_string(),
    };
    run
}
