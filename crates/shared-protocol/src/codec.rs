//! One message per line. Decoding tells an unknown message type apart from garbage, so a newer
//! peer's additions are skipped rather than fatal.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What one line of input turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded<T> {
    /// A message this side knows.
    Message(T),
    /// A JSON object whose `type` this side does not know: skip it with a warning.
    Unknown { type_name: String },
    /// Not a protocol line at all (not JSON, or JSON without a string `type`).
    NotProtocol { reason: String },
    /// A known `type` whose fields do not match: the peer is broken.
    Invalid { type_name: String, error: String },
}

/// Serialize `message` as one line, newline included.
pub fn encode_line<T: Serialize>(message: &T) -> Result<String, serde_json::Error> {
    let mut line = serde_json::to_string(message)?;
    line.push('\n');
    Ok(line)
}

/// Decode one line (trailing newline allowed). `known_types` lists the `type` tags of `T`.
pub fn decode_line<T: DeserializeOwned>(line: &str, known_types: &[&str]) -> Decoded<T> {
    let value: Value = match serde_json::from_str(line.trim_end()) {
        Ok(v) => v,
        Err(e) => {
            return Decoded::NotProtocol {
                reason: format!("not JSON: {e}"),
            };
        }
    };
    let Some(type_name) = value.get("type").and_then(Value::as_str).map(str::to_owned) else {
        return Decoded::NotProtocol {
            reason: "JSON without a string \"type\" field".to_owned(),
        };
    };
    if !known_types.contains(&type_name.as_str()) {
        return Decoded::Unknown { type_name };
    }
    match serde_json::from_value(value) {
        Ok(message) => Decoded::Message(message),
        Err(e) => Decoded::Invalid {
            type_name,
            error: e.to_string(),
        },
    }
}

/// `type` tags of [`crate::WorkerMessage`].
pub const WORKER_TYPES: &[&str] = &[
    "hello", "checked", "loaded", "sample", "progress", "error", "done",
];

/// `type` tags of [`crate::RunnerMessage`].
pub const RUNNER_TYPES: &[&str] = &["check", "load", "generate", "workload", "shutdown"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Done, RunnerMessage, WorkerMessage};

    #[test]
    fn unknown_type_is_reported_not_fatal() {
        let d: Decoded<WorkerMessage> = decode_line(r#"{"type":"telemetry","x":1}"#, WORKER_TYPES);
        assert_eq!(
            d,
            Decoded::Unknown {
                type_name: "telemetry".into()
            }
        );
    }

    #[test]
    fn garbage_is_not_protocol() {
        let d: Decoded<WorkerMessage> = decode_line("loading weights...", WORKER_TYPES);
        assert!(matches!(d, Decoded::NotProtocol { .. }), "{d:?}");
        let d: Decoded<WorkerMessage> = decode_line("[1,2]", WORKER_TYPES);
        assert!(matches!(d, Decoded::NotProtocol { .. }), "{d:?}");
    }

    #[test]
    fn known_type_with_wrong_fields_is_invalid() {
        let d: Decoded<WorkerMessage> = decode_line(r#"{"type":"done"}"#, WORKER_TYPES);
        assert!(matches!(d, Decoded::Invalid { ref type_name, .. } if type_name == "done"));
    }

    #[test]
    fn round_trip_with_newline() {
        let line = encode_line(&WorkerMessage::Done(Done {
            samples: 3,
            peak_rss_bytes: None,
            server_metrics: None,
        }))
        .expect("encode");
        assert!(line.ends_with('\n'));
        let d: Decoded<WorkerMessage> = decode_line(&line, WORKER_TYPES);
        assert_eq!(
            d,
            Decoded::Message(WorkerMessage::Done(Done {
                samples: 3,
                peak_rss_bytes: None,
                server_metrics: None,
            }))
        );
        let line = encode_line(&RunnerMessage::Shutdown).expect("encode");
        assert_eq!(line, "{\"type\":\"shutdown\"}\n");
    }
}
