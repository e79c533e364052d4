#!/usr/bin/env bash
# bench/run_resnet50.sh — ResNet-50 wall time per image (224x224, batch 1) on the
# emulated grid at 1, 2, 8 and 64 ranks, float32 and bfloat16 (LoFi), beside
# PyTorch's time on 1 and 2 threads measured in the same run, as ratios. It prints
# figures; it never asserts them. Targets (issue "ResNet-50 end to end", float32,
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset): 2 ranks within 1.5x of PyTorch on
# 2 threads; 64 ranks within 4x of 2 ranks; the 64-rank run's memory under 8 GiB.
# Issue "Emulation speed" (float32 and bfloat16, variables unset): 1 rank at most
# PyTorch's time on 1 thread, 2 ranks at most PyTorch's on 2 threads, 64 ranks at
# most 2x the 2-rank time; a line per format says met or MISSED for each.
#
# At 64 ranks it also prints the pass's context switches (summed over ranks, from
# ttgrid's own count) times the machine's price of one handoff between processes
# (bench/bench_handoff.c) over the processors: what switching alone costs a pass,
# beside the 2x target.
#
# ttgrid's time is its own forward pass (median of the passes after the first, which
# prepares the weights), measured inside the program: starting 64 MPI processes
# takes 7-10 s here and is not part of an inference. Weights and input are the
# deterministic generated ones (the time does not depend on them).
# Usage: bench/run_resnet50.sh [BUILD_DIR]   (default build/; built when missing)
# REPEAT sets the forward passes per run (default 6).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=../scripts/env.sh
source "$root/scripts/env.sh"
read -ra mpirun <<<"$TG_MPIRUN"
build=${1:-$root/build}
[ -x "$build/ttgrid" ] || "$root/scripts/build.sh" "$build"
repeat=${REPEAT:-6}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }
judge() { awk "BEGIN { print ($1 <= $2) ? \"met\" : \"MISSED\" }"; } # RATIO TARGET

busy() { # percent of the processors busy over one second
  read -r _ a b c d e f g _ < /proc/stat
  sleep 1
  read -r _ a2 b2 c2 d2 e2 f2 g2 _ < /proc/stat
  local tot=$(( (a2+b2+c2+d2+e2+f2+g2) - (a+b+c+d+e+f+g) )) idle=$(( (d2+e2) - (d+e) ))
  echo $(( tot > 0 ? 100 * (tot - idle) / tot : 0 ))
}

run_env() { # LABEL, then env arguments
  local label=$1
  shift
  echo "== $label"
  echo "\$ env $* $TG_PYTHON bench/bench_resnet50_torch.py   [processors $(busy)% busy before]"
  env "$@" "$TG_PYTHON" "$here/bench_resnet50_torch.py" 20 >"$work/torch.txt"
  local t1 t2
  t1=$(awk '$2 == 1 {print $3}' "$work/torch.txt")
  t2=$(awk '$2 == 2 {print $3}' "$work/torch.txt")
  printf "PyTorch %s: 1 thread %.4f s, 2 threads %.4f s per image (median of 20)\n" \
    "$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" "$t1" "$t2"
  printf "%-6s %-9s %10s %10s %12s %12s\n" ranks dtype "s/image" best "vs torch-2t" "vs 2 ranks"
  declare -A med
  for dtype in float32 bfloat16; do
    for np in 1 2 8 64; do
      local extra=()
      [ "$dtype" = bfloat16 ] && extra=(--math-fidelity LoFi)
      env "$@" "${mpirun[@]}" -np "$np" "$build/ttgrid" --quiet resnet50 --dtype "$dtype" \
        "${extra[@]}" --repeat "$repeat" --output "$work/out.h5" >"$work/run.txt"
      local m b
      m=$(awk '/forward passes after the first/ {print $7}' "$work/run.txt")
      b=$(awk '/forward passes after the first/ {print $10}' "$work/run.txt")
      med[$dtype.$np]=$m
      printf "%-6s %-9s %10.4f %10.4f %12.2f %12s\n" "$np" "$dtype" "$m" "$b" \
        "$(calc "$m / $t2")" \
        "$( [ -n "${med[$dtype.2]:-}" ] && printf "%.2f" "$(calc "$m / ${med[$dtype.2]}")" || echo -)"
      if [ "$np" = 64 ] && [ "$dtype" = float32 ]; then
        grep '^memory' "$work/run.txt" | sed 's/^/       64 ranks: /'
      fi
      local sw
      sw=$(awk '/^context switches:/ {print $3}' "$work/run.txt")
      if [ "$np" = 64 ] && [ -n "$sw" ] && [ -n "${med[$dtype.2]:-}" ]; then
        # what the switches alone cost: each one a handoff at the machine's price
        printf "       64 ranks: %s context switches a pass (summed over ranks) x %.2f us / %d processors = %.4f s in handoffs alone; 2x the 2-rank time is %.4f s\n" \
          "$sw" "$handoff" "$(nproc)" "$(calc "$sw * $handoff / 1e6 / $(nproc)")" "$(calc "2 * ${med[$dtype.2]}")"
      fi
    done
  done
  local r2 r64
  r2=$(calc "${med[float32.2]} / $t2")
  r64=$(calc "${med[float32.64]} / ${med[float32.2]}")
  printf "targets (float32): 2 ranks / PyTorch 2 threads = %.2f (<= 1.5: %s); 64 ranks / 2 ranks = %.2f (<= 4: %s)\n" \
    "$r2" "$(judge "$r2" 1.5)" "$r64" "$(judge "$r64" 4)"
  # issue "Emulation speed": 1 rank <= PyTorch on 1 thread, 2 ranks <= PyTorch on 2
  # threads, 64 ranks <= 2x the 2-rank time, in float32 and in bfloat16
  local dt a b c
  for dt in float32 bfloat16; do
    a=$(calc "${med[$dt.1]} / $t1") b=$(calc "${med[$dt.2]} / $t2")
    c=$(calc "${med[$dt.64]} / ${med[$dt.2]}")
    printf "emulation-speed targets (%s): 1 rank / PyTorch 1 thread = %.2f (<= 1: %s); 2 ranks / PyTorch 2 threads = %.2f (<= 1: %s); 64 ranks / 2 ranks = %.2f (<= 2: %s)\n" \
      "$dt" "$a" "$(judge "$a" 1)" "$b" "$(judge "$b" 1)" "$c" "$(judge "$c" 2)"
  done
}

# the machine's price of one process handing its processor to another (bench_handoff)
handoff=$("$build/bench/bench_handoff" | awk -F= '/^handoff_us=/ {print $2}')
[ -n "$handoff" ] || { echo "run_resnet50.sh: bench_handoff failed" >&2; exit 1; }
echo "bench/run_resnet50.sh on $(nproc) processors, $(date -u +%FT%TZ); environment had OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
echo "one handoff between two processes on one processor (bench_handoff): $handoff us"
run_env "main figures: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (the targets apply here)" \
  -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
run_env "default environment (variables as set)" TTGRID_BENCH=1
