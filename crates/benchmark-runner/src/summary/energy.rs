//! Energy of one engine from `energy.json`: per telemetry channel, summed over repetitions, per
//! token and per request, and the validity flags telemetry raised for its runs.

use bench_stats::Summary;
use serde::{Deserialize, Serialize};

use super::stat;
use crate::energy::EnergyReport;

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
