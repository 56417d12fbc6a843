//! Energy by phase: each request's energy split at its first token into the prefill (submission
//! to the first token) and the decode (first token to the last), on the workers' clock.
//!
//! Both phases of every request go through one [`attribute`] sweep. A request's two windows meet
//! at its first token and never overlap, so in every slice of time the request is one active
//! window, as it is when attributed whole: a slice's energy is shared between the requests
//! running then, whatever phase each is in, and a request's prefill and decode energy add up to
//! its whole-request energy.

use serde::{Deserialize, Serialize};
use telemetry::energy::{EnergyCurve, RequestWindow, attribute};

use crate::store::SampleRow;

/// Energy of one engine run's successful measured requests on one channel, split by phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseEnergy {
    /// Requests split: those with a first token whose both phases the telemetry covers.
    pub requests: usize,
    /// Requests left out: no first token recorded, or a phase outside the telemetry's span.
    pub unsplit_requests: usize,
    /// Energy of the prefill phases (submission to first token), summed over requests (J).
    pub prefill_j: f64,
    /// The same minus the idle power's share, when the idle baseline is known.
    pub prefill_idle_adjusted_j: Option<f64>,
    /// Energy of the decode phases (first token to the last), summed over requests (J).
    pub decode_j: f64,
    /// The same minus the idle power's share, when the idle baseline is known.
    pub decode_idle_adjusted_j: Option<f64>,
    /// Prompt tokens of the split requests: what the prefill phases processed; `None` when a
    /// split request has no prompt token count.
    pub prompt_tokens: Option<u64>,
    /// Tokens generated after the first (`completion_tokens - 1` per split request): what the
    /// decode phases produced, as TPOT counts them.
    pub decode_tokens: u64,
    /// Prefill phases shorter than three updates of the energy counter (their energy is mostly
    /// interpolation).
    pub unresolved_prefill: usize,
    /// Decode phases shorter than three updates of the energy counter.
    pub unresolved_decode: usize,
    /// Three counter updates: the shortest window the channel resolves (ns).
    pub resolution_ns: u64,
}

/// The phases of the successful measured requests `ok` on `curve`, with `idle_power_w` shared
/// the way [`attribute`] shares it.
pub fn phase_energy(
    curve: &EnergyCurve,
    ok: &[&SampleRow],
    idle_power_w: Option<f64>,
) -> PhaseEnergy {
    // Two windows per request with a first token inside its span, prefill then decode.
    let mut windows = Vec::with_capacity(ok.len() * 2);
    let mut split: Vec<&SampleRow> = Vec::with_capacity(ok.len());
    for row in ok {
        let s = &row.sample;
        let Some(ttft) = s.ttft_ns.filter(|&t| t <= s.e2e_ns) else {
            continue;
        };
        let start = s.start_mono_ns;
        windows.push(RequestWindow {
            start_ns: start,
            end_ns: start + ttft,
        });
        windows.push(RequestWindow {
            start_ns: start + ttft,
            end_ns: start + s.e2e_ns,
        });
        split.push(row);
    }
    let shares = attribute(curve, &windows, idle_power_w);
    let mut out = PhaseEnergy {
        resolution_ns: curve.resolution_ns(),
        prefill_idle_adjusted_j: idle_power_w.map(|_| 0.0),
        decode_idle_adjusted_j: idle_power_w.map(|_| 0.0),
        prompt_tokens: Some(0),
        unsplit_requests: ok.len() - split.len(),
        ..PhaseEnergy::default()
    };
    for (row, pair) in split.iter().zip(shares.chunks_exact(2)) {
        let (Ok(prefill), Ok(decode)) = (&pair[0], &pair[1]) else {
            out.unsplit_requests += 1;
            continue;
        };
        out.requests += 1;
        out.prefill_j += prefill.energy_j;
        out.decode_j += decode.energy_j;
        add(&mut out.prefill_idle_adjusted_j, prefill.idle_adjusted_j);
        add(&mut out.decode_idle_adjusted_j, decode.idle_adjusted_j);
        out.prompt_tokens = out
            .prompt_tokens
            .zip(row.sample.prompt_tokens)
            .map(|(sum, n)| sum + u64::from(n));
        out.decode_tokens += u64::from(row.sample.completion_tokens.saturating_sub(1));
        out.unresolved_prefill += usize::from(!prefill.resolved);
        out.unresolved_decode += usize::from(!decode.resolved);
    }
    out
}

/// Adds `x` to a running sum that stays `None` once a term is missing.
fn add(sum: &mut Option<f64>, x: Option<f64>) {
    *sum = sum.zip(x).map(|(s, x)| s + x);
}
