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
expect 1 "asks 23044096 B, 1396352 B free" 1 copy --input big.h5:/x --output c.h5:/y
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

# plan: the paper's halo example (its 3x3 window, stride 1, padding 1, rows split evenly
# over 3 cores: a max pool here, as TTNN would put such a conv on one core); core 0
# has 13 padding, 8 local and 7 remote sticks
expect 0 "" 3 plan maxpool2d --input-shape 1,4,6,6 --kernel 3x3 --stride 1 --padding 1,1 --shard height --no-snap --format csv
grep -q '^0,0,0,0,7,0,27,13,8,7,' out.txt || fail "plan: core 0 of the paper's example: $(sed -n 2p out.txt)"
# impossible parameters: one line, exit 2
expect 2 "stride" 2 plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --stride 0
expect 2 "negative" 2 plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --padding -1,1
expect 2 "larger than the padded input" 2 plan maxpool2d --input-shape 1,4,4,16 --kernel 7x7
expect 2 "groups" 2 plan conv2d --input-shape 1,8,8,16 --out-channels 12 --kernel 3x3 --groups 5

# plan at any grid from any rank count (planning is pure): 8x8 Wormhole and 13x10
# Blackhole from one rank, every core in the CSV, TTNN-named L1 lines and the verdict
expect 0 "" 1 --grid 8x8 --l1-small-size 32768 plan conv2d --input-shape 1,56,56,64 --kernel 3x3 --padding 1 --shard height --format csv
[ "$(grep -c '^[0-9]' out.txt)" -eq 64 ] || fail "plan --grid 8x8 at 1 rank: $(grep -c '^[0-9]' out.txt) core rows, expected 64"
expect 0 "" 1 --arch blackhole --grid 13x10 --l1-small-size 32768 plan conv2d --input-shape 1,56,56,64 --kernel 3x3 --padding 1 --shard height
grep -q '^fits on 13x10 cores: yes' out.txt || fail "plan blackhole 13x10: no verdict line: $(tail -1 out.txt)"
grep -q '^ *129 *(12,9) ' out.txt || fail "plan blackhole 13x10: no core 129"
grep -q '^L1 per core: 1572864 B; circular buffers from 111360 up' out.txt || fail "plan blackhole: L1 map header"
grep -Eq '^  cb +[^ ].* B  111360\.\.' out.txt || fail "plan blackhole: no circular buffer at the unreserved base"
expect 0 "" 1 --arch blackhole --grid 13x10 --l1-small-size 32768 plan conv2d --input-shape 1,56,56,64 --kernel 3x3 --padding 1 --shard height --format json
$TG_PYTHON - out.txt <<'PY' || fail "plan --format json: the l1 buffers"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "ttgrid.plan/1" and d["machine"]["grid"] == [13, 10], d["machine"]
assert d["fits"] is True and d["error"] is None
l1 = d["l1"]
assert l1["size"] == 1572864 and l1["error"] is None and l1["why"] is None, l1["size"]
kinds = {b["kind"] for b in l1["buffers"]}
assert kinds <= {"l1_buffer", "l1_small", "cb", "cb_alias"} and "cb" in kinds and "l1_buffer" in kinds, kinds
names = [(b["name"], b.get("program")) for b in l1["buffers"]]
assert len(names) == len(set(names)), "a buffer listed twice"
for b in l1["buffers"]:
    assert b["end"] == b["address"] + b["bytes"], b
    if b["kind"] == "cb":
        assert b["address"] % 64 == 0 and b["address"] >= 111360 and b["end"] <= l1["cb_end"], b
    if b["kind"] == "l1_buffer":
        assert b["address"] >= l1["lowest_l1_buffer"] and b["end"] <= l1["buffers_to"], b
