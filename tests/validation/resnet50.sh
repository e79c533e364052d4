#!/usr/bin/env bash
# Validation of ttgrid resnet50 against PyTorch (torchvision's ResNet-50 v1.5):
# make_reference.py writes seeded random weights (one dataset per state_dict key),
# a seeded input batch, the logits, top-5 and every layer's output; ttgrid runs the
# network on RANKS ranks (float32) and compare.py checks the logits (PCC 0.99999),
# the top-5 classes (exact) and every layer (PCC 0.9999). Then the errors: a weights
# file missing a key, and one with a wrong shape, name the key and the shapes, exit
# 2, and leave no output. usage: resnet50.sh TTGRID WORKDIR [RANKS] [SIZE] [BATCH]
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$2 ranks=${3:-4} size=${4:-64} batch=${5:-2}
mkdir -p "$work" && cd "$work" || exit 1
failed=0
fail() { echo "FAIL: $*"; failed=1; }

$TG_PYTHON "$here/scripts/make_reference.py" resnet50 --image-size "$size" --batch "$batch" \
  --seed 5 --layers --weights w.h5 --output ref.h5 || exit 1
rm -f out.h5 dump.h5
$TG_MPIRUN -np "$ranks" "$tg" --quiet resnet50 --weights w.h5 --input ref.h5:/input \
  --dtype float32 --output out.h5 --dump-layers dump.h5 || fail "resnet50 float32 run"
$TG_PYTHON "$here/scripts/compare.py" out.h5:/logits ref.h5:/logits --pcc 0.99999 || failed=1
$TG_PYTHON "$here/scripts/compare.py" out.h5:/top5 ref.h5:/top5 --exact || failed=1
$TG_PYTHON "$here/scripts/compare.py" --files dump.h5 ref.h5 --group /layers --pcc 0.9999 --quiet \
  || failed=1

# bad weights: a missing key and a wrong shape
$TG_PYTHON - <<'PY'
import h5py, shutil
shutil.copy("w.h5", "w_missing.h5")
with h5py.File("w_missing.h5", "a") as f:
    del f["layer2.1.bn2.running_var"]
shutil.copy("w.h5", "w_shape.h5")
with h5py.File("w_shape.h5", "a") as f:
    del f["layer3.0.conv2.weight"]
    f["layer3.0.conv2.weight"] = f["layer3.0.conv1.weight"][...]
PY
for bad in missing shape; do
  rm -f bad.h5
  $TG_MPIRUN -np "$ranks" "$tg" --quiet resnet50 --weights "w_$bad.h5" --input ref.h5:/input \
    --dtype float32 --output bad.h5 >bad_out.txt 2>bad_err.txt
  rc=$?
  [ $rc -eq 2 ] || fail "weights with a $bad key: exit $rc, expected 2"
  [ ! -e bad.h5 ] || fail "weights with a $bad key: an output file was left"
  case $bad in
  missing) grep -q "no dataset '/layer2.1.bn2.running_var'" bad_err.txt || fail "missing key not named: $(grep ttgrid bad_err.txt)" ;;
  shape) grep -q "'/layer3.0.conv2.weight' is \[256, 512, 1, 1\], expected \[256, 256, 3, 3\]" bad_err.txt \
           || fail "wrong shape not named: $(grep ttgrid bad_err.txt)" ;;
  esac
done
[ $failed -eq 0 ] && echo "resnet50 validation: all checks passed"
exit $failed
