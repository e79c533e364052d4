#!/usr/bin/env python3
"""Conformance of `ttgrid plan conv2d` with TTNN's L1 (issue 10), through the command line.

For each row of tests/ttnn/expected.json (TTNN's buffers per conv2d config, worked out by
conv2d_l1.py from TTNN's sources), runs

    ttgrid --arch A --grid WxH --l1-small-size S plan conv2d --input-shape N,H,W,C ...
           --format json

(one process per row) and asserts that the plan's `l1.buffers` equal the row's `buffers`
(name, kind, bytes, program, in order), that the circular-buffer and L1-buffer addresses
equal the row's `l1_map`, and that fits / the error text agree. A row whose inputs the
command line cannot express (an input already sharded in L1, an option ttgrid does not
have) is listed as skipped with the reason, never silently. Each mismatch is one line:
the row, the field, ttgrid's value and TTNN's.

    check_cli.py TTGRID                 the default subset (ctest label ttnn)
    check_cli.py TTGRID --all           every row (ctest label ttnn_full)
    check_cli.py TTGRID --rows A,B      named rows
    check_cli.py --selftest             the comparison itself, against stub_ttgrid.py

Order: TTNN's table lists the conv's L1_SMALL config tensor after the conv program's CBs,
ttgrid's map lists it where it is allocated (before the program); L1_SMALL entries are
therefore compared in order among themselves, the other entries in order among
themselves. TTNN's error texts write the program id as `{id}`; ttgrid writes the
program's name there.
"""

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import conv2d_l1  # noqa: E402  (the table's defaults: conv2d_l1.DEFAULTS, ARCHS)

EXPECTED = os.path.join(HERE, "expected.json")
STUB = os.path.join(HERE, "stub_ttgrid.py")

