#!/usr/bin/python3
"""Scaling study: run one ttgrid workload over a list of rank counts.

For every rank count N the workload runs as

    $TG_MPIRUN -np N ttgrid [--grid 8x8 when N == 64] --quiet \
        --stats DIR/stats_N.csv [GLOBAL OPTIONS] COMMAND OPTIONS --output DIR/out_N.h5[:/d]

with the Open MPI settings of scripts/env.sh (see DESIGN.md section 9 and
README.md, "Running by hand").  The script then reports, against the rank count:
the time of the workload, the speed-up and parallel efficiency relative to the
smallest rank count that succeeded, the NoC, DRAM and halo traffic, the L1
high-water mark, the modelled device cycles, the load balance over cores and the
bytes on the busiest directed NoC link.  The table is printed and written to
DIR/scaling.csv; with --plot a 2x3 figure is written to DIR/scaling.png.

Time per run
  resnet50         the median per-image time of the forward passes after the
                   first (ttgrid's own `--repeat R`); with R = 1 the per-image
                   time of the single pass.
  other commands   the op's own time from the statistics: the maximum over cores
                   of `seconds` for the op named like the command (`conv2d`,
                   `maxpool2d`, ...).  The run is repeated R times and the best
                   (smallest) op time is kept together with that run's
                   statistics.  A command with no op of its name falls back to
                   the sum over ops of the slowest core's `seconds`.
  wall             always reported as well: the whole mpirun process as
                   measured here (start-up and HDF5 I/O included; the fastest
                   of the R runs for commands other than resnet50).

Statistics (from DIR/stats_N.csv, one row per op per core).  When an op name
occurs more than once (resnet50 with --repeat R lists every pass) only its last
occurrence counts, so the figures describe one pass.
  NoC MiB          noc_read + noc_write + noc_mcast bytes, summed over cores
  DRAM MiB         dram_read + dram_write bytes, summed over cores
  halo MiB         halo_remote_bytes summed over cores
  L1 peak KiB      maximum over cores and ops of l1_high_water
  model Mcyc       sum over ops of the slowest core's model_cycles, in millions
  device Mcyc      the device's modelled time (the timeline model of DESIGN.md section
                   9): sum over ops of model_op_cycles, in millions of cycles; with its
                   own speed-up and efficiency against the smallest rank count
  balance          mean over cores of the per-core compute_seconds (summed over
                   ops) divided by their maximum; 1.0 = perfectly balanced
  link MiB         the busiest directed link: per core and direction (E, S, N,
                   W) the link bytes summed over ops, then the maximum

Exit status: 0 when every run succeeded, 1 when any run failed (the failure is
reported with its rank count and ttgrid's error line, and the other rank counts
still run), 2 for bad arguments (one line on stderr).
"""

import argparse
import csv
import math
import os
import re
import shlex
import subprocess
import sys
import time

PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "scaling.py"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ttgrid's global options (README.md "Command line"): those taking a value.
GLOBAL_VALUE_OPTS = {"--arch", "--grid", "--l1-size", "--l1-small-size", "--dram-size", "--stats",
                     "--noc-mode"}
GLOBAL_FLAG_OPTS = {"--quiet", "--help", "--version"}
# Commands whose --output names a dataset (F.h5:/d); resnet50 has a default dataset.
DATASET_OUTPUT_COMMANDS = {"conv2d", "maxpool2d", "copy"}
NO_OUTPUT_COMMANDS = {"info", "plan"}
# L1 bytes per core of the arch presets (src/rank/arch.c), for the limit line in the plot.
ARCH_L1 = {"wormhole_b0": 1499136, "grayskull": 1 << 20, "blackhole": 1572864}
FULL_GRID = {64: "8x8"}  # rank counts that get an explicit --grid

MIB = float(1 << 20)
KIB = 1024.0

