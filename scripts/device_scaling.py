#!/usr/bin/python3
"""The device's modelled time of one conv2d over grid sizes, from `ttgrid plan`.

    device_scaling.py TTGRID OUT.png [--grids 1x1,2x1,...] [--arch A] -- PLAN CONV2D OPTIONS

For every grid, one process plans the conv (`mpirun -np 1 ttgrid --grid G
--l1-small-size 32768 plan conv2d OPTIONS --format json`): height sharded with
the options as given, else without --double-buffer/--weights-double-buffer when
that does not fit in L1, else interleaved in DRAM (--shard none). Prints a table
(cores, layout, modelled microseconds, speed-up and efficiency against the first
grid) and writes it as OUT.csv beside the plot OUT.png (modelled time and speed-up
against the core count, with the ideal). Exit status 0, or 1 when a grid cannot
be planned at all, 2 for bad arguments.
"""

import argparse
import csv
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def launch(args):
    """Runs ttgrid on one rank with the Open MPI settings of scripts/env.sh."""
    script = 'source "%s/env.sh" && exec $TG_MPIRUN -np 1 "$@"' % HERE
    return subprocess.run(["bash", "-c", script, "bash"] + args, capture_output=True, text=True)


def plan(ttgrid, arch, grid, options):
    base = [ttgrid, "--grid", grid, "--l1-small-size", "32768"]
    if arch:
        base += ["--arch", arch]
    tries = [options,
             [o for o in options if o not in ("--double-buffer", "--weights-double-buffer")],
             [o for o in options if o not in ("--double-buffer", "--weights-double-buffer")]
             + ["--shard", "none"]]
    for opts in tries:
        run = launch(base + ["plan", "conv2d"] + opts + ["--format", "json"])
        if run.returncode == 0:
            d = json.loads(run.stdout)
            return d.get("layout", "?"), d["device"]
    raise RuntimeError("grid %s: %s" % (grid, run.stderr.strip().splitlines()[-1:]))


def main(argv):
    p = argparse.ArgumentParser(prog="device_scaling.py")
    p.add_argument("ttgrid")
    p.add_argument("png")
    p.add_argument("--grids", default="1x1,2x1,2x2,4x2,4x4,8x4,8x8")
    p.add_argument("--arch", default=None)
    p.add_argument("options", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    options = a.options[1:] if a.options[:1] == ["--"] else a.options
    if "--shard" not in options:
        options = options + ["--shard", "height"]
    rows = []
    for grid in a.grids.split(","):
        w, h = (int(v) for v in grid.split("x"))
        try:
            layout, dev = plan(a.ttgrid, a.arch, grid, options)
        except (RuntimeError, ValueError, KeyError) as e:
            print("device_scaling.py: %s" % e, file=sys.stderr)
            return 1
        rows.append({"cores": w * h, "grid": grid, "layout": layout, "us": dev["us"],
                     "bound": dev["bound"]})
    t1, c1 = rows[0]["us"], rows[0]["cores"]
    print("%6s %6s %-8s %12s %-8s %9s %6s" % ("cores", "grid", "layout", "modelled us", "bound",
                                              "speed-up", "effic."))
    for r in rows:
        r["speedup"] = t1 / r["us"]
        r["efficiency"] = r["speedup"] * c1 / r["cores"]
        print("%6d %6s %-8s %12.1f %-8s %9.2f %6.2f" % (r["cores"], r["grid"], r["layout"],
                                                        r["us"], r["bound"], r["speedup"],
                                                        r["efficiency"]))
    base = os.path.splitext(a.png)[0]
    with open(base + ".csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        wr.writeheader()
        wr.writerows(rows)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = [r["cores"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(x, [r["us"] for r in rows], "o-", color="tab:red")
    ax1.set_yscale("log")
    ax1.set_ylabel("modelled device time (us)")
    ax1.set_title("device time")
    ax2.plot(x, [r["speedup"] for r in rows], "o-", color="tab:red", label="modelled")
    ax2.plot(x, [n / c1 for n in x], ":", color="black", label="ideal")
    ax2.set_yscale("log", base=2)
    ax2.set_ylabel("speed-up vs %d core%s" % (c1, "" if c1 == 1 else "s"))
    ax2.set_title("speed-up (efficiency %.2f at %d cores)" % (rows[-1]["efficiency"], x[-1]))
    ax2.legend(fontsize=8)
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_xticks(x)
        ax.set_xticklabels([str(n) for n in x])
        ax.set_xlabel("cores")
        ax.grid(True, alpha=0.3)
    fig.suptitle("conv2d " + " ".join(options), fontsize=9)
    fig.tight_layout()
    fig.savefig(a.png, dpi=90)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
