#!/usr/bin/env bash
# Decode rate of candle-bench through the worker loop against a bare candle loop on the same
# model and prompt, alternating the two so drift cancels. Prints both rates and their ratio.
#
# Usage: scripts/bench-candle-overhead.sh [ROUNDS] [TOKENS]   (defaults: 5 rounds, 128 tokens)
# Env: MODEL (default models/smollm2-135m-instruct-q4_1.gguf), THREADS (default: all cores),
#      REQUESTS per round and side (default 3; the first of each worker round is a warm-up).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
rounds="${1:-5}"
tokens="${2:-128}"
requests="${REQUESTS:-3}"
model="${MODEL:-models/smollm2-135m-instruct-q4_1.gguf}"
threads="${THREADS:-$(nproc)}"
prompt_text="Write a short story about a lighthouse keeper who finds a message in a bottle."

[ -f "$model" ] || { echo "no model at $model: fetch it first (benchmark-runner models fetch)" >&2; exit 1; }

cargo build --release -q -p candle-bench --bin candle-bench --example bare_loop
cargo build -q -p bench-inputs --example tokenize
ids="$(cargo run -q -p bench-inputs --example tokenize -- "$model" "$prompt_text" --chat)"
ids_csv="$(echo "$ids" | tr -d '[] ')"
worker="target/release/candle-bench"
bare="target/release/examples/bare_loop"

worker_round() {
  {
    printf '{"type":"load","model":{"id":"bench","path":"%s","format":"gguf"},"device":"cpu","options":{"threads":%s}}\n' "$model" "$threads"
    for i in $(seq 0 "$requests"); do
      phase=measure; [ "$i" -eq 0 ] && phase=warmup
      printf '{"type":"generate","phase":"%s","request":{"id":%s,"text":"","prompt_token_ids":%s,"chat":true,"max_tokens":%s,"ignore_eos":true,"sampling":{"temperature":0.0,"top_p":1.0,"seed":0}}}\n' \
        "$phase" "$i" "$ids" "$tokens"
    done
    printf '{"type":"shutdown"}\n'
  } | "$worker" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("type") == "error":
        sys.exit("worker error: " + m["message"])
    if m.get("type") == "sample" and m["phase"] == "measure":
        itl = m["itl_ns"]
        print(len(itl) / (sum(itl) / 1e9))
'
}

bare_round() {
  # One extra request as warm-up, like the worker round.
  "$bare" "$model" --prompt-ids "$ids_csv" --tokens "$tokens" --requests $((requests + 1)) --threads "$threads" \
    | tail -n "$requests" | python3 -c 'import json, sys; [print(json.loads(l)["decode_tok_s"]) for l in sys.stdin]'
}

echo "model $model, prompt $(echo "$ids_csv" | tr ',' '\n' | wc -l) tokens, $tokens output tokens, $threads threads, $rounds rounds x $requests requests"
worker_rates=()
bare_rates=()
for r in $(seq 1 "$rounds"); do
  # Alternate which side goes first.
  if [ $((r % 2)) -eq 1 ]; then order="bare worker"; else order="worker bare"; fi
  for side in $order; do
    while read -r rate; do
      if [ "$side" = bare ]; then bare_rates+=("$rate"); else worker_rates+=("$rate"); fi
    done < <("${side}_round")
  done
  echo "round $r: bare ${bare_rates[*]: -$requests}  worker ${worker_rates[*]: -$requests}"
done

python3 - "${#bare_rates[@]}" "${bare_rates[@]}" "${worker_rates[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
bare = [float(x) for x in sys.argv[2:2 + n]]
worker = [float(x) for x in sys.argv[2 + n:]]
mb, mw = statistics.median(bare), statistics.median(worker)
print(f"bare loop   decode {mb:8.2f} tok/s (median of {len(bare)}, min {min(bare):.2f}, max {max(bare):.2f})")
print(f"worker      decode {mw:8.2f} tok/s (median of {len(worker)}, min {min(worker):.2f}, max {max(worker):.2f})")
print(f"ratio worker/bare  {mw / mb:.4f}  ({(mw / mb - 1) * 100:+.2f}%)")
PY
