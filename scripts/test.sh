#!/usr/bin/env bash
# The test suite: installs what the tests need (scripts/setup.sh), then runs every test of the
# default workspace members with cargo-nextest (falling back to cargo test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --locked --no-fail-fast "$@"
else
    cargo test --locked --no-fail-fast "$@"
fi
