//! The checked-in JSON Schemas (`schema/*.json`) are what the wire types generate: a change to a
//! type that is not carried into them fails here. `UPDATE_SCHEMA=1` rewrites them instead.

use std::path::Path;

use serde_json::{Value, json};
use shared_protocol::codec::{RUNNER_TYPES, WORKER_TYPES};

#[test]
fn checked_in_schemas_match_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let update = std::env::var_os("UPDATE_SCHEMA").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (name, schema) in shared_protocol::schema::files() {
        let path = dir.join(name);
        let text = serde_json::to_string_pretty(&schema).expect("serialize") + "\n";
        if update {
            std::fs::write(&path, &text).expect("write schema");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "{} differ from the wire types; rewrite them with \
         `UPDATE_SCHEMA=1 cargo test -p shared-protocol --features schema --test schema`",
        stale.join(", ")
    );
}

/// Every message type tag the codec knows appears in the schema, and no other.
#[test]
fn schemas_name_every_message_type() {
    for (schema, known) in [
        (shared_protocol::schema::worker_message(), WORKER_TYPES),
        (shared_protocol::schema::runner_message(), RUNNER_TYPES),
    ] {
        let mut tags = Vec::new();
        collect_type_consts(&schema, &mut tags);
        tags.sort_unstable();
        let mut want: Vec<String> = known.iter().map(|&t| t.to_owned()).collect();
        want.sort_unstable();
        assert_eq!(tags, want);
    }
}

/// The `const` of every `type` property in the top-level alternatives.
fn collect_type_consts(schema: &Value, out: &mut Vec<String>) {
    for branch in schema["oneOf"]
        .as_array()
        .expect("a tagged enum is a oneOf")
    {
        let tag = &branch["properties"]["type"];
        let value = tag
            .get("const")
            .or_else(|| tag["enum"].get(0))
            .unwrap_or(&json!(null));
        out.push(value.as_str().expect("a string tag").to_owned());
    }
}
