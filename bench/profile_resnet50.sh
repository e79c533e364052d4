#!/usr/bin/env bash
# bench/profile_resnet50.sh — where the time of a ResNet-50 pass goes (issue
# "Emulation speed", item 1): 224x224, batch 1, float32, at 1, 2 and 64 ranks (or
# the rank counts given), OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
#
# Two views, both printed as tables by bench/profile_report.py:
#  - by layer group, from ttgrid's own statistics (--stats): the wall time of the
#    slowest core and the time all cores spent inside compute kernels, summed (the
#    rest of a core's time in an op is data movement, format work and waiting);
#  - by activity, from `perf record` over the whole job (every rank, the launcher,
#    the kernel's share of each process), run once with one pass and once with
#    REPEAT, the difference being REPEAT - 1 passes: samples grouped by symbol into the matrix
#    kernel, im2col and gathers, format conversion, the epilogue and pools, memory
#    copies (NoC windows, halo, padding), waiting (ttgrid's waits, MPI's progress
#    engine, futexes and the scheduler), page faults and process start, HDF5 and the
#    rest.
# Figures, never assertions. perf must be allowed to sample the job
# (/proc/sys/kernel/perf_event_paranoid <= 2 for one's own processes).
# Usage: bench/profile_resnet50.sh [BUILD_DIR [RANKS...]]   (default build/, 1 2 64)
# REPEAT: forward passes per run (default 9: the first prepares the weights).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=../scripts/env.sh
source "$root/scripts/env.sh"
read -ra mpirun <<<"$TG_MPIRUN"
build=${1:-$root/build}
shift || true
ranks=("$@")
[ ${#ranks[@]} -gt 0 ] || ranks=(1 2 64)
[ -x "$build/ttgrid" ] || "$root/scripts/build.sh" "$build"
command -v perf >/dev/null || { echo "profile_resnet50.sh: perf is not installed" >&2; exit 2; }
repeat=${REPEAT:-9}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "bench/profile_resnet50.sh on $(nproc) processors, $(date -u +%FT%TZ); ResNet-50 224x224 batch 1 float32, $repeat passes a run; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"
args=()
for np in "${ranks[@]}"; do
  tg=("${mpirun[@]}" -np "$np" "$build/ttgrid" --quiet)
  net=(resnet50 --dtype float32 --repeat "$repeat" --output "$work/out$np.h5")
  # the statistics of a run without perf, then the same run under perf
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${tg[@]}" --stats "$work/stats$np.csv" "${net[@]}" \
    >"$work/run$np.txt"
  # under perf twice, with one pass and with REPEAT: the difference is REPEAT - 1
  # passes without the start, the weights' preparation and the end
  for r in 1 "$repeat"; do
    rm -f "$work/out$np.h5"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE perf record -q -F 499 -o "$work/perf$np.$r.data" \
      -- "${tg[@]}" resnet50 --dtype float32 --repeat "$r" --output "$work/out$np.h5" \
      >/dev/null 2>"$work/perf$np.err"
    perf report -i "$work/perf$np.$r.data" --no-children --sort dso,sym --stdio -q \
      -F overhead,sample,dso,sym 2>/dev/null >"$work/perf$np.$r.txt"
  done
  pass=$(awk '/forward passes after the first/ {print $7}' "$work/run$np.txt")
  # ttgrid's own count of the processes' context switches a pass, summed over ranks
  switches=$(awk '/^context switches:/ {print $3}' "$work/run$np.txt")
  args+=("$np" "$pass" "${switches:--}" "$work/stats$np.csv" "$work/perf$np.1.txt"
    "$work/perf$np.$repeat.txt")
done
"$TG_PYTHON" "$here/profile_report.py" "$repeat" "${args[@]}"
