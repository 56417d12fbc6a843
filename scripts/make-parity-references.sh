#!/usr/bin/env bash
# Remake the greedy references lm-rs-bench's parity test compares against: llama.cpp's (through
# the xllamacpp wheel in .venv) for the first 20 chat-templated problems of the default dataset,
# then candle-bench's for the same prompt ids. Needs the default model (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=engines/lm-rs-bench/tests/fixtures
model=models/smollm2-135m-instruct-q4_1.gguf
[ -f "$model" ] || { echo "error: $model is missing: run scripts/setup.sh first" >&2; exit 2; }
.venv/bin/python "$fixtures/make_reference.py"
cargo run --release --quiet -p candle-bench --example greedy_reference -- \
    "$model" "$fixtures/llamacpp-greedy.json" "$fixtures/candle-greedy.json"
