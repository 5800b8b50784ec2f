#!/usr/bin/env bash
# bench/gpu-check.sh — the CUDA backend's whole device check in one call (under 8 minutes):
#   1. the GPU tests (package dev.lookahead4j.cuda: reference cases bit-exact on CUDA, 11M-parameter
#      CUDA == CPU for every rule and pullback, device memory back to its level after close, ...; and
#      dev.lookahead4j.checkpoint.CudaToCpuResumeTest: a checkpoint saved on CUDA resumes on the CPU);
#   2. lookahead4j's own benchmark (`bench --device cuda`, Adam + Lookahead k=5) on 256M parameters and
#      on ResNet-50's parameter count, which also measures a device-to-device copy;
#   3. bench/torch_gpu.py: PyTorch Adam(fused=True) + foreach Lookahead sync, and the official
#      per-parameter Lookahead loop, on the flat arena, ResNet-50's 161 tensors and GPT-2 small's 148;
#   4. the training demo's CUDA model: its GPU test (train.CudaMlpTest: one step's gradients and two
#      epochs' losses against the CPU model, bit-for-bit repeatable) and a short `train --device cuda`
#      (1 epoch, Adam vs Lookahead(Adam); Fashion-MNIST if installed there, else the embedded data);
# and prints a short table last. Logs go to $OUT (the device tool brings them back).
# The device tool brings back at most 8 files from $OUT: this script leaves 7 there (six logs and
# reports.tgz, a tarball of the JUnit XML reports, device.txt and the train command's outputs, which are
# written to $WORK first).
#
# How to run it (from the repository root, on the machine without a GPU):
#   ../shared/tools/gpu-pack                       # builds .gpu/ (JRE, classes, test classes, jars)
#   rm -f .gpu/lib/jazzer*.jar                     # 11 MB the GPU run does not need (the carry limit is 64 MiB)
# then call the device tool's `run` with
#   command:   bash bench/gpu-check.sh
#   carry:     [".gpu"]
#   timeout_s: 540
# Run it by hand on any CUDA machine with .gpu/ present the same way (OUT defaults to /tmp/gpu-check).
# Rehearse it without a GPU, on cuda-emu (checks the script, the packing and the tests; the figures mean
# nothing), after `mvn test-compile` and gpu-pack:
#   LD_LIBRARY_PATH=$PWD/target/native/cuda-emu JAVA_TOOL_OPTIONS=-Dlookahead4j.cuda.emulator=$PWD/target/native/cuda-emu \
#     PARAMS=1048576 STEPS=3 SKIP_TORCH=1 bash bench/gpu-check.sh
# Knobs: PARAMS (default 268435456), STEPS (50), BUDGET (450 s), SKIP_TESTS=1, SKIP_TORCH=1, SKIP_TRAIN=1.
# The training part (4) adds at most 2 x 60 s (timeouts); on the embedded data it should take seconds.
# SKIP_TORCH=1 or SKIP_TESTS=1 make room if the whole check nears the device tool's limit.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-check}
WORK=${WORK:-/tmp/gpu-check-work}   # everything but the logs; tarred into $OUT/reports.tgz at the end
mkdir -p "$OUT" "$WORK"
PARAMS=${PARAMS:-268435456}
STEPS=${STEPS:-50}
RESNET50_PARAMS=25557032
export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:-} -Xmx24g"   # the machine's RAM grows on use; the JVM's default heap would not
export PYTHONUNBUFFERED=1
t_start=$(date +%s)
status=()

note() { echo "[gpu-check $(( $(date +%s) - t_start ))s] $*"; }
# Every step's timeout is cut to what is left of BUDGET seconds (default 450: the whole check stays under
# 8 minutes even when steps hang); a step that starts with the budget spent gets 1 s (rc 124 in the summary).
BUDGET=${BUDGET:-450}
within() {
  local left=$(( BUDGET - ($(date +%s) - t_start) ))
  [ "$left" -lt 1 ] && left=1
  echo $(( $1 < left ? $1 : left ))
}

if [ ! -x .gpu/run ] && [ ! -f .gpu/run ]; then
  echo "gpu-check: .gpu/ is missing: run ../shared/tools/gpu-pack first and carry .gpu" >&2
  exit 2
fi

