#!/usr/bin/env bash
# The test suite: installs what the tests need (scripts/setup.sh), then runs every test of the
# default workspace members with cargo-nextest (falling back to cargo test), the heavy engines'
# tests (burn-bench on its CPU and wgpu backends, the wgpu one on lavapipe where there is no GPU;
# mistral-rs-bench), the check that the protocol's checked-in JSON Schema matches its types, and
# the pytorch-baseline worker's Python tests (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
tests() {
    if cargo nextest --version >/dev/null 2>&1; then
        cargo nextest run --locked --no-fail-fast "$@"
    else
        cargo test --locked --no-fail-fast "$@"
    fi
}
tests "$@"
# The heavy engines, outside the default members (skipped when arguments select other tests):
# burn-bench with its wgpu backend, so the GPU kernels run too, and mistral-rs-bench. The dev
# profile: dependencies optimised at level 1 (the workspace's setting), debug assertions on, and
# much less to compile than a release build.
if [[ $# -eq 0 ]]; then
    # One invocation, so the two engines build side by side and their tests share the cores.
    tests -p burn-bench -p mistral-rs-bench --features burn-bench/wgpu
fi
cargo test --locked -p shared-protocol --features schema --test schema
# pytest exits 5 when it collected no test: that is no failure.
status=0
(cd engines/pytorch-baseline/python && ../../../.venv-torch/bin/python -m pytest -q) || status=$?
if [[ $status -ne 0 && $status -ne 5 ]]; then
    exit "$status"
fi
