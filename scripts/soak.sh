#!/usr/bin/env bash
# Soak: many small ttgrid jobs at random rank counts, some with one rank killed
# (kill -9) at a random moment, then nothing may be left behind: no process of a job,
# no shared-memory file, no partial output (DESIGN.md section 10; issue 12, item 8).
#
# usage: scripts/soak.sh TTGRID WORKDIR [JOBS [KILLS [SEED]]]
#   JOBS (200) jobs of 1 to 16 ranks, each one of: info, copy, conv2d, maxpool2d,
#   plan, a 32x32 ResNet-50; KILLS (20) of them, spread at random, lose one rank
#   to kill -9 after 0.15 to 1 s (jobs of 2 ranks or more: a job's only rank,
#   killed that way, can leave its temporary output, as nothing of it survives).
#   SEED (from the clock) makes the choices repeatable; it is printed.
# Every job must end within 120 s (TTGRID_TIMEOUT=30 unless set: a hang is the
# watchdog's line); a job that was not killed must succeed and write its output; a
# killed job must exit non-zero, or have finished before the kill came. When every
# rank of a killed job has ended but mpirun does not return (Open MPI 4.1's mpirun
# can deadlock in its PMIx teardown when a rank dies while it connects), the soak
# ends mpirun after 10 s and counts it apart: not a failure of ttgrid. After each job: no process whose command line names WORKDIR, no file
# in the job's own shared-memory folder (Open MPI's segments are kept in
# /dev/shm/ttgrid-soak.PID for the soak; ttgrid's node segment is a memfd and has
# no name), no partial file in WORKDIR. Exit status: the number of failed checks
# (capped at 100), 0 when all passed.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/scripts/env.sh"
[ $# -ge 2 ] || { echo "usage: $0 TTGRID WORKDIR [JOBS [KILLS [SEED]]]" >&2; exit 2; }
tg=$(realpath "$1") work=$(realpath -m "$2")
jobs=${3:-200} kills=${4:-20} seed=${5:-$(date +%s)}
[ "$kills" -le "$jobs" ] || { echo "soak: more kills ($kills) than jobs ($jobs)" >&2; exit 2; }
mkdir -p "$work" && cd "$work" || exit 2
rm -f -- *.h5 .*partial* 2>/dev/null
RANDOM=$seed
failures=0
fail() { echo "FAIL: job $i: $*"; failures=$((failures + 1)); }

shm=/dev/shm/ttgrid-soak.$$
mkdir -p "$shm"
trap 'rm -rf "$shm"' EXIT
export OMPI_MCA_btl_vader_backing_directory=$shm OMPI_MCA_osc_sm_backing_directory=$shm
# a job takes a few seconds: a wait of 30 s is a hang, which the watchdog names
export TTGRID_TIMEOUT=${TTGRID_TIMEOUT:-30}

$TG_PYTHON "$here/scripts/make_reference.py" tensor --shape 2,14,14,40 --seed 1 \
  --output "$work/in.h5:/x" >/dev/null || exit 2
$TG_PYTHON "$here/scripts/make_reference.py" conv2d --input-shape 1,28,28,32 --out-channels 32 \
  --kernel 3x3 --padding 1,1 --seed 2 --output "$work/conv.h5" >/dev/null || exit 2

# The jobs that get a kill: KILLS distinct indices among those of 2 ranks or more.
declare -a np kill_at
for ((i = 0; i < jobs; i++)); do np[i]=$((RANDOM % 16 + 1)); kill_at[i]=0; done
multi=()
for ((i = 0; i < jobs; i++)); do [ "${np[i]}" -ge 2 ] && multi+=("$i"); done
for ((k = 0; k < kills && ${#multi[@]} > 0; k++)); do
  j=$((RANDOM % ${#multi[@]}))
  kill_at[${multi[j]}]=$((150 + RANDOM % 850)) # ms
  multi=("${multi[@]:0:j}" "${multi[@]:j+1}")
done

shards=(height width block)
t_start=$(date +%s)
killed=0 early=0 launcher=0
for ((i = 0; i < jobs; i++)); do
  out=$work/o$i.h5
  case $((RANDOM % 6)) in
    0) args=(info) out= ;;
    1) args=(copy --input "$work/in.h5:/x" --output "$out:/y" --shard "${shards[RANDOM % 3]}") ;;
    2) args=(conv2d --input "$work/conv.h5:/input" --weights "$work/conv.h5:/weight"
             --kernel 3x3 --padding 1,1 --output "$out:/y") ;;
    3) args=(maxpool2d --input "$work/in.h5:/x" --kernel 3x3 --stride 2x2 --padding 1,1
             --output "$out:/y") ;;
    4) args=(plan conv2d --input-shape "1,$((RANDOM % 30 + 8)),16,32" --out-channels 32
             --kernel 3x3 --padding 1,1) out= ;;
    5) args=(resnet50 --image-size 32 --output "$out") ;;
  esac
  t0=$(date +%s%N)
  $TG_MPIRUN -np "${np[i]}" "$tg" --quiet --l1-small-size 32768 "${args[@]}" >job.out 2>job.err </dev/null &
  pid=$!
  victim=
  pick=$RANDOM # drawn whatever happens, so that a seed repeats the same jobs
  if [ "${kill_at[i]}" -gt 0 ]; then
    sleep "$(printf '%d.%03d' $((kill_at[i] / 1000)) $((kill_at[i] % 1000)))"
    ranks=($(pgrep -P "$pid"))
    if [ ${#ranks[@]} -gt 0 ]; then
      victim=${ranks[pick % ${#ranks[@]}]}
      kill -9 "$victim" 2>/dev/null || victim=
    fi
  fi
  waited=0 gone=0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 1200 ]; do
    sleep 0.1
    waited=$((waited + 1))
    # every rank has ended (none left, or zombies mpirun has not reaped) but mpirun
    # goes on: Open MPI 4.1's mpirun can deadlock in its PMIx teardown when a rank
    # is killed while it connects ("PMIX ERROR: UNREACHABLE"); the launcher's bug
    if [ -n "$victim" ] && ! ps -o stat= --ppid "$pid" | grep -qv '^Z'; then
      gone=$((gone + 1))
      [ $gone -lt 100 ] || break
    else
      gone=0
    fi
  done
  if [ $gone -ge 100 ]; then
    launcher=$((launcher + 1))
    echo "job $i: ${np[i]} ranks, ${args[0]}: every rank ended, but mpirun still runs 10 s" \
      "later (Open MPI's PMIx teardown); ending mpirun"
    kill -9 "$pid" 2>/dev/null
  elif kill -0 "$pid" 2>/dev/null; then
    fail "${np[i]} ranks, ${args[0]}: still running after 120 s; ending it"
    ps -o pid=,stat=,args= --ppid "$pid" | head -3
    kill -TERM "$pid"; sleep 3; kill -9 "$pid" 2>/dev/null
  fi
  wait "$pid"
  rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  if [ "${kill_at[i]}" -gt 0 ] && { [ -z "$victim" ] || [ "$rc" -eq 0 ]; }; then
    early=$((early + 1)) # the job had finished its work before the kill came
    what="finished before its kill at ${kill_at[i]} ms, exit $rc after $ms ms"
  elif [ -n "$victim" ]; then
    killed=$((killed + 1))
    what="killed a rank at ${kill_at[i]} ms, exit $rc after $ms ms"
  else
    [ "$rc" -eq 0 ] || { fail "${np[i]} ranks, ${args[*]}: exit $rc"; sed -n 1,5p job.err; }
    [ -z "$out" ] || [ "$rc" -ne 0 ] || [ -e "$out" ] || fail "${np[i]} ranks, ${args[0]}: no output"
    what="exit $rc after $ms ms"
  fi
  # nothing left behind
  for ((w = 0; w < 50; w++)); do pgrep -f -- "$work/" >/dev/null || break; sleep 0.1; done
  if pgrep -f -- "$work/" >/dev/null; then
    fail "${np[i]} ranks, ${args[0]}: processes left 5 s after the job ended"
    pgrep -af -- "$work/" | head -3
  fi
  left=$(ls -A "$shm")
  [ -z "$left" ] || { fail "${np[i]} ranks, ${args[0]}: shared-memory files left: $left"; rm -f "$shm"/*; }
  left=$(ls -A "$work" | grep -i partial)
  [ -z "$left" ] || { fail "${np[i]} ranks, ${args[0]}: partial files left: $left"; rm -f -- $left; }
  [ -n "${SOAK_VERBOSE:-}" ] && echo "job $i: ${np[i]} ranks, ${args[0]}: $what"
  rm -f -- "$out"
done
echo "soak: $jobs jobs (seed $seed) in $(($(date +%s) - t_start)) s: $killed killed, $early finished" \
  "before their kill, $launcher mpirun hangs after every rank ended, $failures failed checks"
[ $failures -lt 100 ] || failures=100
exit $failures
