#!/usr/bin/env python3
"""A stand-in for `ttgrid ... plan conv2d ... --format json` that answers from
tests/ttnn/expected.json, to test check_cli.py's comparison (check_cli.py --selftest).

It reads the row named by TG_CHECK_ROW, parses the arguments as ttgrid would and checks
that they say what the row's inputs say (both through conv2d_l1.normalize, so the
argument mapping is tested too; a difference is exit 3 naming the fields), then prints
the row as a ttgrid.plan/1 document the way ttgrid's replay orders and places it: the
L1_SMALL config tensor where it is allocated (before the conv program), every placed
buffer and CB with its address. TG_STUB_MUTATE=bytes|order|address|error|fits|missing|
cb_end changes one thing, which check_cli.py must report."""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import conv2d_l1  # noqa: E402


def ints(s, n=None):
    v = [int(x) for x in s.replace("x", ",").split(",")]
    return v if n is None or len(v) == n else v * n


def parse(argv):
    g = argparse.ArgumentParser(add_help=False)
    g.add_argument("--arch", default="wormhole_b0")
    g.add_argument("--grid")
    g.add_argument("--l1-small-size", type=int, default=0)
    g.add_argument("rest", nargs=argparse.REMAINDER)
    a = g.parse_args(argv)
    if a.rest[:2] != ["plan", "conv2d"]:
        sys.exit("stub: not a plan conv2d command: {}".format(argv))
    o = argparse.ArgumentParser(add_help=False)
    for opt in ("--input-shape", "--out-channels", "--kernel", "--stride", "--padding", "--dilation", "--groups",
                "--shard", "--dtype", "--weights-dtype", "--output-dtype", "--input-layout", "--output-layout",
                "--act-block-h", "--act-block-w-div", "--split-reader", "--format"):
        o.add_argument(opt)
    for flag in ("--bias", "--double-buffer", "--weights-double-buffer", "--full-inner-dim", "--activation-reuse",
                 "--config-tensors-in-dram", "--deallocate-activation", "--packer-l1-acc",
                 "--no-reallocate-halo-output", "--fp32-acc", "--no-fp32-acc"):
        o.add_argument(flag, action="store_true")
    p = o.parse_args(a.rest[2:])
    n, h, w, c = ints(p.input_shape)
    pad = ints(p.padding or "0")
    cfg = dict(arch=a.arch, l1_small_size=a.l1_small_size, batch=n, in_h=h, in_w=w, in_c=c,
               out_c=int(p.out_channels or c), kernel=tuple(ints(p.kernel, 2)),
               stride=tuple(ints(p.stride or "1", 2)), padding=(pad[0], pad[2]) if len(pad) == 4 else tuple(pad),
               dilation=tuple(ints(p.dilation or "1", 2)), groups=int(p.groups or 1), bias=p.bias,
               shard_layout=None if p.shard in (None, "auto") else p.shard,
               input_dtype=p.dtype or "bfloat16", output_dtype=p.output_dtype,
               input_layout="TILE" if p.input_layout == "tile" else "ROW_MAJOR",
               output_layout="ROW_MAJOR" if p.output_layout == "row-major" else "TILE",
               act_block_h_override=int(p.act_block_h or 0), act_block_w_div=int(p.act_block_w_div or 1),
               enable_act_double_buffer=p.double_buffer, enable_weights_double_buffer=p.weights_double_buffer,
               full_inner_dim=p.full_inner_dim, enable_activation_reuse=p.activation_reuse,
               config_tensors_in_dram=p.config_tensors_in_dram, deallocate_activation=p.deallocate_activation,
               reallocate_halo_output=not p.no_reallocate_halo_output, packer_l1_acc=p.packer_l1_acc or None,
               force_split_reader={"on": True, "off": False}.get(p.split_reader),
               fp32_dest_acc_en=True if p.fp32_acc else (False if p.no_fp32_acc else None))
    if a.grid:
        cfg["grid"] = tuple(ints(a.grid, 2))
    # plan conv2d: the weights tensor is in --dtype's format unless --weights-dtype
    cfg["weights_tensor_dtype"] = p.weights_dtype or cfg["input_dtype"]
    assert len(pad) in (1, 2) or (len(pad) == 4 and pad[0] == pad[1] and pad[2] == pad[3]), pad
    return cfg