COLUMNS = [
    # (csv name, table header, width, format)
    ("ranks", "ranks", 5, "{:d}"),
    ("grid", "grid", 5, "{}"),
    ("time_s", "time s", 9, "{:.4g}"),
    ("wall_s", "wall s", 7, "{:.2f}"),
    ("speedup", "speed-up", 8, "{:.2f}"),
    ("efficiency", "effic.", 6, "{:.2f}"),
    ("noc_mib", "NoC MiB", 8, "{:.1f}"),
    ("dram_mib", "DRAM MiB", 8, "{:.1f}"),
    ("halo_mib", "halo MiB", 8, "{:.3f}"),
    ("l1_peak_kib", "L1 KiB", 7, "{:.0f}"),
    ("model_mcycles", "model Mcyc", 10, "{:.3f}"),
    ("device_mcycles", "device Mcyc", 11, "{:.3f}"),
    ("device_speedup", "dev speed-up", 12, "{:.2f}"),
    ("device_efficiency", "dev effic.", 10, "{:.2f}"),
    ("load_balance", "balance", 7, "{:.3f}"),
    ("busiest_link_mib", "link MiB", 8, "{:.2f}"),
]


class UsageError(Exception):
    """Bad command-line arguments: reported as one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message):
        raise UsageError(message)


def build_parser():
    """The parser for this script's own options (those before `--`)."""
    p = OneLineParser(
        prog=PROG,
        usage="%(prog)s [--ranks 1,2,4,8,16,32,64] [--ttgrid PATH] [--out DIR] "
              "[--repeat R] [--timeout S] [--plot] -- WORKLOAD ARGS...",
        description="Run one ttgrid workload over a list of rank counts and report how "
                    "time, speed-up, efficiency, NoC traffic, halo volume and L1 pressure "
                    "change with the rank count (DESIGN.md section 9). WORKLOAD ARGS are "
                    "the ttgrid command and its options, optionally preceded by ttgrid "
                    "global options such as --arch or --l1-size, e.g. "
                    "`-- resnet50 --image-size 224 --dtype float32` or "
                    "`-- conv2d --input f.h5:/input --weights f.h5:/weight --kernel 3x3 "
                    "--padding 1,1`. --output, --stats, --quiet (and resnet50's --repeat) "
                    "are set per run by this script.",
        epilog="Writes DIR/stats_N.csv, DIR/out_N.h5, DIR/run_N.log per rank count, and "
               "DIR/scaling.csv (and DIR/scaling.png with --plot). Exit status: 0 all runs "
               "succeeded, 1 a run failed, 2 bad arguments. See the module docstring "
               "(pydoc) for the exact definition of every column.",
    )
    p.add_argument("--ranks", default="1,2,4,8,16,32,64", metavar="LIST",
                   help="comma-separated rank counts (default: %(default)s); 64 runs on "
                        "--grid 8x8, other counts on the grid ttgrid picks")
    p.add_argument("--ttgrid", default=os.path.join(REPO, "build", "ttgrid"), metavar="PATH",
                   help="the ttgrid binary (default: build/ttgrid in this repository)")
    p.add_argument("--out", default="out/scaling", metavar="DIR",
                   help="output folder (default: %(default)s, created when missing)")
    p.add_argument("--repeat", type=int, default=3, metavar="R",
                   help="resnet50: passed as --repeat R (median of the passes after the "
                        "first); other commands: run R times and keep the best (default 3)")
    p.add_argument("--timeout", type=float, default=0.0, metavar="S",
                   help="seconds after which one mpirun is killed and counted as failed "
                        "(default 0: no limit)")
    p.add_argument("--plot", action="store_true",
                   help="also write DIR/scaling.png (2x3 plots against the rank count)")
    return p


def parse_ranks(text):
    """Parse "1,2,4" into a sorted list of distinct positive ints."""
    out = set()
    for item in text.split(","):
        item = item.strip()
        if not item.isdigit() or int(item) < 1:
            raise UsageError("--ranks: %r is not a positive integer (expected e.g. 1,2,4,8)" % item)
        out.add(int(item))
    return sorted(out)