# The default run: every layout and the matmul path, kernels 1x1..7x7, strides 1 and 2,
# dilation, bfloat16 / bfloat8_b / float32 weights, grids 1x1..8x8 and Blackhole 13x10,
# double buffers, act_block_h overrides, full_inner_dim, activation reuse, the error rows
# and the 7x7x512 row; a few ResNet-50 convs (stem, reuse TT_FATAL, block).
DEFAULT_ROWS = [
    "issue_7x7x512_3x3s2_block_2x2",
    "h_3x3s1_56x56x64_64",
    "h_3x3s1_56x56x64_64_abh64",
    "h_3x3s1_56x56x64_64_dbuf",
    "h_3x3s1_56x56x64_64_reuse",
    "h_3x3s1_56x56x64_64_force_split",
    "h_3x3s2_112x112x64_128_b2_abh128_dbuf_bfp8w",
    "h_5x5s1_32x32x64_128_fp32_4x4",
    "h_3x3s1_28x28x128_128_fp32w_bf16in",
    "h_7x7s2_224x224x3_64_raw_stem",
    "h_2x2s2_64x64x32_64",
    "h_4x4s2p1_64x64x32_64",
    "h_6x6s1_32x32x32_32",
    "h_3x3d2_32x32x64_64",
    "h_3x3s1_16x16x32_32_1x1grid",
    "h_3x3s1_28x28x64_64_rm_out",
    "h_3x3s1_28x28x64_64_cfg_dram",
    "h_3x3s1_28x28x64_64_l1small0",
    "h_1x1s2_56x56x256_512_tile_in",
    "h_3x3s1_224x224x64_64_b8_2x2_oom",
    "mm_h_1x1_56x56x64_256",
    "mm_h_1x1_28x28x128_512_fp32acc",
    "mm_b_1x1_28x28x512_128_bfp8w",
    "mm_b_1x1_14x14x1024_256_pl1acc",
    "mm_h_1x1_rm_input_dealloc",
    "b_3x3s2_28x28x256_256_bfp8w_fid",
    "b_3x3s2_28x28x256_256_bfp8w",
    "b_3x3s1_14x14x256_256_dbuf",
    "b_3x3s1_14x14x256_256_bfp8out_pl1acc",
    "b_7x7s1_28x28x128_128",
    "b_3x3s1_28x28x128_128_2x4grid_dealloc_norealloc",
    "b_3x3s1_14x14x512_512_1x1grid_toobig",
    "w_3x3s1_14x14x1024_1024",
    "w_3x3s1_14x14x1024_1024_div2_4x4",
    "w_3x3s1_14x14x1024_512_abh32",
    "w_1x1s1_7x7x2048_512_rm_nohalo",
    "auto_3x3s1_56x56x64_64",
    "auto_3x3s1_7x7x2048_512",
    "bh_h_3x3s1_56x56x64_64",
    "bh_b_3x3s2_28x28x256_256_dbuf",
    "bh_mm_h_1x1_56x56x256_64",
    "bh_w_5x5s1_14x14x1024_512",
    "rn50_b1_conv1_stem_4x4_folded",
    "rn50_b1_layer1_1_conv2_3x3",
    "rn50_b8_layer3_1_conv2_3x3",
    "rn50_b16_conv1_stem_4x4_folded",
]


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def command(inputs):
    """The row's inputs as ttgrid's arguments: (argv, needed options) or (None, reason).
    The table's own defaults (conv2d_l1.DEFAULTS) decide what an absent input means; the
    options whose ttgrid default is not the table's (grid, L1_SMALL, bias) are always
    given, the others only when the row sets them, so that ttgrid's defaults are tested."""
    d = dict(conv2d_l1.DEFAULTS)
    d.update(inputs)
    known = set(conv2d_l1.DEFAULTS) | {"in_h", "in_w", "in_c", "out_c", "kernel", "stride", "padding"}
    for k in inputs:
        if k == "input_shard":
            return None, ("input_shard: the input is already sharded in L1 on a pinned grid; "
                          "plan conv2d starts from an interleaved DRAM input")
        if k not in known:
            return None, "input '{}' has no ttgrid option".format(k)
    arch = conv2d_l1.ARCHS[d["arch"]]
    grid = tuple(d["grid"]) if d["grid"] else tuple(arch["grid"])
    kh, kw = pair(d["kernel"])
    sh, sw = pair(d.get("stride", 1))
    dh, dw = pair(d["dilation"])
    p = d.get("padding", 0)
    p = (p, p) if isinstance(p, int) else tuple(p)
    pad4 = (p[0], p[0], p[1], p[1]) if len(p) == 2 else p
    argv = ["--arch", d["arch"], "--grid", "{}x{}".format(*grid), "--l1-small-size", str(d["l1_small_size"]),
            "plan", "conv2d",
            "--input-shape", "{},{},{},{}".format(d["batch"], d["in_h"], d["in_w"], d["in_c"]),
            "--out-channels", str(d["out_c"]), "--kernel", "{}x{}".format(kh, kw),
            "--stride", "{}x{}".format(sh, sw), "--padding", ",".join(str(x) for x in pad4),
            "--dilation", "{}x{}".format(dh, dw), "--format", "json"]
    if d["groups"] != 1:
        argv += ["--groups", str(d["groups"])]
    if d["bias"]:
        argv += ["--bias"]
    if d["shard_layout"] is not None:
        argv += ["--shard", d["shard_layout"]]
    if d["input_dtype"] != "bfloat16":
        argv += ["--dtype", d["input_dtype"]]
    # plan conv2d takes the weights tensor to be in --dtype's format unless --weights-dtype
    weights = d["weights_dtype"] or d["weights_tensor_dtype"]
    if weights != d["input_dtype"]:
        argv += ["--weights-dtype", weights]
    if d["output_dtype"] is not None:
        argv += ["--output-dtype", d["output_dtype"]]
    if d["input_layout"] == "TILE":
        argv += ["--input-layout", "tile"]
    if d["output_layout"] == "ROW_MAJOR":
        argv += ["--output-layout", "row-major"]
    if d["act_block_h_override"]:
        argv += ["--act-block-h", str(d["act_block_h_override"])]
    if d["act_block_w_div"] != 1:
        argv += ["--act-block-w-div", str(d["act_block_w_div"])]
    flags = [("enable_act_double_buffer", "--double-buffer"),
             ("enable_weights_double_buffer", "--weights-double-buffer"),
             ("full_inner_dim", "--full-inner-dim"), ("enable_activation_reuse", "--activation-reuse"),
             ("config_tensors_in_dram", "--config-tensors-in-dram"),
             ("deallocate_activation", "--deallocate-activation"), ("packer_l1_acc", "--packer-l1-acc")]
    argv += [opt for key, opt in flags if d[key]]
    if not d["reallocate_halo_output"]:
        argv += ["--no-reallocate-halo-output"]
    if d["force_split_reader"] is not None:
        argv += ["--split-reader", "on" if d["force_split_reader"] else "off"]
    if d["fp32_dest_acc_en"] is not None:
        argv += ["--fp32-acc" if d["fp32_dest_acc_en"] else "--no-fp32-acc"]
    return argv, argv[argv.index("plan") + 2:]


