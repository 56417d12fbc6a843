//! Running the real worker binary over its protocol, for the integration tests: the shared
//! helpers of `worker-testkit`, bound to this worker, and the check for torch.

#![allow(dead_code, unused_imports, reason = "each test file uses a part")]

use serde_json::Value;

/// Whether the worker's default interpreter can import torch; says why not when it cannot.
pub fn torch_available() -> bool {
    worker_testkit::torch_python().is_some()
}

pub use worker_testkit::lines::{check, generate, generate_sampled, load};
pub use worker_testkit::{default_model as model, ids, samples};

/// Run the worker on `lines` with extra environment variables (`worker_testkit::run_worker`).
pub fn run_with_env(lines: &[Value], env: &[(&str, &std::ffi::OsStr)]) -> Vec<Value> {
    worker_testkit::run_worker(env!("CARGO_BIN_EXE_pytorch-baseline"), lines, env)
}

pub fn run(lines: &[Value]) -> Vec<Value> {
    run_with_env(lines, &[])
}
