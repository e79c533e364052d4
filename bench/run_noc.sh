#!/usr/bin/env bash
# bench/run_noc.sh — runs the NoC and waiting benchmarks and prints their figures
# and ratios (they never assert timings):
#   bench_noc at 2 and 8 ranks (NoC read and multicast against raw MPI, both
#   mechanisms; target: NoC/MPI <= 1.10 at >= 64 KiB), once more at 2 ranks with
#   OMPI_MCA_btl_vader_single_copy_mechanism unset (Open MPI's default, CMA, which
#   scripts/env.sh turns off because it fails in some containers);
#   bench_wait at 2 ranks alone and at 64 ranks waiting in tg_noc_barrier (one-sided:
#   whatever path src/noc takes; two-sided: MPI_Ibarrier with back-off, 10 ms and
#   1 ms caps) or in MPI_Barrier (target: polite 64-rank time <= 1.25x the 2-rank
#   time), each BENCH_WAIT_REPEAT (3) times.
# Usage: bench/run_noc.sh [BUILD_DIR]   (default build/; built when missing)
# BENCH_TIME sets bench_noc's seconds per point (default 0.2).
# Benchmarks share the machine: a line before each run says how busy the processors
# were in the second before it, since other processes skew every figure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../scripts/env.sh
source "$here/../scripts/env.sh"
read -ra mpirun <<<"$TG_MPIRUN"
build=${1:-$root/build}
if [ ! -d "$build" ] || [ ! -x "$build/bench/bench_noc" ] || [ ! -x "$build/bench/bench_wait" ]
then
  "$here/../scripts/build.sh" "$build"
fi
noc=$build/bench/bench_noc
wait_bin=$build/bench/bench_wait
point_s=${BENCH_TIME:-0.2}

# Percentage of all processors busy over one second (from /proc/stat).
busy() {
  local a b
  read -ra a </proc/stat
  sleep 1
  read -ra b </proc/stat
  local total=0 idle i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $((total > 0 ? 100 * (total - idle) / total : 0))
}

run() {
  echo
  echo "\$ $*    [processors $(busy)% busy before the run]"
  "$@"
}

echo "== bench_noc: NoC layer vs raw MPI ($(nproc) processors, $(date -u +%FT%TZ))"
run timeout 600 "${mpirun[@]}" -np 2 "$noc" --time "$point_s"
run timeout 600 "${mpirun[@]}" -np 8 "$noc" --time "$point_s"

echo
echo "== bench_noc with OMPI_MCA_btl_vader_single_copy_mechanism unset (Open MPI default: CMA)"
cma_out=$(mktemp)
trap 'rm -f "$cma_out"' EXIT
echo "\$ env -u OMPI_MCA_btl_vader_single_copy_mechanism $TG_MPIRUN -np 2 $noc --time $point_s" \
  "   [processors $(busy)% busy before the run]"
if env -u OMPI_MCA_btl_vader_single_copy_mechanism \
     timeout 300 "${mpirun[@]}" -np 2 "$noc" --time "$point_s" >"$cma_out" 2>&1; then
  cat "$cma_out"
  mech=$(env -u OMPI_MCA_btl_vader_single_copy_mechanism \
         ompi_info --param btl vader --level 3 2>/dev/null |
         sed -n 's/.*single_copy_mechanism" (current value: "\([^"]*\)".*/\1/p' | head -1)
  echo "CMA: works here (unset, vader's single-copy mechanism defaults to '${mech:-?}')"
else
  rc=$?
  head -20 "$cma_out"
  if grep -q "errno = 1" "$cma_out"; then
    echo "CMA: fails here (exit $rc, 'Read -1 ... errno = 1': process_vm_readv not permitted)"
  else
    echo "CMA: the run failed (exit $rc); see the lines above"
  fi
fi

echo
echo "== bench_wait: ranks 0 and 1 compute, the others wait"
# Runs bench_wait $repeat times ("$@": environment assignments, then mpirun
# arguments), shows each output and sets $secs to the median compute_s figure.
repeat=${BENCH_WAIT_REPEAT:-3}
wait_run() {
  local out i all=()
  for ((i = 0; i < repeat; i++)); do
    echo "\$ $*    [processors $(busy)% busy before the run]"
    out=$(env "$@")
    echo "$out"
    all+=("$(sed -n 's/.*compute_s=\([0-9.]*\).*/\1/p' <<<"$out" | tail -1)")
  done
  secs=$(printf '%s\n' "${all[@]}" | sort -g | awk '{ v[NR] = $1 }
    END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  echo "median of $repeat: $secs s"
}
secs=
wait_run timeout 300 "${mpirun[@]}" -np 2 "$wait_bin"
alone=$secs
wait_run timeout 300 "${mpirun[@]}" -np 64 "$wait_bin"
one=$secs
wait_run timeout 300 "${mpirun[@]}" -np 64 "$wait_bin" --mode two-sided
two=$secs
wait_run TTGRID_WAIT_CAP_US=1000 timeout 300 "${mpirun[@]}" -np 64 "$wait_bin" --mode two-sided
two1=$secs
wait_run timeout 300 "${mpirun[@]}" -np 64 "$wait_bin" --mpi-barrier
spin=$secs
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "compute loop, median of $repeat runs: 2 ranks alone $alone s; 64 ranks waiting in" \
  "tg_noc_barrier one-sided $one s, two-sided back-off (10 ms cap) $two s, two-sided" \
  "back-off (1 ms cap) $two1 s; in MPI_Barrier $spin s"
echo "ratio to 2 ranks alone (target <= 1.25): one-sided $(ratio "$one" "$alone")x," \
  "back-off 10 ms cap $(ratio "$two" "$alone")x, back-off 1 ms cap $(ratio "$two1" "$alone")x," \
  "MPI_Barrier $(ratio "$spin" "$alone")x"
