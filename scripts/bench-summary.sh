#!/usr/bin/env bash
# How `benchmark-runner report` scales: writes run directories of 10k, 100k and 1M samples (the
# `synth_samples` example: the checked-in seeded sim run, 64 tokens per request, about 1.4 KB a
# row), times `report` on each (wall clock and peak memory from /usr/bin/time, the sizes of
# summary.json and report.html), then runs the criterion benchmark of its stages (reading, summary,
# figures). Usage: bash scripts/bench-summary.sh [SIZES...]   (default: 10000 100000 1000000)
# The directories stay in target/synth (1.4 GB at a million samples); delete them when done.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(10000 100000 1000000)
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
cargo build --locked --release -p benchmark-runner --bin benchmark-runner --example synth_samples
out=target/synth
mkdir -p "$out"
for n in "${sizes[@]}"; do
    if [[ ! -s "$out/n$n/samples.jsonl" ]]; then
        target/release/examples/synth_samples --samples "$n" --out "$out/n$n"
    fi
done
printf '\n%-9s %8s %10s %14s %13s\n' samples wall_s peak_mb summary_json report_html
for n in "${sizes[@]}"; do
    dir="$out/n$n"
    rm -rf "$dir/plots" "$dir"/report.* "$dir"/summary.*
    /usr/bin/time -o "$out/time.txt" -f '%e %M' target/release/benchmark-runner report "$dir" >/dev/null 2>&1
    read -r wall kb <"$out/time.txt"
    printf '%-9s %8s %10d %14d %13d\n' "$n" "$wall" $((kb / 1024)) \
        "$(stat -c %s "$dir/summary.json")" "$(stat -c %s "$dir/report.html")"
done
echo
SUMMARY_BENCH_DIR="$PWD/$out" cargo bench --locked -p benchmark-runner --bench summary