def split_option(token):
    """Split "--opt=value" into ("--opt", "value"); other tokens give (token, None)."""
    if token.startswith("--") and "=" in token:
        name, value = token.split("=", 1)
        return name, value
    return token, None


class Workload:
    """The user's workload, split into ttgrid global options, command and options.

    The options this script sets itself are taken out: --stats and --quiet from the
    global options, --output (its dataset name is kept) and, for resnet50, --repeat.
    """

    def __init__(self, args):
        self.global_opts = []
        self.arch = "wormhole_b0"
        self.l1_size = None
        i = 0
        while i < len(args) and args[i].startswith("-"):
            name, value = split_option(args[i])
            if name in GLOBAL_VALUE_OPTS:
                if value is None:
                    if i + 1 >= len(args):
                        raise UsageError("workload: global option %s needs a value" % name)
                    value = args[i + 1]
                    i += 1
                if name == "--grid":
                    raise UsageError("workload: --grid is set per rank count by this script; "
                                     "leave it out")
                if name == "--arch":
                    self.arch = value
                if name == "--l1-size":
                    self.l1_size = value
                if name != "--stats":
                    self.global_opts += [name, value]
            elif name in GLOBAL_FLAG_OPTS:
                if name in ("--help", "--version"):
                    raise UsageError("workload: %s is not a workload" % name)
            else:
                raise UsageError("workload: unknown ttgrid global option %s" % name)
            i += 1
        if i >= len(args):
            raise UsageError("no ttgrid command after `--` (e.g. -- resnet50 --image-size 64)")
        self.command = args[i]
        self.output_dataset = None
        self.options = []
        rest = args[i + 1:]
        j = 0
        while j < len(rest):
            name, value = split_option(rest[j])
            drop = name == "--output" or (self.command == "resnet50" and name == "--repeat")
            if drop:
                if value is None:
                    if j + 1 >= len(rest):
                        raise UsageError("workload: %s needs a value" % name)
                    value = rest[j + 1]
                    j += 1
                if name == "--output" and ":" in value:
                    self.output_dataset = value.split(":", 1)[1]
            else:
                self.options.append(rest[j])
            j += 1
        if self.output_dataset is None and self.command in DATASET_OUTPUT_COMMANDS:
            self.output_dataset = "/y"

    def l1_limit(self):
        """L1 bytes per core for the plot's limit line, or None when unknown."""
        if self.l1_size is not None:
            m = re.fullmatch(r"(\d+)([KkMm]?)", self.l1_size)
            if not m:
                return None
            scale = {"": 1, "k": 1024, "m": 1 << 20}[m.group(2).lower()]
            return int(m.group(1)) * scale
        return ARCH_L1.get(self.arch)

    def argv(self, ttgrid, ranks, out_dir, repeat):
        """ttgrid's argument vector (binary first) for one run on `ranks` ranks."""
        argv = [ttgrid]
        if ranks in FULL_GRID:
            argv += ["--grid", FULL_GRID[ranks]]
        argv += ["--quiet", "--stats", stats_path(out_dir, ranks)] + self.global_opts
        argv += [self.command] + self.options
        if self.command not in NO_OUTPUT_COMMANDS:
            out = os.path.join(out_dir, "out_%d.h5" % ranks)
            if self.output_dataset is not None:
                out += ":" + self.output_dataset
            argv += ["--output", out]
        if self.command == "resnet50":
            argv += ["--repeat", str(repeat)]
        return argv

    def describe(self):
        """The workload as one shell-quoted line, for titles."""
        return " ".join(shlex.quote(a) for a in self.global_opts + [self.command] + self.options)


def stats_path(out_dir, ranks):
    """The statistics CSV of one rank count."""
    return os.path.join(out_dir, "stats_%d.csv" % ranks)