def same_config(args_cfg, row_inputs):
    a, r = conv2d_l1.normalize(args_cfg), conv2d_l1.normalize(row_inputs)
    for k in ("weights_tensor_dtype", "padding"):  # the effective format and pad4 count
        a.pop(k), r.pop(k)
    return [k for k in sorted(set(a) | set(r)) if a.get(k) != r.get(k)]


def plan_doc(row, mutate):
    m = row["l1_map"] or {}
    want = row["buffers"]
    program = next((b["program"] for b in reversed(want) if b.get("program")), None)
    small = [b for b in want if b["kind"] == "l1_small"]
    rest = [b for b in want if b["kind"] != "l1_small"]
    first_cb = next((i for i, b in enumerate(rest) if b.get("program") == program), len(rest))
    order = rest[:first_cb] + small + rest[first_cb:]
    cbs = {name: addr for name, addr, _ in m.get("cbs", [])}
    bufs = {name: addr for name, addr, _ in m.get("l1_buffers", [])}
    arch = conv2d_l1.ARCHS[row["inputs"].get("arch", "wormhole_b0")]
    halo_at, out = arch["base"], []
    for b in order:
        d = dict(name=b["name"], kind=b["kind"], bytes=b["bytes"])
        addr = None
        if b["kind"] == "l1_buffer":
            addr = bufs.get(b["name"])
        elif b["kind"] == "l1_small":
            addr = m["l1_size"] - b["bytes"]
        elif b["kind"] == "cb" and b["program"] == program:
            addr = cbs.get(b["name"])
        elif b["kind"] == "cb":  # the halo program's, from the base up
            halo_at = -(-halo_at // arch["dram_alignment"]) * arch["dram_alignment"]
            addr, halo_at = halo_at, halo_at + b["bytes"]
        d["address"] = addr
        d["end"] = None if addr is None else addr + b["bytes"]
        if b.get("program"):
            d["program"] = b["program"]
        out.append(d)
    error = row["error"].replace("{id}", program or "conv") if row["error"] else None
    l1 = dict(size=m.get("l1_size"), buffers_from=m.get("cb_base"), buffers_to=m.get("l1_buffer_top"),
              l1_small_size=m.get("l1_small_size"), fits=row["fits"],
              why=None if row["fits"] else "stub [TTNN: {}]".format(error), error=error, buffers=out,
              cb_total=row["cb_total"], cb_program=program, cb_end=m.get("cb_end"),
              lowest_l1_buffer=m.get("lowest_l1_buffer"))
    doc = dict(schema="ttgrid.plan/1", op="conv2d", fits=row["fits"], error=l1["why"], l1=l1)
    main = [b for b in out if b["kind"] != "l1_small"]
    if mutate == "bytes" and main:
        main[-1]["bytes"] += 32
    elif mutate == "order" and len(main) > 1:
        i, j = out.index(main[0]), out.index(main[1])
        out[i], out[j] = out[j], out[i]
    elif mutate == "address":
        for b in out:
            if b["kind"] == "cb" and b.get("program") == program and b["address"] is not None:
                b["address"] += 32
                break
    elif mutate == "error" and error:
        l1["error"] = error + " (changed)"
    elif mutate == "fits":
        doc["fits"] = not doc["fits"]
    elif mutate == "missing" and main:
        out.remove(main[-1])
    elif mutate == "cb_end" and l1["cb_end"] is not None:
        l1["cb_end"] += 64
    return doc


def main():
    table = json.load(open(os.environ.get("TTGRID_TTNN_EXPECTED", os.path.join(HERE, "expected.json"))))
    row = next(r for r in table if r["name"] == os.environ["TG_CHECK_ROW"])
    diff = same_config(parse(sys.argv[1:]), row["inputs"])
    if diff:
        print("ttgrid: error: stub: the arguments differ from the row's inputs in {}".format(", ".join(diff)),
              file=sys.stderr)
        sys.exit(3)
    if row["error"] and row["error"].startswith("TT_FATAL:"):
        print("ttgrid: error: conv2d: " + row["error"], file=sys.stderr)
        sys.exit(2)
    doc = plan_doc(row, os.environ.get("TG_STUB_MUTATE"))
    print(json.dumps(doc, indent=1))
    if not row["fits"]:
        print("ttgrid: error: " + doc["l1"]["why"], file=sys.stderr)
    sys.exit(0 if row["fits"] else 1)


if __name__ == "__main__":
    main()
