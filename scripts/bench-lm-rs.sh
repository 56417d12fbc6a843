#!/usr/bin/env bash
# Decode and prefill speed of lm-rs against llama.cpp (PyPI xllamacpp) on the same model, the
# same prompt token ids and the same thread count, alternating the two engines run by run; then
# the machine's memory read bandwidth, which bounds decode speed. Prints a markdown table.
#
#   scripts/bench-lm-rs.sh                     # SmolLM2-135M Q4_1, 2 threads, 128 tokens, 5 runs
#   THREADS=1 TOKENS=256 RUNS=9 scripts/bench-lm-rs.sh
#
# lm-rs is driven through its worker protocol (decode rate from the sample's inter-token gaps,
# prefill from its prefill mark); llama.cpp reports its own timings (predicted_per_second,
# prompt_per_second). The first run of each engine is a warm-up and is not counted.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=${MODEL:-models/smollm2-135m-instruct-q4_1.gguf}
THREADS=${THREADS:-2}
TOKENS=${TOKENS:-128}
RUNS=${RUNS:-5}
XLLAMACPP_VERSION=${XLLAMACPP_VERSION:-2026.10.11549}
VENV=${XLLAMACPP_VENV:-.tools/xllamacpp}

[[ -f "$MODEL" ]] || { echo "model $MODEL not found (fetch the default model first)" >&2; exit 1; }
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "installing xllamacpp $XLLAMACPP_VERSION into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "xllamacpp==$XLLAMACPP_VERSION"
fi
cargo build -q --release -p lm-rs-bench --bin lm-rs-bench --example bandwidth >&2

BANDWIDTH=$(target/release/examples/bandwidth --threads "$THREADS" | sed -E 's/.*: ([0-9.]+) GB.*/\1/')

MODEL="$MODEL" THREADS="$THREADS" TOKENS="$TOKENS" RUNS="$RUNS" BANDWIDTH="$BANDWIDTH" \
    "$VENV/bin/python" - <<'PY'
import json, os, statistics, subprocess

import xllamacpp

model, threads = os.environ["MODEL"], int(os.environ["THREADS"])
tokens, runs = int(os.environ["TOKENS"]), int(os.environ["RUNS"])
bandwidth = float(os.environ["BANDWIDTH"])
# The chat-templated first problem of the default dataset (87 tokens), as in the parity fixture.
fixture = json.load(open("engines/lm-rs-bench/tests/fixtures/llamacpp-greedy.json"))
prompt = fixture["cases"][0]["prompt_ids"]

worker = subprocess.Popen(["target/release/lm-rs-bench"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
def send(msg):
    worker.stdin.write(json.dumps(msg) + "\n"); worker.stdin.flush()
def receive(kind):
    while True:
        m = json.loads(worker.stdout.readline())
        if m["type"] == kind:
            return m
        if m["type"] == "error":
            raise SystemExit(f"lm-rs: {m['message']}")
receive("hello")
send({"type": "load", "model": {"id": "bench", "path": model, "format": "gguf"},
      "device": "cpu", "options": {"threads": threads}})
loaded = receive("loaded")
bytes_per_token = loaded["details"]["weight_bytes_per_token"]

params = xllamacpp.CommonParams()
params.model.path = model
params.n_ctx = 2048
params.cpuparams.n_threads = threads
params.cpuparams_batch.n_threads = threads
params.cache_prompt = False
server = xllamacpp.Server(params)

lm = {"decode": [], "prefill": []}
ll = {"decode": [], "prefill": []}
for run in range(runs + 1):
    send({"type": "generate", "phase": "measure", "request": {
        "id": run, "text": "", "prompt_token_ids": prompt, "chat": True, "max_tokens": tokens,
        "ignore_eos": True, "sampling": {"temperature": 0.0, "top_p": 1.0, "seed": 0}}})
    s = receive("sample")
    r = server.handle_completions({"prompt": prompt, "n_predict": tokens, "temperature": 0.0,
                                   "ignore_eos": True, "cache_prompt": False})
    if run == 0:
        continue
    lm["decode"].append(len(s["itl_ns"]) / (sum(s["itl_ns"]) / 1e9))
    lm["prefill"].append(len(prompt) / (s["prefill_ns"] / 1e9))
    ll["decode"].append(r["timings"]["predicted_per_second"])
    ll["prefill"].append(r["timings"]["prompt_per_second"])
send({"type": "shutdown"})
worker.wait()

med = statistics.median
print(f"SmolLM2 run: `{os.path.basename(model)}`, {threads} threads, prompt {len(prompt)} tokens, "
      f"{tokens} generated tokens, median of {runs} alternating runs\n")
print("| engine | decode tok/s | prefill tok/s |")
print("|---|---:|---:|")
print(f"| lm-rs | {med(lm['decode']):.1f} | {med(lm['prefill']):.1f} |")
print(f"| llama.cpp (xllamacpp {xllamacpp.__version__}) | {med(ll['decode']):.1f} | {med(ll['prefill']):.1f} |")
print(f"| lm-rs / llama.cpp | {med(lm['decode']) / med(ll['decode']):.2f} | "
      f"{med(lm['prefill']) / med(ll['prefill']):.2f} |")
ceiling = bandwidth * 1e9 / bytes_per_token
print(f"\nWeights read per decoded token: {bytes_per_token / 1e6:.1f} MB; measured read bandwidth "
      f"({threads} threads): {bandwidth:.1f} GB/s, so at most {ceiling:.0f} tok/s if decode only "
      f"streamed weights; lm-rs reaches {100 * med(lm['decode']) / ceiling:.0f}% of that.")
PY
