#!/usr/bin/env bash
# Nightly comparison: build the runner, run the suite (default configs/nightly.toml), keep history
# under results/nightly. Exit status as `benchmark-runner diff`: 1 when something regressed.
set -euo pipefail
cd "$(dirname "$0")/.."
suite="${1:-configs/nightly.toml}"
cargo build --release --locked -p benchmark-runner
exec target/release/benchmark-runner nightly --suite "$suite"
