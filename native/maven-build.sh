#!/usr/bin/env bash
# Called by Maven (exec-maven-plugin, phase generate-resources) with the build directory:
#   bash native/maven-build.sh TARGET_DIR
# - nvcc on the PATH: builds the PTX resources, runs the ptxas check and builds the host program
#   (make -C native); any failure fails the build.
# - no nvcc: builds only the host program (when make and a C++ compiler exist) and says that this
#   build has no CUDA kernels; the CUDA backend then reports "this build has no kernels".
# Set NVCC=/path/to/nvcc to pick a toolkit; -Dnative.skip=true skips this step entirely.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-$root/target}
args=(OUT="$target/native" PTX_OUT="$target/classes/dev/lookahead4j/cuda")
nvcc=${NVCC:-nvcc}
if ! command -v make >/dev/null 2>&1; then
  echo "[lookahead4j native] make not found: no CUDA kernels and no host kernel check in this build" >&2
  exit 0
fi
if command -v "$nvcc" >/dev/null 2>&1; then
  echo "[lookahead4j native] building PTX with $("$nvcc" --version | tail -1)"
  make -s -C "$root/native" NVCC="$nvcc" "${args[@]}" all
else
  echo "[lookahead4j native] nvcc not found: this build has no CUDA kernels (the CPU backend is unaffected)" >&2
  if command -v "${CXX:-g++}" >/dev/null 2>&1; then
    make -s -C "$root/native" "${args[@]}" host
  fi
fi
