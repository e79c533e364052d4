#!/usr/bin/env python3
"""Print the conformance table as JSON: one object per config of configs.py, with its
inputs, TTNN's block configuration, every buffer's bytes and whether it fits.

    python3 tests/ttnn/make_table.py > tests/ttnn/expected.json
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import conv2d_l1  # noqa: E402
from configs import CONFIGS  # noqa: E402


def row(entry):
    p = conv2d_l1.plan(entry["cfg"])
    out = {
        "name": entry["name"],
        "group": entry["group"],
        "inputs": entry["cfg"],
        "layout": p.get("layout"),
        "mm_conv": p.get("mm_conv"),
        "parallel": p.get("parallel"),
        "block_config": p.get("block_config"),
        "buffers": [{k: b[k] for k in ("name", "kind", "bytes", "program") if k in b} for b in p["buffers"]],
        "cb_total": p.get("cb_total"),
        "l1_buffers_total": p.get("l1_buffers_total"),
        "l1_small_total": p.get("l1_small_total"),
        "per_core_total": p.get("per_core_total"),
        "l1_map": p.get("l1_map"),
        "fits": p["fits"],
        "error": p["error"],
        "notes": p.get("notes", []),
    }
    if "auto_shard" in p:
        out["auto_shard"] = p["auto_shard"]
    return out


def main():
    rows = [row(e) for e in CONFIGS]
    json.dump(rows, sys.stdout, indent=1, default=list)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
