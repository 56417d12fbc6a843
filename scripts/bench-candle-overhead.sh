#!/usr/bin/env bash
# Decode rate of candle-bench through the worker loop against a bare candle loop
# (engines/candle-bench/examples/bare_loop.rs: the same model calls without the sink) on the same
# model and prompt. The two alternate, round after round, so drift cancels; each side is a fresh
# process with one short warm-up request. Prints both decode rates and their ratio.
#
# Usage: scripts/bench-candle-overhead.sh [ROUNDS] [TOKENS]   (defaults: 8 rounds, 64 tokens)
# Env: MODEL (default models/smollm2-135m-instruct-q4_1.gguf), THREADS (default: all cores),
#      REQUESTS measured per side and round (default 2).
# Run it on an otherwise idle machine: other processes' load shows up as noise in both rates.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rounds="${1:-8}"
tokens="${2:-64}"
requests="${REQUESTS:-2}"
warmup_tokens=8
model="${MODEL:-models/smollm2-135m-instruct-q4_1.gguf}"
threads="${THREADS:-$(nproc)}"
prompt_text="Once upon a time, in a small village by the sea,"

[ -f "$model" ] || { echo "no model at $model: fetch it first (benchmark-runner models fetch)" >&2; exit 1; }

cargo build --release -q -p candle-bench --bin candle-bench --example bare_loop
cargo build -q -p bench-inputs --example tokenize
ids="$(cargo run -q -p bench-inputs --example tokenize -- "$model" "$prompt_text")"
ids_csv="$(echo "$ids" | tr -d '[] ')"
worker="target/release/candle-bench"
bare="target/release/examples/bare_loop"

request_line() { # phase id max_tokens
  printf '{"type":"generate","phase":"%s","request":{"id":%s,"text":"","prompt_token_ids":%s,"chat":false,"max_tokens":%s,"ignore_eos":true,"sampling":{"temperature":0.0,"top_p":1.0,"seed":0}}}\n' \
    "$1" "$2" "$ids" "$3"
}

worker_round() {
  {
    printf '{"type":"load","model":{"id":"bench","path":"%s","format":"gguf"},"device":"cpu","options":{"threads":%s}}\n' "$model" "$threads"
    request_line warmup 0 "$warmup_tokens"
    for i in $(seq 1 "$requests"); do request_line measure "$i" "$tokens"; done
    printf '{"type":"shutdown"}\n'
  } | "$worker" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("type") == "error":
        sys.exit("worker error: " + m["message"])
    if m.get("type") == "sample" and m["phase"] == "measure":
        itl = m["itl_ns"]
        print(f"{len(itl) / (sum(itl) / 1e9):.3f}")
'
}

bare_round() {
  "$bare" "$model" --prompt-ids "$ids_csv" --tokens "$tokens" --requests "$requests" \
    --warmup-tokens "$warmup_tokens" --threads "$threads" 2>/dev/null \
    | python3 -c 'import json, sys; [print(json.loads(l)["decode_tok_s"]) for l in sys.stdin]'
}

echo "model $model, prompt $(echo "$ids_csv" | tr ',' '\n' | wc -l) tokens, $tokens output tokens," \
  "$threads threads, $rounds rounds x $requests requests per side; load average $(cut -d' ' -f1 /proc/loadavg)"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for r in $(seq 1 "$rounds"); do
  # Alternate which side goes first.
  if [ $((r % 2)) -eq 1 ]; then order="bare worker"; else order="worker bare"; fi
  line="round $r"
  for side in $order; do
    rates="$("${side}_round" | tr '\n' ' ')"
    for rate in $rates; do echo "$r $side $rate" >> "$results"; done
    line="$line  $side $rates"
  done
  echo "$line"
done

python3 - "$results" <<'PY'
import collections, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = collections.defaultdict(lambda: collections.defaultdict(list))
for r, side, rate in rows:
    by[side][int(r)].append(float(rate))
bare = [x for v in by["bare"].values() for x in v]
worker = [x for v in by["worker"].values() for x in v]
mb, mw = statistics.median(bare), statistics.median(worker)
paired = [statistics.median(by["worker"][r]) / statistics.median(by["bare"][r]) for r in sorted(by["bare"])]
print(f"bare loop  decode {mb:8.3f} tok/s (median of {len(bare)}, min {min(bare):.3f}, max {max(bare):.3f})")
print(f"worker     decode {mw:8.3f} tok/s (median of {len(worker)}, min {min(worker):.3f}, max {max(worker):.3f})")
print(f"ratio worker/bare {mw / mb:.4f} ({(mw / mb - 1) * 100:+.2f}%); median of per-round ratios "
      f"{statistics.median(paired):.4f} (rounds: {' '.join(f'{p:.3f}' for p in paired)})")
PY
