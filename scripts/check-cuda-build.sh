#!/usr/bin/env bash
# Keep the CUDA build from rotting: install NVIDIA's CUDA 13.0 toolkit from PyPI (scripts/cuda-
# toolchain.sh), build candle-bench with `--features cuda` into target/cuda, and check that the
# binary links the libraries a GPU machine with driver 580 provides. No GPU is needed; nothing is
# run on one.
#
# `--build-only` compiles everything the checks need (binary, lints, the CUDA layer's test) and
# stops: CI runs that part beside other work (it spends most of its time in NVIDIA's kernel
# compiler on one core) and the whole script afterwards, when only the checks are left to do.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/cuda-toolchain.sh)"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/cuda}
cargo build --locked --release -p candle-bench --features cuda
# The code behind the feature gets the same lints as the rest (seconds, after the build).
cargo clippy --locked --release -p candle-bench --features cuda --all-targets -- -D warnings
if [[ ${1:-} == --build-only ]]; then
    cargo test --locked --release -p candle-bench --features cuda --test cuda_layer --no-run
    exit 0
fi
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

# The CUDA layer (events, the device clock, the copy bandwidth) through cudarc against a
# stand-in driver: engines/candle-bench/tests/fake_libcuda.c, plus a stub that refuses every
# other function cuda.h declares.
fake=$(mktemp -d)
trap 'rm -rf "$stub" "$fake"' EXIT
fake_c=engines/candle-bench/tests/fake_libcuda.c
implemented=$(sed -nE 's/^CUresult (cu[A-Za-z0-9_]+)\(.*/\1/p' "$fake_c")
{
    cat "$fake_c"
    grep -vxF -f <(printf '%s\n' $implemented) "$CUDA_DRIVER_FUNCTIONS" \
        | sed -E 's/.*/int &(void) { return 801; }/'
} > "$fake/fake_libcuda.c"
gcc -shared -fPIC -O1 -Wall -o "$fake/libcuda.so.1" -Wl,-soname,libcuda.so.1 "$fake/fake_libcuda.c"
FAKE_LIBCUDA=1 LD_LIBRARY_PATH="$fake:$CUDA_ROOT/lib" \
    cargo test --locked --release -p candle-bench --features cuda --test cuda_layer
echo "check-cuda-build: the CUDA layer passes its tests against the stand-in driver"
