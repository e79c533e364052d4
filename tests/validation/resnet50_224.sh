#!/usr/bin/env bash
# ResNet-50 at 224x224 against PyTorch on the grid sizes the issue names: float32 at
# 1, 2, 8 and 64 ranks (64 oversubscribed, grid 8x8) to PCC 0.99999 with the same
# top-5; bfloat16 weights and activations with LoFi to PCC 0.98 at the same counts;
# and the top-5 of 4 different seeded images (batch 4) in float32.
# usage: resnet50_224.sh TTGRID WORKDIR
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$2
mkdir -p "$work" && cd "$work" || exit 1
failed=0
$TG_PYTHON "$here/scripts/make_reference.py" resnet50 --image-size 224 --batch 1 --seed 0 \
  --weights w.h5 --output ref.h5 || exit 1
for np in 1 2 8 64; do
  grid=()
  [ "$np" = 64 ] && grid=(--grid 8x8)
  if $TG_MPIRUN -np "$np" "$tg" "${grid[@]}" --quiet resnet50 --weights w.h5 --input ref.h5:/input \
      --dtype float32 --output "f32_$np.h5" >/dev/null; then
    echo -n "float32 at $np ranks: "
    $TG_PYTHON "$here/scripts/compare.py" "f32_$np.h5:/logits" ref.h5:/logits --pcc 0.99999 || failed=1
    $TG_PYTHON "$here/scripts/compare.py" "f32_$np.h5:/top5" ref.h5:/top5 --exact --quiet || failed=1
  else
    echo "FAIL: float32 at $np ranks did not run"; failed=1
  fi
  if $TG_MPIRUN -np "$np" "$tg" "${grid[@]}" --quiet resnet50 --weights w.h5 --input ref.h5:/input \
      --dtype bfloat16 --math-fidelity LoFi --output "bf16_$np.h5" >/dev/null; then
    echo -n "bfloat16 LoFi at $np ranks: "
    $TG_PYTHON "$here/scripts/compare.py" "bf16_$np.h5:/logits" ref.h5:/logits --pcc 0.98 || failed=1
  else
    echo "FAIL: bfloat16 at $np ranks did not run"; failed=1
  fi
done
$TG_PYTHON "$here/scripts/make_reference.py" resnet50 --image-size 224 --batch 4 --seed 0 \
  --weights w.h5 --output ref4.h5 || exit 1
if $TG_MPIRUN -np 8 "$tg" --quiet resnet50 --weights w.h5 --input ref4.h5:/input --dtype float32 \
    --output f32_b4.h5 >/dev/null; then
  echo -n "float32, 4 images at 8 ranks: "
  $TG_PYTHON "$here/scripts/compare.py" f32_b4.h5:/top5 ref4.h5:/top5 --exact || failed=1
else
  echo "FAIL: batch 4 did not run"; failed=1
fi
exit $failed
