//! The synthetic engine's options, as the runner passes them (`--engine-opt sim.KEY=VALUE` or a
//! config's `[engines.sim]` table). Unknown keys are refused.

use serde::{Deserialize, Serialize};

use crate::dist::Dist;

/// Everything the synthetic engine can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimOptions {
    /// Time to first token in milliseconds, before the prompt-length term.
    pub ttft_ms: Dist,
    /// Extra TTFT per prompt token, in milliseconds (makes TTFT grow with input length).
    pub ttft_ms_per_prompt_token: f64,
    /// Gap between successive tokens in milliseconds.
    pub tpot_ms: Dist,
    /// Output length in tokens before end-of-sequence; absent: always `max_tokens`.
    pub output_tokens: Option<Dist>,
    /// Simulated model load time in milliseconds.
    pub load_ms: Dist,
    /// Probability that a request fails (after its first token).
    pub fail_rate: f64,
    /// Panic while serving the request with this id.
    pub panic_on_request: Option<u64>,
    /// Exit the process with status 101 when asked for request number N+1 (counting every
    /// generate call, warm-up included).
    pub crash_after: Option<u64>,
    /// Stop answering when asked for request number N+1.
    pub hang_after: Option<u64>,
    /// Write garbage to the protocol stream when asked for request number N+1.
    pub garbage_after: Option<u64>,
    /// Spin the last stretch of each wait for microsecond accuracy (costs CPU).
    pub spin: bool,
    /// Seed mixed with each request's seed and id.
    pub seed: u64,
    /// Size of the vocabulary token ids are drawn from.
    pub vocab_size: u32,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            ttft_ms: Dist::LogNormal {
                median: 10.0,
                sigma: 0.15,
            },
            ttft_ms_per_prompt_token: 0.0,
            tpot_ms: Dist::Normal { mean: 1.0, sd: 0.1 },
            output_tokens: None,
            load_ms: Dist::Const(0.0),
            fail_rate: 0.0,
            panic_on_request: None,
            crash_after: None,
            hang_after: None,
            garbage_after: None,
            spin: true,
            seed: 0,
            vocab_size: 49_152,
        }
    }
}

impl SimOptions {
    /// Checks serde cannot express.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.fail_rate),
            "invalid engine option: fail_rate must be within 0..=1, got {}",
            self.fail_rate
        );
        anyhow::ensure!(
            self.ttft_ms_per_prompt_token.is_finite() && self.ttft_ms_per_prompt_token >= 0.0,
            "invalid engine option: ttft_ms_per_prompt_token must be a non-negative number"
        );
        anyhow::ensure!(
            self.vocab_size > 0,
            "invalid engine option: vocab_size must be positive"
        );
        Ok(())
    }
}
