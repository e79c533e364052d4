#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs what is missing,
# builds (Release with -Werror, then AddressSanitizer + UBSan), and runs every test:
# unit, MPI at several rank counts, the command line, the bad-input suite, and the
# PyTorch validation; then builds the libFuzzer targets with clang and runs each for
# 30 s (their longer runs: ctest -L fuzz_long in build-fuzz). Exit status is non-zero
# when anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
source "$here/scripts/env.sh"

echo "== build (Release, -Werror)"
"$here/scripts/build.sh" "$here/build"
echo "== tests"
(cd "$here/build" && ctest --output-on-failure -j "$(nproc)")

echo "== build (AddressSanitizer + UBSan)"
"$here/scripts/build.sh" "$here/build-asan" -DTTGRID_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== tests under the sanitizers"
# Everything but the 224x224 ResNet-50 validation, whose 64 sanitized processes
# would need more memory than a CI machine has; the 64x64 one covers the same code.
(cd "$here/build-asan" && ctest --output-on-failure -j "$(nproc)" -E validation_resnet50_224)

if command -v clang >/dev/null 2>&1; then
  echo "== build (libFuzzer targets, clang)"
  mkdir -p "$here/build-fuzz"
  if ! { CC=clang cmake -S "$here" -B "$here/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
           -DTTGRID_FUZZ=ON && cmake --build "$here/build-fuzz" -j "$(nproc)" --target fuzzers; } \
       >"$here/build-fuzz/build.log" 2>&1; then
    cat "$here/build-fuzz/build.log"; echo "fuzz build failed (log: build-fuzz/build.log)" >&2
    exit 1
  fi
  echo "== fuzzing, 30 s per target"
  (cd "$here/build-fuzz" && ctest --output-on-failure -j "$(nproc)" -L '^fuzz$')
else
  echo "== no clang: the libFuzzer targets were not built"
fi
echo "== all tests passed"
