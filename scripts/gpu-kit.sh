#!/usr/bin/env bash
# Runs the GPU measurements on a GPU machine that has CUDA 13.0 (driver 580) but no Rust
# toolchain and no network: build here, carry the binaries and the default model there in two
# transfers of under 64 MiB each, run there, bring one archive of result directories back.
#
#   here:   bash scripts/gpu-kit.sh pack
#           -> .gpu-kit/a (binaries, first half of the model), .gpu-kit/b (second half)
#   there:  bash scripts/gpu-kit.sh receive .gpu-kit/a     # first transfer, kept in $KIT_HOME
#           bash scripts/gpu-kit.sh run .gpu-kit/b         # second transfer, then the runs
#
# `run` joins and checks the model, finds the CUDA libraries (the system's, or the nvidia-*
# Python wheels next to PyTorch), runs `compare --engines candle --device cuda:0 --telemetry nvml`
# on SmolLM2 (with pytorch beside candle when the machine's python3, or $PYTORCH_BASELINE_PYTHON,
# imports torch, transformers and gguf) and on synthetic models written there (`models synth`),
# and leaves
# $OUT/gpu-results.tar.gz (every result directory), $OUT/gpu-kit.log and $OUT/gpu-env.txt.
#
# Settings (environment): KIT_HOME (/var/tmp/gpu-kit), OUT (./gpu-out), DEVICE (cuda:0),
# TELEMETRY (nvml), REQUESTS (50), MAX_TOKENS (64), SYNTH ("llama-3.2-1b:q4_0 llama-3.1-8b:q4_0"),
# RUN_TIMEOUT (seconds per compare, 150), BUDGET (seconds for all of `run`, 540: a device call
# may last 600; what is not started in time is skipped, and the archive is rewritten after each
# comparison, so a call cut short still brings back what finished). For `pack`: KIT_CANDLE (the candle-bench binary to
# carry; default: the CUDA build, made by scripts/check-cuda-build.sh). A rehearsal on a machine
# without a GPU: KIT_CANDLE=target/release/candle-bench for pack, DEVICE=cpu TELEMETRY=auto for run.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL_FILE=smollm2-135m-instruct-q4_1.gguf
KIT_HOME=${KIT_HOME:-/var/tmp/gpu-kit}
LIMIT=$((62 * 1024 * 1024)) # per transfer, leaving room for the working tree under 64 MiB

