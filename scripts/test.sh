#!/usr/bin/env bash
# The test suite: installs what the tests need (scripts/setup.sh), then runs every test of the
# default workspace members with cargo-nextest (falling back to cargo test), burn-bench's tests
# (release, CPU and wgpu backends: the wgpu one on lavapipe where there is no GPU), the check that
# the protocol's checked-in JSON Schema matches its types, and the pytorch-baseline worker's Python
# tests (pytest).
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
# burn-bench is a heavy engine, outside the default members: its own release build, with the
# wgpu backend so the GPU kernels run too (skipped when arguments select other tests).
if [[ $# -eq 0 ]]; then
    tests --release -p burn-bench --features wgpu
fi
cargo test --locked -p shared-protocol --features schema --test schema
# pytest exits 5 when it collected no test: that is no failure.
status=0
(cd engines/pytorch-baseline/python && ../../../.venv-torch/bin/python -m pytest -q) || status=$?
if [[ $status -ne 0 && $status -ne 5 ]]; then
    exit "$status"
fi
