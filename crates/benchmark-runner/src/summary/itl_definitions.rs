//! Inter-token latency as vLLM's `bench serve`, `aiperf` and `guidellm` define it, beside this
//! project's `itl_ms` and `tpot_ms`, over the same successful measured requests.
//!
//! The tools agree while every chunk carries one token and part ways when a server sends
//! several per chunk: a pooled chunk gap then spans several tokens, while a per-request figure
//! divides the first-to-last chunk time by the token count. `docs/metrics.md` ("ITL as other
//! tools define it") writes each definition out with the source it was read from.
//!
//! Every tool's first token is the first chunk that carries content, as this project's TTFT
//! is, and every tool's end is the last such chunk (`ttft + sum(itl_ns)`), not the end of the
//! stream that this project's `e2e` is. The pooled definitions are this project's pooled gaps
//! (their statistics are `itl_ms`'s, not a second copy of a run's tens of millions of gaps);
//! the per-request ones are one value per request.

use bench_stats::{Sample, Summary, TailSupport, summarize};
use serde::{Deserialize, Serialize};

use crate::metrics::Request;

const NS_PER_MS: f64 = 1e6;

/// What a definition's statistics are taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// Every gap between successive content chunks of every request.
    EveryGap,
    /// One value per request.
    PerRequest,
    /// One value per request, each weighted by its token count (as if every token of the
    /// request carried the request's value): `guidellm`'s distributions.
    PerRequestTokenWeighted,
}

impl Pooling {
    /// The pooling as reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Pooling::EveryGap => "every gap",
            Pooling::PerRequest => "per request",
            Pooling::PerRequestTokenWeighted => "per request, token-weighted",
        }
    }
}

/// One tool's definition of inter-token latency, and its figures on this run's requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItlDefinition {
    /// The tool: `this project`, `vllm bench serve`, `aiperf`, `guidellm`.
    pub tool: String,
    /// The metric's name as that tool reports it.
    pub metric: String,
    /// What the statistics are taken over.
    pub pooling: Pooling,
    /// The definition in one line.
    pub definition: String,
    /// The statistics in milliseconds. Token-weighted ones: `n` counts the tokens (the
    /// weights), mean and percentiles are the weighted ones by the tool's rule (a percentile is
    /// the smallest value whose cumulative weight reaches it, without interpolation), `sd` is
    /// the weighted sample standard deviation, there is no `ci95`, and the `tail` flags count
    /// requests.
    pub ms: Summary,
}

/// vLLM `bench serve`'s `tpot` of one request, in milliseconds: `(latency - ttft) /
/// (output_len - 1)`, its latency ending at the last content chunk, so `sum(itl) /
/// (completion_tokens - 1)`; none below two tokens.
pub fn vllm_tpot_ms(r: &Request) -> Option<f64> {
    r.ttft_ns?;
    (r.completion_tokens >= 2)
        .then(|| r.itl_sum_ns as f64 / NS_PER_MS / f64::from(r.completion_tokens - 1))
}

/// `aiperf`'s `inter_token_latency` of one request, in milliseconds: `(request_latency - ttft) /
/// (output_sequence_length - 1)`, its request latency ending at the last response, the same
/// value as [`vllm_tpot_ms`]; none below two tokens.
pub fn aiperf_itl_ms(r: &Request) -> Option<f64> {
    vllm_tpot_ms(r)
}

/// `guidellm`'s `inter_token_latency_ms` of one request with its weight:
/// `(last_token_iteration - first_token_iteration) / (output_tokens - 1)`, weighted by
/// `output_tokens - 1`; none below two tokens.
pub fn guidellm_itl_ms(r: &Request) -> Option<(f64, u64)> {
    aiperf_itl_ms(r).map(|v| (v, u64::from(r.completion_tokens - 1)))
}

/// `guidellm`'s `time_per_output_token_ms` of one request with its weight:
/// `(last_token_iteration - request_start) / output_tokens`, that is `(ttft + sum(itl)) /
/// completion_tokens`, the first token included, weighted by `output_tokens`; none without
/// tokens.
pub fn guidellm_tpot_ms(r: &Request) -> Option<(f64, u64)> {
    let ttft = r.ttft_ns?;
    (r.completion_tokens >= 1).then(|| {
        let v = (ttft + r.itl_sum_ns) as f64 / NS_PER_MS / f64::from(r.completion_tokens);
        (v, u64::from(r.completion_tokens))
    })
}

