#!/usr/bin/env bash
# Validation of ttgrid maxpool2d against PyTorch: bfloat16 output exactly equal to
# torch.max_pool2d on ramp and random inputs, for the ResNet stem shape, odd shapes
# and an input holding NaN and infinities, in every layout; padding over half the
# kernel refused as PyTorch refuses it. The stem's width-sharded case holds all 12544 rows of a
# 32-channel slice on a core, more than Wormhole's L1, so it runs with --l1-size 4M.
# usage: maxpool2d.sh TTGRID WORKDIR [RANKS]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$2 ranks=${3:-4}
mkdir -p "$work"
cd "$work"
failed=0

# name | input N,H,W,C | kernel | stride | padding | dilation | extra | reference's extra
# ("specials" puts NaN, +inf and -inf in the input: a window holding a NaN gives NaN)
cases=(
  "stem|1,112,112,64|3x3|2x2|1,1|1x1||"
  "odd|2,13,9,40|3x2|2x1|1,0,1,1|1x1||"
  "ceil|1,15,15,24|3x3|2x2|0,0|1x1|--ceil-mode|"
  "dilated|3,11,10,8|2x3|1x2|1,1|2x1||"
  "specials|2,14,14,32|3x3|2x2|1,1|1x1||--specials 60"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name shape kernel stride pad dil extra refextra <<<"$c"
  kinds="ramp random"
  [ "$name" = specials ] && kinds=random
  for kind in $kinds; do
    ref=mp_${name}_${kind}.h5
    # shellcheck disable=SC2086
    $TG_PYTHON "$here/scripts/make_reference.py" maxpool2d --input-shape "$shape" --kernel "$kernel" \
      --stride "$stride" --padding "$pad" --dilation "$dil" --dtype bfloat16 \
      --input-kind "$kind" --seed 3 $extra $refextra --output "$ref" >/dev/null
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
# PyTorch refuses padding over half the effective kernel: so do both
if $TG_PYTHON "$here/scripts/make_reference.py" maxpool2d --input-shape 1,8,8,16 --kernel 3x3 \
    --padding 2,1 --output mp_pad.h5 >/dev/null 2>&1; then
  echo "FAIL make_reference.py accepted padding 2 for kernel 3"; failed=1
fi
$TG_PYTHON - <<'PY' || failed=1
import torch
try:
    torch.nn.functional.max_pool2d(torch.zeros(1, 1, 8, 8), 3, 1, 2)
except RuntimeError as e:
    assert "half" in str(e), e
else:
    raise SystemExit("FAIL torch accepted padding 2 for kernel 3")
PY
set +e
$TG_MPIRUN -np "$ranks" "$tg" --quiet maxpool2d --input mp_specials_random.h5:/input --output mpo_pad.h5:/y \
  --kernel 3x3 --padding 2,1 2>err.txt
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "half of the effective kernel" err.txt || { echo "FAIL ttgrid padding 2 for kernel 3: exit $rc"; failed=1; }
exit $failed
