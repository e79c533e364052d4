#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs what is missing,
# builds (Release with -Werror, then AddressSanitizer + UBSan), and runs every test:
# unit, MPI at several rank counts, and the PyTorch validation. Exit status is
# non-zero when anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
source "$here/scripts/env.sh"

echo "== build (Release, -Werror)"
"$here/scripts/build.sh" "$here/build"
echo "== tests"
# the label `long` (the 200-job soak) runs on its own: ctest -L soak
(cd "$here/build" && ctest --output-on-failure -j "$(nproc)" -LE long)

echo "== build (AddressSanitizer + UBSan)"
"$here/scripts/build.sh" "$here/build-asan" -DTTGRID_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== tests under the sanitizers"
# Everything but the 224x224 ResNet-50 validation, whose 64 sanitized processes
# would need more memory than a CI machine has (the 64x64 one covers the same code),
# and but the label `cluster` (the MPI programs as 2 and 4 nodes, cluster.sh) and the
# short soak, which would add about 4 minutes here and run in the Release pass (they
# passed under the sanitizers when written: `ctest -L cluster` and `ctest -R
# soak_short` in build-asan).
(cd "$here/build-asan" &&
  ctest --output-on-failure -j "$(nproc)" -E 'validation_resnet50_224|soak_short' -LE 'long|cluster')
echo "== all tests passed"
