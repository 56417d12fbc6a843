//! One finished request: the unit every metric is derived from.
//!
//! Host figures come from the host monotonic clock, read by the worker at submission, at the end
//! of prefill, at each token and at completion. Device figures (`*_device_ns`) come from the clock
//! named by [`Sample::device_clock`]. The runner derives everything else (TPOT, rates,
//! percentiles) once, from these fields.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::runner::Phase;

/// A finished request, successful or not. A failed request keeps whatever timing it had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Sample {
    pub request_id: u64,
    pub phase: Phase,
    pub outcome: Outcome,
    /// Host monotonic time at submission (in-process: the call into the engine; HTTP: just
    /// before the request is written).
    pub start_mono_ns: u64,
    /// Open-loop runs: the intended send time; `start_mono_ns - scheduled_mono_ns` is the
    /// schedule lag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_mono_ns: Option<u64>,
    /// Submission to the end of the prefill forward pass, where the engine marks it.
    pub prefill_ns: Option<u64>,
    /// Submission to the first generated content token on the host.
    pub ttft_ns: Option<u64>,
    /// Submission to the last token (or to the failure).
    pub e2e_ns: u64,
    /// Gaps between successive tokens (HTTP: between content chunks).
    pub itl_ns: Vec<u64>,
    /// HTTP: tokens carried by each content chunk after the first (aligned with `itl_ns`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_chunk: Option<Vec<u32>>,
    pub prompt_tokens: Option<u32>,
    pub prompt_tokens_source: Option<TokenSource>,
    pub completion_tokens: u32,
    pub completion_tokens_source: TokenSource,
    /// Every token count the worker could obtain, side by side.
    #[serde(default)]
    pub token_counts: TokenCounts,
    /// The clock behind the `*_device_ns` figures, `None` when there are none.
    pub device_clock: Option<DeviceClockKind>,
    pub prefill_device_ns: Option<u64>,
    pub decode_device_ns: Option<Vec<u64>>,
    pub finish_reason: Option<FinishReason>,
    /// Generated ids, for cross-engine agreement checks under greedy decoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_token_ids: Option<Vec<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_text: Option<String>,
    /// Figures the engine reports about itself (Ollama's `eval_duration`, llama.cpp's `timings`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub engine_metrics: Map<String, Value>,
    /// Chat streams that reasoned before answering: when the answer began and how many reasoning
    /// tokens came first. Absent when the stream carried no reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Attempts of this request that failed transiently (429, 5xx, connection reset, timeout)
    /// and were sent again before this one: 0 for a first attempt. The failed attempts are
    /// listed in `engine_metrics.failed_attempts`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retry: u32,
}

impl Sample {
    /// A sample of request `request_id` that ran from `start_mono_ns` for `e2e_ns` and has
    /// nothing else: no token, no chunk, no prompt count, no device figure, a first attempt.
    /// The fields a worker measured are set on top of it
    /// (`Sample { ttft_ns: Some(t), ..Sample::new(..) }`).
    #[must_use]
    pub fn new(
        request_id: u64,
        phase: Phase,
        outcome: Outcome,
        start_mono_ns: u64,
        e2e_ns: u64,
    ) -> Self {
        Self {
            request_id,
            phase,
            outcome,
            start_mono_ns,
            scheduled_mono_ns: None,
            prefill_ns: None,
            ttft_ns: None,
            e2e_ns,
            itl_ns: Vec::new(),
            tokens_per_chunk: None,
            prompt_tokens: None,
            prompt_tokens_source: None,
            completion_tokens: 0,
            completion_tokens_source: TokenSource::Engine,
            token_counts: TokenCounts::default(),
            device_clock: None,
            prefill_device_ns: None,
            decode_device_ns: None,
            finish_reason: None,
            output_token_ids: None,
            output_text: None,
            engine_metrics: Map::new(),
            reasoning: None,
            retry: 0,
        }
    }
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The reasoning part of one reply (`delta.reasoning_content` or `delta.reasoning` chunks).
/// `Sample::ttft_ns` counts the first token of any kind; the answer's first token is here.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reasoning {
    /// Submission to the first answer chunk (`delta.content` or `delta.tool_calls`, not
    /// reasoning) on the host; `None` when no answer arrived.
    pub first_answer_ns: Option<u64>,
    /// Streamed chunks that carried reasoning only.
    pub chunks: u32,
    /// Reasoning tokens: the server's count where it gives one, else the tokenizer's.
    pub tokens: Option<u32>,
    /// Where `tokens` came from (`server_usage` or `tokenizer`).
    pub tokens_source: Option<TokenSource>,
    /// The server's `usage.completion_tokens_details.reasoning_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_tokens: Option<u32>,
    /// The model tokenizer over `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer_tokens: Option<u32>,
    /// The reasoning text, in arrival order (`Sample::output_text` holds it too, with the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Reasoning {
    /// Count the reasoning text with `count` (a model tokenizer) where that was not done yet;
    /// `tokens` takes that count when the server gave none.
    pub fn count_with(&mut self, count: impl FnOnce(&str) -> Option<u32>) {
        if self.tokenizer_tokens.is_none() {
            self.tokenizer_tokens = self.text.as_deref().and_then(count);
        }
        if self.tokens.is_none()
            && let Some(n) = self.tokenizer_tokens
        {
            self.tokens = Some(n);
            self.tokens_source = Some(TokenSource::Tokenizer);
        }
    }
}

/// Success or failure of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Failed {
        kind: FailureKind,
        message: String,
        /// HTTP status, for `kind == "http_status"`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        http_status: Option<u16>,
    },
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }
}

/// Why a request failed; the summary counts failures by this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The engine returned an error.
    EngineError,
    /// The engine panicked; the worker caught it.
    Panic,
    /// Past the request timeout.
    Timeout,
    /// HTTP status other than 2xx.
    HttpStatus,
    /// Connection refused, reset, or closed before a response.
    Connection,
    /// The stream ended before its terminator.
    StreamCut,
    /// A stream event or body that could not be parsed.
    Malformed,
    /// The worker process died or stopped answering while the request was in flight
    /// (recorded by the runner).
    WorkerLost,
}

impl FailureKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureKind::EngineError => "engine_error",
            FailureKind::Panic => "panic",
            FailureKind::Timeout => "timeout",
            FailureKind::HttpStatus => "http_status",
            FailureKind::Connection => "connection",
            FailureKind::StreamCut => "stream_cut",
            FailureKind::Malformed => "malformed",
            FailureKind::WorkerLost => "worker_lost",
        }
    }
}

/// Where a token count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// The engine itself (in-process engines count what they generate).
    Engine,
    /// The server's `usage` (or native counters).
    ServerUsage,
    /// The model tokenizer over the text.
    Tokenizer,
    /// The number of streamed content chunks.
    ChunkCount,
}

/// Token counts from every source available, side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TokenCounts {
    pub server_prompt: Option<u32>,
    pub server_completion: Option<u32>,
    pub tokenizer_completion: Option<u32>,
    pub chunks: Option<u32>,
}

/// Device clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceClockKind {
    /// `cudaEventElapsedTime` between events recorded on the engine's stream.
    CudaEvent,
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// End-of-sequence token.
    Eos,
    /// `max_tokens` reached.
    Length,
    /// A stop sequence or other server reason.
    Stop,
}
