//! Cost and carbon per million tokens: the price of a device hour over the measured throughput
//! (its 95% confidence interval carried into the cost's), and the measured energy priced and
//! turned into emissions. Pure functions over an engine's runs, rows and energy, and the
//! plan's prices.

use bench_stats::{Sample, mean_ci};
use serde::{Deserialize, Serialize};

use super::energy::EngineEnergy;
use crate::metrics::Request;
use crate::plan::{CostPlan, DeviceHourPrice};
use crate::store::EngineRun;

const SECONDS_PER_HOUR: f64 = 3600.0;
const J_PER_KWH: f64 = 3.6e6;
const MILLION: f64 = 1e6;

/// One engine's cost figures and the inputs they were computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostFigures {
    /// Price of one hour of the engine's device, and the setting it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_hour: Option<DeviceHourPrice>,
    /// Price of electricity, US dollars per kWh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_usd_per_kwh: Option<f64>,
    /// Grid carbon intensity, grams of CO2-equivalent per kWh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carbon_g_co2e_per_kwh: Option<f64>,
    /// Output and input tokens per second of measured wall time with their 95% CIs, and how the
    /// intervals were made (with a price of a device hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<ThroughputCi>,
    /// The device hour's price over output tokens per second, per million output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd_per_1m_output_tokens: Option<UsdPerMillion>,
    /// The device hour's price over input (prompt) tokens per second of the same wall time, per
    /// million input tokens. It charges the whole device time to input tokens, as the output
    /// figure charges it to output tokens: the two are not shares of one bill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd_per_1m_input_tokens: Option<UsdPerMillion>,
    /// Per energy channel (with an energy price or a carbon intensity): energy, its cost and
    /// its emissions per million output tokens. Channels may overlap (a CPU package holds its
    /// cores): each stands alone, never add them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub energy: Vec<ChannelCost>,
}

/// What the units of a throughput interval are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiMethod {
    /// One unit per repetition: its tokens and its measured wall time (two or more
    /// repetitions).
    Repetitions,
    /// One unit per successful measured request: its tokens and its share of the wall time,
    /// in proportion to its E2E latency (a single repetition).
    Requests,
}

/// A token rate with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateCi {
    pub tok_s: f64,
    /// `None` below two units.
    pub ci95: Option<[f64; 2]>,
}

/// Throughput of output and input tokens over the measured wall time, with 95% CIs from a ratio
/// estimator over `n` units of kind `method`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThroughputCi {
    pub method: CiMethod,
    pub n: usize,
    pub output: RateCi,
    /// `None` when a successful measured request has no prompt token count.
    pub input: Option<RateCi>,
}

/// US dollars per million tokens, with the 95% CI of the throughput it divides carried over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UsdPerMillion {
    pub usd: f64,
    /// From the upper end of the throughput's interval.
    pub ci95_lower: Option<f64>,
    /// From the lower end of the throughput's interval; `None` beside a lower bound when that
    /// end is at or below zero (the cost has no upper bound).
    pub ci95_upper: Option<f64>,
}

/// Which energy figure of a channel was priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnergyBasis {
    /// Energy above the idle baseline (where one was measured).
    IdleAdjusted,
    /// Gross energy over the measured windows.
    Gross,
}

/// Energy, its cost and its emissions per million output tokens on one telemetry channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelCost {
    pub channel: String,
    pub basis: EnergyBasis,
    pub kwh_per_1m_output_tokens: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd_per_1m_output_tokens: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_co2e_per_1m_output_tokens: Option<f64>,
}

/// What one unit of a throughput interval contributes: its tokens and its wall time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub tokens: f64,
    pub wall_s: f64,
}

/// US dollars per million tokens from the price of a device hour and a throughput:
/// `usd_per_hour / 3600 / tok_s * 1e6`; `None` unless `tok_s > 0`.
pub fn usd_per_million(usd_per_hour: f64, tok_s: f64) -> Option<f64> {
    (tok_s > 0.0).then(|| usd_per_hour / SECONDS_PER_HOUR / tok_s * MILLION)
}

/// The ratio estimator of a rate over units: `rate = Σ tokens / Σ wall_s`, and its 95% CI
/// `rate ± t(0.975, n - 1) · sd(z) / √n`, `z_i = (tokens_i - rate · wall_s_i) / mean(wall_s)`
/// (the linearised variance of a ratio of sums; with equal walls, the t-interval of the units'
/// own rates). `None` without wall time.
pub fn rate_ci(units: &[Unit]) -> Option<RateCi> {
    let wall: f64 = units.iter().map(|u| u.wall_s).sum();
    if !(wall > 0.0 && wall.is_finite()) {
        return None;
    }
    let tokens: f64 = units.iter().map(|u| u.tokens).sum();
    let rate = tokens / wall;
    let mean_wall = wall / units.len() as f64;
    let z: Vec<f64> = units
        .iter()
        .map(|u| (u.tokens - rate * u.wall_s) / mean_wall)
        .collect();
    let ci95 = Sample::new(z)
        .ok()
        .and_then(|z| mean_ci(&z, 0.95).ok())
        .map(|ci| [rate - ci.half_width(), rate + ci.half_width()]);
    Some(RateCi { tok_s: rate, ci95 })
}

/// The cost per million tokens at `rate`, its interval from the rate's.
pub fn cost_at(usd_per_hour: f64, rate: &RateCi) -> Option<UsdPerMillion> {
    let usd = usd_per_million(usd_per_hour, rate.tok_s)?;
    let (ci95_lower, ci95_upper) = match rate.ci95 {
        Some([low, high]) => (
            usd_per_million(usd_per_hour, high),
            usd_per_million(usd_per_hour, low),
        ),
        None => (None, None),
    };
    Some(UsdPerMillion {
        usd,
        ci95_lower,
        ci95_upper,
    })
}