def cli_options(ttgrid):
    """The options ttgrid's plan conv2d knows, from its --help texts."""
    text = ""
    for cmd in (["plan", "--help"], ["conv2d", "--help"]):
        r = subprocess.run([ttgrid] + cmd, capture_output=True, text=True, timeout=60)
        text += r.stdout
    return set(re.findall(r"--[a-z0-9][a-z0-9-]*", text))


def error_line(stderr):
    lines = [ln for ln in stderr.splitlines() if ln.startswith("ttgrid: error:")]
    return lines[0][len("ttgrid: error:"):].strip() if lines else None


def same_error(got, want):
    """TTNN's text with `{id}` standing for the program, which ttgrid names."""
    if got is None or want is None:
        return got is want
    pattern = re.escape(want).replace(re.escape("{id}"), r"\S+")
    return re.fullmatch(pattern, got) is not None


def show(v):
    return "null" if v is None else str(v)


def compare_buffers(got, want, out):
    """Both lists in order (L1_SMALL entries apart): names aligned, then field by field."""
    def key(b):
        return (b["name"], b.get("program"))

    for small in (False, True):
        g = [b for b in got if (b["kind"] == "l1_small") == small]
        w = [b for b in want if (b["kind"] == "l1_small") == small]
        sm = difflib.SequenceMatcher(a=[key(b) for b in g], b=[key(b) for b in w], autojunk=False)
        extra, missing = [], []
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "equal":
                for gb, wb in zip(g[i1:i2], w[j1:j2]):
                    for f in ("kind", "bytes"):
                        if gb.get(f) != wb.get(f):
                            out.append("buffers[{}{}].{}: ttgrid {}, TTNN {}".format(
                                gb["name"], " in " + gb["program"] if gb.get("program") else "", f,
                                show(gb.get(f)), show(wb.get(f))))
                continue
            extra += [(i, g[i]) for i in range(i1, i2)]
            missing += [(j, w[j]) for j in range(j1, j2)]
        moved = {key(b) for _, b in extra} & {key(b) for _, b in missing}
        for i, b in extra:
            if key(b) in moved:
                j, wb = next((j, x) for j, x in missing if key(x) == key(b))
                out.append("buffers[{}]: position {} in ttgrid, {} in TTNN{}".format(
                    b["name"], i, j, "" if (b["kind"], b["bytes"]) == (wb["kind"], wb["bytes"]) else
                    " (ttgrid {} {} B, TTNN {} {} B)".format(b["kind"], b["bytes"], wb["kind"], wb["bytes"])))
            else:
                out.append("buffers: ttgrid has {} {} {} B{} at {}, TTNN has none".format(
                    b["kind"], b["name"], b["bytes"], " (" + b["program"] + ")" if b.get("program") else "", i))
        for j, b in missing:
            if key(b) not in moved:
                out.append("buffers: TTNN has {} {} {} B{} at {}, ttgrid has none".format(
                    b["kind"], b["name"], b["bytes"], " (" + b["program"] + ")" if b.get("program") else "", j))