say() { printf 'gpu-kit: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
size() { stat -c %s "$1"; }

pack() {
    local kit=.gpu-kit model="models/$MODEL_FILE"
    [[ -f $model ]] || die "$model is missing: run \`cargo run --release -p benchmark-runner -- models fetch\`"
    cargo build --locked --release -p benchmark-runner -p pytorch-baseline
    local runner=${CARGO_TARGET_DIR:-target}/release/benchmark-runner
    local pytorch=${CARGO_TARGET_DIR:-target}/release/pytorch-baseline
    local candle=${KIT_CANDLE:-}
    if [[ -z $candle ]]; then
        bash scripts/check-cuda-build.sh
        candle=${CARGO_TARGET_DIR:-target/cuda}/release/candle-bench
    fi
    [[ -x $candle ]] || die "$candle is not an executable"
    rm -rf "$kit" && mkdir -p "$kit/a" "$kit/b" "$kit/stage/bin"
    cp "$runner" "$candle" "$pytorch" "$kit/stage/bin/"
    strip "$kit/stage/bin/"*
    readelf -d "$kit/stage/bin/candle-bench" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' \
        > "$kit/stage/bin/candle-bench.needs"
    tar -czf "$kit/a/bin.tar.gz" -C "$kit/stage" bin
    rm -rf "$kit/stage"
    # The model split so that both transfers weigh the same, binaries included.
    local total first
    total=$(size "$model")
    first=$(((total + $(size "$kit/a/bin.tar.gz")) / 2 - $(size "$kit/a/bin.tar.gz")))
    ((first > 0)) || first=1
    head -c "$first" "$model" > "$kit/a/model.0"
    tail -c +"$((first + 1))" "$model" > "$kit/b/model.1"
    (cd models && sha256sum "$MODEL_FILE") > "$kit/a/model.sha256"
    cp "$kit/a/model.sha256" "$kit/b/model.sha256"
    # Both halves name the kit they belong to, so that a half left from another pack is refused.
    cat "$kit/a/bin.tar.gz" "$kit/a/model.sha256" | sha256sum | cut -c1-16 > "$kit/a/kit.id"
    cp "$kit/a/kit.id" "$kit/b/kit.id.b"
    local part bytes
    for part in a b; do
        bytes=$(du -cb "$kit/$part" | tail -1 | cut -f1)
        ((bytes <= LIMIT)) || die "$kit/$part is $bytes bytes, over the $LIMIT a transfer may carry"
        say "$kit/$part: $((bytes / 1024 / 1024)) MiB"
    done
    say "next, on the GPU machine, two calls in a row (the first machine must still be warm):"
    say "  carry [.gpu-kit/a]: bash scripts/gpu-kit.sh receive .gpu-kit/a"
    say "  carry [.gpu-kit/b]: bash scripts/gpu-kit.sh run .gpu-kit/b"
}

receive() {
    local from=${1:?receive needs the carried folder}
    [[ -d $from ]] || die "$from is missing: name it in the call's carry"
    mkdir -p "$KIT_HOME"
    cp -r "$from"/. "$KIT_HOME"/
    say "kept $(ls "$KIT_HOME" | tr '\n' ' ')in $KIT_HOME"
}

# The folder holding libcublas.so.13 and its companions, when the loader does not find them.
cuda_lib_dir() {
    if grep -q 'libcublas\.so\.13 ' < <(ldconfig -p 2>/dev/null); then
        return 0
    fi
    local d
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
        $(python3 -c 'import nvidia, os; [print(os.path.join(p, "cu13", "lib")) for p in nvidia.__path__]' 2>/dev/null); do
        [[ -f $d/libcublas.so.13 ]] && { echo "$d"; return 0; }
    done
    return 1
}

run() {
    local from=${1:-}
    [[ -z $from ]] || receive "$from"
    OUT=${OUT:-$PWD/gpu-out}
    mkdir -p "$OUT"
    # Through a pipe rather than `exec > >(tee)`, so that the log is complete when `run` returns.
    run_body 2>&1 | tee -a "$OUT/gpu-kit.log"
}

run_body() {
    local deadline=$((SECONDS + ${BUDGET:-540}))
    local device=${DEVICE:-cuda:0} telemetry=${TELEMETRY:-nvml}
    local requests=${REQUESTS:-50} max_tokens=${MAX_TOKENS:-64} limit=${RUN_TIMEOUT:-150}
    [[ -f $KIT_HOME/model.0 && -f $KIT_HOME/bin.tar.gz && -f $KIT_HOME/kit.id ]] ||
        die "the first transfer is not in $KIT_HOME: run \`receive .gpu-kit/a\` first, on the same (still warm) machine"
    [[ -f $KIT_HOME/model.1 && -f $KIT_HOME/kit.id.b ]] || die "the second transfer is not in $KIT_HOME"
    cmp -s "$KIT_HOME/kit.id" "$KIT_HOME/kit.id.b" ||
        die "the two transfers come from different packs: pack again and carry both"

    mkdir -p models
    cat "$KIT_HOME/model.0" "$KIT_HOME/model.1" > "models/$MODEL_FILE"
    (cd models && sha256sum -c "$KIT_HOME/model.sha256") || die "the joined model does not match its checksum"
    tar -xzf "$KIT_HOME/bin.tar.gz" -C "$KIT_HOME"
    local bin=$KIT_HOME/bin
    export BENCH_WORKER_DIR=$bin
    if [[ $device == cuda* ]]; then
        local libs
        if libs=$(cuda_lib_dir); then
            [[ -z $libs ]] || export LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        else
            die "no libcublas.so.13 on this machine (needed: $(tr '\n' ' ' < "$bin/candle-bench.needs"))"
        fi
    fi
    local linked
    linked=$(ldd "$bin/candle-bench" 2>&1 || true)
    {
        echo "== date"; date -u
        echo "== nvidia-smi"; nvidia-smi 2>&1 || true
        echo "== candle-bench libraries"; echo "$linked"
        echo "== LD_LIBRARY_PATH"; echo "${LD_LIBRARY_PATH:-}"
        echo "== cpu"; grep -m1 'model name' /proc/cpuinfo || true; nproc
    } > "$OUT/gpu-env.txt"
    if grep -q 'not found' <<<"$linked"; then
        grep 'not found' <<<"$linked" >&2
        die "candle-bench cannot be loaded here (see $OUT/gpu-env.txt)"
    fi

    local results=$PWD/gpu-results failed=0
    rm -rf "$results" && mkdir -p "$results"
    archive() {
        tar -czf "$OUT/gpu-results.tar.gz.tmp" -C "$results" . &&
            mv "$OUT/gpu-results.tar.gz.tmp" "$OUT/gpu-results.tar.gz"
    }
    compare() { # NAME MODEL [extra args]
        local name=$1 model=$2 left=$((deadline - SECONDS))
        shift 2
        if ((left < 30)); then
            say "compare $name skipped: ${left}s left of the budget"
            failed=1
            return 0
        fi
        say "compare $name: ${engines:-candle} on $device, $requests requests x $max_tokens tokens"
        timeout -k 10 "$((left < limit ? left : limit))" "$bin/benchmark-runner" compare \
            --engines "${engines:-candle}" --device "$device" --telemetry "$telemetry" --model "$model" \
            --requests "$requests" --max-tokens "$max_tokens" --out "$results/$name" "$@" ||
            { say "compare $name failed (exit $?)"; failed=1; }
        archive
    }
    # PyTorch from the machine's own Python (the worker's Python side is inside its binary).
    local python=${PYTORCH_BASELINE_PYTHON:-python3} engines=candle
    if "$python" -c 'import torch, transformers, gguf' 2>/dev/null; then
        export PYTORCH_BASELINE_PYTHON=$python
        engines=candle,pytorch
    else
        say "pytorch left out: $python cannot import torch, transformers and gguf"
    fi
    compare smollm2-135m-q4_1 "models/$MODEL_FILE"
    engines=candle
    local spec arch quant file
    for spec in ${SYNTH-llama-3.2-1b:q4_0 llama-3.1-8b:q4_0}; do
        arch=${spec%%:*} quant=${spec#*:}
        file=models/synthetic-$arch-$quant.gguf
        if ((deadline - SECONDS < 60)); then
            say "synth $spec skipped: too little of the budget left"
            failed=1
            continue
        fi
        "$bin/benchmark-runner" models synth --arch "$arch" --quant "$quant" --out "$file" ||
            { say "synth $spec failed"; failed=1; continue; }
        compare "synthetic-$arch-$quant" "$file" --ignore-eos
        rm -f "$file"
    done
    archive
    say "results: $OUT/gpu-results.tar.gz ($(size "$OUT/gpu-results.tar.gz") bytes)"
    local report
    for report in "$results"/*/report.md; do
        [[ -f $report ]] && { echo "== $report"; cat "$report"; echo; }
    done
    return "$failed"
}

case ${1:-} in
pack) pack ;;
receive) shift; receive "$@" ;;
run) shift; run "$@" ;;
*) die "usage: gpu-kit.sh pack | receive DIR | run [DIR]" ;;
esac
