#!/usr/bin/python3
"""Tables of bench/profile_resnet50.sh: where a ResNet-50 pass's time goes.

usage: profile_report.py REPEAT (RANKS PASS_S SWITCHES STATS.csv PERF1.txt PERFR.txt)...

SWITCHES is resnet50's count of the processes' context switches a pass after the
first, summed over ranks ("-" when it printed none).

STATS.csv is ttgrid's --stats of a run of REPEAT passes: one record per op, core and
pass (the weights' preparation and the loads appear once). The last pass's records
give, per layer group, the wall time (per op, its slowest core; summed) and the
processor-seconds all cores spent inside compute kernels (compute_seconds, summed).

PERF1.txt and PERFR.txt are `perf report --no-children --sort dso,sym -F
overhead,sample,dso,sym -q` over the whole job with one pass and with REPEAT passes;
the difference of their samples, symbol by symbol, is REPEAT - 1 passes without the
start and the end, grouped by symbol into activities.
"""
import csv
import re
import sys
from collections import defaultdict

# activity: (dso pattern, symbol pattern), first match wins; symbols are ttgrid's
# own function names (src/ops, src/noc, io) and those of the libraries and kernel.
ACTIVITIES = [
    ("weights, set-up", None, r"resnet50_init|weights_load|weights_to_host|mm_weights|tg_model|generate"),
    ("matrix kernel", None, r"^(kernel|acc)_(avx512|avx2|portable)$|tg_gemm_acc|tg_mm_acc|trunc_mantissa"),
    ("conv driver, im2col, gathers", None, r"im2col|gather|fold|tg_conv2d_run|run_sharded|run_dram|exec_step"),
    ("format conversion", None, r"bfp8|bf16|tg_fmt_(pack|unpack)|round_partials|tilize"),
    ("epilogue, pools, add", None, r"epilogue|maxpool|avgpool|pool_|add_run|tg_add|linear"),
    ("NoC transfers, halo", None, r"^noc_(move|read|write|mcast|put|get|xfer|rma|msg)|tg_noc_(read|write|mcast)|tg_xfer|tg_tally|tg_route|halo"),
    ("memory copies (libc)", r"libc", r"memcpy|memmove|memset"),
    ("waiting: ttgrid", None, r"^noc_(agree|barrier|reduce|local_sync|wait|waitall|backoff|node_progress|watch)|^tg_noc_(agree|reduce|sync|barrier)|futex_w|slot_|mpi_wait|agree_"),
    ("waiting: MPI", r"libmpi|libopen-pal|libopen-rte|mca_|libucp|libuct|libucs|libfabric|libpmix|libevent|libhwloc", None),
    ("kernel: futex, scheduler", None, r"futex|sched|switch|pick_next|raw_spin_unlock_irq|wake|hrtimer|ep_poll|poll|select|syscall|entry_SYSCALL|idle"),
    ("kernel: page faults, memory", None, r"page|fault|mmap|munmap|folio|lru|memcg|tlb|pte|pmd|rmqueue|alloc|charge|kmem|slab"),
    ("HDF5, I/O", r"libhdf5|libz|libsz|romio|libmpi_io", None),
    ("loader, libc, other", r"ld-linux|libc", None),
]

def activity(dso, sym):
    for name, dpat, spat in ACTIVITIES:
        if dpat and spat:  # both: the symbol of that library
            if re.search(dpat, dso) and re.search(spat, sym):
                return name
        elif (dpat and re.search(dpat, dso)) or (spat and re.search(spat, sym)):
            return name
    return "kernel, other" if dso.startswith("[kernel") else "other"


def read_perf(path):
    """Samples per (dso, symbol)."""
    per = defaultdict(int)
    line_re = re.compile(r"^\s*([\d.]+)%\s+(\d+)\s+(\S+)\s+\[(.)\]\s+(.*)$")
    with open(path) as f:
        for line in f:
            m = line_re.match(line)
            if not m:
                continue
            per[(m.group(3), m.group(5).strip())] += int(m.group(2))
    return per


