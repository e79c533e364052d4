#!/usr/bin/python3
"""Compares tensors in HDF5 files: PCC, maximum absolute and relative errors.

Usage:
  compare.py A.h5:/dset B.h5:/dset [thresholds] [--quiet]
  compare.py --files A.h5 B.h5 [--group /layers] [thresholds] [--quiet]

B is the reference. A dataset reference is FILE.h5:/path, split at the last colon.

Layouts and shapes. A 4-D dataset with the string attribute layout="NCHW" is
transposed to NHWC first. Two shapes that differ are reconciled when they hold the
same number of elements, end in the same dimension, and one of them is a flattened
matrix [1, ..., 1, M, C] (for example a conv output [1, 1, N*H*W, C] against NHWC
[N, H, W, C], or logits [N, 1000] against [N, 1, 1, 1000]): it is viewed in the
other's shape (in file order). Anything else cannot be compared (exit 2).

Metrics (float64, over all elements):
  pcc           Pearson correlation coefficient. 1 when both tensors are equal
                (including two identical constants); 0 when only one is constant
                or both are constant but different, and 0 when the non-finite
                values (NaN, +inf, -inf) are not at the same places with the same
                values; otherwise computed over the finite elements.
  max_abs       max |a - b| over the finite elements.
  max_rel       max |a - b| / max(|b|, FLOOR), elementwise; FLOOR is --rel-floor
                (default 1e-6). Large where the reference is near zero.
  err/max|ref|  max_abs / max |b|: the largest error relative to the reference's scale.
Integer datasets on both sides (e.g. /top5) are compared exactly instead.

A comparison passes when every threshold given holds and the non-finite values
match. Without any threshold, --pcc 0.99999 applies.

Exit status: 0 all pass, 1 something failed, 2 bad usage, missing file or dataset,
or shapes that cannot be reconciled (one line on stderr).
"""
import argparse
import math
import os
import sys

import h5py
import numpy as np

PROG = "compare.py"
DEFAULT_PCC = 0.99999


