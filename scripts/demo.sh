#!/usr/bin/env bash
# The main job from a fresh Debian 12 machine: installs what is missing, builds, and
# runs ttgrid on generated input with a summary. RANKS (default 4) sets the rank count.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
source "$here/scripts/env.sh"
"$here/scripts/build.sh" "$here/build"
ranks=${RANKS:-4}
out=${OUT:-$here/out}
mkdir -p "$out"
tg="$here/build/ttgrid"

echo "== ttgrid info on $ranks ranks"
$TG_MPIRUN -np "$ranks" "$tg" info

echo "== HDF5 round trip: a [2, 7, 9, 40] tensor through L1 shards, all three layouts"
$TG_PYTHON "$here/scripts/make_reference.py" tensor --shape 2,7,9,40 --seed 1 \
  --output "$out/demo_input.h5:/x"
for layout in height width block; do
  $TG_MPIRUN -np "$ranks" "$tg" copy --input "$out/demo_input.h5:/x" \
    --output "$out/demo_copy.h5:/$layout" --shard "$layout"
  h5diff "$out/demo_input.h5" "$out/demo_copy.h5" /x "/$layout"
  echo "   $layout: h5diff finds /x and /$layout equal"
done
