//! Per-request metrics derived from a sample, each defined once, here.
//!
//! Definitions (version [`METRICS_VERSION`]; `docs/metrics.md` has the long form):
//! - `ttft_ms`: submission to the first generated content token (host monotonic clock).
//! - `tpot_ms = (e2e - ttft) / (completion_tokens - 1)`: time per output token after the first;
//!   undefined for fewer than two tokens.
//! - `itl_ms`: each gap between successive tokens (HTTP: content chunks), pooled over requests.
//! - `e2e_ms`: submission to completion.
//! - `decode_tok_s = (completion_tokens - 1) / (e2e - ttft)`, i.e. `1000 / tpot_ms`.
//! - `prefill_tok_s = prompt_tokens / prefill`, where prefill is the engine-marked end of the
//!   prefill pass when there is one, else TTFT.
//!
//! On the device clock (CUDA events on the engine's stream), where a worker records one:
//! - `device_ttft_ms`: the start mark to the first token's mark.
//! - `device_tpot_ms`: the device figures of the passes after the first token (each pass from
//!   its step-start mark to its end, where the engine marks both; else the gaps between token
//!   marks), the end-of-sequence pass included, over `completion_tokens - 1`: the same passes
//!   and divisor as the host TPOT, without the host's turnaround between them.
//! - `device_prefill_ms`: the start mark to the engine's prefill-end mark (to the first token's
//!   where it marks no prefill end).

use shared_protocol::Sample;

/// Version of the metric definitions above; summaries name it.
pub const METRICS_VERSION: u32 = 1;

const NS_PER_MS: f64 = 1e6;
const NS_PER_S: f64 = 1e9;

/// Time to first token in milliseconds.
pub fn ttft_ms(s: &Sample) -> Option<f64> {
    s.ttft_ns.map(|t| t as f64 / NS_PER_MS)
}

/// End-to-end latency in milliseconds.
pub fn e2e_ms(s: &Sample) -> f64 {
    s.e2e_ns as f64 / NS_PER_MS
}

/// Time per output token after the first, in milliseconds.
pub fn tpot_ms(s: &Sample) -> Option<f64> {
    let ttft = s.ttft_ns?;
    if s.completion_tokens < 2 || s.e2e_ns <= ttft {
        return None;
    }
    Some((s.e2e_ns - ttft) as f64 / NS_PER_MS / f64::from(s.completion_tokens - 1))
}

/// Decode rate after the first token, in tokens per second.
pub fn decode_tok_s(s: &Sample) -> Option<f64> {
    let ttft = s.ttft_ns?;
    if s.completion_tokens < 2 || s.e2e_ns <= ttft {
        return None;
    }
    Some(f64::from(s.completion_tokens - 1) / ((s.e2e_ns - ttft) as f64 / NS_PER_S))
}

/// Prefill rate in prompt tokens per second.
pub fn prefill_tok_s(s: &Sample) -> Option<f64> {
    let tokens = s.prompt_tokens.filter(|&n| n > 0)?;
    let prefill = s.prefill_ns.or(s.ttft_ns).filter(|&t| t > 0)?;
    Some(f64::from(tokens) / (prefill as f64 / NS_PER_S))
}

/// Inter-token latencies in milliseconds.
pub fn itl_ms(s: &Sample) -> impl Iterator<Item = f64> + '_ {
    s.itl_ns.iter().map(|&t| t as f64 / NS_PER_MS)
}

