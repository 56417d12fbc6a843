#!/usr/bin/env bash
# Regenerate configs/datasets/gsm-symbolic-1000.jsonl: 1000 GSM8K-style problems with their
# answers from reasoning-gym's `gsm_symbolic` generator (Apache-2.0), with a fixed seed.
#
# Usage: scripts/make-dataset.sh [OUT]   (default: configs/datasets/gsm-symbolic-1000.jsonl)
# Needs python3 with venv and pip; installs the pinned reasoning-gym into a temporary venv.
set -euo pipefail

REASONING_GYM_VERSION="0.1.25"
SEED=20250101
SIZE=1000

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/configs/datasets/gsm-symbolic-1000.jsonl}"
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT

python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "reasoning-gym==$REASONING_GYM_VERSION"

"$venv/bin/python" - "$out" "$SEED" "$SIZE" <<'PY'
import json
import sys

import reasoning_gym

out, seed, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = reasoning_gym.create_dataset("gsm_symbolic", size=size, seed=seed)
with open(out, "w", encoding="utf-8", newline="\n") as f:
    for i, item in enumerate(rows):
        row = {
            "id": i,
            "problem": item["question"],
            "answer": item["answer"],
            "solution": item["metadata"]["answer_cot"],
        }
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
PY

echo "wrote $(wc -l < "$out") rows to $out"
echo "sha256 $(sha256sum "$out" | cut -d' ' -f1)"