assert l1["cb_end"] <= l1["lowest_l1_buffer"], (l1["cb_end"], l1["lowest_l1_buffer"])
PY
# the same plan at 2 ranks; a plan that does not fit: exit 1 on every rank, one error line
expect 0 "" 2 --grid 8x8 --l1-small-size 32768 plan conv2d --input-shape 1,56,56,64 --kernel 3x3 --padding 1 --shard height --format csv
[ "$(grep -c '^[0-9]' out.txt)" -eq 64 ] || fail "plan --grid 8x8 at 2 ranks: core rows printed more than once"
expect 1 "conv2d" 2 --grid 1x1 --l1-small-size 32768 plan conv2d --input-shape 1,56,56,512 --kernel 3x3 --padding 1 --shard height
grep -q '^does not fit: ' out.txt || fail "plan that does not fit: no verdict line: $(tail -1 out.txt)"
expect 2 "plans go up to 16384 cores" 1 --grid 200x200 plan conv2d --input-shape 1,8,8,16 --kernel 3x3
# info: the L1 map with its figures
expect 0 "" 1 info
grep -q '^L1 per core   1499136 B (MEM_L1_SIZE' out.txt || fail "info: L1 size line"
grep -q '^L1 map        \[0, 102784) reserved: .*\[0, 32128)' out.txt || fail "info: reserved bottom"
grep -q '\[102784, ...) circular buffers: .*unreserved' out.txt || fail "info: circular buffers"
grep -q 'each at a multiple of 32 B' out.txt || fail "info: circular buffer alignment"
grep -q '\[..., 1499136) L1 buffers .*top-down in \[102784, 1499136)' out.txt || fail "info: L1 buffers"
grep -q '\[1499136, 1499136) L1_SMALL: 0 B' out.txt || fail "info: L1_SMALL"
grep -q '^alignment     L1 buffers 16 B, circular buffers and DRAM pages 32 B' out.txt || fail "info: alignments"
expect 0 "" 1 --arch blackhole --l1-small-size 24576 info
grep -q '\[1548288, 1572864) L1_SMALL: 24576 B' out.txt || fail "info blackhole: L1_SMALL"
grep -q '^L1 map        \[0, 111360) reserved' out.txt || fail "info blackhole: reserved bottom"
# the conv options: a bad value is one error line, exit 2
expect 2 "--split-reader takes on, off or auto" 1 plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --split-reader maybe
expect 2 "--output-layout takes tile or row-major" 1 plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --output-layout rm
expect 2 "option --full-inner-dim does not apply" 1 plan maxpool2d --input-shape 1,8,8,16 --kernel 3x3 --full-inner-dim
expect 2 "unexpected argument 'b.h5:/b'" 1 plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --bias b.h5:/b
expect 2 "option '--packer-l1-acc=1' is unknown or needs a value" 1 plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --packer-l1-acc=1
expect 0 "" 1 --l1-small-size 32768 plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --padding 1 --shard height --bias --full-inner-dim \
  --activation-reuse --config-tensors-in-dram --no-reallocate-halo-output --split-reader off --packer-l1-acc \
  --output-layout row-major --no-fp32-acc --format json
$TG_PYTHON - out.txt <<'PY' ||
import json, sys
p = json.load(open(sys.argv[1]))["params"]
want = dict(bias=True, full_inner_dim=True, activation_reuse=True, config_tensors_in_dram=True,
            reallocate_halo_output=False, split_reader="off", packer_l1_acc=True,
            output_layout="row-major", fp32_acc=False, weights_dtype="bfloat16")
assert all(p[k] == v for k, v in want.items()), {k: p[k] for k in want}
PY
  fail "plan: the conv options in the JSON params"

# conv2d that does not fit on one core exits 1 with the numbers; it runs with
# --act-block-h 32, and with more ranks
$TG_PYTHON "$here/scripts/make_reference.py" conv2d --input-shape 1,56,56,64 --out-channels 64 \
  --kernel 3x3 --padding 1,1 --seed 3 --dtype bfloat16 --output conv.h5 >/dev/null
conv=(--l1-small-size 32768 conv2d --input conv.h5:/input --weights conv.h5:/weight --bias conv.h5:/bias --kernel 3x3 --padding 1,1 --shard height)
rm -f co.h5
expect 1 "\[TTNN: Statically allocated circular buffers" 1 "${conv[@]}" --output co.h5:/y
[ ! -e co.h5 ] || fail "conv2d: a failed run left an output file"
expect 0 "" 1 --quiet "${conv[@]}" --output co.h5:/y --act-block-h 32
$TG_PYTHON "$here/scripts/compare.py" co.h5:/y conv.h5:/output --pcc 0.985 --quiet || fail "conv2d at act_block_h 32"
expect 0 "" 4 --quiet "${conv[@]}" --output co.h5:/y
$TG_PYTHON "$here/scripts/compare.py" co.h5:/y conv.h5:/output --pcc 0.985 --quiet || fail "conv2d on 4 ranks"
# TTNN's default L1_SMALL (0 B) holds no conv config tensor: its own words
expect 1 "\[TTNN: Out of Memory: Not enough space to allocate [0-9]* B L1_SMALL buffer" 1 \
  conv2d --input conv.h5:/input --weights conv.h5:/weight --kernel 3x3 --padding 1,1 --output co.h5:/y
expect 2 "weights 'conv.h5:/nope'\|'/nope'" 2 conv2d --input conv.h5:/input --weights conv.h5:/nope --output co.h5:/y --kernel 3x3
expect 2 "expected \[64, 64, 5, 5\]" 2 conv2d --input conv.h5:/input --weights conv.h5:/weight --output co.h5:/y --kernel 5x5