/// The statistics of values weighted by integer weights, as `guidellm`'s
/// `DistributionSummary.from_values` takes them: zero weights dropped, the mean weighted, a
/// q-percentile the smallest value whose cumulative share of the weight reaches q (numpy's
/// `searchsorted(cdf, q, side="left")`). `None` without positive weight.
pub fn weighted_summary(mut values: Vec<(f64, u64)>) -> Option<Summary> {
    values.retain(|&(v, w)| w > 0 && v.is_finite());
    // Stable, as equal values' terms are summed in their order; by `f64::total_cmp`'s order.
    radsort::sort_by_key(&mut values, |&(v, _)| v);
    let total: u64 = values.iter().map(|&(_, w)| w).sum();
    let (first, last) = (values.first()?.0, values.last()?.0);
    let w_total = total as f64;
    let mean = values.iter().map(|&(v, w)| v * w as f64).sum::<f64>() / w_total;
    let sd = (total > 1).then(|| {
        let ss: f64 = values
            .iter()
            .map(|&(v, w)| (v - mean).powi(2) * w as f64)
            .sum();
        (ss / (w_total - 1.0)).sqrt()
    });
    let quantile = |q: f64| {
        let target = q * w_total;
        let mut cumulative = 0u64;
        values
            .iter()
            .find(|&&(_, w)| {
                cumulative += w;
                cumulative as f64 >= target
            })
            .map_or(last, |&(v, _)| v)
    };
    Some(Summary {
        n: usize::try_from(total).unwrap_or(usize::MAX),
        mean,
        sd,
        cv: sd.filter(|_| mean.abs() > 0.0).map(|sd| sd / mean.abs()),
        min: first,
        max: last,
        p50: quantile(0.50),
        p90: quantile(0.90),
        p95: quantile(0.95),
        p99: quantile(0.99),
        p99_9: quantile(0.999),
        ci95: None,
        tail: TailSupport::for_len(values.len()),
    })
}

fn per_request(ok: &[&Request], f: fn(&Request) -> Option<f64>) -> Option<Summary> {
    Sample::new(ok.iter().filter_map(|r| f(r)).collect())
        .ok()
        .map(|s| summarize(&s))
}

fn weighted(ok: &[&Request], f: fn(&Request) -> Option<(f64, u64)>) -> Option<Summary> {
    weighted_summary(ok.iter().filter_map(|r| f(r)).collect())
}

/// Every definition's figures over an engine's successful measured requests `ok`, given the
/// engine's own `itl_ms` (the pooled gaps' statistics) and `tpot_ms`; `None` for an engine
/// whose samples have no inter-token gaps. A definition with no value on any request is left
/// out.
pub fn itl_definitions(
    ok: &[&Request],
    itl_ms: Option<&Summary>,
    tpot_ms: Option<&Summary>,
) -> Option<Vec<ItlDefinition>> {
    let itl_ms = itl_ms?;
    let entry = |tool: &str, metric: &str, pooling, definition: &str, ms: Option<Summary>| {
        ms.map(|ms| ItlDefinition {
            tool: tool.to_owned(),
            metric: metric.to_owned(),
            pooling,
            definition: definition.to_owned(),
            ms,
        })
    };
    // aiperf's per-request figure is vLLM's value (see [`aiperf_itl_ms`]): summarised once.
    let vllm_tpot = per_request(ok, vllm_tpot_ms);
    let pooled_gaps = "each gap between successive content chunks, pooled over requests";
    let per_request_gaps =
        "(last content chunk - first content chunk) / (completion tokens - 1), one per request";
    let definitions = [
        entry(
            "this project",
            "itl_ms",
            Pooling::EveryGap,
            pooled_gaps,
            Some(itl_ms.clone()),
        ),
        entry(
            "this project",
            "tpot_ms",
            Pooling::PerRequest,
            "(e2e - ttft) / (completion tokens - 1), e2e ending at the end of the stream",
            tpot_ms.cloned(),
        ),
        entry(
            "vllm bench serve",
            "itl",
            Pooling::EveryGap,
            pooled_gaps,
            Some(itl_ms.clone()),
        ),
        entry(
            "vllm bench serve",
            "tpot",
            Pooling::PerRequest,
            per_request_gaps,
            vllm_tpot.clone(),
        ),
        entry(
            "aiperf",
            "inter_chunk_latency",
            Pooling::EveryGap,
            pooled_gaps,
            Some(itl_ms.clone()),
        ),
        entry(
            "aiperf",
            "inter_token_latency",
            Pooling::PerRequest,
            per_request_gaps,
            vllm_tpot,
        ),
        entry(
            "guidellm",
            "inter_token_latency_ms",
            Pooling::PerRequestTokenWeighted,
            "(last content chunk - first content chunk) / (completion tokens - 1), weighted by completion tokens - 1",
            weighted(ok, guidellm_itl_ms),
        ),
        entry(
            "guidellm",
            "time_per_output_token_ms",
            Pooling::PerRequestTokenWeighted,
            "(last content chunk - submission) / completion tokens, weighted by completion tokens",
            weighted(ok, guidellm_tpot_ms),
        ),
    ];
    Some(definitions.into_iter().flatten().collect())
}

#[cfg(test)]
#[path = "itl_definitions_tests.rs"]
mod tests;
