//! Wire types and the JSON Lines codec spoken between `benchmark-runner` and every worker.
//!
//! # Layout
//!
//! - [`engine`]: the closed set of engine ids and devices.
//! - [`runner`]: messages the runner writes to a worker's stdin.
//! - [`worker`]: messages a worker writes to its stdout.
//! - [`sample`]: one finished request, the unit every metric is derived from.
//! - [`codec`]: one message per line, tolerant of unknown message types.
//! - [`seed`]: the seeded stream every seed of the project draws from.
//! - `schema` (feature `schema`): JSON Schemas of both directions, checked in under `schema/`.
//!
//! # Wire format
//!
//! JSON Lines: one object per line, tagged by `type`, flushed per line. A worker's stdout carries
//! nothing but these lines; its logs go to stderr. Units live in field names (`ttft_ns`,
//! `load_ns`). All `*_mono_ns` fields are absolute readings of the host's monotonic clock
//! (`CLOCK_MONOTONIC` on Linux), so timestamps from the runner, its telemetry sampler and every
//! worker on one host share a time base.
//!
//! A session, runner lines prefixed `>`, worker lines `<`:
//!
//! ```text
//! < {"type":"hello","protocol":1,"engine":"sim","engine_version":"0.1.0","worker_version":"0.1.0","device":"cpu","capabilities":{"devices":["cpu"],"token_ids_input":true,"device_clock":false,"workload":false,"ignore_eos":true}}
//! > {"type":"load","model":null,"device":"cpu","options":{"ttft_ms":"normal:20:1"}}
//! < {"type":"loaded","load_ns":1200,"rss_bytes":4194304,"device_memory_bytes":null,"model_bytes":null,"details":{}}
//! > {"type":"generate","phase":"measure","request":{"id":0,"text":"2+2?","prompt_token_ids":[17,10,17],"chat":true,"max_tokens":32,"ignore_eos":false,"sampling":{"temperature":0.0,"top_p":1.0,"seed":0}}}
//! < {"type":"sample","request_id":0,"phase":"measure","outcome":{"status":"ok"},...}
//! > {"type":"shutdown"}
//! < {"type":"done","samples":1}
//! ```
//!
//! Evolution is additive: new optional fields and new message types. A reader skips a message
//! whose `type` it does not know ([`codec::Decoded::Unknown`]) instead of failing.

pub mod codec;
pub mod engine;
pub mod runner;
pub mod sample;
#[cfg(feature = "schema")]
pub mod schema;
pub mod seed;
pub mod worker;

pub use codec::{Decoded, decode_line, encode_line};
pub use engine::{DeviceKind, EngineId, ModelFormat, UnknownEngine};
pub use runner::{
    Arrival, GenerateRequest, LoadPattern, LoadRequest, ModelSpec, Phase, Request, RunnerMessage,
    Sampling, Workload,
};
pub use sample::{
    DeviceClockKind, FailureKind, FinishReason, Outcome, Reasoning, Sample, TokenCounts,
    TokenSource,
};
pub use worker::{
    Capabilities, Done, ErrorMessage, Hello, Loaded, Progress, WorkerMessage, error_text,
};

/// Version of the wire protocol. A worker announces it in its [`Hello`]; the runner refuses a
/// worker whose version differs.
pub const PROTOCOL_VERSION: u32 = 1;
