#!/usr/bin/env bash
# Regression tests of issue 12's items 1-9 (reliability of outputs and io), end to
# end: a failure on one rank (injected with TTGRID_IO_FAULT, and, when run as root, a
# real full disk on a small tmpfs and a folder some ranks cannot see through mount
# namespaces) ends every rank with one error line and nothing left behind; two runs
# writing one file both publish; impossible sizes fail at once; side outputs are
# committed with the main one; non-HDF5 files and /stats are refused.
# usage: reliability.sh TTGRID WORKDIR
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$(realpath -m "$2")
mkdir -p "$work" && cd "$work" || exit 1
rm -rf ./* ./.[!.]* 2>/dev/null
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# run SECONDS NP ARGS...: ttgrid under a time limit; $rc, out.txt, err.txt; $RUN_ENV
# holds extra environment (VAR=value ...) and $WRAP a program that starts each rank.
run() {
  local secs=$1 np=$2
  shift 2
  # shellcheck disable=SC2086
  timeout "$secs" env ${RUN_ENV:-} $TG_MPIRUN -np "$np" ${WRAP:-} "$tg" "$@" >out.txt 2>err.txt
  rc=$?
}
# expect_fail WHAT CODE PATTERN: the last run failed with CODE and one matching line.
expect_fail() {
  local what=$1 code=$2 pattern=$3
  [ "$rc" -ne 124 ] || { fail "$what: no end within the time limit (a hang)"; return; }
  [ "$rc" -eq "$code" ] || fail "$what: exit $rc, expected $code"
  local lines
  lines=$(grep -c '^ttgrid: error:' err.txt)
  [ "$lines" -eq 1 ] || fail "$what: $lines error lines, expected 1"
  grep -q -- "$pattern" err.txt || fail "$what: no '$pattern' in: $(grep '^ttgrid' err.txt)"
  ! grep -qE 'Sanitizer|runtime error:|Segmentation fault|signal 11' err.txt ||
    fail "$what: crash or sanitizer report: $(grep -E 'Sanitizer|runtime error|signal' err.txt | head -2)"
}
# no_leftovers WHAT DIR...: no temporary file or lock in the folders.
no_leftovers() {
  local what=$1 left
  shift
  left=$(find "$@" -maxdepth 1 \( -name '.*.partial' -o -name '.*.lock' \) 2>/dev/null | head -3)
  [ -z "$left" ] || { fail "$what: left $left"; rm -f $left; }
}

$TG_PYTHON "$here/scripts/make_reference.py" conv2d --input-shape 1,56,56,64 --out-channels 64 \
  --kernel 3x3 --padding 1,1 --seed 3 --output conv.h5 >/dev/null
$TG_PYTHON "$here/scripts/make_reference.py" tensor --shape 1,20,20,64 --seed 1 --output t.h5:/x
conv=(--quiet --l1-small-size 32768 conv2d --input "$work/conv.h5:/input" --weights "$work/conv.h5:/weight" --kernel 3x3
      --padding 1,1)

# ---- item 1: a write that fails on some ranks (the disk-full case) -------------------
for fault in 2:write 3:close 0:create 1:alloc; do
  RUN_ENV="TTGRID_IO_FAULT=$fault" run 60 4 "${conv[@]}" --output y.h5:/y
  expect_fail "item 1: TTGRID_IO_FAULT=$fault" 1 "TTGRID_IO_FAULT"
  [ ! -e y.h5 ] || fail "item 1: $fault left y.h5"
  no_leftovers "item 1: $fault" .
done

# ---- item 2: a file only some ranks can see ------------------------------------------
RUN_ENV="TTGRID_IO_FAULT=2:stat" run 60 4 "${conv[@]}" --output y.h5:/y
expect_fail "item 2: input missing on rank 2" 2 "on rank 2: No such file"
RUN_ENV="TTGRID_IO_FAULT=3:stat:2" run 60 4 copy --input t.h5:/x --output y.h5:/y
expect_fail "item 2: output temporary file missing on rank 3" 2 "cannot"
no_leftovers "item 2" .

# ---- item 3: two runs writing one file, started within 20 ms -------------------------
for i in $(seq 1 10); do
  rm -f shared.h5
  (RUN_ENV= run 120 1 --quiet copy --input t.h5:/x --output shared.h5:/a$i; echo $rc >rc_a) &
  sleep 0.01
  (RUN_ENV= timeout 120 $TG_MPIRUN -np 1 "$tg" --quiet copy --input t.h5:/x \
     --output shared.h5:/b$i >out_b.txt 2>err_b.txt; echo $? >rc_b) &
  wait
  [ "$(cat rc_a)" = 0 ] && [ "$(cat rc_b)" = 0 ] || fail "item 3 try $i: exits $(cat rc_a) $(cat rc_b)"
  h5diff shared.h5 t.h5 /a$i /x >/dev/null && h5diff shared.h5 t.h5 /b$i /x >/dev/null ||
    fail "item 3 try $i: a dataset is missing or wrong: $(h5ls shared.h5 | tr '\n' ' ')"
  [ "$(h5ls shared.h5 | grep -c '^[ab]')" -eq 2 ] || fail "item 3 try $i: $(h5ls shared.h5 | tr '\n' ' ')"
  no_leftovers "item 3 try $i" .
done

# ---- item 4: impossible sizes fail at once -------------------------------------------
run 20 2 "${conv[@]}" --padding 1048576,1048576 --shard none --output y.h5:/y
expect_fail "item 4: conv2d padding 2^20" 2 "needs [0-9]* B of DRAM"
run 20 2 --quiet maxpool2d --input conv.h5:/input --kernel 3x3 --padding 1048576,1048576 \
  --shard none --output y.h5:/y
expect_fail "item 4: maxpool2d padding 2^20" 2 "half of the effective kernel"
run 20 2 --quiet maxpool2d --input conv.h5:/input --kernel 2049x2049 --stride 1 \
  --padding 1024,1024 --shard none --output y.h5:/y
expect_fail "item 4: maxpool2d window larger than L1" 2 "window spans"

# ---- item 6: outputs checked first, side outputs committed with the main one ---------
start=$(date +%s)
run 30 2 --stats s.csv resnet50 --image-size 32 --dump-layers d.h5 --output /nodir/y.h5
expect_fail "item 6: /nodir output" 2 "cannot use folder '/nodir'"
grep -q "forward pass" out.txt && fail "item 6: computed before checking the output"
[ $(($(date +%s) - start)) -le 20 ] || fail "item 6: took $(($(date +%s) - start)) s"
RUN_ENV="TTGRID_IO_FAULT=1:close" run 120 2 --quiet --stats s.csv resnet50 --image-size 32 \
  --dump-layers d.h5 --output y.h5
expect_fail "item 6: a close failing at the end" 1 "closing"
for f in s.csv d.h5 y.h5; do [ ! -e $f ] || fail "item 6: left $f"; done
no_leftovers "item 6" .
run 120 2 --quiet --stats s.csv resnet50 --image-size 32 --dump-layers d.h5 --output y.h5
[ "$rc" -eq 0 ] && [ -s s.csv ] && h5ls d.h5/layers >/dev/null && h5ls y.h5/logits >/dev/null ||
  fail "item 6: a good run did not publish all three files (exit $rc)"
rm -f s.csv d.h5 y.h5

# ---- item 7: copying an existing output fails on a full disk -------------------------
cp t.h5 keep.h5
RUN_ENV="TTGRID_IO_FAULT=0:copy" run 60 2 --quiet copy --input t.h5:/x --output keep.h5:/y
expect_fail "item 7: copy of the existing output" 1 "cannot copy.*No space left on device"
cmp -s keep.h5 t.h5 || fail "item 7: the existing output changed"
no_leftovers "item 7" .

# ---- items 8, 9: files ttgrid must not replace, datasets it must not write -----------
echo "my notes" >notes.txt
run 30 1 --quiet copy --input t.h5:/x --output notes.txt:/y
expect_fail "item 8: a text file at the output" 2 "'notes.txt' exists and is not an HDF5 file"
[ "$(cat notes.txt)" = "my notes" ] || fail "item 8: notes.txt was replaced"
run 30 1 --quiet copy --input t.h5:/x --output y.h5:/stats/core
expect_fail "item 9: --output F.h5:/stats/core" 2 "under /stats"
[ ! -e y.h5 ] || fail "item 9: left y.h5"

# ---- as root: a real full disk and real per-rank mount namespaces ---------------------
scratch=$work/tmpfs
mkdir -p "$scratch"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1m tmpfs "$scratch" 2>/dev/null; then
  # the issue's case: 1 MB, 600 KB of it filled, a 56x56x64 conv writing there at 4 ranks
  dd if=/dev/zero of="$scratch/fill" bs=1k count=600 2>/dev/null
  run 60 4 "${conv[@]}" --output "$scratch/y.h5:/y"
  expect_fail "item 1 (tmpfs, 424 KB free)" 1 "No space left on device"
  # completely full
  dd if=/dev/zero of="$scratch/fill2" bs=1k count=1024 2>/dev/null
  run 60 4 "${conv[@]}" --output "$scratch/y.h5:/y"
  expect_fail "item 1 (tmpfs, full)" 1 "No space left on device"
  [ ! -e "$scratch/y.h5" ] || fail "item 1 (tmpfs): left y.h5"
  no_leftovers "item 1 (tmpfs)" "$scratch"
  # item 7 for real: an existing output on a full disk
  rm -f "$scratch"/fill*
  cp t.h5 "$scratch/keep.h5"
  dd if=/dev/zero of="$scratch/fill" bs=1k count=1024 2>/dev/null
  run 60 2 --quiet copy --input t.h5:/x --output "$scratch/keep.h5:/y"
  expect_fail "item 7 (tmpfs, full)" 1 "No space left on device"
  cmp -s "$scratch/keep.h5" t.h5 || fail "item 7 (tmpfs): the existing output changed"
  no_leftovers "item 7 (tmpfs)" "$scratch"
  # a run that fits writes the output and leaves the disk as it found it
  rm -f "$scratch"/*
  used=$(df -k --output=used "$scratch" | tail -1)
  run 60 4 "${conv[@]}" --output "$scratch/y.h5:/y"
  [ "$rc" -eq 0 ] || fail "tmpfs: a run that fits failed: $(grep '^ttgrid' err.txt)"
  rm -f "$scratch/y.h5"
  [ "$(df -k --output=used "$scratch" | tail -1)" -eq "$used" ] || fail "tmpfs: blocks left in use"
  umount "$scratch"

  # item 2 for real: ranks 2 and 3 see an empty folder over the input's (the issue's
  # node-local /tmp), then over the output's
  mkdir -p ns/in ns/out ns/empty
  cp conv.h5 ns/in/
  cat >ns/wrap.sh <<EOF
#!/bin/bash
if [ "\${OMPI_COMM_WORLD_RANK:-0}" -ge 2 ]; then
  exec unshare -m sh -c 'mount --bind "$work/ns/empty" "$work/ns/\$HIDE" && exec "\$@"' sh "\$@"
fi
exec "\$@"
EOF
  chmod +x ns/wrap.sh
  if unshare -m true 2>/dev/null; then
    RUN_ENV="HIDE=in" WRAP=ns/wrap.sh run 60 4 --quiet --l1-small-size 32768 conv2d --input "$work/ns/in/conv.h5:/input" \
      --weights "$work/ns/in/conv.h5:/weight" --kernel 3x3 --padding 1,1 --output y.h5:/y
    expect_fail "item 2 (namespaces): input" 2 "on rank 2: No such file"
    RUN_ENV="HIDE=out" WRAP=ns/wrap.sh run 60 4 "${conv[@]}" --output "$work/ns/out/y.h5:/y"
    expect_fail "item 2 (namespaces): output" 1 "rank 2 cannot see the temporary file"
    [ -z "$(ls -A ns/out)" ] || fail "item 2 (namespaces): left $(ls -A ns/out)"
  else
    echo "reliability: unshare unavailable, per-rank namespace cases skipped"
  fi
else
  echo "reliability: not root or no tmpfs mount, the real full-disk and namespace cases skipped"
fi

[ $failed -eq 0 ] && echo "reliability: all checks passed"
exit $failed
