#!/usr/bin/env bash
# The main job from a fresh Debian 12 machine: installs what is missing, builds, and
# runs ResNet-50 (224x224, batch 1, deterministic generated weights and input) on an
# emulated 8x8 Wormhole grid of 64 ranks, printing one line per layer, the top-5
# classes, the time per image and a statistics summary per op. RANKS (default 64),
# DTYPE (default bfloat16) and ARGS (extra resnet50 options) change the run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
source "$here/scripts/env.sh"
"$here/scripts/build.sh" "$here/build"
ranks=${RANKS:-64}
dtype=${DTYPE:-bfloat16}
out=${OUT:-$here/out}
mkdir -p "$out"
extra=()
[ "$dtype" = bfloat16 ] && extra=(--math-fidelity LoFi)

echo "== ttgrid info on $ranks ranks"
$TG_MPIRUN -np "$ranks" "$here/build/ttgrid" info | head -12
echo "== ResNet-50 on $ranks ranks ($dtype), generated weights and input"
# shellcheck disable=SC2086
$TG_MPIRUN -np "$ranks" "$here/build/ttgrid" --stats "$out/resnet50_stats.csv" resnet50 \
  --dtype "$dtype" "${extra[@]}" --repeat 2 --output "$out/resnet50.h5" ${ARGS:-}
echo "== outputs: $out/resnet50.h5 (/logits, /top5, /stats), $out/resnet50_stats.csv"