/// Device-clock time from the start mark to the first token's mark, in milliseconds.
///
/// `decode_device_ns[0]` runs from the prefill-end mark when the engine made one (the host
/// `prefill_ns` is then present) and from the start mark otherwise, when `prefill_device_ns`
/// already spans start to first token.
pub fn device_ttft_ms(s: &Sample) -> Option<f64> {
    let prefill = s.prefill_device_ns?;
    let first_gap = *s.decode_device_ns.as_ref()?.first()?;
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
pub fn device_tpot_ms(s: &Sample) -> Option<f64> {
    let after_first = s.decode_device_ns.as_ref()?.get(1..)?;
    if s.completion_tokens < 2 || after_first.is_empty() {
        return None;
    }
    Some(after_first.iter().sum::<u64>() as f64 / NS_PER_MS / f64::from(s.completion_tokens - 1))
}

/// Device-clock prefill time in milliseconds.
pub fn device_prefill_ms(s: &Sample) -> Option<f64> {
    s.prefill_device_ns.map(|t| t as f64 / NS_PER_MS)
}

/// Schedule lag (actual minus intended send time) in milliseconds, for open-loop runs.
pub fn schedule_lag_ms(s: &Sample) -> Option<f64> {
    let scheduled = s.scheduled_mono_ns?;
    Some(s.start_mono_ns.saturating_sub(scheduled) as f64 / NS_PER_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_protocol::{Outcome, Phase, TokenCounts, TokenSource};

    fn sample(ttft_ms: u64, e2e_ms: u64, tokens: u32) -> Sample {
        Sample {
            request_id: 0,
            phase: Phase::Measure,
            outcome: Outcome::Ok,
            start_mono_ns: 1_000,
            scheduled_mono_ns: None,
            prefill_ns: None,
            ttft_ns: Some(ttft_ms * 1_000_000),
            e2e_ns: e2e_ms * 1_000_000,
            itl_ns: vec![],
            tokens_per_chunk: None,
            prompt_tokens: Some(100),
            prompt_tokens_source: Some(TokenSource::Engine),
            completion_tokens: tokens,
            completion_tokens_source: TokenSource::Engine,
            token_counts: TokenCounts::default(),
            device_clock: None,
            prefill_device_ns: None,
            decode_device_ns: None,
            finish_reason: None,
            output_token_ids: None,
            output_text: None,
            engine_metrics: serde_json::Map::new(),
        }
    }

    #[test]
    fn tpot_excludes_the_first_token() {
        // 20 ms to the first token, then 10 more tokens over 50 ms.
        let s = sample(20, 70, 11);
        assert_eq!(tpot_ms(&s), Some(5.0));
        assert_eq!(decode_tok_s(&s), Some(200.0));
        assert_eq!(ttft_ms(&s), Some(20.0));
        // 100 prompt tokens in 20 ms.
        assert_eq!(prefill_tok_s(&s), Some(5000.0));
    }

    #[test]
    fn device_figures_span_what_the_host_figures_span() {
        // Prefill end marked: 8 ms of prefill, 1 ms to the first token, then 3 gaps of 2 ms.
        let mut s = sample(10, 16, 4);
        s.prefill_ns = Some(8_000_000);
        s.prefill_device_ns = Some(8_000_000);
        s.decode_device_ns = Some(vec![1_000_000, 2_000_000, 2_000_000, 2_000_000]);
        assert_eq!(device_ttft_ms(&s), Some(9.0));
        assert_eq!(device_tpot_ms(&s), Some(2.0));
        assert_eq!(device_prefill_ms(&s), Some(8.0));
        // No prefill end marked: prefill and the first gap both span start to first token.
        s.prefill_ns = None;
        s.prefill_device_ns = Some(9_000_000);
        s.decode_device_ns = Some(vec![9_000_000, 2_000_000, 2_000_000, 2_000_000]);
        assert_eq!(device_ttft_ms(&s), Some(9.0));
        assert_eq!(device_tpot_ms(&s), Some(2.0));
        // The pass that produced end-of-sequence counts, as it does in the host's e2e.
        s.completion_tokens = 3;
        s.decode_device_ns = Some(vec![9_000_000, 2_000_000, 2_000_000, 2_000_000]);
        assert_eq!(device_tpot_ms(&s), Some(3.0));
        // One token: a TTFT, no TPOT; no device clock: nothing.
        s.decode_device_ns = Some(vec![9_000_000]);
        assert_eq!(device_tpot_ms(&s), None);
        assert_eq!(device_ttft_ms(&s), Some(9.0));
        let host_only = sample(10, 16, 4);
        assert_eq!(
            (device_ttft_ms(&host_only), device_tpot_ms(&host_only)),
            (None, None)
        );
    }

    #[test]
    fn one_token_has_no_tpot() {
        let s = sample(20, 20, 1);
        assert_eq!(tpot_ms(&s), None);
        assert_eq!(decode_tok_s(&s), None);
    }

    #[test]
    fn prefill_prefers_the_engine_mark() {
        let mut s = sample(20, 70, 11);
        s.prefill_ns = Some(10_000_000);
        assert_eq!(prefill_tok_s(&s), Some(10_000.0));
    }
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

    /// The metric's values over successful samples (ITL pools every gap).
    pub fn values<'a>(self, samples: impl IntoIterator<Item = &'a Sample>) -> Vec<f64> {
        let samples = samples.into_iter();
        match self {
            Metric::TtftMs => samples.filter_map(ttft_ms).collect(),
            Metric::TpotMs => samples.filter_map(tpot_ms).collect(),
            Metric::ItlMs => samples.flat_map(itl_ms).collect(),
            Metric::E2eMs => samples.map(e2e_ms).collect(),
            Metric::DecodeTokS => samples.filter_map(decode_tok_s).collect(),
            Metric::PrefillTokS => samples.filter_map(prefill_tok_s).collect(),
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
    /// The metrics of `samples` (successful ones); a metric with no values is absent.
    pub fn of(samples: &[&Sample]) -> Self {
        Self(
            Metric::ALL
                .iter()
                .filter_map(|&m| {
                    let values = m.values(samples.iter().copied());
                    // ITL pools every request's gaps: no order to keep, and the most values.
                    let sample = if m == Metric::ItlMs {
                        bench_stats::Sample::unordered(values)
                    } else {
                        bench_stats::Sample::new(values)
                    };
                    sample.ok().map(|s| (m, s))
                })
                .collect(),
        )
    }

    /// One metric's values, when there are any.
    pub fn get(&self, metric: Metric) -> Option<&bench_stats::Sample> {
        self.0.get(&metric)
    }
}
