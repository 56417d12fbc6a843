//! Per-request metrics derived from a sample, each defined once, here.
//!
//! Definitions (version [`METRICS_VERSION`]; `docs/metrics.md` has the long form):
//! - `ttft_ms`: submission to the first generated content token (host monotonic clock), of any
//!   kind: reasoning, answer or tool call.
//! - `tpot_ms = (e2e - ttft) / (completion_tokens - 1)`: time per output token after the first;
//!   undefined for fewer than two tokens.
//! - `itl_ms`: each gap between successive tokens (HTTP: content chunks), pooled over requests.
//! - `e2e_ms`: submission to completion.
//! - `decode_tok_s = (completion_tokens - 1) / (e2e - ttft)`, i.e. `1000 / tpot_ms`.
//! - `prefill_tok_s = prompt_tokens / prefill`, where prefill is the engine-marked end of the
//!   prefill pass when there is one, else TTFT.
//! - `time_to_first_answer_ms`: submission to the first answer token (content or tool call, not
//!   reasoning); equal to `ttft_ms` for a reply that did not reason.
//!
//! On the device clock (CUDA events on the engine's stream), where a worker records one:
//! - `device_ttft_ms`: the start mark to the first token's mark.
//! - `device_tpot_ms`: the device figures of the passes after the first token (each pass from
//!   its step-start mark to its end, where the engine marks both; else the gaps between token
//!   marks), the end-of-sequence pass included, over `completion_tokens - 1`: the same passes
//!   and divisor as the host TPOT, without the host's turnaround between them.
//! - `device_prefill_ms`: the start mark to the engine's prefill-end mark (to the first token's
//!   where it marks no prefill end).

use shared_protocol::{
    DeviceClockKind, EngineId, FinishReason, Outcome, Phase, Sample, TokenCounts, TokenSource,
};

/// Version of the metric definitions above; summaries name it.
pub const METRICS_VERSION: u32 = 1;

const NS_PER_MS: f64 = 1e6;
const NS_PER_S: f64 = 1e9;

/// Index of a label in [`crate::columns::Columns::labels`].
pub type LabelIx = u32;

/// One request of a run, as the summary reads it.
///
/// Kept small (184 bytes): a million of them are held through a summary. What most requests
/// lack is boxed (a failure, device-clock figures, reasoning figures), read through
/// [`Request::outcome`] and the device accessors.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub label: LabelIx,
    pub engine: EngineId,
    pub repetition: u32,
    pub request_id: u64,
    pub phase: Phase,
    /// The outcome when it is not [`Outcome::Ok`] (see [`Request::outcome`]).
    pub(crate) failure: Option<Box<Outcome>>,
    pub start_mono_ns: u64,
    pub scheduled_mono_ns: Option<u64>,
    pub prefill_ns: Option<u64>,
    pub ttft_ns: Option<u64>,
    pub e2e_ns: u64,
    /// The sum of the sample's `itl_ns`: its first content chunk's arrival to its last one's
    /// (the pooled gaps themselves live in [`crate::columns::Columns`]).
    pub itl_sum_ns: u64,
    pub prompt_tokens: Option<u32>,
    pub prompt_tokens_source: Option<TokenSource>,
    pub completion_tokens: u32,
    pub completion_tokens_source: TokenSource,
    pub token_counts: TokenCounts,
    /// The sample's device-clock figures, when it has any (see [`Request::device_clock`]).
    pub(crate) device: Option<Box<RequestDevice>>,
    pub finish_reason: Option<FinishReason>,
    /// The sample's reasoning figures, when the reply reasoned (boxed: most replies do not).
    pub reasoning: Option<Box<RequestReasoning>>,
    /// Where the generated ids sit in the arena, when the sample has them.
    pub(crate) ids: Option<crate::columns::IdSpan>,
    /// Failed attempts before this one (served engines with `--retries`): 0 for a first attempt.
    pub retry: u32,
}

// A million requests are held through a summary: a field added inline costs a megabyte per byte.
const _: () = assert!(std::mem::size_of::<Request>() <= 184);

