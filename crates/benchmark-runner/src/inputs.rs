//! The inputs of a comparison: the model (when an engine needs one) and the prompts.

use std::path::PathBuf;

use serde::Deserialize;
use shared_protocol::ModelSpec;

use crate::error::{Failure, usage};
use crate::plan::Plan;
use crate::workload::Prompt;

/// Model and prompts, resolved and tokenized once for every engine.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub model: Option<ModelSpec>,
    pub prompts: Vec<Prompt>,
    pub chat: bool,
}

#[derive(Deserialize)]
struct Row {
    problem: String,
}

/// Resolve the plan's dataset (and model, when `needs_model`).
pub fn prepare(plan: &Plan, needs_model: bool) -> Result<Inputs, Failure> {
    if needs_model {
        return Err(usage(
            "the engines given need a model; model loading is not available in this build",
        ));
    }
    let path = dataset_path(&plan.workload.dataset)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| usage(format!("cannot read dataset {}: {e}", path.display())))?;
    let mut prompts = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let row: Row = serde_json::from_str(line).map_err(|e| {
            usage(format!("dataset {}:{}: {e}", path.display(), i + 1))
        })?;
        prompts.push(Prompt {
            text: row.problem,
            token_ids: None,
        });
    }
    if prompts.is_empty() {
        return Err(usage(format!("dataset {} has no rows", path.display())));
    }
    Ok(Inputs {
        model: None,
        prompts,
        chat: true,
    })
}

fn dataset_path(name: &str) -> Result<PathBuf, Failure> {
    let direct = PathBuf::from(name);
    if direct.is_file() {
        return Ok(direct);
    }
    let file = format!("{name}.jsonl");
    let mut candidates = vec![PathBuf::from("configs/datasets").join(&file)];
    if let Some(ws) = crate::locate::workspace_root() {
        candidates.push(ws.join("configs/datasets").join(&file));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| usage(format!("dataset '{name}' not found (looked for configs/datasets/{file})")))
}