# the JUnit console launcher does not expand .gpu/run's "lib/*" class-path entry: name the jars (JCuda ...)
JARS=$(ls -d "$PWD"/.gpu/lib/*.jar | paste -sd:)

note "device"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | tee "$WORK/device.txt"
# JCublas (the training demo's CUDA model) needs CUDA 12's libcublas.so.12; a CUDA 13-only image has .so.13
# and CudaMlpTest then skips. Say up front which cuBLAS libraries the loader can find.
{ ldconfig -p 2>/dev/null | grep -o 'libcublas\.so\.[0-9]*' | sort -u | tr '\n' ' '; echo "(ldconfig; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-})"; } \
  | sed 's/^/cublas: /' | tee -a "$WORK/device.txt"

if [ "${SKIP_TESTS:-0}" != 1 ]; then
  note "GPU tests (dev.lookahead4j.cuda, the CUDA-to-CPU checkpoint resume, replay/bench/train --device cuda)"
  timeout "$(within 300)" bash .gpu/run test --disable-ansi-colors -cp "$JARS" --select-package=dev.lookahead4j.cuda \
      --select-class=dev.lookahead4j.checkpoint.CudaToCpuResumeTest --select-class=dev.lookahead4j.cli.CliCudaTest \
      --reports-dir="$WORK/junit" > "$OUT/gpu-tests.log" 2>&1
  rc=$?
  # the failed and aborted tests and their messages (tree marks ✘ / ■, or [X] / [A] in the ASCII theme
  # that a non-UTF-8 locale gets; the failure list at the end has the message after "=>")
  grep -E '✘|■|\[X\]|\[A\]|=> ' "$OUT/gpu-tests.log" | head -60
  tail -25 "$OUT/gpu-tests.log"
  status+=("gpu-tests rc=$rc")
fi

for n in "$PARAMS" "$RESNET50_PARAMS"; do
  # ResNet-50's parameter count is benched split into 161 tensors like the model (equal sizes)
  tensors=1; [ "$n" = "$RESNET50_PARAMS" ] && tensors=161
  note "lookahead4j bench --device cuda --params $n --tensors $tensors"
  timeout "$(within 90)" bash .gpu/run java dev.lookahead4j.cli.Main bench --device cuda --rule adam --lookahead-k 5 \
      --params "$n" --tensors "$tensors" --steps "$STEPS" > "$OUT/bench-java-$n.log" 2>&1
  rc=$?
  cat "$OUT/bench-java-$n.log"
  status+=("java-bench params=$n rc=$rc")
done

if [ "${SKIP_TORCH:-0}" != 1 ]; then
  note "PyTorch baselines"
  timeout "$(within 150)" python3 bench/torch_gpu.py --params "$PARAMS" --steps "$STEPS" --k 5 > "$OUT/bench-torch.log" 2>&1
  rc=$?
  cat "$OUT/bench-torch.log"
  status+=("torch-bench rc=$rc")
fi

if [ "${SKIP_TRAIN:-0}" != 1 ]; then
  note "training demo on CUDA (train.CudaMlpTest, train --device cuda --epochs 1)"
  timeout "$(within 60)" bash .gpu/run test --disable-ansi-colors -cp "$JARS" --select-class=dev.lookahead4j.train.CudaMlpTest \
      --reports-dir="$WORK/junit-train" > "$OUT/train-gpu-test.log" 2>&1
  rc=$?
  grep -E '✘|■|↷|\[X\]|\[A\]|\[S\]|=> ' "$OUT/train-gpu-test.log" | head -20  # skipped: no libcublas.so.12?
  tail -15 "$OUT/train-gpu-test.log"
  status+=("train-gpu-test rc=$rc")
  # gpu-pack's runtime has no java.desktop (AWT): the command then ends with "cannot draw ...png" and
  # exit 1 after the tables, CSV and JSON; the tables (and the "device cuda:" header) are what count here.
  timeout "$(within 60)" bash .gpu/run java dev.lookahead4j.cli.Main train --device cuda --epochs 1 --progress off \
      --out "$WORK/train-out" > "$OUT/train-cuda.log" 2>&1
  rc=$?
  cat "$OUT/train-cuda.log"
  status+=("train-cuda rc=$rc (1 = plot only, see log)")
fi

note "done"
tar czf "$OUT/reports.tgz" -C "$WORK" . 2>/dev/null || echo "gpu-check: could not tar $WORK" >&2
echo
echo "================ summary ($(head -1 "$WORK/device.txt" 2>/dev/null)) ================"
for s in "${status[@]}"; do echo "  $s"; done
if [ -f "$OUT/gpu-tests.log" ]; then
  grep -E "tests (successful|failed|skipped|aborted)" "$OUT/gpu-tests.log" | sed 's/^/  junit: /'
fi
printf '  %-10s %-34s %12s %10s %12s\n' layout variant params ms/step GB/s
for n in "$PARAMS" "$RESNET50_PARAMS"; do
  # the bench command's own last lines (its format is the bench command's)
  tail -4 "$OUT/bench-java-$n.log" 2>/dev/null | sed "s/^/  java[$n]: /"
done
if [ -f "$OUT/bench-torch.log" ]; then
  grep '^RESULT' "$OUT/bench-torch.log" | while read -r _ layout variant params _tensors ms gbs _rest; do
    printf '  %-10s %-34s %12s %10s %12s\n' "$layout" "$variant" "${params#params=}" "${ms#ms_per_step=}" "${gbs#GB/s=}"
  done
fi
