#!/usr/bin/env bash
# NVIDIA's CUDA 13.0 toolkit from PyPI, for building the `cuda` feature on a machine without a GPU
# or driver. Installs the wheels into .tools/cuda (or $CUDA_TOOLS), generates a link-time stub
# libcuda.so (soname libcuda.so.1) from the declarations in the shipped cuda.h, adds unversioned
# library symlinks, and prints the environment to build with:
#
#   eval "$(bash scripts/cuda-toolchain.sh)"
#   cargo build --release -p candle-bench --features cuda
#
# Pinned to 13.0.x: the GPU machines run driver 580 (CUDA 13.0), which cannot load PTX from a
# newer nvcc. CUDA_COMPUTE_CAP defaults to 90 (Hopper) since there is no GPU here to query.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${CUDA_TOOLS:-.tools/cuda}
ROOT="$DEST/py/nvidia/cu13"

if [[ ! -x "$ROOT/bin/nvcc" ]]; then
    echo "cuda-toolchain: installing CUDA 13.0 wheels into $DEST" >&2
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$DEST/py" \
        nvidia-cuda-nvcc==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-nvvm==13.0.88 \
        nvidia-cuda-cccl==13.0.85 nvidia-cuda-runtime==13.0.96 nvidia-cuda-nvrtc==13.0.88 \
        nvidia-cublas==13.0.2.14 nvidia-curand==10.4.0.35 >&2
fi
[[ -x "$ROOT/bin/nvcc" ]] || { echo "cuda-toolchain: no nvcc under $ROOT/bin" >&2; exit 1; }

lib="$ROOT/lib"
# Every driver function cuda.h declares, one per line; preprocessed so that versioned names
# (cuCtxCreate -> cuCtxCreate_v2) are the ones listed. Also read by scripts/check-cuda-build.sh.
functions="$DEST/cuda-driver-functions.txt"
if [[ ! -f "$functions" ]]; then
    gcc -E -P -I"$ROOT/include" "$ROOT/include/cuda.h" \
        | grep -oE '\bcu[A-Z][A-Za-z0-9_]*[[:space:]]*\(' | sed -E 's/[[:space:]]*\($//' \
        | sort -u > "$functions"
fi
if [[ ! -f "$lib/libcuda.so" ]]; then
    echo "cuda-toolchain: generating the stub libcuda.so from cuda.h" >&2
    stub_c="$DEST/libcuda-stub.c"
    sed -E 's/.*/void &(void) {}/' "$functions" > "$stub_c"
    gcc -shared -fPIC -o "$lib/libcuda.so" -Wl,-soname,libcuda.so.1 "$stub_c"
    mkdir -p "$lib/stubs"
    ln -sf ../libcuda.so "$lib/stubs/libcuda.so"
fi
for name in cublas cublasLt cudart curand nvrtc; do
    versioned=$(find "$lib" -maxdepth 1 -name "lib$name.so.[0-9]*" | sort | head -1)
    if [[ -n "$versioned" && ! -e "$lib/lib$name.so" ]]; then
        ln -s "$(basename "$versioned")" "$lib/lib$name.so"
    fi
done

abs=$(cd "$ROOT" && pwd)
echo "export CUDA_ROOT=$abs"
echo "export CUDA_PATH=$abs"
echo "export PATH=$abs/bin:\$PATH"
echo "export LIBRARY_PATH=$abs/lib:\${LIBRARY_PATH:-}"
echo "export CUDA_COMPUTE_CAP=\${CUDA_COMPUTE_CAP:-90}"
echo "export CUDA_DRIVER_FUNCTIONS=$(cd "$(dirname "$functions")" && pwd)/$(basename "$functions")"
