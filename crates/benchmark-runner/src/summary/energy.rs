//! Energy of one engine from `energy.json`: per telemetry channel, summed over repetitions, per
//! token and per request, and the validity flags telemetry raised for its runs.

use bench_stats::Summary;
use serde::{Deserialize, Serialize};

use super::stat;
use crate::energy::{EnergyReport, PhaseEnergy};

/// Energy of one engine over its measured windows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EngineEnergy {
    pub channels: Vec<ChannelEnergy>,
    /// Why there are no energy figures, when there are none.
    pub unavailable: Option<String>,
}

/// Energy on one telemetry channel, summed over repetitions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelEnergy {
    pub channel: String,
    pub method: telemetry::energy::EnergyMethod,
    pub gross_j: f64,
    pub idle_adjusted_j: Option<f64>,
    pub duration_s: f64,
    pub avg_power_w: Option<f64>,
    pub peak_power_w: Option<f64>,
    pub idle_power_w: Option<f64>,
    pub j_per_token: Option<f64>,
    pub idle_adjusted_j_per_token: Option<f64>,
    pub tokens_per_j: Option<f64>,
    /// Energy per request (J), split between overlapping requests by their overlap.
    pub request_j: Option<Summary>,
    pub unresolved_requests: usize,
    /// The energy split into prefill and decode, where every repetition recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<PhaseFigures>,
}

/// Energy by phase on one channel, summed over repetitions: the prefill (submission to the first
/// token) per prompt token, the decode (first token to the last) per token generated after the
/// first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseFigures {
    /// Requests split into phases, and those that could not be.
    pub requests: usize,
    pub unsplit_requests: usize,
    pub prefill_j: f64,
    pub prefill_idle_adjusted_j: Option<f64>,
    pub decode_j: f64,
    pub decode_idle_adjusted_j: Option<f64>,
    pub prompt_tokens: Option<u64>,
    pub decode_tokens: u64,
    /// `prefill_j / prompt_tokens`.
    pub j_per_prompt_token: Option<f64>,
    /// `prefill_idle_adjusted_j / prompt_tokens`.
    pub idle_adjusted_j_per_prompt_token: Option<f64>,
    /// `decode_j / decode_tokens`.
    pub j_per_decode_token: Option<f64>,
    /// `decode_idle_adjusted_j / decode_tokens`.
    pub idle_adjusted_j_per_decode_token: Option<f64>,
    pub unresolved_prefill: usize,
    pub unresolved_decode: usize,
    /// Phases shorter than the sensor resolves, said in words; `None` when every phase is
    /// resolved.
    pub note: Option<String>,
}

impl PhaseFigures {
    /// The phases of one channel's repetitions; `None` when one of them has no split.
    fn of(channel: &str, phases: &[Option<&PhaseEnergy>]) -> Option<PhaseFigures> {
        let phases: Vec<&PhaseEnergy> = phases.iter().copied().collect::<Option<_>>()?;
        let first = phases.first()?;
        let sum_opt = |f: fn(&PhaseEnergy) -> Option<f64>| phases.iter().map(|p| f(p)).sum();
        let requests = phases.iter().map(|p| p.requests).sum();
        let prefill_j = phases.iter().map(|p| p.prefill_j).sum();
        let decode_j = phases.iter().map(|p| p.decode_j).sum();
        let prefill_idle_adjusted_j: Option<f64> = sum_opt(|p| p.prefill_idle_adjusted_j);
        let decode_idle_adjusted_j: Option<f64> = sum_opt(|p| p.decode_idle_adjusted_j);
        let prompt_tokens: Option<u64> = phases.iter().map(|p| p.prompt_tokens).sum();
        let decode_tokens: u64 = phases.iter().map(|p| p.decode_tokens).sum();
        let per = |j: Option<f64>, tokens: Option<u64>| {
            j.zip(tokens.filter(|&n| n > 0)).map(|(j, n)| j / n as f64)
        };
        let unresolved_prefill = phases.iter().map(|p| p.unresolved_prefill).sum();
        let unresolved_decode = phases.iter().map(|p| p.unresolved_decode).sum();
        let note = phase_note(
            channel,
            requests,
            unresolved_prefill,
            unresolved_decode,
            first.resolution_ns,
        );
        Some(PhaseFigures {
            requests,
            unsplit_requests: phases.iter().map(|p| p.unsplit_requests).sum(),
            prefill_j,
            prefill_idle_adjusted_j,
            decode_j,
            decode_idle_adjusted_j,
            prompt_tokens,
            decode_tokens,
            j_per_prompt_token: per(Some(prefill_j), prompt_tokens),
            idle_adjusted_j_per_prompt_token: per(prefill_idle_adjusted_j, prompt_tokens),
            j_per_decode_token: per(Some(decode_j), Some(decode_tokens)),
            idle_adjusted_j_per_decode_token: per(decode_idle_adjusted_j, Some(decode_tokens)),
            unresolved_prefill,
            unresolved_decode,
            note,
        })
    }
}

/// Says how many phases are shorter than three counter updates of `channel`.
fn phase_note(
    channel: &str,
    requests: usize,
    unresolved_prefill: usize,
    unresolved_decode: usize,
    resolution_ns: u64,
) -> Option<String> {
    let parts: Vec<String> = [
        ("prefill", unresolved_prefill),
        ("decode", unresolved_decode),
    ]
    .into_iter()
    .filter(|&(_, n)| n > 0)
    .map(|(phase, n)| format!("{n} of {requests} {phase} phases"))
    .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "{channel}: {} are shorter than {:.1} ms (three counter updates): their energy is mostly interpolation",
            parts.join(" and "),
            resolution_ns as f64 / 1e6
        )
    })
}