def compare(row, rc, stdout, stderr):
    """Mismatch lines between ttgrid's outcome and the row."""
    out = []
    want_err = row["error"]
    fatal = bool(want_err) and want_err.startswith("TT_FATAL:")
    want_rc = 0 if row["fits"] else (2 if fatal else 1)
    err = error_line(stderr)
    if rc != want_rc:
        out.append("exit: ttgrid {}, TTNN {} ({}){}".format(
            rc, want_rc, "fits" if row["fits"] else "TTNN: " + want_err,
            "; ttgrid: error: " + err if err else ""))
    if fatal:
        if err is None or want_err not in err:
            out.append("error: ttgrid {}, TTNN {}".format(show(err), want_err))
        return out
    try:
        plan = json.loads(stdout)
    except ValueError:
        out.append("output: ttgrid printed no JSON plan ({} bytes on stdout){}".format(
            len(stdout), "; ttgrid: error: " + err if err else ""))
        return out
    l1 = plan.get("l1") or {}
    if "buffers" not in l1:
        out.append("l1.buffers: ttgrid has none (schema ttgrid.plan/1 without the TTNN view)")
        return out
    if plan.get("fits") != row["fits"]:
        out.append("fits: ttgrid {}, TTNN {}".format(plan.get("fits"), row["fits"]))
    if not same_error(l1.get("error"), want_err):
        out.append("error: ttgrid {}, TTNN {}".format(show(l1.get("error")), show(want_err)))
    compare_buffers(l1["buffers"], row["buffers"], out)
    m = row.get("l1_map") or {}
    for got_key, want_key in (("size", "l1_size"), ("buffers_from", "cb_base"), ("buffers_to", "l1_buffer_top"),
                              ("l1_small_size", "l1_small_size")):
        if want_key in m and l1.get(got_key) != m[want_key]:
            out.append("l1.{}: ttgrid {}, TTNN {} ({})".format(got_key, show(l1.get(got_key)), m[want_key], want_key))
    # addresses: the row's l1_map holds the conv (or matmul) program's CBs and the L1
    # buffers alive at the end; ttgrid gives an address to what its replay placed
    program = next((b["program"] for b in reversed(row["buffers"]) if b.get("program")), None)
    by = {(b["name"], b["kind"], b.get("program")): b for b in l1["buffers"]}
    placed = [("cb", name, addr, size, program) for name, addr, size in m.get("cbs", [])]
    placed += [("l1_buffer", name, addr, size, None) for name, addr, size in m.get("l1_buffers", [])]
    for kind, name, addr, size, prog in placed:
        b = by.get((name, kind, prog))
        if b is None:
            continue  # already reported as missing
        if b.get("address") is None:
            if row["fits"]:
                out.append("address of {} {}: ttgrid none (not placed), TTNN {}".format(kind, name, addr))
            continue
        if b["address"] != addr:
            out.append("address of {} {}: ttgrid {}, TTNN {}".format(kind, name, b["address"], addr))
    if l1.get("cb_program") == program:
        for f in ("cb_end", "lowest_l1_buffer"):
            if f in m and l1.get(f) is not None and l1.get(f) != m[f]:
                out.append("l1.{}: ttgrid {}, TTNN {}".format(f, l1[f], show(m[f])))
    return out


