#!/usr/bin/env bash
# Configures and builds ttgrid: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# BUILD_DIR defaults to build/ (Release, -Werror). Used by demo.sh and test.sh. The
# compiler's output goes to BUILD_DIR/build.log and is shown only when it fails.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$here/build}
shift || true
mkdir -p "$dir"
if ! { cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" &&
       cmake --build "$dir" -j "$(nproc)"; } >"$dir/build.log" 2>&1; then
  cat "$dir/build.log"
  echo "build failed (log: $dir/build.log)" >&2
  exit 1
fi
echo "built $dir"
