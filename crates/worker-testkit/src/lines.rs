//! Protocol messages a test sends a worker, as JSON.

use std::path::Path;

use serde_json::{Value, json};

/// Load the GGUF file at `path` on `device` with engine `options`.
pub fn load_on(path: &Path, device: &str, options: &Value) -> Value {
    json!({"type": "load", "model": {"id": "smollm2", "path": path, "format": "gguf"}, "device": device, "options": options})
}

/// Load the GGUF file at `path` on the CPU.
pub fn load(path: &Path, options: &Value) -> Value {
    load_on(path, "cpu", options)
}

/// Validate a load without loading.
pub fn check(path: &Path, options: &Value) -> Value {
    let mut m = load(path, options);
    m["type"] = json!("check");
    m
}

/// A greedy measured request.
pub fn generate(id: u64, prompt: Option<&[u32]>, max_tokens: u32, ignore_eos: bool) -> Value {
    generate_sampled(id, prompt, max_tokens, ignore_eos, 0.0, 0)
}

/// A measured request sampled at `temperature` from `seed` (greedy at 0).
pub fn generate_sampled(
    id: u64,
    prompt: Option<&[u32]>,
    max_tokens: u32,
    ignore_eos: bool,
    temperature: f32,
    seed: u64,
) -> Value {
    json!({"type": "generate", "phase": "measure", "request": {
        "id": id, "text": "", "prompt_token_ids": prompt, "chat": true, "max_tokens": max_tokens,
        "ignore_eos": ignore_eos, "sampling": {"temperature": temperature, "top_p": 1.0, "seed": seed}}})
}
