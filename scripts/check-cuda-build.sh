#!/usr/bin/env bash
# Keep the CUDA build from rotting: install NVIDIA's CUDA 13.0 toolkit from PyPI (scripts/cuda-
# toolchain.sh), build candle-bench with `--features cuda` into target/cuda, and check that the
# binary links the libraries a GPU machine with driver 580 provides. No GPU is needed; nothing is
# run on one.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/cuda-toolchain.sh)"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/cuda}
cargo build --locked --release -p candle-bench --features cuda
# The code behind the feature gets the same lints as the rest (seconds, after the build).
cargo clippy --locked --release -p candle-bench --features cuda --all-targets -- -D warnings
bin="$CARGO_TARGET_DIR/release/candle-bench"
needed=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
missing=0
for lib in libcuda.so.1 libcublas.so.13 libcurand.so.10 libcudart.so.13; do
    if ! grep -qx "$lib" <<<"$needed"; then
        echo "check-cuda-build: $bin does not link $lib" >&2
        missing=1
    fi
done
[[ $missing == 0 ]] || { echo "linked: $needed" >&2; exit 1; }
# The worker starts (against the link-time stub standing in for the driver library) and answers
# its handshake without any CUDA call.
stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT
ln -s "$CUDA_ROOT/lib/libcuda.so" "$stub/libcuda.so.1"
out=$(printf '{"type":"shutdown"}\n' | LD_LIBRARY_PATH="$stub:$CUDA_ROOT/lib" "$bin")
hello=$(head -1 <<<"$out")
grep -q '"device_clock":true' <<<"$hello" || { echo "check-cuda-build: unexpected hello: $hello" >&2; exit 1; }
echo "check-cuda-build: $bin builds and links $(tr '\n' ' ' <<<"$needed")"
