#!/usr/bin/env python3
"""PyTorch side of bench_conv2d: how long torch.nn.functional.conv2d takes on ONE thread,
in float32, for each conv shape that `bench_conv2d --list` prints (name H W Cin Cout K
stride padding uses), with the input and weights in NCHW and in channels_last memory
format. Each figure is the median of several timed calls after two warm-up calls
(the first builds oneDNN's primitive); the count adapts to --time seconds per figure,
between 3 and --max-reps. Writes "name nchw_seconds channels_last_seconds" per shape
to OUT for bench_conv2d --torch, and prints a table. With --check-torchvision it also
checks the shape list against the convs of torchvision's resnet50 at batch 1, 224x224
(every distinct shape present, with its number of uses).

usage: bench_conv2d_torch.py SHAPES OUT [--time S] [--max-reps N] [--check-torchvision]
Run it with Debian's Python (/usr/bin/python3, $TG_PYTHON), which has torch.
"""
import argparse
import collections
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def read_shapes(path):
    shapes = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 9:
                shapes.append((p[0],) + tuple(int(v) for v in p[1:]))
    return shapes


def check_torchvision(shapes):
    """Compares the list with the convs torchvision's resnet50 runs; True when equal."""
    try:
        import torchvision
    except ImportError:
        print("torchvision not available: shape list not checked")
        return True
    model = torchvision.models.resnet50(weights=None).eval()
    seen = collections.Counter()

    def hook(mod, inp, out):
        x = inp[0]
        seen[(x.shape[2], x.shape[3], mod.in_channels, mod.out_channels, mod.kernel_size[0],
              mod.stride[0], mod.padding[0])] += 1

    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    listed = {s[1:8]: s[8] for s in shapes}
    if dict(seen) == listed:
        print(f"shape list matches torchvision {torchvision.__version__} resnet50: "
              f"{len(listed)} distinct shapes, {sum(listed.values())} convs")
        return True
    for k in sorted(set(seen) | set(listed)):
        if seen.get(k) != listed.get(k):
            print(f"MISMATCH (H, W, Cin, Cout, K, stride, pad) {k}: torchvision uses it "
                  f"{seen.get(k, 0)} times, the list {listed.get(k, 0)}")
    return False


def time_conv(x, w, stride, pad, budget, max_reps):
    with torch.no_grad():
        F.conv2d(x, w, stride=stride, padding=pad)
        t0 = time.perf_counter()
        F.conv2d(x, w, stride=stride, padding=pad)
        warm = time.perf_counter() - t0
        reps = max(3, min(max_reps, int(budget / warm) if warm > 0 else max_reps))
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            F.conv2d(x, w, stride=stride, padding=pad)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("shapes")
    ap.add_argument("out")
    ap.add_argument("--time", type=float, default=1.0)
    ap.add_argument("--max-reps", type=int, default=51)
    ap.add_argument("--check-torchvision", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    shapes = read_shapes(a.shapes)
    ok = check_torchvision(shapes) if a.check_torchvision else True
    onednn = torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread, oneDNN "
          f"{'on' if onednn else 'off'}, float32")
    print(f"{'shape':<19} {'nchw ms':>8} {'cl ms':>8}  faster")
    g = torch.Generator().manual_seed(0)
    with open(a.out, "w") as out:
        for name, h, w, cin, cout, k, s, p, _uses in shapes:
            x = torch.rand(1, cin, h, w, generator=g) * 2 - 1
            wt = (torch.rand(cout, cin, k, k, generator=g) * 2 - 1) / (cin * k * k) ** 0.5
            nchw = time_conv(x, wt, s, p, a.time, a.max_reps)
            cl = time_conv(x.contiguous(memory_format=torch.channels_last),
                           wt.contiguous(memory_format=torch.channels_last), s, p, a.time,
                           a.max_reps)
            out.write(f"{name} {nchw:.9f} {cl:.9f}\n")
            print(f"{name:<19} {1e3 * nchw:8.3f} {1e3 * cl:8.3f}  "
                  f"{'nchw' if nchw <= cl else 'channels_last'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
