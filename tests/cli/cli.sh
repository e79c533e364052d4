#!/usr/bin/env bash
# Command-line behaviour of ttgrid: exit codes, one-line errors with the numbers,
# no output left behind by a failed run, the plan of the paper's halo example, the
# statistics CSV of copy, and a conv that does not fit. usage: cli.sh TTGRID WORKDIR
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$2
mkdir -p "$work" && cd "$work" || exit 1
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# expect CODE PATTERN NP ARGS...: runs ttgrid, checks the exit code and that stderr
# has exactly one "ttgrid: error:" line matching PATTERN (when CODE is non-zero).
expect() {
  local code=$1 pattern=$2 np=$3
  shift 3
  $TG_MPIRUN -np "$np" "$tg" "$@" >out.txt 2>err.txt
  local rc=$?
  [ "$rc" -eq "$code" ] || { fail "ttgrid $* exited $rc, expected $code"; cat err.txt; return; }
  if [ "$code" -ne 0 ]; then
    local lines
    lines=$(grep -c '^ttgrid: error:' err.txt)
    [ "$lines" -eq 1 ] || fail "ttgrid $*: $lines error lines, expected 1"
    grep -q -- "$pattern" err.txt || { fail "ttgrid $*: no '$pattern' in: $(grep '^ttgrid' err.txt)"; }
  fi
}

$TG_PYTHON "$here/scripts/make_reference.py" tensor --shape 2,7,9,40 --seed 1 --output a.h5:/x
$TG_PYTHON "$here/scripts/make_reference.py" tensor --shape 1,300,300,64 --seed 2 --output big.h5:/x

# copy: block sharded at 3 ranks gives what h5diff finds equal
rm -f b.h5
expect 0 "" 3 --quiet copy --input a.h5:/x --output b.h5:/y --shard block
h5diff a.h5 b.h5 /x /y || fail "copy: h5diff finds /x and /y different"
# a missing dataset: exit 2 with its name
expect 2 "/nope" 2 copy --input a.h5:/nope --output c.h5:/y
# a shard that does not fit in L1: exit 1 with the numbers, and no output file
rm -f c.h5
expect 1 "asks 23044096 B, 1499136 B free" 1 copy --input big.h5:/x --output c.h5:/y
[ ! -e c.h5 ] && [ ! -e .c.h5.partial ] || fail "copy: a failed run left an output file"
# a grid that does not match the rank count: exit 2 on every rank, no hang
expect 2 "grid 2x2 has 4 cores but 3 ranks" 3 --grid 2x2 info
expect 2 "unknown command" 2 frobnicate
# the matrix kernel: info names it; a forced one that does not exist is bad usage
expect 0 "" 1 info
grep -q '^matrix kernel \(avx512\|avx2\|portable\) ' out.txt || fail "info: no matrix kernel line"
TTGRID_KERNEL=portable expect 0 "" 2 info
grep -q '^matrix kernel portable (TTGRID_KERNEL' out.txt || fail "info: TTGRID_KERNEL=portable not used"
TTGRID_KERNEL=sse expect 2 "TTGRID_KERNEL=sse: unknown matrix kernel" 2 info

# statistics: the CSV of copy at 4 ranks has the traffic, and per-op totals from the
# per-core rows match the summary ttgrid printed
expect 0 "" 4 --stats stats.csv copy --input a.h5:/x --output b.h5:/y --shard height
$TG_PYTHON - stats.csv out.txt <<'PY' || fail "copy statistics"
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ops = {}
for r in rows:
    ops.setdefault(r["op"], []).append(r)
ops.pop("other", None)  # work outside any op (none here)
assert set(ops) == {"load", "to_sharded", "to_interleaved", "store"}, ops.keys()
assert all(len(v) == 4 for v in ops.values()), "one row per op per core"
bytes_ = 2 * 7 * 9 * 64 * 4  # rows x padded channels x float32
def total(op, col):
    return sum(int(r[col]) for r in ops[op])
