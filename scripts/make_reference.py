#!/usr/bin/python3
"""Writes inputs (and, for ops, PyTorch reference outputs) to HDF5 for ttgrid.

Subcommands:
  tensor   a seeded random float32 tensor: --shape N,H,W,C [--nchw] --output F.h5:/d
"""
import argparse
import sys

import h5py
import numpy as np


def split_ref(ref):
    file, sep, dset = ref.rpartition(":")
    if not sep or not dset.startswith("/"):
        sys.exit(f"make_reference.py: bad dataset reference '{ref}': expected FILE.h5:/dataset")
    return file, dset


def write(ref, array, attrs=None, mode="a"):
    file, dset = split_ref(ref)
    with h5py.File(file, mode) as f:
        if dset in f:
            del f[dset]
        d = f.create_dataset(dset, data=array)
        for k, v in (attrs or {}).items():
            d.attrs[k] = v


def cmd_tensor(args):
    shape = [int(v) for v in args.shape.split(",")]
    if len(shape) != 4 or min(shape) <= 0:
        sys.exit(f"make_reference.py: --shape needs 4 positive values, got '{args.shape}'")
    x = np.random.default_rng(args.seed).standard_normal(shape, dtype=np.float32)
    if args.nchw:
        write(args.output, np.ascontiguousarray(x.transpose(0, 3, 1, 2)), {"layout": "NCHW"})
    else:
        write(args.output, x)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tensor", help="a seeded random tensor")
    t.add_argument("--shape", required=True, help="N,H,W,C")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--nchw", action="store_true", help="store as NCHW with layout attribute")
    t.add_argument("--output", required=True, help="FILE.h5:/dataset")
    t.set_defaults(run=cmd_tensor)
    args = p.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
