//! Messages the runner writes to a worker's stdin.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::engine::ModelFormat;

/// One line from the runner to a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunnerMessage {
    /// Validate the model and options without loading anything; answered by `checked` or `error`.
    Check(LoadRequest),
    /// Load the model; answered by `loaded` or a fatal `error`.
    Load(LoadRequest),
    /// Run one request; answered by exactly one `sample`.
    Generate(GenerateRequest),
    /// Run a whole workload with the engine's own scheduling (served engines); answered by one
    /// `sample` per request, `progress` lines, then `done`.
    Workload(Workload),
    /// Finish: the worker answers `done` and exits 0.
    Shutdown,
}

/// What to load and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoadRequest {
    /// The model, or `null` for engines that need none (`sim`).
    pub model: Option<ModelSpec>,
    /// Device string: `cpu`, `cuda:0`, `remote`, ...
    pub device: String,
    /// Engine-specific options; each worker rejects keys it does not know.
    #[serde(default)]
    pub options: Map<String, Value>,
}

/// A model as the runner resolved it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModelSpec {
    /// Registry id or a name derived from the path.
    pub id: String,
    /// Local weights: a `.gguf` file or a Hugging Face directory. `None` for served models.
    pub path: Option<String>,
    pub format: Option<ModelFormat>,
    /// The model name a server knows it by (served engines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_name: Option<String>,
    /// `sha256:<hex>` of the weights file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Whether a request counts towards the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Run to warm caches, allocators and kernels; recorded but excluded from statistics.
    Warmup,
    /// Measured.
    Measure,
}

/// Run one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GenerateRequest {
    pub phase: Phase,
    pub request: Request,
}

/// One generation request, identical for every engine in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Request {
    /// Unique within a run.
    pub id: u64,
    /// The user's text (a chat API's user message; a completion API's prompt when `chat` is false).
    pub text: String,
    /// The exact input ids, chat template applied when `chat` is true; tokenized once by the
    /// runner so in-process engines get identical input and tokenization stays out of timing.
    #[serde(default)]
    pub prompt_token_ids: Option<Vec<u32>>,
    /// Whether the workload is chat-style.
    #[serde(default)]
    pub chat: bool,
    pub max_tokens: u32,
    /// Generate exactly `max_tokens`, ignoring end-of-sequence.
    #[serde(default)]
    pub ignore_eos: bool,
    #[serde(default)]
    pub sampling: Sampling,
}

/// Decoding parameters. `temperature == 0` is greedy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Sampling {
    pub temperature: f32,
    pub top_p: f32,
    pub seed: u64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
        }
    }
}

/// A whole workload for engines that schedule concurrency themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Workload {
    pub phase: Phase,
    pub requests: Vec<Request>,
    pub load: LoadPattern,
    /// Per-request timeout; a request past it is a failed sample with kind `timeout`.
    pub request_timeout_ms: u64,
}

/// How requests are offered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LoadPattern {
    /// Closed loop: `concurrency` users, each sending its next request when the last finished.
    Closed { concurrency: u32 },
    /// Open loop: requests sent at precomputed times regardless of completions.
    Open {
        rate_rps: f64,
        arrival: Arrival,
        /// Optional cap on requests in flight; a request waiting for a slot keeps its intended
        /// send time, so the wait shows up as schedule lag.
        max_concurrency: Option<u32>,
        /// Seed for the arrival times.
        seed: u64,
        /// Linear ramp from 0 to `rate_rps` over this many seconds (0: none).
        #[serde(default)]
        ramp_up_s: f64,
    },
    /// Multi-turn conversations: the requests are conversations' turns in order, conversation
    /// `c` the next `turns[c]` requests. `concurrency` users each take the next conversation
    /// and send its turns one after another, waiting `think_time_ms` between the end of a turn
    /// and the start of the next. Requests past the listed conversations are conversations of
    /// one turn each.
    MultiTurn {
        concurrency: u32,
        think_time_ms: u64,
        turns: Vec<u32>,
    },
    /// Trace replay: request `i` sent at `offsets_ns[i]` after the start (a recorded trace's
    /// arrival times, already multiplied by `time_scale`), regardless of completions.
    Trace {
        offsets_ns: Vec<u64>,
        /// The factor the trace's gaps were multiplied by (recorded for the report).
        time_scale: f64,
        /// Optional cap on requests in flight, as for the open loop.
        #[serde(default)]
        max_concurrency: Option<u32>,
    },
}

/// Inter-arrival distribution of an open-loop load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Arrival {
    Constant,
    Poisson,
    /// Gamma inter-arrivals with the given shape; shape < 1 is burstier than Poisson.
    Gamma {
        shape: f64,
    },
}