class UsageError(Exception):
    """Bad usage or bad input: reported as one line on stderr, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message):
        print(f"{PROG}: error: {message} (see {PROG} --help)", file=sys.stderr)
        sys.exit(2)


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------

def split_ref(ref):
    """FILE.h5:/dataset -> (file, dataset), split at the last colon."""
    file, sep, dset = ref.rpartition(":")
    if not sep or not file or not dset.startswith("/"):
        raise UsageError(f"bad dataset reference '{ref}': expected FILE.h5:/dataset")
    return file, dset


def open_h5(file):
    """Open an HDF5 file read-only, turning failures into UsageError."""
    if not os.path.isfile(file):
        raise UsageError(f"no such file '{file}'")
    try:
        return h5py.File(file, "r")
    except OSError as e:
        raise UsageError(f"cannot open '{file}' as HDF5: {e}") from None


def attr_str(obj, name):
    """A string attribute as str ('' when absent)."""
    v = obj.attrs.get(name)
    if v is None:
        return ""
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(-1)[0]
    if isinstance(v, (bytes, np.bytes_)):
        v = v.decode("utf-8", "replace")
    return str(v)


def is_numeric(dset):
    """True for integer, unsigned, float and bool datasets."""
    return dset.dtype.kind in "biuf"


def load(h5, path, label):
    """Read a numeric dataset; a 4-D NCHW one (layout="NCHW") is returned as NHWC."""
    obj = h5.get(path)
    if obj is None:
        raise UsageError(f"'{label}': no such dataset")
    if not isinstance(obj, h5py.Dataset):
        raise UsageError(f"'{label}' is a group, not a dataset")
    if not is_numeric(obj):
        raise UsageError(f"'{label}' is not numeric (dtype {obj.dtype})")
    a = obj[()]
    a = np.asarray(a)
    if a.ndim == 4 and attr_str(obj, "layout").upper() == "NCHW":
        a = a.transpose(0, 2, 3, 1)
    return a


# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------

def is_flat(shape):
    """True for [1, ..., 1, M, C] (and [C]): a tensor viewed as a matrix."""
    return len(shape) >= 1 and all(d == 1 for d in shape[:-2])


def reconcile(a, b):
    """Bring A and B to one shape, or return None when they cannot be reconciled.

    Equal shapes stay. Otherwise the element counts and the last dimensions must
    match and one side must be a flattened matrix; that side takes the other's shape
    (B's shape when both are flat).
    """
    if a.shape == b.shape:
        return a, b
    if a.size != b.size or a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-1]:
        return None
    if is_flat(b.shape) and not is_flat(a.shape):
        return a, b.reshape(a.shape)
    if is_flat(a.shape):
        return a.reshape(b.shape), b
    return None


def fmt_shape(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


# --------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------

def pcc_of(a, b):
    """Pearson correlation of two finite float64 vectors (see the module docstring)."""
    if a.size == 0 or np.array_equal(a, b):
        return 1.0
    da = a - a.mean()
    db = b - b.mean()
    saa = float(np.dot(da, da))
    sbb = float(np.dot(db, db))
    if saa == 0.0 or sbb == 0.0:
        return 0.0
    r = float(np.dot(da, db)) / math.sqrt(saa * sbb)
    return max(-1.0, min(1.0, r))


def bitwise_differences(a, b):
    """Number of elements whose bit patterns differ (float64 bits when dtypes differ)."""
    if a.dtype != b.dtype:
        a = a.astype(np.float64)
        b = b.astype(np.float64)
    if a.dtype.kind in "biu":
        return int(np.count_nonzero(a != b))
    u = np.dtype(f"u{a.dtype.itemsize}")
    return int(np.count_nonzero(a.view(u) != b.view(u)))


def metrics(a, b, rel_floor):
    """All metrics of A against the reference B (same shapes)."""
    m = {"n": int(b.size), "integer": a.dtype.kind in "biu" and b.dtype.kind in "biu"}
    m["diff"] = bitwise_differences(np.ascontiguousarray(a), np.ascontiguousarray(b))
    x = a.astype(np.float64, copy=False).ravel()
    y = b.astype(np.float64, copy=False).ravel()
    fx, fy = np.isfinite(x), np.isfinite(y)
    both = fx & fy
    if both.all():
        m["nonfinite"] = 0
    else:
        odd = ~both
        same = (np.isnan(x) & np.isnan(y)) | (np.isinf(x) & (x == y))
        m["nonfinite"] = int(np.count_nonzero(odd & ~same))
        x, y = x[both], y[both]
    if x.size:
        err = np.abs(x - y)
        ay = np.abs(y)
        m["max_abs"] = float(err.max())
        m["max_rel"] = float((err / np.maximum(ay, rel_floor)).max())
        ref_max = float(ay.max())
    else:
        m["max_abs"] = m["max_rel"] = ref_max = 0.0
    if ref_max > 0:
        m["scaled"] = m["max_abs"] / ref_max
    else:
        m["scaled"] = 0.0 if m["max_abs"] == 0 else math.inf
    m["pcc"] = 0.0 if m["nonfinite"] else pcc_of(x, y)
    return m


def judge(m, th):
    """List of failed checks (empty when the comparison passes)."""
    fails = []
    if m["nonfinite"]:
        fails.append(f"{m['nonfinite']} non-finite mismatches")
    if m["integer"]:
        if m["diff"]:
            fails.append("integers differ")
        return fails
    if th.pcc is not None and not m["pcc"] >= th.pcc:
        fails.append(f"pcc < {th.pcc:g}")
    if th.max_rel is not None and not m["max_rel"] <= th.max_rel:
        fails.append(f"max_rel > {th.max_rel:g}")
    if th.atol is not None and not m["max_abs"] <= th.atol:
        fails.append(f"max_abs > {th.atol:g}")
    if th.max_scaled is not None and not m["scaled"] <= th.max_scaled:
        fails.append(f"err/max|ref| > {th.max_scaled:g}")
    if th.exact and m["diff"]:
        fails.append("not bitwise equal")
    return fails


def report_line(name, shape, m, fails, exact):
    """One line: name, shape, metrics, PASS/FAIL (with the failed checks)."""
    parts = [name, fmt_shape(shape)]
    if m["integer"]:
        parts.append(f"integer, {m['diff']}/{m['n']} differ")
    else:
        parts += [f"pcc {m['pcc']:.12g}", f"max_abs {m['max_abs']:.4g}",
                  f"max_rel {m['max_rel']:.4g}", f"err/max|ref| {m['scaled']:.4g}"]
        if exact or m["diff"] == 0:
            parts.append(f"diff {m['diff']}/{m['n']}")
    if m["nonfinite"]:
        parts.append(f"nonfinite_mismatch {m['nonfinite']}")
    parts.append("PASS" if not fails else "FAIL (" + "; ".join(fails) + ")")
    return "  ".join(parts)


# --------------------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------------------

def compare_one(args, th):
    """compare.py A.h5:/d B.h5:/d: one line, exit 0 or 1."""
    (fa, da), (fb, db) = split_ref(args.refs[0]), split_ref(args.refs[1])
    with open_h5(fa) as ha, open_h5(fb) as hb:
        a = load(ha, da, args.refs[0])
        b = load(hb, db, args.refs[1])
    both = reconcile(a, b)
    if both is None:
        raise UsageError(f"shapes cannot be reconciled: {args.refs[0]} {fmt_shape(a.shape)} "
                         f"vs {args.refs[1]} {fmt_shape(b.shape)}")
    a, b = both
    m = metrics(a, b, args.rel_floor)
    fails = judge(m, th)
    name = db if da == db else f"{da} vs {db}"
    if fails or not args.quiet:
        print(report_line(name, b.shape, m, fails, th.exact))
    return 1 if fails else 0


def datasets_under(group):
    """Paths of every dataset under `group`, recursively, in the group's stored order
    (creation order when the group tracks it, else by name)."""
    out = []
    for name in group:
        obj = group.get(name)
        if isinstance(obj, h5py.Group):
            out += datasets_under(obj)
        elif isinstance(obj, h5py.Dataset):
            out.append(obj.name)
    return out


def compare_files(args, th):
    """compare.py --files A.h5 B.h5: one line per dataset of B, a summary, exit 0 or 1."""
    fa, fb = args.files
    group = "/" + args.group.strip("/")
    with open_h5(fa) as ha, open_h5(fb) as hb:
        gb = hb.get(group)
        if not isinstance(gb, h5py.Group):
            raise UsageError(f"'{fb}:{group}': no such group")
        ga = ha.get(group)
        in_b = datasets_under(gb)
        in_a = datasets_under(ga) if isinstance(ga, h5py.Group) else []
        set_a, set_b = set(in_a), set(in_b)
        counts = {"pass": 0, "fail": 0, "missing": 0, "extra": 0, "skipped": 0}

        def show(line, bad):
            if bad or not args.quiet:
                print(line)

        for path in in_b:
            if path not in set_a:
                counts["missing"] += 1
                show(f"{path}  missing in A  FAIL", True)
                continue
            if not (is_numeric(hb[path]) and is_numeric(ha[path])):
                counts["skipped"] += 1
                show(f"{path}  skipped (not numeric: {ha[path].dtype} vs {hb[path].dtype})",
                     False)
                continue
            a, b = load(ha, path, f"{fa}:{path}"), load(hb, path, f"{fb}:{path}")
            both = reconcile(a, b)
            if both is None:
                counts["fail"] += 1
                show(f"{path}  shapes differ: A {fmt_shape(a.shape)} vs B "
                     f"{fmt_shape(b.shape)}  FAIL", True)
                continue
            a, b = both
            m = metrics(a, b, args.rel_floor)
            fails = judge(m, th)
            counts["fail" if fails else "pass"] += 1
            show(report_line(path, b.shape, m, fails, th.exact), bool(fails))
        for path in in_a:
            if path not in set_b:
                counts["extra"] += 1
                show(f"{path}  only in A (not in the reference)", False)

    bad = counts["fail"] + counts["missing"]
    print(f"compare: {fa} against {fb}{'' if group == '/' else ' under ' + group}: "
          f"{len(in_b)} reference datasets, {counts['pass']} pass, {counts['fail']} fail, "
          f"{counts['missing']} missing in A, {counts['extra']} only in A, "
          f"{counts['skipped']} skipped  {'FAIL' if bad else 'PASS'}")
    return 1 if bad else 0


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------

def main():
    p = OneLineParser(prog=PROG, description=__doc__,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("refs", nargs="*", metavar="FILE.h5:/dset",
                   help="A then B (the reference)")
    p.add_argument("--files", nargs=2, metavar=("A.h5", "B.h5"),
                   help="compare every dataset of B (under --group) with A's")
    p.add_argument("--group", default="/",
                   help="with --files: the group to compare, recursively (default /)")
    p.add_argument("--pcc", type=float, metavar="P",
                   help=f"pass when pcc >= P (the default check, P = {DEFAULT_PCC})")
    p.add_argument("--max-rel", type=float, metavar="R",
                   help="pass when max |a-b| / max(|b|, --rel-floor) <= R")
    p.add_argument("--max-scaled", type=float, metavar="S",
                   help="pass when max |a-b| / max |b| <= S")
    p.add_argument("--atol", type=float, metavar="A", help="pass when max |a-b| <= A")
    p.add_argument("--exact", action="store_true",
                   help="pass only when every element is bitwise equal (after layout "
                        "conversion); reports the number of differing elements")
    p.add_argument("--rel-floor", type=float, default=1e-6, metavar="F",
                   help="floor of |b| in max_rel (default 1e-6)")
    p.add_argument("--quiet", action="store_true",
                   help="print only failing lines (and, with --files, the summary)")
    args = p.parse_args()

    if args.files and args.refs:
        p.error("give either two dataset references or --files A.h5 B.h5, not both")
    if not args.files and len(args.refs) != 2:
        p.error(f"expected two dataset references A.h5:/d B.h5:/d, got {len(args.refs)}")
    if args.group != "/" and not args.files:
        p.error("--group needs --files")
    if args.pcc is not None and not -1.0 <= args.pcc <= 1.0:
        p.error(f"--pcc {args.pcc:g} is outside [-1, 1]")
    for opt in ("max_rel", "max_scaled", "atol", "rel_floor"):
        v = getattr(args, opt)
        if v is not None and not v >= 0:
            p.error(f"--{opt.replace('_', '-')} {v:g} must be >= 0")
    if (args.pcc is None and args.max_rel is None and args.max_scaled is None
            and args.atol is None and not args.exact):
        args.pcc = DEFAULT_PCC

    try:
        status = compare_files(args, args) if args.files else compare_one(args, args)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        status = 2
    sys.exit(status)


if __name__ == "__main__":
    main()
