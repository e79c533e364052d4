#!/usr/bin/env bash
# One rank fails on purpose (TTGRID_FAULT=RANK:OP[:error|crash|hang][:N]) and the job
# ends cleanly: for each kind, every rank ends within 10 s (the launcher returns and
# no process of the job is left), with one "ttgrid: error:" line naming the core and
# the op (for hang, the watchdog's line, TTGRID_TIMEOUT=2, naming the waiting cores
# and the one that is not), a non-zero exit, no output under the final name, no
# partial file in the folder and no shared-memory file left (Open MPI's are kept in
# a folder of their own under /dev/shm for the test; ttgrid's node segment is a
# memfd and never has a name). usage: faults.sh TTGRID WORKDIR
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/scripts/env.sh"
tg=$(realpath "$1") work=$(realpath -m "$2")
mkdir -p "$work" && cd "$work" || exit 1
rm -f -- *.h5 .*.partial* 2>/dev/null
failed=0
fail() { echo "FAIL: $*"; failed=1; }

shm=/dev/shm/ttgrid-faults.$$
mkdir -p "$shm"
trap 'rm -rf "$shm"' EXIT
export OMPI_MCA_btl_vader_backing_directory=$shm OMPI_MCA_osc_sm_backing_directory=$shm
export TTGRID_TIMEOUT=2

$TG_PYTHON "$here/scripts/make_reference.py" conv2d --input-shape 1,28,28,32 --out-channels 32 \
  --kernel 3x3 --padding 1,1 --seed 7 --dtype float32 --output "$work/c.h5" >/dev/null
conv=(--quiet --l1-small-size 32768 conv2d --input "$work/c.h5:/input" --weights "$work/c.h5:/weight"
      --kernel 3x3 --padding 1,1 --output "$work/y.h5:/y")
resnet=(--quiet resnet50 --image-size 64 --output "$work/y.h5:/logits")

# run NAME NP ENV... -- ARGS...: runs ttgrid with the environment, in the
# background, and checks that it ends within 10 s; sets rc and secs, stderr in err.txt.
run() {
  local name=$1 np=$2
  shift 2
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  rm -f y.h5
  local t0 t1
  t0=$(date +%s%N)
  env "${envs[@]}" $TG_MPIRUN -np "$np" "$tg" "$@" >out.txt 2>err.txt </dev/null &
  local pid=$! waited=0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    fail "$name: still running after 10 s"
    kill -TERM "$pid" 2>/dev/null # mpirun ends its ranks
    sleep 3
    kill -9 "$pid" 2>/dev/null
  fi
  wait "$pid"
  rc=$?
  t1=$(date +%s%N)
  secs=$(( (t1 - t0) / 1000000 ))
}

