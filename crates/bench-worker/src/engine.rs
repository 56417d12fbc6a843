//! The trait an engine implements, and the helper that validates its options.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use shared_protocol::{Capabilities, EngineId, LoadRequest, Request, WorkerMessage, Workload};

use crate::clock::DeviceClock;
use crate::sink::TokenSink;

/// Who an engine is, for the handshake.
#[derive(Debug, Clone)]
pub struct Description {
    pub engine: EngineId,
    /// Version of the engine itself (framework crate version, say).
    pub engine_version: String,
    /// Device used when the runner does not name one.
    pub default_device: String,
    pub capabilities: Capabilities,
}

/// A loaded engine and what the loop should know about it.
pub struct Loaded<E> {
    pub engine: E,
    /// Bytes of weights.
    pub model_bytes: Option<u64>,
    /// Device memory in use after loading.
    pub device_memory_bytes: Option<u64>,
    /// Architecture, quantization, threads, ...: recorded in the results as they are.
    pub details: Map<String, Value>,
    /// A device clock on the engine's own stream, when it has one.
    pub device_clock: Option<Box<dyn DeviceClock>>,
}

impl<E> Loaded<E> {
    /// A loaded engine with nothing else to report.
    pub fn new(engine: E) -> Self {
        Loaded {
            engine,
            model_bytes: None,
            device_memory_bytes: None,
            details: Map::new(),
            device_clock: None,
        }
    }
}

/// An inference engine as the worker loop sees it. Engines time nothing themselves.
pub trait Engine: Sized {
    /// Identity and capabilities, sent in the handshake.
    fn describe() -> Description;

    /// Validate the model and options without loading anything heavy.
    fn check(request: &LoadRequest) -> anyhow::Result<()>;

    /// Load the model. The loop times this call.
    fn load(request: &LoadRequest) -> anyhow::Result<Loaded<Self>>;

    /// Generate for one request, calling [`TokenSink::prefill_done`] after the prefill forward
    /// pass (where there is one) and [`TokenSink::token`] for each generated token, stopping
    /// when it returns [`crate::Flow::Stop`] or at end-of-sequence (then call
    /// [`TokenSink::end_of_sequence`]) unless `request.ignore_eos`. The whole call is timed.
    /// An engine on a device that queues work (CUDA) also tells the device clock when it queues
    /// each pass, before waiting for its result: [`TokenSink::prefill_queued`],
    /// [`TokenSink::step_begins`] and [`TokenSink::step_queued`].
    fn generate(&mut self, request: &Request, sink: &mut TokenSink) -> anyhow::Result<()>;

    /// Run a whole workload with the engine's own scheduling, emitting one `sample` per request
    /// and `progress` as it goes; returns the number of samples emitted. Only engines that
    /// announce `capabilities.workload` implement this.
    fn workload(
        &mut self,
        workload: &Workload,
        emit: &mut dyn FnMut(WorkerMessage) -> std::io::Result<()>,
    ) -> anyhow::Result<u64> {
        let _ = (workload, emit);
        anyhow::bail!(
            "engine {} runs one request at a time and does not accept workloads",
            Self::describe().engine
        )
    }

    /// After [`Engine::workload`]: what the served engine's own metrics say changed over it,
    /// sent in the workload's `done`. `None` unless the engine scrapes such metrics.
    fn server_metrics(&mut self) -> Option<serde_json::Map<String, serde_json::Value>> {
        None
    }
}

/// Deserialize an engine's options map into its options type. Give the type
/// `#[serde(deny_unknown_fields)]` so a misspelt key is an error naming it.
pub fn parse_options<T: DeserializeOwned>(options: &Map<String, Value>) -> anyhow::Result<T> {
    serde_json::from_value(Value::Object(options.clone()))
        .map_err(|e| anyhow::anyhow!("invalid engine option: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Opts {
        #[serde(default)]
        threads: Option<u32>,
    }

    #[test]
    fn options_parse_and_reject_unknown_keys() {
        let mut m = Map::new();
        m.insert("threads".into(), Value::from(4));
        assert_eq!(
            parse_options::<Opts>(&m).expect("valid"),
            Opts { threads: Some(4) }
        );
        m.insert("thread".into(), Value::from(4));
        let err = parse_options::<Opts>(&m).expect_err("unknown key");
        assert!(err.to_string().contains("thread"), "{err}");
    }
}
