//! http-bench: measures LLM engines served over HTTP (vLLM, `SGLang`, MLX, llama.cpp, TGI,
//! Ollama, TensorRT-LLM, `LiteLLM`, any `OpenAI`-compatible server) under closed- and open-loop
//! load, with the metric definitions the in-process engines use.
//!
//! # Layout
//!
//! - [`engine`]: [`HttpBench`], the worker's [`bench_worker::Engine`].
//! - [`options`]: the options the runner sends, validated into a [`options::Config`].
//! - [`url`], [`secret`]: the server's base URL; the API key, never printed.
//! - [`tls`]: `https` trust (Mozilla's and the platform's roots, `ca_cert`), driven by [`h1`].
//! - [`api`]: flavours (`OpenAI` chat/completions, Ollama, TGI), routes and request bodies.
//! - [`ready`]: readiness wait and what the server says about itself.
//! - [`h1`]: the client's HTTP/1.1 connection, plain or TLS; [`client`]: one streamed, timed
//!   request.
//! - [`sse`], [`ndjson`]: incremental stream framing over byte chunks.
//! - [`scan`]: lazy JSON field lookup; [`decode`]: events to measurements.
//! - [`record`]: per-request measurements and the [`shared_protocol::Sample`] built from them.
//! - [`load`]: one request on a kept-alive connection, and the plan as the shared load drivers
//!   (`bench-load`: open-loop schedules, the pacing thread, closed and open loops, collection
//!   with none lost) run it.
//! - [`prometheus`]: `/metrics` deltas.
//! - [`mock`]: the mock server; [`calibrate`]: the client's own overhead against it.
//!
//! # Timing
//!
//! Request bodies are encoded before the run. `start` is read just before a request is written
//! to its socket, by the task that then reads the response; each piece of body data is stamped
//! by the socket read that brought it, before it is parsed. TTFT is
//! the first chunk that carries generated text (a role-only chunk does not count), ITL the gap
//! between content chunks (with the tokens each carried), E2E the arrival of the stream's
//! terminator. TPOT is left to the runner.

pub mod api;
pub mod calibrate;
pub mod client;
pub mod decode;
pub mod engine;
pub mod h1;
pub mod load;
pub mod mock;
pub mod ndjson;
pub mod options;
pub mod prometheus;
pub mod ready;
pub mod record;
pub mod scan;
pub mod secret;
pub mod sse;
pub mod tls;
pub mod url;

pub use engine::HttpBench;
