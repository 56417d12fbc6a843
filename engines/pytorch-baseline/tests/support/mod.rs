//! Running the real worker binary over its protocol, for the integration tests.

#![allow(dead_code, reason = "each test file uses a part")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use shared_protocol::codec::WORKER_TYPES;
use shared_protocol::{Decoded, WorkerMessage, decode_line};

/// The default model, or `None` (with the reason printed) when it is not fetched.
pub fn model() -> Option<PathBuf> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/smollm2-135m-instruct-q4_1.gguf");
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipping: {} is absent (fetch the default model first: scripts/setup.sh)",
            path.display()
        );
        None
    }
}

/// Whether the worker's default interpreter can import torch; says why not when it cannot.
pub fn torch_available() -> bool {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-torch/bin/python");
    let python = std::env::var_os("PYTORCH_BASELINE_PYTHON").unwrap_or_else(|| {
        if venv.is_file() {
            venv.into_os_string()
        } else {
            "python3".into()
        }
    });
    let ok = Command::new(&python)
        .args(["-c", "import torch, transformers, gguf"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!(
            "skipping: {} cannot import torch, transformers and gguf (run scripts/setup-torch.sh)",
            python.to_string_lossy()
        );
    }
    ok
}

pub fn load(path: &Path, options: &Value) -> Value {
    json!({"type": "load", "model": {"id": "smollm2", "path": path, "format": "gguf"}, "device": "cpu", "options": options})
}

pub fn check(path: &Path, options: &Value) -> Value {
    let mut m = load(path, options);
    m["type"] = json!("check");
    m
}

pub fn generate(id: u64, prompt: Option<&[u32]>, max_tokens: u32, ignore_eos: bool) -> Value {
    generate_sampled(id, prompt, max_tokens, ignore_eos, 0.0, 0)
}

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

/// Run the worker on `lines` (a shutdown is appended) with extra environment variables, check
/// that it exits 0 and that every stdout line is a protocol message exactly as the Rust types
/// write it (decoded and encoded again, it is the same JSON: no field missing, extra or
/// ill-typed), and return the messages.
pub fn run_with_env(lines: &[Value], env: &[(&str, &std::ffi::OsStr)]) -> Vec<Value> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pytorch-baseline"));
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("worker starts");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for l in lines.iter().chain([&json!({"type": "shutdown"})]) {
            writeln!(stdin, "{l}").expect("write");
        }
    }
    let out = child.wait_with_output().expect("worker exits");
    assert!(out.status.success(), "worker failed: {:?}", out.status);
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).expect("every stdout line is JSON");
            match decode_line::<WorkerMessage>(line, WORKER_TYPES) {
                Decoded::Message(m) => {
                    let again = serde_json::to_value(&m).expect("encode");
                    assert_eq!(again, value, "not as the Rust types write it: {line}");
                }
                other => panic!("not a worker message ({other:?}): {line}"),
            }
            value
        })
        .collect()
}

pub fn run(lines: &[Value]) -> Vec<Value> {
    run_with_env(lines, &[])
}

pub fn samples(messages: &[Value]) -> Vec<&Value> {
    messages.iter().filter(|m| m["type"] == "sample").collect()
}

pub fn ids(sample: &Value) -> Vec<u32> {
    serde_json::from_value(sample["output_token_ids"].clone()).expect("ids")
}
