#!/usr/bin/env bash
# ttgrid as on a cluster, on one machine: the same bytes and the same counted traffic
# whether the 8 ranks are one node, 2 nodes or 4 (TTGRID_NODE_SIZE=4, 2: two-level
# barriers, agreements and reductions) and whether Open MPI's one-sided component is
# osc sm or osc pt2pt (what a cluster without RDMA runs); and MPI's failures as one
# ttgrid line: windows too large for the machine, sizes MPI cannot take, a one-sided
# component that cannot work here. usage: cluster.sh TTGRID WORKDIR
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$2
mkdir -p "$work" && cd "$work" || exit 1
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# expect CODE PATTERN NP ARGS...: as in cli.sh (exit code; one error line with PATTERN)
expect() {
  local code=$1 pattern=$2 np=$3
  shift 3
  $TG_MPIRUN -np "$np" "$tg" "$@" >out.txt 2>err.txt </dev/null
  local rc=$?
  [ "$rc" -eq "$code" ] || { fail "ttgrid $* exited $rc, expected $code"; cat err.txt; return; }
  if [ "$code" -ne 0 ]; then
    local lines
    lines=$(grep -c '^ttgrid: error:' err.txt)
    [ "$lines" -eq 1 ] || { fail "ttgrid $*: $lines error lines, expected 1"; cat err.txt; }
    grep -q -- "$pattern" err.txt || fail "ttgrid $*: no '$pattern' in: $(grep '^ttgrid' err.txt)"
    grep -q 'MPI_ERRORS_ARE_FATAL\|MPI_ABORT' err.txt && fail "ttgrid $*: Open MPI aborted"
  fi
}

# sizes: too large for the machine, or for MPI, are one line naming them
expect 2 "L1 of 99999999999 B per core (--l1-size) is outside" 2 --l1-size 99999999999 info
expect 2 "L1 of 18446744073709551615 B per core" 2 --l1-size 18446744073709551615 info
expect 1 "DRAM of 99999999999 B per bank (--dram-size).*more than its [0-9]* B of" 2 \
  --dram-size 99999999999 info
expect 2 "DRAM of 18446744073709551615 B per bank" 2 --dram-size 18446744073709551615 info
TTGRID_NODE_SIZE=two expect 2 "TTGRID_NODE_SIZE='two' is not a number of ranks" 2 info
# a one-sided component that cannot make windows here (osc rdma without RDMA
# hardware) is one line naming what a cluster needs; skipped where it works
OMPI_MCA_osc=rdma $TG_MPIRUN -np 2 "$tg" info >out.txt 2>err.txt </dev/null
if [ $? -ne 0 ]; then
  OMPI_MCA_osc=rdma expect 1 "one-sided MPI windows failed.*OMPI_MCA_osc=sm,pt2pt" 2 info
else
  echo "cluster: osc rdma works on this machine; its failure line is not checked"
fi

# the same bytes and the same traffic as one node, 2 nodes, 4 nodes, and under osc
# pt2pt (2 nodes), for a ResNet-50 pass with every layer dumped
net=(--quiet resnet50 --image-size 64 --dump-layers)
expect 0 "" 8 --stats one.csv "${net[@]}" one_layers.h5 --output one.h5
for v in "TTGRID_NODE_SIZE=4" "TTGRID_NODE_SIZE=2" "TTGRID_NODE_SIZE=4 OMPI_MCA_osc=pt2pt"; do
  name=$(echo "$v" | tr ' =' '__')
  eval "$v expect 0 '' 8 --stats $name.csv ${net[*]} ${name}_layers.h5 --output $name.h5"
  for d in /logits /top5; do
    h5diff one.h5 "$name.h5" $d $d || fail "$v: $d differs from one node's"
  done
  h5diff one_layers.h5 "${name}_layers.h5" || fail "$v: a layer differs from one node's"
  $TG_PYTHON - one.csv "$name.csv" <<'PY' || fail "$v: the counted traffic differs from one node's"
import csv, sys
timing = {"seconds", "compute_seconds"}  # measured, not counted
def rows(path):
    return [{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(open(path))]
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    assert x == y, {k: (x[k], y[k]) for k in x if x[k] != y[k]}
PY
done

[ $failed -eq 0 ] && echo "cluster: all checks passed"
exit $failed
