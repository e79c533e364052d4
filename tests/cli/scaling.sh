#!/usr/bin/env bash
# The scaling-study script end to end: maxpool2d over 1, 2 and 4 ranks gives one row
# per rank count with the traffic the layouts imply (no halo on one core, halo
# traffic on more), an L1 peak under the limit, and its plot; a workload that
# already names --grid is a usage error (exit 2). usage: scaling.sh TTGRID WORKDIR
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$2
mkdir -p "$work" && cd "$work" || exit 1
failed=0
fail() { echo "FAIL: $*"; failed=1; }

$TG_PYTHON "$here/scripts/make_reference.py" maxpool2d --input-shape 1,56,56,64 --kernel 3x3 \
  --stride 2x2 --padding 1,1 --seed 3 --output pool.h5 >/dev/null || exit 1
rm -rf out
$TG_PYTHON "$here/scripts/scaling.py" --ranks 1,2,4 --ttgrid "$tg" --out out --repeat 1 \
  --plot -- maxpool2d --input pool.h5:/input --kernel 3x3 --stride 2x2 --padding 1,1 \
  --output o.h5:/y >log.txt 2>&1 || { fail "scaling.py exited $?"; cat log.txt; }
[ -s out/scaling.png ] || fail "no out/scaling.png"
# columns: ranks,grid,time_s,wall_s,speedup,efficiency,noc_mib,dram_mib,halo_mib,
#          l1_peak_kib,model_mcycles,load_balance,busiest_link_mib,status
$TG_PYTHON - out/scaling.csv <<'PY' || failed=1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ok = True
def check(cond, msg):
    global ok
    if not cond:
        print("FAIL:", msg); ok = False
check([r["ranks"] for r in rows] == ["1", "2", "4"], f"rank counts {[r['ranks'] for r in rows]}")
check(all(r["status"] == "ok" for r in rows), f"status {[r['status'] for r in rows]}")
if ok:
    check(float(rows[0]["halo_mib"]) == 0, f"halo at 1 rank {rows[0]['halo_mib']}")
    check(all(float(r["halo_mib"]) > 0 for r in rows[1:]), "no halo traffic at 2 or 4 ranks")
    check(all(0 < float(r["l1_peak_kib"]) * 1024 <= 1499136 for r in rows), "L1 peak")
    check(float(rows[0]["speedup"]) == 1, f"speed-up at 1 rank {rows[0]['speedup']}")
    check(all(0 < float(r["load_balance"]) <= 1 for r in rows), "load balance outside (0, 1]")
    check(rows[0]["grid"] == "1x1" and rows[2]["grid"] == "2x2", "grids")
sys.exit(0 if ok else 1)
PY
$TG_PYTHON "$here/scripts/scaling.py" --ranks 2 --ttgrid "$tg" --out out2 -- --grid 2x1 \
  maxpool2d --input pool.h5:/input --kernel 3x3 --output o.h5:/y >/dev/null 2>err.txt
rc=$?
[ "$rc" -eq 2 ] || fail "scaling.py with --grid in the workload exited $rc, expected 2"
[ "$(wc -l <err.txt)" -eq 1 ] || fail "scaling.py usage error: $(wc -l <err.txt) lines on stderr"
[ "$failed" -eq 0 ] && echo "scaling: all checks passed"
exit "$failed"
