//! What the engine workers' integration tests share, so each engine's tests hold only what is
//! particular to it:
//!
//! - [`default_model`]: the default model file, or a printed reason to skip; [`torch_python`]:
//!   an interpreter with torch and transformers, likewise;
//! - [`prompts`]: chat prompts of the default model with llama.cpp's greedy continuation;
//! - [`lines`]: protocol messages to send a worker;
//! - [`run_worker`]: run a worker binary over stdin/stdout, checking every line it writes
//!   against the protocol's Rust types;
//! - [`parity`]: greedy parity against the recorded llama.cpp and candle references.

pub mod lines;
pub mod parity;
pub mod prompts;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use shared_protocol::codec::WORKER_TYPES;
use shared_protocol::{Decoded, WorkerMessage, decode_line};

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of the models directory, or `None` (with the reason printed) when it is absent.
pub fn model(name: &str) -> Option<PathBuf> {
    let path = repo_root().join("models").join(name);
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

/// The default model (SmolLM2-135M-Instruct, `Q4_1`), or `None` with the reason printed.
pub fn default_model() -> Option<PathBuf> {
    model(parity::MODEL)
}

/// A Python interpreter that imports torch, transformers and gguf: `$PYTORCH_BASELINE_PYTHON`,
/// else this checkout's `.venv-torch` (made by `scripts/setup-torch.sh`), else `python3`; or
/// `None`, with the reason printed.
pub fn torch_python() -> Option<PathBuf> {
    let venv = repo_root().join(".venv-torch/bin/python");
    let python: PathBuf = std::env::var_os("PYTORCH_BASELINE_PYTHON").map_or_else(
        || {
            if venv.is_file() {
                venv
            } else {
                "python3".into()
            }
        },
        PathBuf::from,
    );
    let ok = Command::new(&python)
        .args(["-c", "import torch, transformers, gguf"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(python)
    } else {
        eprintln!(
            "skipping: {} cannot import torch, transformers and gguf (run scripts/setup-torch.sh)",
            python.display()
        );
        None
    }
}

/// Run the worker binary `bin` on `lines` (a shutdown is appended) with extra environment
/// variables, check that it exits 0 and that every stdout line is a protocol message exactly as
/// the Rust types write it (decoded and encoded again, it is the same JSON: no field missing,
/// extra or ill-typed), and return the messages.
pub fn run_worker(bin: &str, lines: &[Value], env: &[(&str, &OsStr)]) -> Vec<Value> {
    let mut command = Command::new(bin);
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin} does not start: {e}"));
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

/// The `sample` messages among `messages`.
pub fn samples(messages: &[Value]) -> Vec<&Value> {
    messages.iter().filter(|m| m["type"] == "sample").collect()
}

/// The `loaded` message, or a panic listing what the worker wrote instead.
pub fn loaded(messages: &[Value]) -> &Value {
    messages
        .iter()
        .find(|m| m["type"] == "loaded")
        .unwrap_or_else(|| panic!("no loaded message: {messages:?}"))
}

/// A sample's generated token ids.
pub fn ids(sample: &Value) -> Vec<u32> {
    serde_json::from_value(sample["output_token_ids"].clone()).expect("ids")
}
