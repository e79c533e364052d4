#!/usr/bin/env bash
# Configures and builds ttgrid: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# BUILD_DIR defaults to build/ (Release, -Werror). Used by demo.sh and test.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$here/build}
shift || true
cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