/// A request's device-clock figures (the sample's `device_clock`, `prefill_device_ns` and
/// `decode_device_ns`, folded), held apart from the request: only workers timing on a device
/// record them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestDevice {
    pub clock: Option<DeviceClockKind>,
    pub prefill_ns: Option<u64>,
    pub decode: Option<DecodeDevice>,
}

/// A reasoning reply's figures as the summary reads them (the sample's
/// [`shared_protocol::Reasoning`] without its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
pub struct RequestReasoning {
    /// Submission to the first answer chunk.
    #[serde(default)]
    pub first_answer_ns: Option<u64>,
    /// Reasoning tokens, and where the count came from.
    #[serde(default)]
    pub tokens: Option<u32>,
    #[serde(default)]
    pub tokens_source: Option<TokenSource>,
}

impl RequestReasoning {
    pub(crate) fn of(r: &shared_protocol::Reasoning) -> RequestReasoning {
        RequestReasoning {
            first_answer_ns: r.first_answer_ns,
            tokens: r.tokens,
            tokens_source: r.tokens_source,
        }
    }
}

/// A sample's device-clock gaps as the device metrics read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeDevice {
    /// The first gap (to the first token), when there is one.
    pub first_ns: Option<u64>,
    /// The sum and the number of the gaps after the first.
    pub rest_ns: u64,
    pub rest_len: u32,
}

impl DecodeDevice {
    pub(crate) fn of(gaps: &[u64]) -> DecodeDevice {
        let rest = gaps.get(1..).unwrap_or_default();
        DecodeDevice {
            first_ns: gaps.first().copied(),
            rest_ns: rest.iter().sum(),
            rest_len: u32::try_from(rest.len()).unwrap_or(u32::MAX),
        }
    }
}

impl Request {
    /// `sample` as a request of label `label` (no ids: those live in a [`crate::columns::Columns`]).
    pub fn of(label: LabelIx, engine: EngineId, repetition: u32, sample: &Sample) -> Request {
        let mut request = Request {
            label,
            engine,
            repetition,
            request_id: sample.request_id,
            phase: sample.phase,
            failure: None,
            start_mono_ns: sample.start_mono_ns,
            scheduled_mono_ns: sample.scheduled_mono_ns,
            prefill_ns: sample.prefill_ns,
            ttft_ns: sample.ttft_ns,
            e2e_ns: sample.e2e_ns,
            itl_sum_ns: sample.itl_ns.iter().sum(),
            prompt_tokens: sample.prompt_tokens,
            prompt_tokens_source: sample.prompt_tokens_source,
            completion_tokens: sample.completion_tokens,
            completion_tokens_source: sample.completion_tokens_source,
            token_counts: sample.token_counts,
            device: None,
            finish_reason: sample.finish_reason,
            reasoning: sample
                .reasoning
                .as_ref()
                .map(|r| Box::new(RequestReasoning::of(r))),
            retry: sample.retry,
            ids: None,
        };
        request.set_outcome(sample.outcome.clone());
        request.set_device(RequestDevice {
            clock: sample.device_clock,
            prefill_ns: sample.prefill_device_ns,
            decode: sample.decode_device_ns.as_deref().map(DecodeDevice::of),
        });
        request
    }

    /// A successful measured request: what every statistic is computed over.
    pub fn is_ok_measured(&self) -> bool {
        self.phase == Phase::Measure && self.outcome().is_ok()
    }

    /// How the request ended.
    pub fn outcome(&self) -> &Outcome {
        self.failure.as_deref().unwrap_or(&Outcome::Ok)
    }

    /// Sets how the request ended: a failure is held apart, and an ok outcome takes no room.
    pub fn set_outcome(&mut self, outcome: Outcome) {
        self.failure = (!outcome.is_ok()).then(|| Box::new(outcome));
    }

    /// The device clock its device figures were taken on, when it has any.
    pub fn device_clock(&self) -> Option<DeviceClockKind> {
        self.device.as_ref()?.clock
    }

    /// The sample's `prefill_device_ns`.
    pub fn prefill_device_ns(&self) -> Option<u64> {
        self.device.as_ref()?.prefill_ns
    }

    /// The sample's `decode_device_ns`, folded.
    pub fn decode_device(&self) -> Option<DecodeDevice> {
        self.device.as_ref()?.decode
    }

