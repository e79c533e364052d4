#!/usr/bin/python3
"""PyTorch's ResNet-50 inference time on this machine, for bench/run_resnet50.sh.

torchvision resnet50 (random weights: the time does not depend on them), eval mode,
float32, batch 1, 224x224, under torch.no_grad(), on 1 and 2 threads; NCHW and
channels_last, the faster of the two. Prints one line per thread count:
"torch THREADS median_seconds best_seconds layout".
"""
import sys
import time

import torch
import torchvision


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    model = torchvision.models.resnet50(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        best = None
        for layout in ("nchw", "channels_last"):
            fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
            m = model.to(memory_format=fmt)
            xx = x.contiguous(memory_format=fmt)
            times = []
            with torch.no_grad():
                for _ in range(3):
                    m(xx)
                for _ in range(reps):
                    t0 = time.perf_counter()
                    m(xx)
                    times.append(time.perf_counter() - t0)
            times.sort()
            med = times[len(times) // 2]
            if best is None or med < best[0]:
                best = (med, times[0], layout)
        print(f"torch {threads} {best[0]:.5f} {best[1]:.5f} {best[2]}", flush=True)


if __name__ == "__main__":
    main()