def mpirun_prefix():
    """The mpirun command and environment of scripts/env.sh.

    The environment is taken from sourcing scripts/env.sh when it exists (the
    project's single source of these settings); otherwise its exports are
    replicated here.
    """
    env_sh = os.path.join(REPO, "scripts", "env.sh")
    if os.path.isfile(env_sh):
        try:
            res = subprocess.run(
                ["bash", "-c", 'source "$1" >/dev/null; printf "%s\\0" "$TG_MPIRUN"; env -0',
                 "bash", env_sh], capture_output=True, check=True)
            parts = res.stdout.split(b"\0")
            mpirun = shlex.split(parts[0].decode())
            env = {}
            for item in parts[1:]:
                if b"=" in item:
                    k, v = item.split(b"=", 1)
                    env[k.decode(errors="replace")] = v.decode(errors="replace")
            if mpirun:
                return mpirun, env
        except (OSError, subprocess.CalledProcessError, UnicodeDecodeError):
            pass
    env = dict(os.environ)
    if os.geteuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_io", "romio321")
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return ["mpirun", "--oversubscribe", "--bind-to", "none"], env


def error_line(stderr):
    """The line that explains a failure: ttgrid's last `ttgrid: error:` line, else the
    last stderr line that is not part of mpirun's dashed notice boxes."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for line in reversed(lines):
        if "error:" in line:
            return line
    # a sanitizer's or the C library's report comes first; mpirun's notice follows
    for line in lines:
        if line.startswith("==") and "ERROR:" in line:
            return line
    for line in reversed(lines):
        if not set(line) <= set("-"):
            return line
    return "(no output on stderr)"


def run_once(cmd, env, timeout, log):
    """Run one mpirun; returns (ok, wall seconds, stdout, message on failure)."""
    t0 = time.monotonic()
    try:
        res = subprocess.run(cmd, env=env, capture_output=True, text=True,
                             timeout=timeout if timeout > 0 else None, errors="replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout if isinstance(e.stdout, str) else (e.stdout or b"").decode(errors="replace")
        err = e.stderr if isinstance(e.stderr, str) else (e.stderr or b"").decode(errors="replace")
        log.write("$ %s\n%s%s[timed out after %g s]\n" % (shlex.join(cmd), out, err, timeout))
        return False, time.monotonic() - t0, out, "timed out after %g s" % timeout
    except OSError as e:
        log.write("$ %s\n[%s]\n" % (shlex.join(cmd), e))
        return False, 0.0, "", str(e)
    wall = time.monotonic() - t0
    log.write("$ %s\n%s%s[exit %d, %.3f s]\n" % (shlex.join(cmd), res.stdout, res.stderr,
                                                 res.returncode, wall))
    if res.returncode != 0:
        return False, wall, res.stdout, "exit %d: %s" % (res.returncode, error_line(res.stderr))
    return True, wall, res.stdout, None


def resnet_time(stdout, repeat):
    """Per-image seconds from ttgrid resnet50's summary lines, or None."""
    if repeat > 1:
        m = re.search(r"forward passes after the first: median ([0-9.eE+-]+) s", stdout)
    else:
        m = re.search(r"forward pass 1: .*?\(([0-9.eE+-]+) s per image\)", stdout)
    return float(m.group(1)) if m else None


