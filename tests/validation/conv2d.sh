#!/usr/bin/env bash
# Validation of ttgrid conv2d against PyTorch (DESIGN.md section 12): for each shape,
# make_reference.py writes seeded inputs, weights and PyTorch's output; ttgrid runs
# the conv on RANKS ranks; compare.py checks the thresholds. float32 must agree to
# PCC 0.99999 and a max error within 1e-5 of the output's range; bfloat16 with fp32
# accumulation to PCC 0.997, without it to 0.985.
# usage: conv2d.sh TTGRID WORKDIR [RANKS]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$2 ranks=${3:-4}
mkdir -p "$work"
cd "$work"
failed=0

# name | input N,H,W,C | out | kernel | stride | padding | dilation | groups | extra
cases=(
  "dilated|1,9,11,20|40|3x3|2x1|1,0,2,1|1x2|1|--activation relu"
  "groups2|2,8,8,32|32|3x3|1x1|1,1|1x1|2|--no-bias"
  "depthwise|1,10,7,24|24|3x3|1x1|1,1|1x1|24|--activation relu"
  "k5s3|3,6,6,16|48|5x5|3x3|2,1,0,2|1x1|1|"
  "dil3|1,13,13,8|16|3x3|1x1|3,3|3x3|1|--activation relu --no-bias"
  "resnet3x3|1,14,14,64|64|3x3|1x1|1,1|1x1|1|--activation relu"
  "resnet3x3s2|1,14,14,64|64|3x3|2x2|1,1|1x1|1|--activation relu"
  "resnet1x1s2|1,14,14,64|128|1x1|2x2|0,0|1x1|1|"
  "matmul1x1|2,7,7,72|40|1x1|1x1|0,0|1x1|1|--activation relu"
  "stem7x7|1,32,32,3|64|7x7|2x2|3,3|1x1|1|--activation relu"
)

for c in "${cases[@]}"; do
  IFS='|' read -r name shape cout kernel stride pad dil groups extra <<<"$c"
  for dtype in float32 bfloat16; do
    ref=ref_${name}_${dtype}.h5 out=out_${name}_${dtype}.h5
    # shellcheck disable=SC2086
    $TG_PYTHON "$here/scripts/make_reference.py" conv2d --input-shape "$shape" --out-channels "$cout" \
      --kernel "$kernel" --stride "$stride" --padding "$pad" --dilation "$dil" --groups "$groups" \
      --dtype "$dtype" --seed 7 $extra --output "$ref" >/dev/null
    flags=()
    [[ $extra == *relu* ]] && flags+=(--activation relu)
    [[ $extra == *no-bias* ]] || flags+=(--bias "$ref:/bias")
    if [ "$dtype" = float32 ]; then
      flags+=(--dtype float32 --weights-dtype float32)
      thresholds=(--pcc 0.99999 --max-scaled 1e-5)
    else
      flags+=(--dtype bfloat16 --fp32-acc)
      thresholds=(--pcc 0.997)
    fi
    if ! $TG_MPIRUN -np "$ranks" "$tg" --quiet --l1-small-size 32768 conv2d --input "$ref:/input" --weights "$ref:/weight" \
        --output "$out:/y" --kernel "$kernel" --stride "$stride" --padding "$pad" \
        --dilation "$dil" --groups "$groups" "${flags[@]}"; then
      echo "FAIL $name $dtype: ttgrid conv2d failed"; failed=1; continue
    fi
    if ! $TG_PYTHON "$here/scripts/compare.py" "$out:/y" "$ref:/output" "${thresholds[@]}"; then
      failed=1
    fi
  done
  # bfloat16 without fp32 accumulation, block sharded: 0.985
  out=out_${name}_bf16_noacc.h5 ref=ref_${name}_bfloat16.h5
  flags=()
  [[ $extra == *relu* ]] && flags+=(--activation relu)
  [[ $extra == *no-bias* ]] || flags+=(--bias "$ref:/bias")
  if $TG_MPIRUN -np "$ranks" "$tg" --quiet --l1-small-size 32768 conv2d --input "$ref:/input" --weights "$ref:/weight" \
      --output "$out:/y" --kernel "$kernel" --stride "$stride" --padding "$pad" \
      --dilation "$dil" --groups "$groups" --shard none "${flags[@]}"; then
    $TG_PYTHON "$here/scripts/compare.py" "$out:/y" "$ref:/output" --pcc 0.985 || failed=1
  else
    echo "FAIL $name bfloat16 (none): ttgrid conv2d failed"; failed=1
  fi
done
exit $failed