def pass_profile(one, many, passes):
    """Samples per activity in one pass (the difference of the two runs), and the
    total; a symbol seen less often in the longer run counts 0."""
    a, b = read_perf(one), read_perf(many)
    per = defaultdict(float)
    for key in set(a) | set(b):
        per[activity(*key)] += max(b.get(key, 0) - a.get(key, 0), 0) / passes
    return per, sum(per.values())


def group_of(op):
    head = op.split(":")[0]
    if head.startswith("layer"):
        return head.split(".")[0]
    if head in ("fold", "maxpool") or head.startswith("conv1"):
        return "stem"
    return "head, reshards, other"


def read_stats(path):
    """Per group: wall seconds (slowest core per op, summed) and compute seconds
    (all cores, summed) of the last pass."""
    recs = defaultdict(list)  # op -> [(index, core, seconds, compute)]
    with open(path) as f:
        for r in csv.DictReader(f):
            recs[r["op"]].append((int(r["op_index"]), int(r["core"]), float(r["seconds"]),
                                  float(r["compute_seconds"])))
    passes = max(len({i for i, _, _, _ in v}) for v in recs.values())
    wall, comp = defaultdict(float), defaultdict(float)
    for op, v in recs.items():
        idx = sorted({i for i, _, _, _ in v})
        if len(idx) < passes:  # once per run: loads, weights' preparation
            continue
        last = [x for x in v if x[0] == idx[-1]]
        g = group_of(op)
        wall[g] += max(s for _, _, s, _ in last)
        comp[g] += sum(c for _, _, _, c in last)
    return wall, comp


def main():
    repeat = int(sys.argv[1])
    runs = sys.argv[2:]
    if len(runs) % 6:
        sys.exit("usage: profile_report.py REPEAT "
                 "(RANKS PASS_S SWITCHES STATS.csv PERF1.txt PERFR.txt)...")
    runs = [runs[i:i + 6] for i in range(0, len(runs), 6)]
    groups = ["stem", "layer1", "layer2", "layer3", "layer4", "head, reshards, other"]

    print("\nBy layer group (ttgrid's statistics, the last of %d passes): wall ms of the "
          "slowest core per op, summed / compute-kernel processor-ms of all cores" % repeat)
    print("| group | " + " | ".join("%s ranks: wall / compute" % r[0] for r in runs) + " |")
    print("|---|" + "---|" * len(runs))
    stats = [read_stats(r[3]) for r in runs]
    for g in groups:
        print("| %s | " % g + " | ".join("%.1f / %.1f" % (w[g] * 1e3, c[g] * 1e3) for w, c in stats) + " |")
    print("| all | " + " | ".join("%.1f / %.1f" % (sum(w.values()) * 1e3, sum(c.values()) * 1e3)
                                  for w, c in stats) + " |")
    print("| pass, measured by resnet50 | " + " | ".join("%s s" % r[1] for r in runs) + " |")
    print("| context switches a pass, summed over ranks (resnet50's count) | " +
          " | ".join(r[2] for r in runs) + " |")

    print("\nBy activity (perf over the whole job, every process; one pass: the runs of %d "
          "passes and of 1 pass, subtracted): share of the samples" % repeat)
    print("| activity | " + " | ".join("%s ranks" % r[0] for r in runs) + " |")
    print("|---|" + "---|" * len(runs))
    perf = [pass_profile(r[4], r[5], repeat - 1) for r in runs]
    names = [a[0] for a in ACTIVITIES] + ["kernel, other", "other"]
    for a in names:
        print("| %s | " % a + " | ".join("%.1f %%" % (100.0 * p[a] / t if t else 0) for p, t in perf) + " |")
    print("| samples a pass (499 Hz a processor) | " + " | ".join("%.0f" % t for _, t in perf) + " |")


if __name__ == "__main__":
    main()