def read_stats(path):
    """Summarise one statistics CSV (see the module docstring for each figure).

    Returns a dict with grid, op_seconds (op name -> max over cores of seconds),
    noc, dram, halo, l1, cycles, balance and link.
    """
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError("%s has no rows" % path)
    last = {}
    for r in rows:
        idx = int(r["op_index"])
        last[r["op"]] = max(last.get(r["op"], idx), idx)
    rows = [r for r in rows if int(r["op_index"]) == last[r["op"]]]

    def num(r, key):
        return float(r[key] or 0)

    ops = {}            # (op_index) -> rows
    per_core = {}       # core -> compute seconds
    links = {}          # (core, direction) -> bytes
    width = height = 0
    noc = dram = halo = l1 = 0.0
    for r in rows:
        ops.setdefault(int(r["op_index"]), []).append(r)
        core = int(r["core"])
        width, height = max(width, int(r["x"]) + 1), max(height, int(r["y"]) + 1)
        noc += num(r, "noc_read_bytes") + num(r, "noc_write_bytes") + num(r, "noc_mcast_bytes")
        dram += num(r, "dram_read_bytes") + num(r, "dram_write_bytes")
        halo += num(r, "halo_remote_bytes")
        l1 = max(l1, num(r, "l1_high_water"))
        per_core[core] = per_core.get(core, 0.0) + num(r, "compute_seconds")
        for d in "esnw":
            key = (core, d)
            links[key] = links.get(key, 0.0) + num(r, "link_%s_bytes" % d)
    cycles = sum(max(num(r, "model_cycles") for r in op_rows) for op_rows in ops.values())
    device = sum(max(num(r, "model_op_cycles") for r in op_rows) for op_rows in ops.values()
                 if "model_op_cycles" in op_rows[0])
    op_seconds = {op_rows[0]["op"]: max(num(r, "seconds") for r in op_rows)
                  for op_rows in ops.values()}
    busiest = max(per_core.values())
    balance = (sum(per_core.values()) / len(per_core)) / busiest if busiest > 0 else float("nan")
    return {
        "grid": "%dx%d" % (width, height),
        "op_seconds": op_seconds,
        "noc": noc, "dram": dram, "halo": halo, "l1": l1,
        "cycles": cycles, "device": device, "balance": balance, "link": max(links.values()),
    }


def op_time(stats, command):
    """The op's own time: the slowest core's seconds for the op named `command`,
    else the sum over ops of the slowest core's seconds."""
    if command in stats["op_seconds"]:
        return stats["op_seconds"][command]
    return sum(stats["op_seconds"].values())


def run_rank_count(wl, ranks, args, mpirun, env):
    """Run the workload on `ranks` ranks; returns (result dict or None, failure message)."""
    stats_file = stats_path(args.out, ranks)
    cmd_argv = wl.argv(args.ttgrid, ranks, args.out, args.repeat)
    runs = 1 if wl.command == "resnet50" else args.repeat
    best = None  # (op time, wall, stats)
    walls = []
    with open(os.path.join(args.out, "run_%d.log" % ranks), "w") as log:
        for k in range(runs):
            tmp_stats = stats_file + ".run%d" % k
            argv = list(cmd_argv)
            argv[argv.index(stats_file)] = tmp_stats
            if os.path.exists(tmp_stats):
                os.remove(tmp_stats)
            ok, wall, stdout, msg = run_once(mpirun + ["-np", str(ranks)] + argv, env,
                                             args.timeout, log)
            if not ok:
                return None, msg
            walls.append(wall)
            try:
                stats = read_stats(tmp_stats)
            except (OSError, ValueError, KeyError) as e:
                return None, "statistics unreadable: %s" % e
            if wl.command == "resnet50":
                t = resnet_time(stdout, args.repeat)
                if t is None:
                    return None, "no forward-pass time in ttgrid's output (see run_%d.log)" % ranks
            else:
                t = op_time(stats, wl.command)
            if best is None or t < best[0]:
                best = (t, stats)
                os.replace(tmp_stats, stats_file)
            else:
                os.remove(tmp_stats)
    t, stats = best
    return {
        "ranks": ranks, "grid": stats["grid"], "time_s": t, "wall_s": min(walls),
        "noc_mib": stats["noc"] / MIB, "dram_mib": stats["dram"] / MIB,
        "halo_mib": stats["halo"] / MIB, "l1_peak_kib": stats["l1"] / KIB,
        "model_mcycles": stats["cycles"] / 1e6, "device_mcycles": stats["device"] / 1e6,
        "load_balance": stats["balance"],
        "busiest_link_mib": stats["link"] / MIB,
    }, None


