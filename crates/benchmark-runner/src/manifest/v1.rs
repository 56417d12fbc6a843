//! Results layout 1: the plan was stored as untyped JSON with the inputs and the harness
//! calibration inside it, and adaptive stopping as `workload.target_ci`. Upgraded in place to
//! the current layout before the manifest is read as its type.

use serde_json::{Value, json};

/// Rewrite a layout-1 manifest into the current layout.
pub fn upgrade(m: &mut Value) {
    let plan = &mut m["plan"];
    let inputs = plan
        .as_object_mut()
        .and_then(|p| p.remove("inputs"))
        .unwrap_or_else(|| json!({}));
    let harness = plan.as_object_mut().and_then(|p| p.remove("harness"));
    let stop = match plan["workload"].get("target_ci").and_then(Value::as_f64) {
        Some(half_width) => json!({ "kind": "target_ci", "half_width": half_width }),
        None => json!({ "kind": "count" }),
    };
    if let Some(w) = plan["workload"].as_object_mut() {
        w.remove("target_ci");
        w.insert("stop".into(), stop);
    }
    if inputs.get("dataset").is_none_or(Value::is_null) {
        m["inputs"] = json!({ "model": inputs.get("model").cloned(), "dataset": {
            "name": "", "sha256": "", "prompts": 0, "tokenized": false, "chat_template": false,
        }});
    } else {
        m["inputs"] = inputs;
    }
    if let Some(h) = harness {
        m["harness"] = h;
    }
    m["schema_version"] = json!(super::SCHEMA_VERSION);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::plan::StopRule;

    #[test]
    fn a_layout_1_directory_reads_as_the_current_type() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-sim-run");
        let m = super::super::read(&dir).expect("a layout-1 manifest reads");
        assert_eq!(m.schema_version, super::super::SCHEMA_VERSION);
        assert_eq!(m.plan.labels(), ["sim", "sim@slow"]);
        assert_eq!(m.plan.workload.stop, StopRule::Count);
        assert_eq!(m.plan.seed, 7);
        assert_eq!(m.plan.slo.len(), 2);
        assert_eq!(m.inputs.dataset.name, "gsm-symbolic-1000");
        assert!(m.inputs.model.is_none());
        assert_eq!(m.host.local.cpu_logical_cores, Some(2));
    }

    #[test]
    fn adaptive_stopping_becomes_a_stop_rule() {
        let mut v = serde_json::json!({
            "schema_version": 1,
            "plan": { "workload": { "target_ci": 0.05 }, "inputs": { "model": null, "dataset": null },
                      "harness": { "unavailable": "x" } },
        });
        super::upgrade(&mut v);
        assert_eq!(v["plan"]["workload"]["stop"]["half_width"], 0.05);
        assert_eq!(v["harness"]["unavailable"], "x");
        assert!(v["plan"].get("inputs").is_none());
    }
}
