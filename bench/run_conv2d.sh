#!/usr/bin/env bash
# bench/run_conv2d.sh — runs the conv2d benchmark (issue "conv2d") and prints its
# figures and ratios (it never asserts timings): for each distinct conv shape of
# ResNet-50 at batch 1, 224x224, on one rank, ttgrid's float32 conv against OpenBLAS
# sgemm on the same matrix product and against PyTorch's one-thread conv2d
# (bench_conv2d_torch.py, run here first), and ttgrid's bfloat16 conv against its
# float32 one. It runs twice:
#   1. with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, so that OpenBLAS picks its
#      kernels for this processor — the main figures, those the issue's targets are
#      for (ttgrid >= 0.7x sgemm and >= 0.8x PyTorch throughput on the 3x3 shapes,
#      bfloat16 time <= 1.3x float32 time);
#   2. in the default environment (both variables as set, if they are).
# Usage: bench/run_conv2d.sh [BUILD_DIR]   (default build/; built when missing or
# older than the benchmark's source)
# BENCH_TIME sets the seconds per figure (default 1.0; each figure is the median of
# 3 to BENCH_MAX_REPS (51) timed runs after a warm-up).
# Benchmarks share the machine: a line before each run says how busy the processors
# were in the second before it, since other processes skew every figure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../scripts/env.sh
source "$here/../scripts/env.sh"
read -ra mpirun <<<"$TG_MPIRUN"
build=${1:-$root/build}
bin=$build/bench/bench_conv2d
if [ ! -x "$bin" ] || [ "$here/bench_conv2d.c" -nt "$bin" ]; then
  "$here/../scripts/build.sh" "$build"
fi
point_s=${BENCH_TIME:-1.0}
max_reps=${BENCH_MAX_REPS:-51}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" --list >"$tmp/shapes"

# Percentage of all processors busy over one second (from /proc/stat).
busy() {
  local -a s0 s1
  read -ra s0 </proc/stat
  sleep 1
  read -ra s1 </proc/stat
  local all=0 j
  for j in 1 2 3 4 5 6 7 8; do all=$((all + s1[j] - s0[j])); done
  local idle=$((s1[4] - s0[4] + s1[5] - s0[5]))
  echo $((all > 0 ? 100 * (all - idle) / all : 0))
}

failed=0
checked=0
# One environment: $1 is its title, the rest are `env` arguments (may be none).
bench_env() {
  local title=$1
  shift
  echo
  echo "== $title"
  local check=()
  [ "$checked" = 1 ] || check=(--check-torchvision)
  checked=1
  echo "\$ env $* $TG_PYTHON bench/bench_conv2d_torch.py SHAPES TORCH ${check[*]}" \
    "   [processors $(busy)% busy before the run]"
  if ! env "$@" timeout 300 "$TG_PYTHON" "$here/bench_conv2d_torch.py" "$tmp/shapes" \
      "$tmp/torch" --time "$point_s" --max-reps "$max_reps" "${check[@]}"; then
    echo "bench_conv2d_torch.py failed (see above)"
    failed=1
  fi
  echo
  echo "\$ env $* $TG_MPIRUN -np 1 $bin --torch TORCH --time $point_s --max-reps $max_reps" \
    "   [processors $(busy)% busy before the run]"
  if ! env "$@" timeout 600 "${mpirun[@]}" -np 1 "$bin" --torch "$tmp/torch" --time "$point_s" \
      --max-reps "$max_reps"; then
    echo "bench_conv2d failed or a result check failed (see above)"
    failed=1
  fi
}

start=$SECONDS
echo "== bench_conv2d: ResNet-50 conv shapes on one rank ($(nproc) processors," \
  "$(date -u +%FT%TZ)); the environment had OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)}" \
  "OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}"
bench_env "main figures: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (the targets apply here)" \
  -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
bench_env "default environment: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)} \
OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}"
echo
echo "run_conv2d.sh: done in $((SECONDS - start)) s"
[ "$failed" = 0 ]