def add_speedup(results):
    """Speed-up and efficiency against the smallest rank count that succeeded."""
    ok = [r for r in results if r.get("time_s") is not None]
    if not ok:
        return None
    base = min(ok, key=lambda r: r["ranks"])
    for r in ok:
        r["speedup"] = base["time_s"] / r["time_s"] if r["time_s"] > 0 else float("nan")
        r["efficiency"] = r["speedup"] * base["ranks"] / r["ranks"]
        dev = r.get("device_mcycles") or 0
        r["device_speedup"] = base["device_mcycles"] / dev if dev > 0 else float("nan")
        r["device_efficiency"] = r["device_speedup"] * base["ranks"] / r["ranks"]
    return base["ranks"]


def fmt(col, value):
    """One table or CSV cell; empty when the run failed."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return col[3].format(value)


def print_table(results, base_ranks, wl):
    """Print the table, one line per rank count."""
    what = "median s per image" if wl.command == "resnet50" else "%s op s, best of runs" % wl.command
    base = "no run succeeded" if base_ranks is None else "speed-up vs %s ranks" % base_ranks
    print("workload: %s   (time: %s; %s)" % (wl.describe(), what, base))
    print("  ".join(c[1].rjust(c[2]) for c in COLUMNS))
    for r in results:
        if "failed" in r:
            cells = [fmt(COLUMNS[0], r["ranks"]).rjust(COLUMNS[0][2]), "failed: " + r["failed"]]
        else:
            cells = [fmt(c, r.get(c[0])).rjust(c[2]) for c in COLUMNS]
        print("  ".join(cells))


def write_csv(results, path):
    """DIR/scaling.csv: the table's columns plus a status column."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([c[0] for c in COLUMNS] + ["status"])
        for r in results:
            status = "failed: " + r["failed"] if "failed" in r else "ok"
            w.writerow([csv_cell(r.get(c[0])) if "failed" not in r or c[0] == "ranks" else ""
                        for c in COLUMNS] + [status])


