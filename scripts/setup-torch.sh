#!/usr/bin/env bash
# Creates the pytorch-baseline worker's Python environment, idempotently: a virtual environment
# (.venv-torch, the worker's default interpreter) with the versions pinned in
# engines/pytorch-baseline/python/requirements.txt (torch, transformers, gguf, accelerate, and
# jsonschema and pytest for its tests), all from PyPI. PyPI's Linux torch wheel brings NVIDIA's
# CUDA libraries (about 5.6 GB installed in all) and runs on a CPU-only machine as well. To run
# the worker with another interpreter instead, set PYTORCH_BASELINE_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-torch
requirements=engines/pytorch-baseline/python/requirements.txt
stamp=$venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)

if [[ -f $stamp && $(cat "$stamp") == "$want" ]] && "$venv/bin/python" -c "import torch, transformers, gguf" 2>/dev/null; then
    exit 0
fi
if [[ ! -x $venv/bin/python ]]; then
    echo "setup-torch: creating $venv"
    "${PYTHON:-python3}" -m venv "$venv"
fi
# pip unpacks about 6 GB here and keeps wheels in its cache: with less free, the install dies
# half-way with ENOSPC. Say so before starting.
need_gb=${SETUP_TORCH_NEED_GB:-10}
free_gb=$(df -Pk . | awk 'NR == 2 { print int($4 / 1048576) }')
if (( free_gb < need_gb )); then
    echo "setup-torch: only ${free_gb} GB free on $(df -P . | awk 'NR == 2 { print $6 }'); installing torch needs about ${need_gb} GB (free some space, or set SETUP_TORCH_NEED_GB to try with less)" >&2
    exit 1
fi
echo "setup-torch: installing $requirements into $venv (torch with its CUDA libraries: a few GB)"
start=$SECONDS
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
echo "$want" > "$stamp"
echo "setup-torch: done in $((SECONDS - start)) s"