    /// Its device figures, all of them (none held apart when none is present).
    pub fn set_device(&mut self, device: RequestDevice) {
        self.device = (device != RequestDevice::default()).then(|| Box::new(device));
    }
}

/// Time to first token in milliseconds.
pub fn ttft_ms(s: &Request) -> Option<f64> {
    s.ttft_ns.map(|t| t as f64 / NS_PER_MS)
}

/// Time to the first answer token (content or tool call, not reasoning) in milliseconds: TTFT
/// for a reply that did not reason; `None` for one that reasoned and never answered.
pub fn time_to_first_answer_ms(s: &Request) -> Option<f64> {
    match &s.reasoning {
        Some(r) => r.first_answer_ns.map(|t| t as f64 / NS_PER_MS),
        None => ttft_ms(s),
    }
}

/// End-to-end latency in milliseconds.
pub fn e2e_ms(s: &Request) -> f64 {
    e2e_ms_of(s.e2e_ns)
}

/// [`e2e_ms`] of a sample's `e2e_ns` (the runner's stop rules read it as samples arrive).
pub fn e2e_ms_of(e2e_ns: u64) -> f64 {
    e2e_ns as f64 / NS_PER_MS
}

/// Time per output token after the first, in milliseconds.
pub fn tpot_ms(s: &Request) -> Option<f64> {
    let ttft = s.ttft_ns?;
    if s.completion_tokens < 2 || s.e2e_ns <= ttft {
        return None;
    }
    Some((s.e2e_ns - ttft) as f64 / NS_PER_MS / f64::from(s.completion_tokens - 1))
}

/// Decode rate after the first token, in tokens per second.
pub fn decode_tok_s(s: &Request) -> Option<f64> {
    let ttft = s.ttft_ns?;
    if s.completion_tokens < 2 || s.e2e_ns <= ttft {
        return None;
    }
    Some(f64::from(s.completion_tokens - 1) / ((s.e2e_ns - ttft) as f64 / NS_PER_S))
}

/// Prefill rate in prompt tokens per second.
pub fn prefill_tok_s(s: &Request) -> Option<f64> {
    let tokens = s.prompt_tokens.filter(|&n| n > 0)?;
    let prefill = s.prefill_ns.or(s.ttft_ns).filter(|&t| t > 0)?;
    Some(f64::from(tokens) / (prefill as f64 / NS_PER_S))
}

/// One inter-token gap in milliseconds: the `itl_ms` metric's value of a gap of `ns` (the gaps
/// of every request, which [`crate::columns::Columns`] pools per label as it reads).
pub fn gap_ms(ns: u64) -> f64 {
    ns as f64 / NS_PER_MS
}

/// Device-clock time from the start mark to the first token's mark, in milliseconds.
///
/// The first device gap (`decode_device_ns[0]`) runs from the prefill-end mark when the engine made one (the host
/// `prefill_ns` is then present) and from the start mark otherwise, when `prefill_device_ns`
/// already spans start to first token.
pub fn device_ttft_ms(s: &Request) -> Option<f64> {
    let prefill = s.prefill_device_ns()?;
    let first_gap = s.decode_device()?.first_ns?;
    let ns = if s.prefill_ns.is_some() {
        prefill + first_gap
    } else {
        prefill
    };
    Some(ns as f64 / NS_PER_MS)
}

/// Device-clock time per output token after the first, in milliseconds: the device figures of
/// every pass after the first token's (each token's forward pass, or the gap since the
/// previous token where the engine marks no step starts; the pass that produced end-of-sequence
/// included, as in the host's end-to-end time), over `completion_tokens - 1`.
pub fn device_tpot_ms(s: &Request) -> Option<f64> {
    let gaps = s.decode_device()?;
    if s.completion_tokens < 2 || gaps.rest_len == 0 {
        return None;
    }
    Some(gaps.rest_ns as f64 / NS_PER_MS / f64::from(s.completion_tokens - 1))
}

/// Device-clock prefill time in milliseconds.
pub fn device_prefill_ms(s: &Request) -> Option<f64> {
    s.prefill_device_ns().map(|t| t as f64 / NS_PER_MS)
}

