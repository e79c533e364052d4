#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets into tests/fuzz/corpus/NAME/.

The seeds are valid inputs that reach deep into each target (a plan that fits, a
tensor dataset with its layout attribute, a full command line), so the fuzzer starts
from the interesting paths; their encodings follow the readers in the targets' .c
files. Run it again after changing a target's encoding: python3 make_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# fuzz_options: NUL-separated argument vectors
OPTIONS = {
    "plan_conv": "--arch wormhole_b0 --grid 2x2 plan conv2d --input-shape 1,56,56,64 "
                 "--out-channels 64 --kernel 3x3 --padding 1,1 --shard height",
    "conv_all": "conv2d --input a.h5:/x --weights w.h5:/w --bias b.h5:/b --output y.h5:/y "
                "--kernel 3x3 --stride 2x2 --dilation 1x1 --groups 1 --activation relu "
                "--dtype bfloat8_b --math-fidelity LoFi --fp32-acc --shard block "
                "--core-grid 2x2 --transpose-shards --act-block-h 32",
    "pool_stats": "--l1-size 1M --dram-size 64M --stats s.csv maxpool2d --input a.h5:/x "
                  "--output y.h5:/stats/x --kernel 3x3 --ceil-mode --padding 1,1,0,1 --shard none",
    "plan_pool": "--quiet --noc-mode two-sided plan maxpool2d --input-shape 1,112,112,64 "
                 "--kernel 3x3 --stride 2 --format json --explain --halo-mode push "
                 "--core-grid 2x1 --no-snap",
    "huge_pad": "plan conv2d --input-shape 1,8,8,16 --kernel 3x3 --padding 1048576,1048576 "
                "--shard none --act-block-w-div 2 --double-buffer --weights-double-buffer "
                "--deallocate-activation --output-dtype float32 --weights-dtype bfloat16",
}
for name, line in OPTIONS.items():
    write("fuzz_options", name, b"\0".join(a.encode() for a in line.split()))


# fuzz_planners: pick() takes one byte v - lo for small values, or 0xff and 4 bytes
def small(v, lo=1):
    return bytes([v - lo])


def big(v, lo=1):
    return b"\xff" + struct.pack(">I", v - lo)


def val(v, lo=1):
    return small(v, lo) if 0 <= v - lo < 16 else big(v, lo)


def plan_seed(gw, gh, l1_sel, pool, n, h, w, c, cout, k, s, d, pad, flags, groups=1, abh=1):
    b = val(gw) + val(gh) + bytes([l1_sel, pool])
    b += val(n) + val(h) + val(w) + val(c) + val(cout)
    b += val(k[0]) + val(k[1]) + val(s[0], 0) + val(s[1], 0) + val(d[0]) + val(d[1])
    b += val(pad[0], -2) + val(pad[1], 0) + val(pad[2], 0) + val(pad[3], 0)
    b += struct.pack(">H", flags)
    if not pool:
        b += val(groups) + val(abh)
    return b


# flags: bit 0 ceil, bits 1-2 format, bit 3 snap, bit 4 push, bits 5-7 layout, 7 dram,
# bit 8 fp32 acc, bit 9 act_block_h set, bit 10 transpose
write("fuzz_planners", "conv_height", plan_seed(2, 2, 3, 0, 1, 28, 28, 64, 64, (3, 3), (1, 1),
                                                 (1, 1), (1, 1, 1, 1), (1 << 1) | 8 | (0 << 5)))
write("fuzz_planners", "conv_block", plan_seed(4, 2, 3, 0, 1, 14, 14, 256, 256, (3, 3), (2, 2),
                                                (1, 1), (1, 1, 1, 1), 8 | (2 << 5) | (1 << 10)))
write("fuzz_planners", "conv_dram", plan_seed(1, 1, 1, 0, 2, 30, 30, 16, 32, (5, 5), (1, 1),
                                               (2, 2), (2, 2, 2, 2), (3 << 5) | (1 << 9), 1, 2))
write("fuzz_planners", "conv_1x1", plan_seed(2, 1, 2, 0, 1, 16, 16, 64, 256, (1, 1), (1, 1),
                                              (1, 1), (0, 0, 0, 0), 8 | (4 << 5)))
write("fuzz_planners", "pool_stem", plan_seed(2, 2, 3, 1, 1, 56, 56, 64, 64, (3, 3), (2, 2),
                                               (1, 1), (1, 1, 1, 1), 8 | 1))
write("fuzz_planners", "pool_dram", plan_seed(3, 1, 0, 1, 2, 13, 9, 40, 40, (3, 2), (2, 1),
                                               (1, 2), (1, 0, 1, 1), (1 << 7) | (2 << 1)))
write("fuzz_planners", "huge_pad", plan_seed(1, 1, 3, 0, 1, 8, 8, 16, 16, (3, 3), (1, 1),
                                              (1, 1), (1 << 20, 1 << 20, 1 << 20, 1 << 20), 3 << 5))


# fuzz_h5: ndims, dims (one byte < 200: v % 9), type, layout, where, values, layout text
def h5_seed(dims, type_sel, layout_sel, where, values=b"", text=b""):
    b = bytes([len(dims)]) + bytes(dims) + bytes([type_sel, layout_sel, where])
    return b + values + bytes([len(text)]) + text


floats = struct.pack("<24f", *[i * 0.5 - 3 for i in range(24)])
write("fuzz_h5", "nhwc_f32", h5_seed([1, 2, 3, 4], 0, 1 | 16, 0, floats))
write("fuzz_h5", "nchw_attr", h5_seed([1, 4, 2, 3], 0, 1 | 16 | 32, 1, floats))
write("fuzz_h5", "vlen_layout", h5_seed([2, 2, 2, 3], 1, 2 | 16 | 32, 0, floats * 2))
write("fuzz_h5", "half_odd_attrs", h5_seed([1, 3, 3, 2], 3, 5 | 16, 0, floats[:36]))
write("fuzz_h5", "int_dataset", h5_seed([1, 2, 2, 2], 4, 0, 0, floats[:32]))
write("fuzz_h5", "rank3", h5_seed([2, 3, 4], 0, 0, 0, floats))
write("fuzz_h5", "group_not_dataset", h5_seed([1, 1, 1, 1], 0, 0, 2))
write("fuzz_h5", "big_dims", h5_seed([1, 250, 0x7f, 0xff, 3, 4], 0, 3, 0))
