//! JSON Schemas of the wire messages (feature `schema`), derived from the types themselves so
//! that a worker written in another language is checked against the one definition.
//!
//! The checked-in copies live in `schema/`; `tests/schema.rs` fails when they differ from what
//! the types generate, and rewrites them with `UPDATE_SCHEMA=1`.

use schemars::JsonSchema;
use serde_json::Value;

use crate::{RunnerMessage, WorkerMessage};

/// The schema of one line a worker writes.
pub fn worker_message() -> Value {
    schema_of::<WorkerMessage>()
}

/// The schema of one line the runner writes.
pub fn runner_message() -> Value {
    schema_of::<RunnerMessage>()
}

/// The checked-in schema files, by name under `schema/`, with their contents.
pub fn files() -> [(&'static str, Value); 2] {
    [
        ("worker-message.json", worker_message()),
        ("runner-message.json", runner_message()),
    ]
}

fn schema_of<T: JsonSchema>() -> Value {
    schemars::schema_for!(T).to_value()
}