/// Schedule lag (actual minus intended send time) in milliseconds, for open-loop runs.
pub fn schedule_lag_ms(s: &Request) -> Option<f64> {
    let scheduled = s.scheduled_mono_ns?;
    Some(s.start_mono_ns.saturating_sub(scheduled) as f64 / NS_PER_MS)
}

/// The metrics statistics and comparisons are computed over.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    TtftMs,
    TpotMs,
    ItlMs,
    E2eMs,
    DecodeTokS,
    PrefillTokS,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::TtftMs,
        Metric::TpotMs,
        Metric::ItlMs,
        Metric::E2eMs,
        Metric::DecodeTokS,
        Metric::PrefillTokS,
    ];

    /// The name used in summaries, on the command line and in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Metric::TtftMs => "ttft_ms",
            Metric::TpotMs => "tpot_ms",
            Metric::ItlMs => "itl_ms",
            Metric::E2eMs => "e2e_ms",
            Metric::DecodeTokS => "decode_tok_s",
            Metric::PrefillTokS => "prefill_tok_s",
        }
    }

    /// Rates are better higher; latencies lower.
    pub const fn higher_is_better(self) -> bool {
        matches!(self, Metric::DecodeTokS | Metric::PrefillTokS)
    }

    /// How the metric is derived from one request; `None` for ITL, whose values are every
    /// request's gaps, pooled ([`crate::columns::Columns::take_itl_ms`]).
    pub fn per_request(self) -> Option<fn(&Request) -> Option<f64>> {
        match self {
            Metric::TtftMs => Some(ttft_ms),
            Metric::TpotMs => Some(tpot_ms),
            Metric::ItlMs => None,
            Metric::E2eMs => Some(|s| Some(e2e_ms(s))),
            Metric::DecodeTokS => Some(decode_tok_s),
            Metric::PrefillTokS => Some(prefill_tok_s),
        }
    }
}

impl std::str::FromStr for Metric {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                format!("unknown metric '{s}' (known: {})", names.join(", "))
            })
    }
}

/// Every metric's values over one engine's successful samples, each sorted once: the engine's
/// statistics, outlier counts and comparisons all read these (ITL pools tens of millions of gaps
/// at a million requests, so sorting it once per use would dominate a summary).
#[derive(Debug, Clone, Default)]
pub struct MetricSamples(std::collections::BTreeMap<Metric, bench_stats::Sample>);

impl MetricSamples {
    /// The metrics of `requests` (successful measured ones), with `itl_ms` their pooled
    /// inter-token gaps in milliseconds; a metric with no values is absent.
    pub fn of(requests: &[&Request], itl_ms: Vec<f64>) -> Self {
        Self::per_request(requests).with_itl_ms(itl_ms)
    }

    /// The metrics of one value per request, without `itl_ms` (given by
    /// [`MetricSamples::with_itl_ms`]).
    pub fn per_request(requests: &[&Request]) -> Self {
        // One walk over the requests fills every metric's values (at a million requests each
        // walk reads a hundred megabytes).
        let metrics: Vec<_> = Metric::ALL
            .iter()
            .filter_map(|&m| Some((m, m.per_request()?)))
            .collect();
        let mut values: Vec<Vec<f64>> = metrics
            .iter()
            .map(|_| Vec::with_capacity(requests.len()))
            .collect();
        for r in requests {
            for ((_, f), values) in metrics.iter().zip(&mut values) {
                if let Some(v) = f(r) {
                    values.push(v);
                }
            }
        }
        let samples = metrics
            .iter()
            .zip(values)
            .filter_map(|(&(m, _), mut values)| {
                values.shrink_to_fit();
                bench_stats::Sample::new(values).ok().map(|s| (m, s))
            })
            .collect();
        Self(samples)
    }

    /// These metrics with `itl_ms`'s pooled values, which carry no order (the gaps of every
    /// request).
    #[must_use]
    pub fn with_itl_ms(mut self, itl_ms: Vec<f64>) -> Self {
        if let Ok(s) = bench_stats::Sample::unordered(itl_ms) {
            self.0.insert(Metric::ItlMs, s);
        }
        self
    }

    /// One metric's values, when there are any.
    pub fn get(&self, metric: Metric) -> Option<&bench_stats::Sample> {
        self.0.get(&metric)
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