def csv_cell(value):
    """A CSV cell at full useful precision (the table rounds for reading)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else "%.6g" % value
    return str(value)


def plot(results, base_ranks, wl, path):
    """DIR/scaling.png: 2x3 plots against the rank count on a log2 axis."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    ok = [r for r in results if "failed" not in r]
    x = [r["ranks"] for r in ok]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))

    def series(key):
        return [r[key] for r in ok]

    ax = axes[0][0]
    label = "median per image" if wl.command == "resnet50" else "%s op (slowest core)" % wl.command
    ax.plot(x, series("time_s"), "o-", label=label)
    ax.plot(x, series("wall_s"), "s--", color="grey", label="mpirun wall")
    ax.set_yscale("log")
    ax.set_ylabel("seconds (measured)")
    ax.set_title("time: measured and the device's (modelled)")
    dev = ax.twinx()
    dev.plot(x, series("device_mcycles"), "^-", color="tab:red", label="device (modelled)")
    dev.set_yscale("log")
    dev.set_ylabel("device Mcycles (modelled)", color="tab:red")
    lines = ax.get_lines() + dev.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=8)

    ax = axes[0][1]
    ax.plot(x, series("speedup"), "o-", label="measured")
    ax.plot(x, series("device_speedup"), "^-", color="tab:red", label="device (modelled)")
    ax.plot(x, [n / base_ranks for n in x], ":", color="black", label="ideal")
    ax.set_yscale("log", base=2)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_ylabel("speed-up vs %d rank%s" % (base_ranks, "" if base_ranks == 1 else "s"))
    ax.set_title("speed-up")
    ax.legend(fontsize=8)

    ax = axes[0][2]
    ax.plot(x, series("efficiency"), "o-", label="measured")
    ax.plot(x, series("device_efficiency"), "^-", color="tab:red", label="device (modelled)")
    ax.legend(fontsize=8)
    ax.axhline(1.0, ls=":", color="black")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("speed-up x %d / ranks" % base_ranks)
    ax.set_title("parallel efficiency")

    ax = axes[1][0]
    ax.plot(x, series("noc_mib"), "o-", label="NoC (read+write+mcast)")
    ax.plot(x, series("halo_mib"), "s-", label="halo remote")
    ax.plot(x, series("busiest_link_mib"), "^--", label="busiest link")
    ax.set_ylabel("MiB")
    ax.set_title("NoC and halo traffic")
    ax.legend(fontsize=8)

    ax = axes[1][1]
    ax.plot(x, series("l1_peak_kib"), "o-", label="L1 high-water (max core)")
    limit = wl.l1_limit()
    if limit:
        ax.axhline(limit / KIB, ls=":", color="red", label="L1 size")
    top = max(series("l1_peak_kib") + ([limit / KIB] if limit else []))
    ax.set_ylim(0, top * 1.1 if top > 0 else 1)
    ax.set_ylabel("KiB")
    ax.set_title("L1 peak")
    ax.legend(fontsize=8)

    ax = axes[1][2]
    ax.plot(x, series("load_balance"), "o-")
    ax.axhline(1.0, ls=":", color="black")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("mean / max core compute")
    ax.set_title("load balance")

    for ax in axes.flat:
        ax.set_xscale("log", base=2)
        ax.set_xticks(x)
        ax.set_xticklabels([str(n) for n in x])
        ax.set_xlabel("ranks")
        ax.grid(True, which="major", alpha=0.3)
    title = wl.describe()
    fig.suptitle("ttgrid scaling: " + (title if len(title) < 110 else title[:107] + "..."),
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv):
    """Parse the arguments, run every rank count, report; returns the exit status."""
    if "--" in argv:
        cut = argv.index("--")
        own, workload = argv[:cut], argv[cut + 1:]
    else:
        own, workload = argv, []
    parser = build_parser()
    try:
        args = parser.parse_args(own)
        ranks = parse_ranks(args.ranks)
        if args.repeat < 1:
            raise UsageError("--repeat must be at least 1")
        if args.timeout < 0:
            raise UsageError("--timeout must not be negative")
        if not workload:
            raise UsageError("no workload: give `-- COMMAND OPTIONS`, e.g. -- resnet50 --image-size 64")
        wl = Workload(workload)
        args.ttgrid = os.path.abspath(args.ttgrid)
        if not (os.path.isfile(args.ttgrid) and os.access(args.ttgrid, os.X_OK)):
            raise UsageError("--ttgrid: %s is not an executable file" % args.ttgrid)
    except UsageError as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 2
    args.out = os.path.abspath(args.out)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        print("%s: error: --out: %s" % (PROG, e), file=sys.stderr)
        return 2

    mpirun, env = mpirun_prefix()
    results = []
    failed = False
    for n in ranks:
        print("%s: %d rank%s ..." % (PROG, n, "" if n == 1 else "s"), file=sys.stderr, flush=True)
        res, msg = run_rank_count(wl, n, args, mpirun, env)
        if res is None:
            failed = True
            print("%s: %d rank%s failed: %s" % (PROG, n, "" if n == 1 else "s", msg), file=sys.stderr, flush=True)
            results.append({"ranks": n, "failed": msg})
        else:
            results.append(res)
    base = add_speedup(results)
    print_table(results, base, wl)
    write_csv(results, os.path.join(args.out, "scaling.csv"))
    print("wrote %s" % os.path.join(args.out, "scaling.csv"))
    if args.plot:
        if base is None:
            print("%s: no successful run to plot" % PROG, file=sys.stderr)
        else:
            png = os.path.join(args.out, "scaling.png")
            plot(results, base, wl, png)
            print("wrote %s" % png)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