/// Output and input throughput with their intervals: over repetitions when two or more have a
/// measured window, else over the successful measured requests (`ok`) of the one there is.
pub fn throughput_ci(runs: &[&EngineRun], ok: &[&Request]) -> Option<ThroughputCi> {
    let windows: Vec<(u32, f64)> = runs
        .iter()
        .filter_map(|r| {
            let ns = r.measured_ns()?;
            Some((r.repetition, ns as f64 / 1e9))
        })
        .collect();
    let has_prompts = ok.iter().all(|r| r.prompt_tokens.is_some());
    let prompt = |r: &Request| f64::from(r.prompt_tokens.unwrap_or(0));
    let completion = |r: &Request| f64::from(r.completion_tokens);
    let (method, units): (CiMethod, Vec<[Unit; 2]>) = if windows.len() >= 2 {
        let units = windows
            .iter()
            .map(|&(rep, wall_s)| {
                let sum = |f: &dyn Fn(&Request) -> f64| {
                    ok.iter()
                        .filter(|r| r.repetition == rep)
                        .map(|&r| f(r))
                        .sum::<f64>()
                };
                [
                    Unit {
                        tokens: sum(&completion),
                        wall_s,
                    },
                    Unit {
                        tokens: sum(&prompt),
                        wall_s,
                    },
                ]
            })
            .collect();
        (CiMethod::Repetitions, units)
    } else {
        let wall_s: f64 = windows.iter().map(|w| w.1).sum();
        let e2e_s: f64 = ok.iter().map(|&r| r.e2e_ns as f64 / 1e9).sum();
        if !(e2e_s > 0.0 && e2e_s.is_finite()) {
            return None;
        }
        let share = wall_s / e2e_s;
        let units = ok
            .iter()
            .map(|&r| {
                let wall_s = r.e2e_ns as f64 / 1e9 * share;
                [
                    Unit {
                        tokens: completion(r),
                        wall_s,
                    },
                    Unit {
                        tokens: prompt(r),
                        wall_s,
                    },
                ]
            })
            .collect();
        (CiMethod::Requests, units)
    };
    let column = |i: usize| units.iter().map(|u| u[i]).collect::<Vec<Unit>>();
    Some(ThroughputCi {
        method,
        n: units.len(),
        output: rate_ci(&column(0))?,
        input: if has_prompts {
            rate_ci(&column(1))
        } else {
            None
        },
    })
}

/// kWh per million tokens from joules per token: `j_per_token * 1e6 / 3.6e6`.
pub fn kwh_per_million(j_per_token: f64) -> f64 {
    j_per_token * MILLION / J_PER_KWH
}

/// Each energy channel priced at `usd_per_kwh` and turned into emissions at
/// `g_co2e_per_kwh`: idle-adjusted energy per output token where the channel has it, else
/// gross.
pub fn channel_costs(
    energy: &EngineEnergy,
    usd_per_kwh: Option<f64>,
    g_co2e_per_kwh: Option<f64>,
) -> Vec<ChannelCost> {
    energy
        .channels
        .iter()
        .filter_map(|c| {
            let (basis, j_per_token) = match c.idle_adjusted_j_per_token {
                Some(j) => (EnergyBasis::IdleAdjusted, j),
                None => (EnergyBasis::Gross, c.j_per_token?),
            };
            let kwh = kwh_per_million(j_per_token);
            Some(ChannelCost {
                channel: c.channel.clone(),
                basis,
                kwh_per_1m_output_tokens: kwh,
                usd_per_1m_output_tokens: usd_per_kwh.map(|p| kwh * p),
                g_co2e_per_1m_output_tokens: g_co2e_per_kwh.map(|g| kwh * g),
            })
        })
        .collect()
}

/// The cost figures of the engine labelled `label`, or `None` when the plan gives it no price
/// and no energy price or carbon intensity is set.
pub fn cost_figures(
    cost: &CostPlan,
    label: &str,
    runs: &[&EngineRun],
    ok: &[&Request],
    energy: &EngineEnergy,
) -> Option<CostFigures> {
    let price = cost.price_per_hour.get(label).cloned();
    let (usd_per_kwh, g_per_kwh) = (cost.energy_usd_per_kwh, cost.carbon_g_co2e_per_kwh);
    if price.is_none() && usd_per_kwh.is_none() && g_per_kwh.is_none() {
        return None;
    }
    let throughput = price.as_ref().and_then(|_| throughput_ci(runs, ok));
    let at = |rate: Option<&RateCi>| {
        let p = price.as_ref()?;
        cost_at(p.usd_per_hour, rate?)
    };
    let energy = if usd_per_kwh.is_some() || g_per_kwh.is_some() {
        channel_costs(energy, usd_per_kwh, g_per_kwh)
    } else {
        Vec::new()
    };
    Some(CostFigures {
        usd_per_1m_output_tokens: at(throughput.as_ref().map(|t| &t.output)),
        usd_per_1m_input_tokens: at(throughput.as_ref().and_then(|t| t.input.as_ref())),
        price_per_hour: price,
        energy_usd_per_kwh: usd_per_kwh,
        carbon_g_co2e_per_kwh: g_per_kwh,
        throughput,
        energy,
    })
}

#[cfg(test)]
#[path = "cost_tests.rs"]
mod tests;
