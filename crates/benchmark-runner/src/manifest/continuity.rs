//! What the manifest says about a run that did not go in one piece: an interruption
//! (`SIGINT`/`SIGTERM`) and each `compare --resume` that continued it, and the identity check a
//! resume must pass (same plan, inputs and workers as the manifest records).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared_protocol::Hello;

use super::{InputsRecord, Manifest};
use crate::plan::Plan;
use crate::worker_build::WorkerBinary;

/// A run stopped by a signal: what was measured is written, the summary is made from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interruption {
    /// `SIGINT` or `SIGTERM`.
    pub signal: String,
    /// The exit status the runner gave (128 + the signal's number).
    pub exit_code: u8,
    pub at_utc: String,
    /// The slot running when it stopped (`REPETITION:LABEL`), if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub during: Option<String>,
}

/// One `compare --resume` of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumption {
    pub at_utc: String,
    /// How the previous run ended: its recorded interruption, or `None` when it left no word
    /// (killed, crashed, power lost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Interruption>,
    /// Measured rows `samples.jsonl` already held.
    pub measured_rows_before: u64,
    /// Slots (`REPETITION:LABEL`) already finished, not run again.
    pub slots_done: Vec<String>,
    /// The first slot run by this resume: where the run continued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continued_at: Option<String>,
    /// Torn last lines set aside into `*.torn` files before appending.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub torn_lines_set_aside: usize,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The first difference between the plan a resume would run and the one `manifest` records,
/// ignoring the results directory and the run's name (`None`: the same plan).
pub fn plan_difference(recorded: &Plan, now: &Plan) -> Option<String> {
    let strip = |p: &Plan| {
        let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("out_dir");
            o.remove("name");
        }
        v
    };
    first_difference("plan", &strip(recorded), &strip(now))
}

/// The first difference between the inputs recorded and the inputs resolved now (model file
/// and its hash, prompts and their hash).
pub fn inputs_difference(recorded: &InputsRecord, now: &InputsRecord) -> Option<String> {
    let a = serde_json::to_value(recorded).unwrap_or(Value::Null);
    let b = serde_json::to_value(now).unwrap_or(Value::Null);
    first_difference("inputs", &a, &b)
}

/// The first difference between the workers the manifest records (handshakes and binaries) and
/// the ones found now.
pub fn workers_difference(
    manifest: &Manifest,
    hellos: &BTreeMap<String, Hello>,
    binaries: &BTreeMap<String, WorkerBinary>,
) -> Option<String> {
    let a = serde_json::to_value(&manifest.engines).unwrap_or(Value::Null);
    let b = serde_json::to_value(hellos).unwrap_or(Value::Null);
    first_difference("engines", &a, &b).or_else(|| {
        let strip = |m: &BTreeMap<String, WorkerBinary>| {
            let v: BTreeMap<_, _> = m
                .iter()
                .map(|(k, w)| (k.clone(), w.build.clone()))
                .collect();
            serde_json::to_value(v).unwrap_or(Value::Null)
        };
        first_difference("workers", &strip(&manifest.workers), &strip(binaries))
    })
}

/// The path of the first value that differs between `a` (recorded) and `b` (now), with both
/// values, e.g. `plan.workload.requests: 100 recorded, 200 now`.
pub fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let null = Value::Null;
                first_difference(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&null),
                    y.get(k).unwrap_or(&null),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(&format!("{path}[{i}]"), p, q)),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} recorded, {b} now")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_is_named_by_its_path_with_both_values() {
        let a =
            serde_json::json!({ "workload": { "requests": 100, "seed": 1 }, "engines": ["sim"] });
        let b =
            serde_json::json!({ "workload": { "requests": 200, "seed": 1 }, "engines": ["sim"] });
        assert_eq!(
            first_difference("plan", &a, &b).as_deref(),
            Some("plan.workload.requests: 100 recorded, 200 now")
        );
        assert_eq!(first_difference("plan", &a, &a), None);
        let c = serde_json::json!({ "workload": { "requests": 100, "seed": 1 }, "engines": ["sim", "lm-rs"] });
        assert_eq!(
            first_difference("plan", &a, &c).as_deref(),
            Some(r#"plan.engines: ["sim"] recorded, ["sim","lm-rs"] now"#)
        );
    }

    #[test]
    fn a_changed_worker_or_dataset_is_named() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run");
        let manifest = crate::manifest::read(&dir).expect("fixture manifest");
        let mut hellos = manifest.engines.clone();
        assert_eq!(
            workers_difference(&manifest, &hellos, &manifest.workers),
            None
        );
        let sim = hellos.get_mut("sim").expect("sim's handshake");
        let was = sim.worker_version.clone();
        sim.worker_version = "9.9.9".to_owned();
        assert_eq!(
            workers_difference(&manifest, &hellos, &manifest.workers),
            Some(format!(
                "engines.sim.worker_version: \"{was}\" recorded, \"9.9.9\" now"
            ))
        );
        let mut inputs = manifest.inputs.clone();
        assert_eq!(inputs_difference(&manifest.inputs, &inputs), None);
        inputs.dataset.sha256 = "0".repeat(64);
        let d = inputs_difference(&manifest.inputs, &inputs).expect("a difference");
        assert!(d.starts_with("inputs.dataset.sha256: "), "{d}");
    }
}
