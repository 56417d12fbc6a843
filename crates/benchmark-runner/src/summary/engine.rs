//! One engine's summary: each of its parts from its own module, over the engine's rows.

use bench_stats::{Summary, summarize};
use shared_protocol::{EngineId, Phase};

use super::arrival_rates::ArrivalRates;
use super::device_clock::DeviceClockFigures;
use super::goodput::Goodput;
use super::reasoning::ReasoningFigures;
use super::token_counts::TokenCountCheck;
use super::turns::TurnFigures;
use super::{
    EngineStatus, EngineSummary, MfuFigures, RunData, cost, device_clock, energy, goodput,
    itl_definitions, mbu, mfu, outliers, reasoning, regressions, requests, stat, token_counts,
};
use crate::metrics::{Metric, MetricSamples, Request};
use crate::store::EngineRun;

#[allow(
    clippy::too_many_lines,
    reason = "one field per part of the summary, each from its own function"
)]
pub(super) fn summarize_engine(
    id: EngineId,
    label: &str,
    metrics: &MetricSamples,
    data: RunData<'_>,
) -> EngineSummary {
    let manifest = data.manifest;
    let rows: Vec<&Request> = data.rows.of_label(label).collect();
    let runs: Vec<&EngineRun> = data.runs.iter().filter(|r| r.label == label).collect();
    let measured: Vec<&Request> = rows
        .iter()
        .copied()
        .filter(|r| r.phase == Phase::Measure)
        .collect();
    let ok: Vec<&Request> = measured
        .iter()
        .copied()
        .filter(|r| r.outcome().is_ok())
        .collect();
    let of = |m: Metric| metrics.get(m).map(summarize);
    let plan = &manifest.plan;
    let requests = requests::counts(
        &measured,
        ok.len(),
        rows.len() - measured.len(),
        u64::from(plan.measured_per_repetition()),
        &runs,
        plan.workload.target_ci().is_some(),
    );
    let failures = requests::failures(&runs);
    let throughput = requests::throughput(&runs, &ok);
    // The metrics' statistics (each bootstrap on all cores) beside the figures read from the
    // requests a walk at a time: at a million requests those walks are a tenth of a second,
    // which would otherwise follow the statistics on one core.
    let ((ttft_ms, tpot_ms, itl_ms, itl_definitions), walked) = rayon::join(
        || {
            let (ttft_ms, tpot_ms, itl_ms) =
                (of(Metric::TtftMs), of(Metric::TpotMs), of(Metric::ItlMs));
            let definitions =
                itl_definitions::itl_definitions(&ok, itl_ms.as_ref(), tpot_ms.as_ref());
            (ttft_ms, tpot_ms, itl_ms, definitions)
        },
        || Walked::of(data, label, &rows, &measured, &ok, throughput.wall_s),
    );
    let completion_total = walked
        .completion_tokens
        .as_ref()
        .map_or(0.0, |s| s.mean * s.n as f64);
    let (energy, validity) = energy::engine_energy(label, completion_total, data.energy);
    let cost = cost::cost_figures(&plan.cost, label, &runs, &ok, &energy);
    let load_ms: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.loaded.as_ref().map(|l| l.load_ns as f64 / 1e6))
        .collect();
    let device = plan.engine(label).map(|e| e.device).or_else(|| {
        runs.iter()
            .find_map(|r| r.device.as_deref().and_then(|d| d.parse().ok()))
    });
    let mean_tokens = walked
        .prompt_tokens
        .as_ref()
        .zip(walked.completion_tokens.as_ref())
        .map(|(p, c)| (p.mean, c.mean));
    let mbu = mbu::mbu(
        device,
        &manifest.host,
        &runs,
        mean_tokens,
        tpot_ms.as_ref().map(|s| s.p50),
    );
    let shape = manifest
        .inputs
        .model
        .as_ref()
        .and_then(|m| m.shape.as_ref());
    let mfu = mfu::mfu(
        device,
        &manifest.host,
        &runs,
        shape,
        &ok,
        mean_tokens,
        tpot_ms.as_ref().map(|s| s.p50),
    );
    let mut warnings = requests::warnings(
        &failures,
        load_ms.len(),
        &requests,
        ttft_ms.as_ref(),
        walked.token_counts.as_ref(),
        &validity,
    );
    warnings.extend(mfu.as_ref().and_then(MfuFigures::implausible));
    warnings.extend(runs.iter().filter_map(|r| {
        let late = r.start.as_ref()?.warning()?;
        Some(format!("repetition {}: {late}", r.repetition))
    }));
    EngineSummary {
        engine: id,
        label: label.to_owned(),
        engine_version: manifest
            .engines
            .get(label)
            .map(|h| h.engine_version.clone()),
        device: runs
            .iter()
            .find_map(|r| r.hello.as_ref().map(|h| h.device.clone())),
        status: if failures.is_empty() {
            EngineStatus::Ok
        } else {
            EngineStatus::Failed
        },
        failures,
        ttft_ms,
        tpot_ms,
        itl_ms,
        e2e_ms: of(Metric::E2eMs),
        decode_tok_s: of(Metric::DecodeTokS),
        prefill_tok_s: of(Metric::PrefillTokS),
        prompt_tokens: walked.prompt_tokens,
        completion_tokens: walked.completion_tokens,
        schedule_lag_ms: walked.schedule_lag_ms,
        arrival_rates: walked.arrival_rates,
        turns: walked.turns,
        goodput: walked.goodput,
        throughput,
        token_counts: walked.token_counts,
        mbu,
        mfu,
        device_clock: walked.device_clock,
        reasoning: walked.reasoning,
        server_metrics: token_counts::server_metrics(&runs),
        outliers: outliers::outlier_counts(metrics),
        regressions: data
            .points
            .get(label)
            .map(regressions::regressions)
            .unwrap_or_default(),
        load: plan.engine(label).map(|e| plan.load_of(e).clone()),
        load_ms,
        peak_rss_bytes: runs
            .iter()
            .filter_map(|r| r.done.as_ref().and_then(|d| d.peak_rss_bytes))
            .max(),
        requests,
        energy,
        cost,
        validity,
        warnings,
        itl_definitions,
    }
}

