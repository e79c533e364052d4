#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS on its committed seed corpus: new inputs go to
# WORKDIR/corpus, a crash, leak-free timeout or sanitizer report to WORKDIR (the file
# named in the output reproduces it: TARGET FILE). Exit status non-zero on a finding.
# usage: run_fuzz.sh TARGET SEEDS WORKDIR SECONDS
set -euo pipefail
target=$(realpath "$1") seeds=$(realpath "$2") work=$(realpath -m "$3") secs=$4
mkdir -p "$work/corpus"
cd "$work"
# -detect_leaks=0: Open MPI's and HDF5's own allocations live until exit
exec "$target" -max_total_time="$secs" -timeout=25 -rss_limit_mb=4096 -detect_leaks=0 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds"
