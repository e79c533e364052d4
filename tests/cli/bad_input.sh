#!/usr/bin/env bash
# The bad-input suite (issue 12, "What to build" 6): every command given bad files,
# datasets, shapes, formats, option values, grids and weights. Each case must end
# with exactly one "ttgrid: error:" line matching its pattern, the expected exit code
# (1 or 2) from every rank, no output file, no temporary file or lock left, within
# its timeout (no hang), and no sanitizer report (in the AddressSanitizer build).
# usage: bad_input.sh TTGRID WORKDIR
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$2
mkdir -p "$work" && cd "$work" || exit 1
rm -rf ./* ./.[!.]* 2>/dev/null
# the inputs live here; each case runs in its own folder c1, c2, ...
failed=0 cases=0
fail() { echo "FAIL: $*"; failed=1; }

# Inputs: a tensor file with odd datasets beside it, a small conv, weights files with
# one bad key each, a text file, a folder.
$TG_PYTHON "$here/scripts/make_reference.py" tensor --shape 2,7,9,40 --seed 1 --output a.h5:/x >/dev/null
$TG_PYTHON "$here/scripts/make_reference.py" conv2d --input-shape 1,12,12,16 --out-channels 16 \
  --kernel 3x3 --padding 1,1 --seed 2 --output conv.h5 >/dev/null
$TG_PYTHON - <<'PY'
import h5py, numpy as np
with h5py.File("a.h5", "a") as f:
    f["int"] = np.zeros((1, 2, 2, 3), np.int32)
    f["r3"] = np.zeros((2, 3, 4), np.float32)
    f["zero"] = np.zeros((1, 0, 3, 4), np.float32)
    f["w2d"] = np.zeros((16, 144), np.float32)
    f["bias7"] = np.zeros((7,), np.float32)
    f["scalar"] = np.float32(1.5)
    f.create_dataset("huge", shape=(1 << 40, 1 << 40, 1 << 20), dtype=np.float32)
    f["layout_pair"] = np.zeros((1, 8, 8, 3), np.float32)
    f["layout_pair"].attrs["layout"] = np.array([b"NCHW", b"NHWC"])
    f.create_group("g")
    f["nchw_bad"] = np.zeros((1, 3, 40, 32), np.float32)
    f["nchw_bad"].attrs["layout"] = "NCHW"
    f["img"] = np.zeros((1, 40, 40, 3), np.float32)
with h5py.File("rn_shape.h5", "w") as f:
    f["conv1.weight"] = np.zeros((64, 3, 3, 3), np.float32)
with h5py.File("rn_missing.h5", "w") as f:
    f["fc.bias"] = np.zeros((1000,), np.float32)
with h5py.File("rn_int.h5", "w") as f:
    f["conv1.weight"] = np.zeros((64, 3, 7, 7), np.int16)
PY
echo "notes, not HDF5" >notes.txt
mkdir -p adir
inputs=(a.h5 conv.h5 rn_shape.h5 rn_missing.h5 rn_int.h5 notes.txt adir)
outs=(o.h5 d.h5 s.csv q.h5 adir/o.h5)
jobs=${TG_BAD_INPUT_JOBS:-8}

# run_case N CODE PATTERN NP ARGS...: one case in its own folder cN (the inputs linked
# in, notes.txt copied), its failures written to cN/fail.
run_case() {
  local n=$1 code=$2 pattern=$3 np=$4
  shift 4
  local dir=c$n what="case $n: ttgrid $*" f
  mkdir -p "$dir" && cd "$dir" || return
  for f in "${inputs[@]}"; do ln -s "../$f" "$f"; done
  rm notes.txt && cp ../notes.txt notes.txt
  {
    # shellcheck disable=SC2086
    timeout 120 env ${CASE_ENV:-} $TG_MPIRUN -np "$np" "$tg" "$@" >out.txt 2>err.txt
    local rc=$?
    if [ $rc -eq 124 ]; then echo "FAIL: $what: no end within 120 s (a hang)"; exit; fi
    [ $rc -eq "$code" ] || echo "FAIL: $what: exit $rc, expected $code"
    local lines
    lines=$(grep -c '^ttgrid: error:' err.txt)
    [ "$lines" -eq 1 ] || echo "FAIL: $what: $lines error lines, expected 1"
    grep -q -- "$pattern" err.txt || echo "FAIL: $what: no '$pattern' in: $(grep '^ttgrid' err.txt)"
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|Segmentation fault|core dumped' err.txt; then
      echo "FAIL: $what: sanitizer report or crash: $(grep -E 'Sanitizer|runtime error' err.txt | head -2)"
    fi
    for f in "${outs[@]}"; do [ ! -e "$f" ] || echo "FAIL: $what: left $f"; done
    local left
    left=$(find -L . -maxdepth 2 \( -name '.*.partial' -o -name '.*.lock' \) | head -3)
    [ -z "$left" ] || echo "FAIL: $what: left $left"
    cmp -s notes.txt ../notes.txt || echo "FAIL: $what: notes.txt was changed"
  } >fail 2>&1
}

# bad CODE PATTERN NP ARGS...: queues one case ($CASE_ENV: its environment, e.g. VAR=x);
# `jobs` run at once.
bad() {
  cases=$((cases + 1))
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  (run_case "$cases" "$@") &
}

copy=(copy --input a.h5:/x)
pc=(plan conv2d --input-shape 1,8,8,16 --out-channels 16 --kernel 3x3)
pm=(plan maxpool2d --input-shape 1,8,8,16 --kernel 3x3)
# the device opened with an L1_SMALL for the convs' config tensors (TTNN's default has none)
cv=(--l1-small-size 32768 conv2d --input conv.h5:/input --weights conv.h5:/weight --kernel 3x3 --padding 1,1)
mp=(maxpool2d --input conv.h5:/input --kernel 3x3 --stride 2x2)
rn=(resnet50 --image-size 32)

# ---- global options, any command
bad 2 "no command given" 2
bad 2 "unknown command 'frobnicate'" 1 frobnicate
bad 2 "unknown arch 'tensix9'" 1 --arch tensix9 info
bad 2 "grid" 1 --grid 0x2 info
bad 2 "grid 3x3 has 9 cores but 4 ranks" 4 --grid 3x3 info
bad 2 "grid" 1 --grid abc info
bad 2 "below 4096" 1 --l1-size 100 info
bad 2 "not a byte count" 1 --l1-size 12Q info
bad 2 "not a byte count" 1 --l1-size -5 info
bad 2 "not a byte count" 1 --dram-size lots info
bad 2 "unknown NoC mode 'three'" 1 --noc-mode three info
bad 2 "unknown or needs a value" 1 --bogus info
bad 2 "unknown or needs a value" 1 --stats
bad 2 "unexpected argument '--foo'" 1 info --foo
CASE_ENV="TTGRID_KERNEL=sse" bad 2 "TTGRID_KERNEL=sse" 2 info
CASE_ENV="TTGRID_IO_FAULT=nonsense" bad 2 "TTGRID_IO_FAULT='nonsense'" 1 info
CASE_ENV="TTGRID_IO_FAULT=9:stat" bad 2 "rank 9, but there are 2 ranks" 2 info

# ---- copy: files, datasets, shapes, options, outputs
bad 2 "--input and --output are required" 1 copy
bad 2 "cannot open 'missing.h5'" 2 copy --input missing.h5:/x --output o.h5:/y
bad 2 "expected FILE.h5:/dataset" 1 copy --input a.h5 --output o.h5:/y
bad 2 "dataset '/nope' not found in 'a.h5'" 1 copy --input a.h5:/nope --output o.h5:/y
bad 2 "'notes.txt' is not an HDF5 file" 1 copy --input notes.txt:/x --output o.h5:/y
bad 2 "'adir' is a folder" 1 copy --input adir:/x --output o.h5:/y
bad 2 "'/g' in 'a.h5' is not a dataset" 1 copy --input a.h5:/g --output o.h5:/y
bad 2 "'/int' in 'a.h5' is not floating point" 1 copy --input a.h5:/int --output o.h5:/y
bad 2 "'/r3' in 'a.h5' has 3 dimensions" 1 copy --input a.h5:/r3 --output o.h5:/y
bad 2 "zero" 1 copy --input a.h5:/zero --output o.h5:/y
bad 2 "unknown shard layout 'diagonal'" 1 "${copy[@]}" --output o.h5:/y --shard diagonal
bad 2 "unknown number format 'float16'" 1 "${copy[@]}" --output o.h5:/y --dtype float16
bad 2 "--core-grid 9x9 does not fit in the 2x1 grid" 2 "${copy[@]}" --output o.h5:/y --core-grid 9x9
bad 2 "unexpected argument 'extra'" 1 "${copy[@]}" --output o.h5:/y extra
bad 2 "cannot use folder '/nodir'" 1 "${copy[@]}" --output /nodir/o.h5:/y
bad 2 "'notes.txt' exists and is not an HDF5 file" 1 "${copy[@]}" --output notes.txt:/y
bad 2 "is under /stats" 1 "${copy[@]}" --output o.h5:/stats/core
bad 2 "is under /stats" 1 "${copy[@]}" --output o.h5://stats
bad 2 "names a group" 1 "${copy[@]}" --output o.h5:/a/
bad 2 "--output 'adir' is a folder" 1 "${copy[@]}" --output adir:/y
bad 2 "--stats 'adir' is a folder" 1 --stats adir "${copy[@]}" --output o.h5:/y
bad 2 "--stats 'o.h5' and --output 'o.h5' are one file" 1 --stats o.h5 "${copy[@]}" --output o.h5:/y
bad 2 "--stats '/nodir/s.csv': cannot use folder" 1 --stats /nodir/s.csv "${copy[@]}" --output o.h5:/y
bad 2 "L1 of 8192 B leaves no room for buffers" 1 --l1-size 8K "${copy[@]}" --output o.h5:/y
CASE_ENV="TTGRID_IO_FAULT=0:create" bad 1 "cannot create a temporary file" 2 "${copy[@]}" --output o.h5:/y
CASE_ENV="TTGRID_IO_FAULT=1:stat" bad 2 "on rank 1: No such file" 2 "${copy[@]}" --output o.h5:/y

# ---- plan: shapes and option values
bad 2 "plan" 1 plan
bad 2 "conv3d" 1 plan conv3d --input-shape 1,8,8,16 --kernel 3x3
bad 2 "--input-shape takes N,H,W,C" 1 plan conv2d --input-shape 1,8,8 --kernel 3x3
bad 2 "--kernel is required" 1 plan conv2d --input-shape 1,8,8,16
bad 2 "stride" 1 "${pc[@]}" --stride 0
bad 2 "negative" 1 "${pc[@]}" --padding -1,1
bad 2 "dilation" 1 "${pc[@]}" --dilation 0
bad 2 "too many values" 1 "${pc[@]}" --stride 1x1x1
bad 2 "out of range" 1 plan conv2d --input-shape 0,8,8,16 --kernel 3x3
bad 2 "larger than the padded input" 1 plan maxpool2d --input-shape 1,4,4,16 --kernel 7x7
bad 2 "groups" 1 plan conv2d --input-shape 1,8,8,16 --out-channels 12 --kernel 3x3 --groups 5
bad 2 "--format takes text, csv or json" 1 "${pc[@]}" --format xml
bad 2 "MedFi" 1 "${pc[@]}" --math-fidelity MedFi
bad 2 "--activation takes relu or none" 1 "${pc[@]}" --activation gelu
bad 2 "sideways" 1 "${pc[@]}" --halo-mode sideways
bad 2 "core grid 9x9" 2 "${pc[@]}" --core-grid 9x9
bad 2 "multiple of 32" 1 plan conv2d --input-shape 1,64,64,32 --out-channels 32 --kernel 3x3 --act-block-h 33
bad 2 "option --groups does not apply" 1 "${pm[@]}" --groups 2
bad 2 "the output \[1, 2097158, 2097158, 16\] needs" 1 "${pc[@]}" --padding 1048576,1048576 --shard none
bad 2 "one output's window spans" 1 "${pc[@]}" --padding 0,1048576 --shard none
bad 2 "more than half of the effective kernel" 1 "${pm[@]}" --padding 1048576,1048576 --shard none
bad 2 "more than half of the effective kernel" 1 "${pm[@]}" --padding 2,1
bad 2 "64-bit" 1 plan conv2d --input-shape 1073741824,1073741824,1073741824,16 --kernel 3x3
# a conv whose schedule is too long to plan (fuzz_planners: 160,000 blocks a core, minutes
# and gigabytes to plan) is refused with its numbers
bad 2 "a core would walk 160000 multiply blocks (125 act blocks of 1024 rows x 1280 K blocks" 1 \
  --grid 2x2 plan conv2d --input-shape 1,1,14,14 --out-channels 4 --kernel 1280x3 --stride 2x2 \
  --dilation 3x1 --padding 131488,0,0,3 --groups 2 --dtype bfloat8_b --shard none
bad 1 "TTNN: Statically allocated circular buffers" 1 --l1-small-size 32768 plan conv2d --input-shape 1,56,56,64 --out-channels 64 --kernel 3x3 --padding 1,1 --shard height
bad 1 "TTNN: Out of Memory: Not enough space to allocate [0-9]* B L1_SMALL buffer" 1 plan conv2d --input-shape 1,56,56,64 --out-channels 64 --kernel 3x3 --padding 1,1 --shard height

# ---- conv2d: files, weights, bias, parameters
bad 2 "--input, --weights and --output are required" 1 conv2d --input conv.h5:/input --kernel 3x3 --output o.h5:/y
bad 2 "expected \[16, 16, 5, 5\]" 1 conv2d --input conv.h5:/input --weights conv.h5:/weight --kernel 5x5 --output o.h5:/y
bad 2 "'/nope'" 1 conv2d --input conv.h5:/input --weights conv.h5:/nope --kernel 3x3 --output o.h5:/y
bad 2 "weights '/w2d'" 1 conv2d --input conv.h5:/input --weights a.h5:/w2d --kernel 3x3 --output o.h5:/y
bad 2 "bias '/bias7'" 1 "${cv[@]}" --bias a.h5:/bias7 --output o.h5:/y
bad 2 "cannot open 'nobias.h5'" 1 "${cv[@]}" --bias nobias.h5:/b --output o.h5:/y
bad 2 "groups" 1 "${cv[@]}" --groups 3 --output o.h5:/y
bad 2 "the output \[1, 2097162, 2097162, 16\] needs" 1 conv2d --input conv.h5:/input \
  --weights conv.h5:/weight --kernel 3x3 --padding 1048576,1048576 --shard none --output o.h5:/y
bad 2 "L1 of 16384 B leaves no room for buffers" 1 --l1-size 16K "${cv[@]}" --shard height --output o.h5:/y
bad 1 "TTNN: Statically allocated circular buffers in program conv clash" 1 --l1-size 160K "${cv[@]}" --shard height --output o.h5:/y
bad 2 "'notes.txt' exists and is not an HDF5 file" 1 "${cv[@]}" --output notes.txt:/y
bad 2 "option --input-shape does not apply" 1 "${cv[@]}" --input-shape 1,8,8,16 --output o.h5:/y
bad 2 "'/int' in 'a.h5' is not floating point" 1 conv2d --input a.h5:/int --weights conv.h5:/weight --kernel 3x3 --output o.h5:/y
bad 2 "bias '/scalar'" 1 "${cv[@]}" --bias a.h5:/scalar --output o.h5:/y
bad 2 "bias '/huge'" 1 "${cv[@]}" --bias a.h5:/huge --output o.h5:/y
bad 2 "expected 4 dimensions" 1 conv2d --input conv.h5:/input --weights a.h5:/r3 --kernel 3x3 --output o.h5:/y
bad 2 "holds 2 strings; expected one" 1 copy --input a.h5:/layout_pair --output o.h5:/y
CASE_ENV="TTGRID_IO_FAULT=1:write" bad 1 "No space left on device" 2 "${cv[@]}" --output o.h5:/y

# ---- maxpool2d
bad 2 "--input and --output are required" 1 maxpool2d --input conv.h5:/input --kernel 3x3
bad 2 "more than half of the effective kernel" 1 "${mp[@]}" --padding 2,2 --output o.h5:/y
bad 2 "more than half of the effective kernel" 1 "${mp[@]}" --padding 1048576,1048576 --shard none --output o.h5:/y
bad 2 "option --weights does not apply" 1 "${mp[@]}" --weights conv.h5:/weight --output o.h5:/y
bad 2 "'/r3' in 'a.h5' has 3 dimensions" 1 maxpool2d --input a.h5:/r3 --kernel 2x2 --output o.h5:/y
bad 2 "is under /stats" 1 "${mp[@]}" --output o.h5:/stats
CASE_ENV="TTGRID_IO_FAULT=1:alloc" bad 1 "out of host memory" 2 "${mp[@]}" --output o.h5:/y

# ---- resnet50: options, input, weights files, outputs
bad 2 "--output F.h5\[:/logits\] is required" 1 resnet50
bad 2 "image size 16 does not survive" 1 resnet50 --image-size 16 --output o.h5
bad 2 "--batch" 1 "${rn[@]}" --batch 0 --output o.h5
bad 2 "unknown number format 'int8'" 1 "${rn[@]}" --dtype int8 --output o.h5
bad 2 "--layer 'nonsense'" 1 "${rn[@]}" --layer nonsense --output o.h5
bad 2 "not a multiple of 32" 1 "${rn[@]}" --act-block-h 33 --output o.h5
bad 2 "--repeat" 1 "${rn[@]}" --repeat 0 --output o.h5
bad 2 "--seed" 1 "${rn[@]}" --seed -1 --output o.h5
bad 2 "where the top-5 classes go" 1 "${rn[@]}" --output o.h5:/top5
bad 2 "--dump-layers 'o.h5' and --output 'o.h5' are one file" 1 "${rn[@]}" --dump-layers o.h5 --output o.h5
bad 2 "--dump-layers '/nodir/d.h5': cannot use folder" 1 "${rn[@]}" --dump-layers /nodir/d.h5 --output o.h5
bad 2 "cannot use folder '/nodir'" 1 --stats s.csv "${rn[@]}" --dump-layers d.h5 --output /nodir/y.h5
bad 2 "cannot open 'missing.h5'" 1 "${rn[@]}" --weights missing.h5 --output o.h5
bad 2 "'notes.txt' is not an HDF5 file" 1 "${rn[@]}" --weights notes.txt --output o.h5
bad 2 "conv1.weight" 2 "${rn[@]}" --weights rn_shape.h5 --output o.h5
bad 2 "conv1.weight" 1 "${rn[@]}" --weights rn_missing.h5 --output o.h5
bad 2 "conv1.weight" 1 "${rn[@]}" --weights rn_int.h5 --output o.h5
bad 2 "expected \[N, S, S, 3\]" 1 resnet50 --input a.h5:/x --output o.h5
bad 2 "but --batch 2" 1 resnet50 --input a.h5:/img --batch 2 --output o.h5
bad 2 "NCHW" 1 resnet50 --input a.h5:/nchw_bad --output o.h5
CASE_ENV="TTGRID_IO_FAULT=1:close" bad 1 "closing" 2 --stats s.csv "${rn[@]}" --dump-layers d.h5 --output o.h5

wait
for n in $(seq 1 $cases); do
  if [ -s "c$n/fail" ]; then cat "c$n/fail"; failed=1; fi
done
[ $cases -ge 60 ] || fail "only $cases cases"
[ $failed -eq 0 ] && echo "bad_input: $cases cases passed"
exit $failed