# after NAME CODE PATTERN...: the checks every failed run must pass. CODE is the
# exit code expected (or "nonzero"); each PATTERN must be in the one error line.
after() {
  local name=$1 code=$2
  shift 2
  if [ "$code" = nonzero ]; then
    [ "$rc" -ne 0 ] || fail "$name: exit 0"
  else
    [ "$rc" -eq "$code" ] || fail "$name: exit $rc, expected $code"
  fi
  local lines
  lines=$(grep -c '^ttgrid: error:' err.txt)
  [ "$lines" -eq 1 ] || { fail "$name: $lines error lines"; cat err.txt; }
  local line
  line=$(grep '^ttgrid: error:' err.txt | head -1)
  for p in "$@"; do
    [[ "$line" == *"$p"* ]] || fail "$name: no '$p' in: $line"
  done
  sleep 0.2 # the launcher has returned; give the kernel a moment to reap
  pgrep -f -- "$work/" >/dev/null && { fail "$name: processes left"; pgrep -af -- "$work/"; }
  [ ! -e y.h5 ] || fail "$name: output under the final name"
  local left
  left=$(ls -A | grep -i partial)
  [ -z "$left" ] || fail "$name: partial files left: $left"
  left=$(ls -A "$shm")
  [ -z "$left" ] || { fail "$name: shared-memory files left: $left"; rm -f "$shm"/*; }
  echo "$name: exit $rc after $secs ms: $line"
}

# error: the core's first transfer fails; every core reports it, exit 1
run "conv2d error" 4 TTGRID_FAULT=1:conv2d:error -- "${conv[@]}"
after "conv2d error" 1 "core (1,0)" "op 'conv2d'" "failed on purpose"
# ... or its 5th call into src/noc in the op (:N)
run "conv2d error at call 5" 4 TTGRID_FAULT=1:conv2d:error:5 -- "${conv[@]}"
after "conv2d error at call 5" 1 "core (1,0)" "op 'conv2d' at its call 5"
# crash: the process kills itself after its line; the launcher ends the others
run "conv2d crash" 4 TTGRID_FAULT=2:conv2d:crash -- "${conv[@]}"
after "conv2d crash" nonzero "core (0,1)" "op 'conv2d'" "crashes on purpose"
# a rank killed while the output's temporary file exists (op 'store', its calls after
# the first: the name agreed, registered by every rank, then made): the launcher's
# SIGTERM makes the others remove it, even when rank 0, which made it, is the one killed
for spec in 0:store:crash:3 0:store:crash:5 3:store:crash:4; do
  run "crash in store ($spec)" 4 TTGRID_FAULT=$spec -- "${conv[@]}"
  after "crash in store ($spec)" nonzero "op 'store'" "crashes on purpose"
done
# a rank killed while the windows are made leaves Open MPI's osc sm file of the job
# (osc_sm.HOST.JOBID.VPID.CID, JOBID in hex; Open MPI 4.1 does not remove it at the
# job's end): the ranks the launcher ends with SIGTERM remove the job's files and
# leave another job's. Planted by a wrapper, as the moment cannot be hit from outside.
cat >"$work/plant.sh" <<EOF
#!/bin/sh
job=\$(printf %x "\$OMPI_MCA_ess_base_jobid")
: >"$shm/osc_sm.\$(hostname).\$job.\$OMPI_COMM_WORLD_RANK.99"
: >"$shm/osc_sm.\$(hostname).1234abcd.\$OMPI_COMM_WORLD_RANK.99"
exec "$tg" "\$@"
EOF
chmod +x "$work/plant.sh"
tg_real=$tg tg=$work/plant.sh
run "crash leaves window files" 4 TTGRID_FAULT=2:conv2d:crash -- "${conv[@]}"
tg=$tg_real
left=$(ls -A "$shm" | sort | tr '\n' ' ')
want=$(for r in 0 1 2 3; do echo "osc_sm.$(hostname).1234abcd.$r.99"; done | sort | tr '\n' ' ')
[ "$left" = "$want" ] || fail "crash leaves window files: left '$left', expected '$want'"
rm -f "$shm"/osc_sm.*.1234abcd.*
after "crash leaves window files" nonzero "core (0,1)" "crashes on purpose"
# hang: the others wait; the watchdog names them and the idle core, exit 1
run "conv2d hang" 4 TTGRID_FAULT=3:conv2d:hang -- "${conv[@]}"
after "conv2d hang" 1 "watchdog" "(0,0)" "(1,0)" "(0,1)" "op 'conv2d'" "not waiting: core (1,1)"
# a hang inside a block-sharded conv's K steps: its column's cores wait in a
# multicast's handover with it (the fenced weights multicast on one node), its row's
# in a barrier; the watchdog names both
run "block conv hang at call 20" 4 TTGRID_FAULT=1:conv2d:hang:20 -- "${conv[@]}" --shard block
after "block conv hang at call 20" 1 "watchdog" "(a group multicast's handover)" \
  "not waiting: core (1,0)"
# one rank alone: nobody waits for it, so its own watchdog ends it at twice the limit
run "1-rank hang" 1 TTGRID_FAULT=0:conv2d:hang -- "${conv[@]}"
after "1-rank hang" 1 "core (0,0) hangs on purpose in op 'conv2d'"
# a ResNet-50 layer, on 4 nodes of 2 ranks (the cluster path) and two-sided
for kind in error crash hang; do
  run "layer $kind on 4 nodes" 8 TTGRID_NODE_SIZE=2 TTGRID_FAULT="5:layer1.0.conv2:$kind" -- \
    --noc-mode two-sided "${resnet[@]}"
  case $kind in
    error) after "layer $kind on 4 nodes" 1 "core (1,1)" "layer1.0.conv2" ;;
    crash) after "layer $kind on 4 nodes" nonzero "core (1,1)" "layer1.0.conv2" ;;
    hang) after "layer $kind on 4 nodes" 1 "watchdog" "in op 'layer1.0.conv2'" ;;
  esac
done
# the fault's store op: the error is agreed before the output is made
run "store error" 3 TTGRID_FAULT=0:store -- "${conv[@]}"
after "store error" 1 "core (0,0)" "op 'store'"

# bad settings: one line, exit 2, before any work
run "bad fault" 2 TTGRID_FAULT=5:conv2d -- "${conv[@]}"
after "bad fault" 2 "TTGRID_FAULT='5:conv2d': rank 5 does not exist (2 ranks)"
run "bad fault kind" 2 TTGRID_FAULT=conv2d -- "${conv[@]}"
after "bad fault kind" 2 "expected RANK:OP[:error|crash|hang]"
run "bad timeout" 2 TTGRID_TIMEOUT=soon -- "${conv[@]}"
after "bad timeout" 2 "TTGRID_TIMEOUT='soon'"

# and without a fault the same job succeeds, with the watchdog on
run "no fault" 4 -- "${conv[@]}"
[ "$rc" -eq 0 ] && [ -e y.h5 ] || { fail "no fault: exit $rc"; cat err.txt; }

[ $failed -eq 0 ] && echo "faults: all checks passed"
exit $failed
