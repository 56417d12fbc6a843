//! Energy figures of one engine run: gross, idle-adjusted, power and per-token efficiency.

use serde::{Deserialize, Serialize};

use crate::energy::curve::{EnergyCurve, EnergyUnavailable, WindowEnergy};

/// Tokens a run produced, for the per-token figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenCounts {
    /// Prompt tokens processed.
    pub prompt: u64,
    /// Tokens generated.
    pub completion: u64,
}

/// Energy of one engine run on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunEnergy {
    /// Energy over the whole run window, and how it was obtained.
    pub gross: WindowEnergy,
    /// Idle power subtracted for the adjusted figures.
    pub idle_power_w: Option<f64>,
    /// Gross minus idle power times duration; negative when the idle baseline was too high.
    pub idle_adjusted_j: Option<f64>,
    /// Gross energy over duration.
    pub avg_power_w: Option<f64>,
    /// Highest power seen in the window.
    pub peak_power_w: Option<f64>,
    /// Gross joules per generated token.
    pub j_per_token: Option<f64>,
    /// Idle-adjusted joules per generated token.
    pub idle_adjusted_j_per_token: Option<f64>,
    /// Generated tokens per gross joule.
    pub tokens_per_j: Option<f64>,
    /// Gross joules per token processed (prompt and generated).
    pub j_per_total_token: Option<f64>,
}

/// The figures of a run over `[t0_ns, t1_ns]`. Per-token figures are `None` when no token was
/// generated; the idle-adjusted ones when `idle_power_w` is unknown.
pub fn run_energy(
    curve: &EnergyCurve,
    t0_ns: u64,
    t1_ns: u64,
    idle_power_w: Option<f64>,
    tokens: TokenCounts,
) -> Result<RunEnergy, EnergyUnavailable> {
    let gross = curve.window(t0_ns, t1_ns)?;
    let idle_adjusted_j = idle_power_w.map(|w| gross.energy_j - w * gross.duration_s);
    let per = |energy: f64, count: u64| (count > 0).then(|| energy / count as f64);
    let total_tokens = tokens.prompt + tokens.completion;
    Ok(RunEnergy {
        gross,
        idle_power_w,
        idle_adjusted_j,
        avg_power_w: (gross.duration_s > 0.0).then(|| gross.energy_j / gross.duration_s),
        peak_power_w: curve.peak_power_w(t0_ns, t1_ns),
        j_per_token: per(gross.energy_j, tokens.completion),
        idle_adjusted_j_per_token: idle_adjusted_j.and_then(|e| per(e, tokens.completion)),
        tokens_per_j: (gross.energy_j > 0.0 && tokens.completion > 0)
            .then(|| tokens.completion as f64 / gross.energy_j),
        j_per_total_token: per(gross.energy_j, total_tokens),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::energy::synthetic::{S, assert_close, counter_channel};

    #[test]
    fn run_figures_from_a_constant_load() {
        let curve = EnergyCurve::from_channel(&counter_channel(|t| 300.0 * t, 12.0, 50, 100, 0))
            .expect("curve");
        let tokens = TokenCounts {
            prompt: 1000,
            completion: 2000,
        };
        let run = run_energy(&curve, S, 11 * S, Some(75.0), tokens).expect("run");
        assert_close(run.gross.energy_j, 3000.0, 1e-9);
        assert_close(run.idle_adjusted_j.expect("idle"), 3000.0 - 750.0, 1e-9);
        assert_close(run.avg_power_w.expect("avg"), 300.0, 1e-9);
        assert_close(run.peak_power_w.expect("peak"), 300.0, 1e-9);
        assert_close(run.j_per_token.expect("j/tok"), 1.5, 1e-9);
        assert_close(run.tokens_per_j.expect("tok/j"), 2.0 / 3.0, 1e-9);
        assert_close(run.idle_adjusted_j_per_token.expect("adj"), 1.125, 1e-9);
        assert_close(run.j_per_total_token.expect("total"), 1.0, 1e-9);
    }

    #[test]
    fn no_tokens_and_no_idle_leave_those_figures_empty() {
        let curve = EnergyCurve::from_channel(&counter_channel(|t| 100.0 * t, 3.0, 50, 100, 0))
            .expect("curve");
        let run = run_energy(&curve, 0, 2 * S, None, TokenCounts::default()).expect("run");
        assert!(run.j_per_token.is_none() && run.tokens_per_j.is_none());
        assert!(run.idle_adjusted_j.is_none());
    }
}