# float32 bits across core counts, as the README's conv2d section ("Fixed reduction
# order") states them: height sharding and DRAM give the same bits on any number of
# cores; block and width sharding give the same bits whenever the input channels are
# cut into the same slices (block: the grid's columns; width: its cores), and other
# bits otherwise. (Should block or width ever match one core, the README's statement
# changes with this test.)
$TG_PYTHON "$here/scripts/make_reference.py" conv2d --input-shape 1,28,28,64 --out-channels 64 \
  --kernel 3x3 --padding 1,1 --seed 5 --dtype float32 --output c32.h5 >/dev/null
c32base=(--quiet --l1-small-size 32768 conv2d --input c32.h5:/input --weights c32.h5:/weight
         --bias c32.h5:/bias --kernel 3x3 --padding 1,1 --dtype float32 --weights-dtype float32)
c32=("${c32base[@]}" --shard height)
expect 0 "" 1 "${c32[@]}" --output one.h5:/y --act-block-h 32
expect 0 "" 8 "${c32[@]}" --output eight.h5:/y
h5diff one.h5 eight.h5 /y /y || fail "conv2d float32: 1 rank and 8 ranks differ"
expect 0 "" 3 "${c32base[@]}" --shard none --output dram3.h5:/y
h5diff one.h5 dram3.h5 /y /y || fail "conv2d float32: DRAM on 3 ranks differs from 1 rank"
same() { h5diff -q "$1" "$2" /y /y >/dev/null 2>&1; }
expect 0 "" 4 --grid 2x2 "${c32base[@]}" --shard block --output block22.h5:/y
expect 0 "" 8 --grid 2x4 "${c32base[@]}" --shard block --output block24.h5:/y
expect 0 "" 4 --grid 4x1 "${c32base[@]}" --shard block --output block41.h5:/y
same block22.h5 block24.h5 || fail "conv2d float32 block: 2x2 and 2x4 (2 channel slices each) differ"
same one.h5 block22.h5 && fail "conv2d float32 block on 2 columns gives one core's bits: update the README"
same block22.h5 block41.h5 && fail "conv2d float32 block: 2 and 4 columns give the same bits: update the README"
expect 0 "" 4 --grid 2x2 "${c32base[@]}" --shard width --act-block-h 32 --output width22.h5:/y
expect 0 "" 4 --grid 4x1 "${c32base[@]}" --shard width --act-block-h 32 --output width41.h5:/y
same width22.h5 width41.h5 || fail "conv2d float32 width: 2x2 and 4x1 (4 channel slices each) differ"
same one.h5 width22.h5 && fail "conv2d float32 width on 4 cores gives one core's bits: update the README"

# --trace: Chrome trace events of the modelled device timeline and the measured ranks:
# valid JSON, every event with its fields, each track's events in order, none overlapping
expect 0 "" 4 --quiet --trace tr.json "${conv[@]}" --output co.h5:/y
$TG_PYTHON - tr.json <<'PY' || fail "--trace: the trace file"
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
assert isinstance(ev, list) and ev, "no events"
tracks = {}
for e in ev:
    for k in ("name", "ph", "pid", "tid"):
        assert k in e, (k, e)
    if e["ph"] == "M":
        assert e["name"] in ("process_name", "thread_name") and "name" in e["args"], e
        continue
    assert e["ph"] == "X", e
    assert isinstance(e["ts"], (int, float)) and e["dur"] > 0, e
    tracks.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
assert any(p == 1 for p, _ in tracks) and any(p == 2 for p, _ in tracks), "a process has no events"
for key, spans in tracks.items():
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        assert b0 >= a0, ("out of order", key, a0, b0)
        assert b0 >= a1 - 1e-6 * max(1.0, a1), ("overlap", key, a1, b0)
PY

# resnet50 --repeat R counts the context switches of the passes after the first: one
# line, summed over ranks, voluntary and involuntary adding up to the total; 4 ranks
# meet in every op, so they switch (the count bounds an oversubscribed pass: README)
expect 0 "" 4 resnet50 --image-size 32 --repeat 3 --output rn.h5
$TG_PYTHON - out.txt <<'PY' || fail "resnet50 --repeat: the context-switch line"
import re, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("context switches:")]
assert len(lines) == 1, lines
m = re.fullmatch(r"context switches: (\d+) a pass after the first, summed over 4 ranks "
                 r"\((\d+) voluntary, (\d+) involuntary\)\n", lines[0])
assert m, lines[0]
total, vol, invol = map(int, m.groups())
assert abs(total - vol - invol) <= 1 and vol > 0, (total, vol, invol)
PY
expect 0 "" 2 resnet50 --image-size 32 --output rn1.h5
grep -q '^context switches' out.txt && fail "resnet50 without --repeat printed a context-switch line"

[ $failed -eq 0 ] && echo "cli: all checks passed"
exit $failed