/// The energy of the engine labelled `label`, which generated `completion_tokens` in its
/// successful measured requests, and the reasons telemetry gives not to trust its runs.
pub fn engine_energy(
    label: &str,
    completion_tokens: f64,
    energy: Option<&EnergyReport>,
) -> (EngineEnergy, Vec<String>) {
    let Some(report) = energy else {
        let none = EngineEnergy {
            channels: Vec::new(),
            unavailable: Some("no telemetry was recorded for this run".to_owned()),
        };
        return (none, Vec::new());
    };
    let records: Vec<_> = report.runs.iter().filter(|r| r.label == label).collect();
    let mut names: Vec<&str> = records.iter().map(|r| r.channel.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let per_token = |j: f64| (completion_tokens > 0.0).then(|| j / completion_tokens);
    let channels: Vec<ChannelEnergy> = names
        .into_iter()
        .map(|channel| {
            let rs: Vec<_> = records.iter().filter(|r| r.channel == channel).collect();
            let gross_j: f64 = rs.iter().map(|r| r.energy.gross.energy_j).sum();
            let duration_s: f64 = rs.iter().map(|r| r.energy.gross.duration_s).sum();
            let idle_adjusted_j: Option<f64> = rs.iter().map(|r| r.energy.idle_adjusted_j).sum();
            ChannelEnergy {
                channel: channel.to_owned(),
                method: rs[0].energy.gross.method,
                gross_j,
                idle_adjusted_j,
                duration_s,
                avg_power_w: (duration_s > 0.0).then(|| gross_j / duration_s),
                peak_power_w: rs
                    .iter()
                    .filter_map(|r| r.energy.peak_power_w)
                    .reduce(f64::max),
                idle_power_w: rs[0].energy.idle_power_w,
                j_per_token: per_token(gross_j),
                idle_adjusted_j_per_token: idle_adjusted_j.and_then(per_token),
                tokens_per_j: (gross_j > 0.0 && completion_tokens > 0.0)
                    .then(|| completion_tokens / gross_j),
                request_j: stat(
                    rs.iter()
                        .flat_map(|r| r.request_j.iter().copied())
                        .collect(),
                ),
                unresolved_requests: rs.iter().map(|r| r.unresolved_requests).sum(),
                phases: PhaseFigures::of(
                    channel,
                    &rs.iter().map(|r| r.phases.as_ref()).collect::<Vec<_>>(),
                ),
            }
        })
        .collect();
    let unavailable = channels.is_empty().then(|| {
        report
            .unavailable
            .clone()
            .unwrap_or_else(|| "no energy channel covered this engine's runs".to_owned())
    });
    let validity = report
        .flags
        .iter()
        .filter(|f| f.label == label)
        .flat_map(|f| {
            f.reasons
                .iter()
                .map(move |r| format!("repetition {}: {r}", f.repetition))
        })
        .collect();
    (
        EngineEnergy {
            channels,
            unavailable,
        },
        validity,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(prefill_j: f64, decode_j: f64, prompt: Option<u64>, unresolved: usize) -> PhaseEnergy {
        PhaseEnergy {
            requests: 4,
            unsplit_requests: 1,
            prefill_j,
            prefill_idle_adjusted_j: Some(prefill_j / 2.0),
            decode_j,
            decode_idle_adjusted_j: None,
            prompt_tokens: prompt,
            decode_tokens: 40,
            unresolved_prefill: unresolved,
            unresolved_decode: 0,
            resolution_ns: 3_000_000,
        }
    }

    #[test]
    fn phases_are_summed_over_repetitions_and_divided_by_their_own_tokens() {
        let (a, b) = (rep(2.0, 6.0, Some(100), 0), rep(4.0, 10.0, Some(300), 3));
        let p = PhaseFigures::of("gpu0", &[Some(&a), Some(&b)]).expect("both split");
        assert_eq!((p.requests, p.unsplit_requests), (8, 2));
        // 6 J over 400 prompt tokens; 16 J over 80 tokens after the first.
        assert_eq!(p.j_per_prompt_token, Some(6.0 / 400.0));
        assert_eq!(p.idle_adjusted_j_per_prompt_token, Some(3.0 / 400.0));
        assert_eq!(p.j_per_decode_token, Some(16.0 / 80.0));
        assert_eq!(p.idle_adjusted_j_per_decode_token, None, "no idle baseline");
        assert_eq!(
            p.note.as_deref(),
            Some(
                "gpu0: 3 of 8 prefill phases are shorter than 3.0 ms (three counter updates): \
                 their energy is mostly interpolation"
            )
        );
        // A repetition without a prompt count leaves J per prompt token unknown.
        let c = rep(1.0, 1.0, None, 0);
        let p = PhaseFigures::of("gpu0", &[Some(&a), Some(&c)]).expect("both split");
        assert_eq!(
            (p.prompt_tokens, p.j_per_prompt_token, p.note),
            (None, None, None)
        );
        // A repetition recorded before phases were split leaves none.
        assert_eq!(PhaseFigures::of("gpu0", &[Some(&a), None]), None);
    }
}
