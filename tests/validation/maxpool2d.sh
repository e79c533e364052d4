#!/usr/bin/env bash
# Validation of ttgrid maxpool2d against PyTorch: bfloat16 output exactly equal to
# torch.max_pool2d on ramp and random inputs, for the ResNet stem shape and odd
# shapes, in every layout. The stem's width-sharded case holds all 12544 rows of a
# 32-channel slice on a core, more than Wormhole's L1, so it runs with --l1-size 4M.
# usage: maxpool2d.sh TTGRID WORKDIR [RANKS]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$2 ranks=${3:-4}
mkdir -p "$work"
cd "$work"
failed=0

# name | input N,H,W,C | kernel | stride | padding | dilation | extra
cases=(
  "stem|1,112,112,64|3x3|2x2|1,1|1x1|"
  "odd|2,13,9,40|3x2|2x1|1,0,1,1|1x1|"
  "ceil|1,15,15,24|3x3|2x2|0,0|1x1|--ceil-mode"
  "dilated|3,11,10,8|2x3|1x2|1,1|2x1|"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name shape kernel stride pad dil extra <<<"$c"
  for kind in ramp random; do
    ref=mp_${name}_${kind}.h5
    # shellcheck disable=SC2086
    $TG_PYTHON "$here/scripts/make_reference.py" maxpool2d --input-shape "$shape" --kernel "$kernel" \
      --stride "$stride" --padding "$pad" --dilation "$dil" --dtype bfloat16 \
      --input-kind "$kind" --seed 3 $extra --output "$ref" >/dev/null
    for layout in height block width none; do
      global=()
      [ "$name" = stem ] && [ "$layout" = width ] && global=(--l1-size 4M)
      out=mpo_${name}_${kind}_${layout}.h5
      # shellcheck disable=SC2086
      if ! $TG_MPIRUN -np "$ranks" "$tg" "${global[@]}" --quiet maxpool2d --input "$ref:/input" \
          --output "$out:/y" --kernel "$kernel" --stride "$stride" --padding "$pad" \
          --dilation "$dil" --shard "$layout" $extra; then
        echo "FAIL $name $kind $layout: ttgrid maxpool2d failed"; failed=1; continue
      fi
      $TG_PYTHON "$here/scripts/compare.py" "$out:/y" "$ref:/output" --exact || failed=1
    done
  done
done
exit $failed