/// An engine's figures read from its requests, each in a walk of its own.
struct Walked {
    prompt_tokens: Option<Summary>,
    completion_tokens: Option<Summary>,
    schedule_lag_ms: Option<Summary>,
    token_counts: Option<TokenCountCheck>,
    arrival_rates: Option<ArrivalRates>,
    turns: Vec<TurnFigures>,
    goodput: Option<Goodput>,
    device_clock: Option<DeviceClockFigures>,
    reasoning: Option<ReasoningFigures>,
}

impl Walked {
    /// The figures of engine `label`'s requests: `rows` all of them, `measured` those
    /// measured, `ok` those of them that succeeded; `wall_s` the measured wall time.
    fn of(
        data: RunData<'_>,
        label: &str,
        rows: &[&Request],
        measured: &[&Request],
        ok: &[&Request],
        wall_s: f64,
    ) -> Walked {
        let plan = &data.manifest.plan;
        // Two halves of about equal work, side by side.
        let ((prompt_tokens, completion_tokens, schedule_lag_ms, token_counts), rest) = rayon::join(
            || {
                (
                    stat(
                        ok.iter()
                            .filter_map(|s| s.prompt_tokens.map(f64::from))
                            .collect(),
                    ),
                    stat(ok.iter().map(|s| f64::from(s.completion_tokens)).collect()),
                    stat(
                        ok.iter()
                            .filter_map(|s| crate::metrics::schedule_lag_ms(s))
                            .collect(),
                    ),
                    token_counts::token_count_check(ok),
                )
            },
            || {
                (
                    super::arrival_rates::arrival_rates(measured),
                    super::turns::turn_figures(
                        plan.engine(label).map(|e| &e.load),
                        plan.workload.prefix_groups(),
                        ok,
                    ),
                    goodput::goodput(&plan.slo, rows, wall_s),
                    device_clock::device_clock_figures(ok),
                    reasoning::reasoning_figures(ok),
                )
            },
        );
        let (arrival_rates, turns, goodput, device_clock, reasoning) = rest;
        Walked {
            prompt_tokens,
            completion_tokens,
            schedule_lag_ms,
            token_counts,
            arrival_rates,
            turns,
            goodput,
            device_clock,
            reasoning,
        }
    }
}