def run_rows(ttgrid, rows, stub=False, mutate=None, quiet=False):
    """Runs every row; returns (failed, skipped, passed) counts and the failure lines."""
    options = None if stub else cli_options(ttgrid)
    failed, skipped, passed, report = 0, 0, 0, []
    for row in rows:
        argv, needed = command(row["inputs"])
        if argv is None:
            skipped += 1
            report.append("skip {}: {}".format(row["name"], needed))
            continue
        missing = sorted({a for a in needed if a.startswith("--")} - options) if options is not None else []
        if missing:
            skipped += 1
            report.append("skip {}: ttgrid plan conv2d has no {} (the row needs it)".format(
                row["name"], ", ".join(missing)))
            continue
        cmd = ([sys.executable, STUB] if stub else [ttgrid]) + argv
        env = dict(os.environ, TG_CHECK_ROW=row["name"])
        if mutate:
            env["TG_STUB_MUTATE"] = mutate
        t0 = time.time()
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
            diffs = compare(row, r.returncode, r.stdout, r.stderr)
        except subprocess.TimeoutExpired:
            diffs = ["ttgrid did not finish in 300 s"]
        if diffs:
            failed += 1
            report.append("FAIL {} ({:.1f} s): {}".format(row["name"], time.time() - t0, " ".join(argv)))
            report += ["  " + d for d in diffs]
        else:
            passed += 1
            if not quiet:
                report.append("ok   {} ({:.1f} s)".format(row["name"], time.time() - t0))
    return failed, skipped, passed, report


# Rows the self-test mutates: each layout, the matmul path, and each kind of error.
MUTATED_ROWS = ["issue_7x7x512_3x3s2_block_2x2", "h_3x3s1_28x28x64_64_l1small0", "h_3x3s1_224x224x64_64_b8_2x2_oom",
                "b_3x3s1_14x14x512_512_1x1grid_toobig", "mm_b_1x1_28x28x512_128_bfp8w", "w_3x3s1_14x14x1024_1024",
                "rn50_b1_layer1_1_conv2_3x3"]


def selftest(rows):
    """The comparison against the table itself (through stub_ttgrid.py, which also checks
    that the arguments say what the row says): no mismatch on `rows`; then each mutation
    the stub can make must be caught on MUTATED_ROWS, naming its field."""
    ok = True
    mutated = [r for r in rows if r["name"] in MUTATED_ROWS] or rows[:8]
    f, s, p, rep = run_rows(None, rows, stub=True, quiet=True)
    if f:
        print("\n".join(rep))
        print("selftest: the stub's plans should equal the table")
        ok = False
    print("selftest: {} rows equal, {} skipped".format(p, s))
    for mutate, field in (("bytes", ".bytes: ttgrid"), ("order", "position"), ("address", "address of"),
                          ("error", "error: ttgrid"), ("fits", "fits: ttgrid"), ("missing", "ttgrid has none"),
                          ("cb_end", "l1.cb_end")):
        f, s, p, rep = run_rows(None, mutated, stub=True, mutate=mutate, quiet=True)
        caught = f > 0 and any(field in line for line in rep)
        print("selftest: mutation {:8} {} ({} rows flagged)".format(mutate, "caught" if caught else "MISSED", f))
        ok = ok and caught
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ttgrid", nargs="?", help="the ttgrid executable")
    ap.add_argument("--expected", default=os.environ.get("TTGRID_TTNN_EXPECTED", EXPECTED))
    ap.add_argument("--all", action="store_true", help="every row of the table")
    ap.add_argument("--rows", help="comma-separated row names")
    ap.add_argument("--selftest", action="store_true", help="check the comparison against the stub")
    ap.add_argument("--quiet", action="store_true", help="print only failures and skips")
    a = ap.parse_args()
    table = json.load(open(a.expected))
    names = {r["name"]: r for r in table}
    if a.all:
        rows = table
    else:
        wanted = a.rows.split(",") if a.rows else DEFAULT_ROWS
        unknown = [n for n in wanted if n not in names]
        if unknown:
            sys.exit("check_cli: no such rows in {}: {}".format(a.expected, ", ".join(unknown)))
        rows = [names[n] for n in wanted]
    if a.selftest:
        sys.exit(0 if selftest(rows) else 1)
    if not a.ttgrid:
        ap.error("the ttgrid executable is required (or --selftest)")
    t0 = time.time()
    failed, skipped, passed, report = run_rows(a.ttgrid, rows, quiet=a.quiet)
    print("\n".join(report))
    print("check_cli: {} rows: {} equal to TTNN's, {} differ, {} skipped ({:.0f} s)".format(
        len(rows), passed, failed, skipped, time.time() - t0))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
