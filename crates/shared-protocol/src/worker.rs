//! Messages a worker writes to its stdout.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::engine::{DeviceKind, EngineId};
use crate::sample::Sample;

/// One line from a worker to the runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WorkerMessage {
    /// The first line a worker writes.
    Hello(Hello),
    /// The answer to `check`: model and options are acceptable.
    Checked,
    Loaded(Loaded),
    Sample(Box<Sample>),
    Progress(Progress),
    Error(ErrorMessage),
    Done(Done),
}

/// Handshake: who the worker is and what it can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Hello {
    /// Must equal the runner's [`crate::PROTOCOL_VERSION`].
    pub protocol: u32,
    pub engine: EngineId,
    /// Version of the engine itself (the framework crate, or the server's reported version).
    pub engine_version: String,
    /// Version of the worker binary.
    pub worker_version: String,
    /// The device the worker will use by default.
    pub device: String,
    pub capabilities: Capabilities,
}

/// What a worker supports.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent yes/no capabilities on the wire, not a state machine"
)]
pub struct Capabilities {
    pub devices: Vec<DeviceKind>,
    /// Accepts `prompt_token_ids` (in-process engines).
    pub token_ids_input: bool,
    /// Produces device-clock figures (CUDA events).
    pub device_clock: bool,
    /// Accepts `workload` (schedules concurrency itself).
    pub workload: bool,
    /// Honours `ignore_eos`.
    pub ignore_eos: bool,
}

/// The model is loaded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Loaded {
    /// Wall time of the load on the host monotonic clock.
    pub load_ns: u64,
    /// Resident set size of the worker after loading.
    pub rss_bytes: Option<u64>,
    /// Device memory in use after loading, where the engine can tell.
    pub device_memory_bytes: Option<u64>,
    /// Bytes of weights (what a decode step reads at least once).
    pub model_bytes: Option<u64>,
    /// Anything else worth recording: architecture, quantization, parameter count, threads.
    #[serde(default)]
    pub details: Map<String, Value>,
}

/// Progress through a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// A failure the worker could put into words. `fatal` means the worker cannot go on (a failed
/// load); otherwise it stays ready for the next message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorMessage {
    pub message: String,
    pub fatal: bool,
}

/// The worker finished what it was asked (a workload, or the whole session after `shutdown`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Done {
    pub samples: u64,
    /// Peak resident set size of the worker process so far.
    #[serde(default)]
    pub peak_rss_bytes: Option<u64>,
    /// After a workload, what a served engine's own metrics say changed over it (Prometheus
    /// series from the server's `/metrics`, after minus before), when the worker scraped them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_metrics: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The text of an error and its causes for an `error` message or a failed sample: each cause
/// after a colon, except a cause whose text the message already holds (many errors print their
/// source in their own message as well as returning it), so nothing is said twice.
pub fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod error_text_tests {
    use std::fmt;

    /// An error that says `text` and, when `repeat`, its source's text too.
    #[derive(Debug)]
    struct E {
        text: &'static str,
        repeat: bool,
        source: Option<Box<E>>,
    }

    impl fmt::Display for E {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.text)?;
            match &self.source {
                Some(s) if self.repeat => write!(f, ": {s}"),
                _ => Ok(()),
            }
        }
    }

    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.source.as_deref().map(|s| s as _)
        }
    }

    #[test]
    fn each_cause_is_said_once() {
        let root = || E {
            text: "'https://x': https is not supported",
            repeat: false,
            source: None,
        };
        let repeating = E {
            text: "option url",
            repeat: true,
            source: Some(Box::new(root())),
        };
        assert_eq!(
            super::error_text(&repeating),
            "option url: 'https://x': https is not supported"
        );
        let plain = E {
            text: "option url",
            repeat: false,
            source: Some(Box::new(root())),
        };
        assert_eq!(super::error_text(&plain), super::error_text(&repeating));
    }
}