assert total("load", "dram_write_bytes") == bytes_
assert total("to_sharded", "dram_read_bytes") == bytes_
assert total("to_interleaved", "dram_write_bytes") == bytes_
assert total("store", "dram_read_bytes") == bytes_
for op, rs in ops.items():
    moved = total(op, "dram_read_bytes") + total(op, "dram_write_bytes")
    assert total(op, "dram_served_bytes") == moved, op  # what banks served = what cores moved
printed = {}
for line in open(sys.argv[2]):
    m = re.match(r"stats (\S+)\s.*", line)
    if m:
        printed[m.group(1)] = line
for op in ops:
    for label, col in (("DRAM read", "dram_read_bytes"), ("DRAM write", "dram_write_bytes"),
                       ("transactions", "noc_transactions"), ("hops", "hops")):
        t = total(op, col)
        if t:
            assert f"{label} {t}" in printed[op], (op, label, t, printed[op])
PY

# plan: the paper's halo example; core 0 has 13 padding, 8 local and 7 remote sticks
expect 0 "" 3 plan conv2d --input-shape 1,4,6,6 --kernel 3x3 --padding 1,1 --shard height --no-snap --format csv
grep -q '^0,0,0,0,7,0,27,13,8,7,' out.txt || fail "plan: core 0 of the paper's example: $(sed -n 2p out.txt)"
# impossible parameters: one line, exit 2
expect 2 "stride" 2 plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --stride 0
expect 2 "negative" 2 plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --padding -1,1
expect 2 "larger than the padded input" 2 plan maxpool2d --input-shape 1,4,4,16 --kernel 7x7
expect 2 "groups" 2 plan conv2d --input-shape 1,8,8,16 --out-channels 12 --kernel 3x3 --groups 5

# conv2d that does not fit on one core exits 1 with the numbers; it runs with
# --act-block-h 32, and with more ranks
$TG_PYTHON "$here/scripts/make_reference.py" conv2d --input-shape 1,56,56,64 --out-channels 64 \
  --kernel 3x3 --padding 1,1 --seed 3 --dtype bfloat16 --output conv.h5 >/dev/null
conv=(conv2d --input conv.h5:/input --weights conv.h5:/weight --bias conv.h5:/bias --kernel 3x3 --padding 1,1 --shard height)
rm -f co.h5
expect 1 "out of L1.*needs [0-9]* B but the limit is 1499136 B" 1 "${conv[@]}" --output co.h5:/y
[ ! -e co.h5 ] || fail "conv2d: a failed run left an output file"
expect 0 "" 1 --quiet "${conv[@]}" --output co.h5:/y --act-block-h 32
$TG_PYTHON "$here/scripts/compare.py" co.h5:/y conv.h5:/output --pcc 0.985 --quiet || fail "conv2d at act_block_h 32"
expect 0 "" 4 --quiet "${conv[@]}" --output co.h5:/y
$TG_PYTHON "$here/scripts/compare.py" co.h5:/y conv.h5:/output --pcc 0.985 --quiet || fail "conv2d on 4 ranks"
expect 2 "weights 'conv.h5:/nope'\|'/nope'" 2 conv2d --input conv.h5:/input --weights conv.h5:/nope --output co.h5:/y --kernel 3x3
expect 2 "expected \[64, 64, 5, 5\]" 2 conv2d --input conv.h5:/input --weights conv.h5:/weight --output co.h5:/y --kernel 5x5

# float32 height sharding gives the same bits on 1 rank and on 8 (fixed reduction order)
$TG_PYTHON "$here/scripts/make_reference.py" conv2d --input-shape 1,28,28,64 --out-channels 64 \
  --kernel 3x3 --padding 1,1 --seed 5 --dtype float32 --output c32.h5 >/dev/null
c32=(--quiet conv2d --input c32.h5:/input --weights c32.h5:/weight --bias c32.h5:/bias --kernel 3x3
     --padding 1,1 --dtype float32 --weights-dtype float32 --shard height)
expect 0 "" 1 "${c32[@]}" --output one.h5:/y --act-block-h 32
expect 0 "" 8 "${c32[@]}" --output eight.h5:/y
h5diff one.h5 eight.h5 /y /y || fail "conv2d float32: 1 rank and 8 ranks differ"

[ $failed -eq 0 ] && echo "cli: all checks passed"
exit $failed
