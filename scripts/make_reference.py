#!/usr/bin/python3
"""Writes seeded inputs, weights and PyTorch reference outputs to HDF5 for ttgrid.

Subcommands (each has --help):
  tensor     a seeded random float32 tensor: --shape N,H,W,C [--nchw] --output F.h5:/d
  conv2d     input, weight, bias and the conv2d reference output
  maxpool2d  input and the max-pool reference output
  resnet50   torchvision ResNet-50 v1.5 weights, a seeded input image batch, the
             reference logits and top-5, and optionally every layer's output

Conventions (ttgrid depends on them):
  * A dataset reference is FILE.h5:/path, split at the last colon. Writing into an
    existing file keeps its other datasets and replaces a dataset of the same name.
  * Tensors are float32. Activations are NHWC [N, H, W, C] (attribute layout="NHWC");
    with --nchw an input is stored [N, C, H, W] with attribute layout="NCHW".
    Reference outputs are always NHWC.
  * Conv weights are [Cout, Cin/groups, Kh, Kw], bias [Cout], as PyTorch has them.
  * Every dataset written carries the attribute producer="make_reference.py <subcommand>".
  * --seed makes everything deterministic.

Exit status: 0 success, 1 a failed check (for example non-finite logits),
2 bad usage or bad input, with one line on stderr.
"""
import argparse
import math
import os
import sys
import time

import h5py
import numpy as np

PROG = "make_reference.py"


# --------------------------------------------------------------------------------------
# Errors and argument parsing
# --------------------------------------------------------------------------------------

def fail(msg, status=2):
    """Print one line `make_reference.py: error: MSG` on stderr and exit with `status`."""
    print(f"{PROG}: error: {msg}", file=sys.stderr)
    sys.exit(status)


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message):
        fail(f"{message} (see {self.prog} --help)")


def parse_ints(text, what, counts, minimum):
    """Parse comma- or x-separated integers; `counts` lists the accepted lengths."""
    seps = text.replace("x", ",").replace("X", ",")
    try:
        vals = [int(v) for v in seps.split(",")]
    except ValueError:
        fail(f"{what} '{text}' is not a list of integers")
    if len(vals) not in counts:
        want = " or ".join([", ".join(str(c) for c in counts[:-1]), str(counts[-1])]
                           if len(counts) > 1 else [str(counts[0])])
        fail(f"{what} '{text}' needs {want} values, got {len(vals)}")
    if min(vals) < minimum:
        fail(f"{what} '{text}' must have values >= {minimum}")
    return vals


def parse_shape(text, what="--input-shape"):
    """N,H,W,C with every value positive."""
    return tuple(parse_ints(text, what, (4,), 1))


def parse_pair(text, what, minimum=1):
    """A pair 'AxB' (also 'A,B'); a single value 'A' means (A, A)."""
    vals = parse_ints(text, what, (1, 2), minimum)
    return (vals[0], vals[0]) if len(vals) == 1 else (vals[0], vals[1])


def parse_padding(text):
    """Padding as (top, bottom, left, right).

    'P' means P on every side, 'PH,PW' is symmetric (PH top and bottom, PW left and
    right), 'PT,PB,PL,PR' gives each side.
    """
    if text is None:
        return (0, 0, 0, 0)
    if "x" in text.lower():
        fail(f"--padding '{text}' takes commas: PH,PW or PT,PB,PL,PR")
    vals = parse_ints(text, "--padding", (1, 2, 4), 0)
    if len(vals) == 1:
        return (vals[0],) * 4
    if len(vals) == 2:
        return (vals[0], vals[0], vals[1], vals[1])
    return tuple(vals)


def split_ref(ref):
    """Split FILE.h5:/dataset at the last colon into (file, dataset)."""
    file, sep, dset = ref.rpartition(":")
    if not sep or not file or not dset.startswith("/"):
        fail(f"bad dataset reference '{ref}': expected FILE.h5:/dataset")
    return file, dset


def split_output(ref):
    """--output FILE.h5 or FILE.h5:/group -> (file, group prefix, '' for the root)."""
    file, sep, group = ref.rpartition(":")
    if sep and file and group.startswith("/"):
        return file, group.rstrip("/")
    return ref, ""


# --------------------------------------------------------------------------------------
# HDF5 output
# --------------------------------------------------------------------------------------

class H5Writer:
    """Writes datasets into one HDF5 file opened in append mode.

    Other datasets in the file are kept; a dataset with the same name is replaced.
    Groups created here track creation order, so readers (compare.py --files) list
    their members in the order they were written. Every dataset gets the attribute
    producer="make_reference.py <subcommand>".
    """

    def __init__(self, file, producer, prefix=""):
        self.file = file
        self.producer = producer
        self.prefix = prefix
        try:
            new = not os.path.exists(file)
            self.h5 = h5py.File(file, "a", track_order=True if new else None)
        except OSError as e:
            fail(f"cannot open '{file}' for writing: {e}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.h5.close()

    def _parent(self, path):
        """Create (track-ordered) intermediate groups of `path`; return the parent."""
        parts = [p for p in path.split("/") if p]
        group = self.h5["/"]
        for p in parts[:-1]:
            if p not in group:
                group.create_group(p, track_order=True)
            group = group[p]
            if not isinstance(group, h5py.Group):
                fail(f"'{self.file}': '{group.name}' is a dataset, not a group")
        return group, parts[-1]

    def put(self, path, array, attrs=None):
        """Write `array` at `path` (under the prefix), replacing a dataset of that name."""
        group, name = self._parent(self.prefix + "/" + path.lstrip("/"))
        if name in group:
            del group[name]
        d = group.create_dataset(name, data=array)
        d.attrs["producer"] = self.producer
        for k, v in (attrs or {}).items():
            d.attrs[k] = v
        return d


def write(ref, array, attrs=None, mode="a"):
    """Write one dataset given as FILE.h5:/dataset (used by `tensor`)."""
    file, dset = split_ref(ref)
    with h5py.File(file, mode) as f:
        if dset in f:
            del f[dset]
        d = f.create_dataset(dset, data=array)
        for k, v in (attrs or {}).items():
            d.attrs[k] = v


def activation_for_file(x_nchw, nchw, fmt="float32"):
    """A logical NCHW float32 activation as stored: (array, attributes)."""
    x = np.asarray(x_nchw, dtype=np.float32)
    if nchw:
        return np.ascontiguousarray(x), {"layout": "NCHW", "format": fmt}
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)), {"layout": "NHWC", "format": fmt}


def nhwc(t):
    """A torch NCHW tensor as a contiguous NHWC float32 numpy array."""
    return np.ascontiguousarray(t.detach().to("cpu").float().numpy().transpose(0, 2, 3, 1))


# --------------------------------------------------------------------------------------
# tensor
# --------------------------------------------------------------------------------------

def cmd_tensor(args):
    """A seeded standard-normal float32 tensor (numpy default_rng), NHWC or NCHW."""
    shape = [int(v) for v in args.shape.split(",")]
    if len(shape) != 4 or min(shape) <= 0:
        fail(f"--shape needs 4 positive values, got '{args.shape}'")
    x = np.random.default_rng(args.seed).standard_normal(shape, dtype=np.float32)
    attrs = {"producer": f"{PROG} tensor"}
    if args.nchw:
        write(args.output, np.ascontiguousarray(x.transpose(0, 3, 1, 2)),
              dict(attrs, layout="NCHW"))
    else:
        write(args.output, x, attrs)


# --------------------------------------------------------------------------------------
# Shared by conv2d and maxpool2d
# --------------------------------------------------------------------------------------

def torch_mod():
    """Import torch lazily (the `tensor` subcommand does not need it)."""
    try:
        import torch  # noqa: F401
    except ImportError as e:
        fail(f"PyTorch is not available to {sys.executable}: {e}; run with /usr/bin/python3")
    return torch


def ramp_nchw(n, c, h, w):
    """The 'ramp' input: value = (i mod 251) / 251 - 0.5 for linear NCHW index i.

    Computed in double precision and rounded once to float32.
    """
    i = np.arange(n * c * h * w, dtype=np.int64) % 251
    return (i / 251.0 - 0.5).astype(np.float32).reshape(n, c, h, w)


def make_input(torch, gen, shape_nhwc, kind):
    """The logical input as a float32 NCHW torch tensor.

    Random inputs are standard normal drawn from `gen` in NCHW order, so the values
    do not depend on the storage layout. A standard-normal draw is always made (and
    discarded for 'ramp') so that the weights drawn afterwards do not depend on the
    input kind.
    """
    n, h, w, c = shape_nhwc
    x = torch.randn((n, c, h, w), generator=gen, dtype=torch.float32)
    if kind == "ramp":
        x = torch.from_numpy(ramp_nchw(n, c, h, w))
    return x


def round_to(torch, t, dtype):
    """Round a float32 tensor to `dtype` ('float32' leaves it as is), kept as float32."""
    if dtype == "bfloat16":
        return t.to(torch.bfloat16).to(torch.float32)
    return t


def conv_out_size(size, pad_before, pad_after, k, s, d):
    """Output length of a convolution (floor mode)."""
    span = d * (k - 1) + 1
    return (size + pad_before + pad_after - span) // s + 1


def pool_out_size(size, pad_before, pad_after, k, s, d, ceil_mode):
    """Output length of a pooling window, PyTorch's rule generalised to uneven padding.

    floor/ceil((size + pad_before + pad_after - d*(k-1) - 1) / s) + 1; in ceil mode the
    last window is dropped when it would start at or after size + pad_before (inside
    the trailing padding), as torch's pooling_output_shape_pad_lr does.
    """
    num = size + pad_before + pad_after - d * (k - 1) - 1
    if num < 0:
        return num // s + 1  # <= 0: reported as invalid by the caller
    out = (num + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + pad_before:
        out -= 1
    return out


def add_common_op_args(p):
    """Options shared by conv2d and maxpool2d."""
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                   help="bfloat16: round the inputs (and weights) to bfloat16 first, store\n"
                        "the rounded values, and compute the reference from them\n"
                        "(default float32)")
    p.add_argument("--input-kind", choices=["random", "ramp"], default="random",
                   help="random: standard normal; ramp: (i mod 251)/251 - 0.5 over the\n"
                        "NCHW linear index i (default random)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--nchw", action="store_true",
                   help="store /input as [N,C,H,W] with attribute layout=\"NCHW\"")
    p.add_argument("--output", required=True, metavar="FILE.h5",
                   help="the HDF5 file to write into (FILE.h5:/group writes under /group)")


# --------------------------------------------------------------------------------------
# conv2d
# --------------------------------------------------------------------------------------

def cmd_conv2d(args):
    """Write /input, /weight, /bias (unless --no-bias) and the NHWC /output of conv2d."""
    torch = torch_mod()
    import torch.nn.functional as F

    n, h, w, c = parse_shape(args.input_shape)
    kh, kw = parse_pair(args.kernel, "--kernel")
    sh, sw = parse_pair(args.stride, "--stride")
    dh, dw = parse_pair(args.dilation, "--dilation")
    pt, pb, pl, pr = parse_padding(args.padding)
    co, g = args.out_channels, args.groups
    if co < 1:
        fail(f"--out-channels must be positive, got {co}")
    if g < 1:
        fail(f"--groups must be positive, got {g}")
    if c % g or co % g:
        fail(f"input channels {c} and output channels {co} must both be divisible by "
             f"--groups {g}")
    ho = conv_out_size(h, pt, pb, kh, sh, dh)
    wo = conv_out_size(w, pl, pr, kw, sw, dw)
    if ho < 1 or wo < 1:
        fail(f"output size {ho}x{wo} is not positive: input {h}x{w}, padding "
             f"{pt},{pb},{pl},{pr}, kernel {kh}x{kw}, dilation {dh}x{dw}, stride {sh}x{sw}")

    gen = torch.Generator().manual_seed(args.seed)
    x = make_input(torch, gen, (n, h, w, c), args.input_kind)
    fan_in = (c // g) * kh * kw
    bound = 1.0 / math.sqrt(fan_in)
    wt = (torch.rand((co, c // g, kh, kw), generator=gen, dtype=torch.float32) * 2 - 1) * bound
    b = (torch.rand((co,), generator=gen, dtype=torch.float32) * 2 - 1) * bound
    x, wt, b = (round_to(torch, t, args.dtype) for t in (x, wt, b))

    # Reference in float64 from the (rounded) float32 values.
    x64 = x.double()
    if pt == pb and pl == pr:
        y = F.conv2d(x64, wt.double(), None if args.no_bias else b.double(),
                     stride=(sh, sw), padding=(pt, pl), dilation=(dh, dw), groups=g)
    else:
        x64 = F.pad(x64, (pl, pr, pt, pb))
        y = F.conv2d(x64, wt.double(), None if args.no_bias else b.double(),
                     stride=(sh, sw), padding=0, dilation=(dh, dw), groups=g)
    if args.activation == "relu":
        y = torch.relu(y)
    assert tuple(y.shape) == (n, co, ho, wo), (tuple(y.shape), (n, co, ho, wo))

    file, prefix = split_output(args.output)
    with H5Writer(file, f"{PROG} conv2d", prefix) as out:
        data, attrs = activation_for_file(x.numpy(), args.nchw, args.dtype)
        out.put("input", data, attrs)
        out.put("weight", wt.numpy().astype(np.float32), {"format": args.dtype})
        if not args.no_bias:
            out.put("bias", b.numpy().astype(np.float32), {"format": args.dtype})
        out.put("output", nhwc(y), {"layout": "NHWC", "format": "float32"})
    print(f"conv2d: input [{n}, {h}, {w}, {c}] -> output [{n}, {ho}, {wo}, {co}], kernel "
          f"{kh}x{kw}, stride {sh}x{sw}, padding {pt},{pb},{pl},{pr}, dilation {dh}x{dw}, "
          f"groups {g}, bias {'no' if args.no_bias else 'yes'}, activation {args.activation}, "
          f"{args.dtype}, {args.input_kind} input -> {args.output}")


# --------------------------------------------------------------------------------------
# maxpool2d
# --------------------------------------------------------------------------------------

def maxpool_reference(torch, x, k, s, pad, d, ceil_mode):
    """Max pool of NCHW `x`; windows never read padding values (padding acts as -inf).

    Uses torch.max_pool2d directly when padding is symmetric and within torch's limit
    (padding <= kernel // 2); otherwise pads with -inf and pools with padding 0,
    cutting the output to the size given by pool_out_size.
    """
    import torch.nn.functional as F
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = k, s, pad, d
    h, w = x.shape[2], x.shape[3]
    ho = pool_out_size(h, pt, pb, kh, sh, dh, ceil_mode)
    wo = pool_out_size(w, pl, pr, kw, sw, dw, ceil_mode)
    if pt == pb and pl == pr and pt <= kh // 2 and pl <= kw // 2:
        y = F.max_pool2d(x, (kh, kw), (sh, sw), (pt, pl), (dh, dw), ceil_mode=ceil_mode)
    else:
        # Pad enough at the bottom/right that the last (ceil-mode) window fits.
        need_h = (ho - 1) * sh + dh * (kh - 1) + 1
        need_w = (wo - 1) * sw + dw * (kw - 1) + 1
        pb2 = max(pb, need_h - h - pt)
        pr2 = max(pr, need_w - w - pl)
        xp = F.pad(x, (pl, pr2, pt, pb2), value=-math.inf)
        y = F.max_pool2d(xp, (kh, kw), (sh, sw), 0, (dh, dw))[:, :, :ho, :wo]
    assert tuple(y.shape[2:]) == (ho, wo), (tuple(y.shape), ho, wo)
    return y


def cmd_maxpool2d(args):
    """Write /input and the NHWC /output of max_pool2d."""
    torch = torch_mod()
    n, h, w, c = parse_shape(args.input_shape)
    kh, kw = parse_pair(args.kernel, "--kernel")
    sh, sw = parse_pair(args.stride, "--stride") if args.stride else (kh, kw)
    dh, dw = parse_pair(args.dilation, "--dilation")
    pad = parse_padding(args.padding)
    pt, pb, pl, pr = pad
    ho = pool_out_size(h, pt, pb, kh, sh, dh, args.ceil_mode)
    wo = pool_out_size(w, pl, pr, kw, sw, dw, args.ceil_mode)
    if ho < 1 or wo < 1:
        fail(f"output size {ho}x{wo} is not positive: input {h}x{w}, padding "
             f"{pt},{pb},{pl},{pr}, kernel {kh}x{kw}, dilation {dh}x{dw}, stride {sh}x{sw}")

    # PyTorch's rule (aten/src/ATen/native/Pool.h, pooling_output_shape), on each side
    for name, p_, k, d in (("top", pt, kh, dh), ("bottom", pb, kh, dh), ("left", pl, kw, dw),
                           ("right", pr, kw, dw)):
        if p_ > ((k - 1) * d + 1) // 2:
            fail(f"{name} padding {p_} is more than half of the effective kernel "
                 f"{(k - 1) * d + 1} (kernel {k}, dilation {d}), which PyTorch refuses")

    gen = torch.Generator().manual_seed(args.seed)
    x = round_to(torch, make_input(torch, gen, (n, h, w, c), args.input_kind), args.dtype)
    if args.specials:
        # NaN, +inf and -inf in turn at seeded positions (drawn after the input)
        flat = x.view(-1)
        pos = torch.randperm(flat.numel(), generator=gen)[:args.specials]
        vals = torch.tensor([math.nan, math.inf, -math.inf], dtype=torch.float32)
        flat[pos] = vals[torch.arange(pos.numel()) % 3]
    y = maxpool_reference(torch, x, (kh, kw), (sh, sw), pad, (dh, dw), args.ceil_mode)
    empty = int(torch.isneginf(y).sum())
    if empty:
        print(f"{PROG}: warning: {empty} output values are -inf (windows lying wholly in "
              f"padding)", file=sys.stderr)

    file, prefix = split_output(args.output)
    with H5Writer(file, f"{PROG} maxpool2d", prefix) as out:
        data, attrs = activation_for_file(x.numpy(), args.nchw, args.dtype)
        out.put("input", data, attrs)
        out.put("output", nhwc(y), {"layout": "NHWC", "format": args.dtype})
    print(f"maxpool2d: input [{n}, {h}, {w}, {c}] -> output [{n}, {ho}, {wo}, {c}], kernel "
          f"{kh}x{kw}, stride {sh}x{sw}, padding {pt},{pb},{pl},{pr}, dilation {dh}x{dw}, "
          f"ceil_mode {args.ceil_mode}, {args.dtype}, {args.input_kind} input -> {args.output}")


# --------------------------------------------------------------------------------------
# resnet50
# --------------------------------------------------------------------------------------

RESNET_CAL_PASSES = 3   # forward passes used to calibrate BatchNorm statistics
RESNET_CAL_BATCH = 4    # images per calibration pass


def resnet_random_weights(torch, model, seed, size):
    """Make a freshly built ResNet-50's BatchNorm non-trivial and calibrated.

    torchvision's own init has already run under torch.manual_seed(seed) (convs
    kaiming-normal, fc PyTorch's Linear default, BN gamma=1 beta=0). Then, with a
    generator seeded seed+1:
      1. every BN layer, in module order, gets gamma ~ U[0.5, 1.5), then beta ~ N(0, 0.1^2);
         the last BN of each residual branch (Bottleneck.bn3) has its gamma mapped
         linearly onto [0.1, 0.3): trained ResNets keep that gain small (torchvision's
         zero_init_residual sets it to 0 for the same reason), and with unit gains a
         random ResNet-50 amplifies rounding noise so much that PyTorch's own bfloat16
         run reaches only PCC 0.95 (64x64) / 0.99 (224x224) against float32;
      2. running statistics are reset and re-estimated as cumulative averages
         (momentum=None) over RESNET_CAL_PASSES train-mode forward passes of
         RESNET_CAL_BATCH standard-normal images [B, 3, size, size] from the same
         generator, under torch.no_grad(); running_var is the average of the per-batch
         unbiased variances, as PyTorch computes it;
      3. the model returns to eval mode (momentum restored to 0.1).
    """
    gen = torch.Generator().manual_seed(seed + 1)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    last = {id(m.bn3) for m in model.modules() if hasattr(m, "bn3")}
    with torch.no_grad():
        for bn in bns:
            bn.weight.uniform_(0.5, 1.5, generator=gen)
            if id(bn) in last:
                bn.weight.sub_(0.5).mul_(0.2).add_(0.1)
            bn.bias.normal_(0.0, 0.1, generator=gen)
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None
        model.train()
        for _ in range(RESNET_CAL_PASSES):
            model(torch.randn((RESNET_CAL_BATCH, 3, size, size), generator=gen))
        model.eval()
        for bn in bns:
            bn.momentum = 0.1


def resnet_load_state_dict(torch, model, path):
    """Load a state_dict file into the model (a {'state_dict': ...} wrapper and
    'module.' prefixes from DataParallel are accepted)."""
    try:
        sd = torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises many kinds here
        fail(f"cannot load state dict '{path}': {e}")
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict):
        fail(f"'{path}' does not hold a state_dict (found {type(sd).__name__})")
    sd = {(k[7:] if k.startswith("module.") else k): v for k, v in sd.items()}
    try:
        res = model.load_state_dict(sd, strict=False)
    except RuntimeError as e:  # a tensor of the wrong shape
        lines = [ln.strip() for ln in str(e).splitlines() if "size mismatch" in ln]
        fail(f"'{path}' does not fit torchvision resnet50: "
             f"{lines[0] if lines else ' '.join(str(e).split())[:200]}")
    if res.missing_keys or res.unexpected_keys:
        parts = []
        if res.missing_keys:
            parts.append(f"{len(res.missing_keys)} keys missing (first '{res.missing_keys[0]}')")
        if res.unexpected_keys:
            parts.append(f"{len(res.unexpected_keys)} unexpected keys "
                         f"(first '{res.unexpected_keys[0]}')")
        fail(f"'{path}' is not a torchvision resnet50 state_dict: {', '.join(parts)}")


def resnet_forward(torch, model, x, tap=None):
    """ResNet-50 forward that mirrors torchvision's, calling tap(name, NCHW tensor).

    Names: conv1 (conv1+bn1+relu), maxpool, then for each bottleneck layerL.B:
    layerL.B.conv1 (conv1+bn1+relu), layerL.B.conv2 (conv2+bn2+relu),
    layerL.B.conv3 (conv3+bn3, before the add), layerL.B.downsample (when present:
    downsample conv+bn), layerL.B (after add and relu); then avgpool [N,2048,1,1] and
    fc [N,1000,1,1] (the logits). Returns the logits [N, 1000].
    """
    def t(name, v):
        if tap is not None:
            tap(name, v)
        return v

    relu = torch.relu
    x = t("conv1", relu(model.bn1(model.conv1(x))))
    x = t("maxpool", model.maxpool(x))
    for li in range(1, 5):
        for bi, blk in enumerate(getattr(model, f"layer{li}")):
            name = f"layer{li}.{bi}"
            out = t(name + ".conv1", relu(blk.bn1(blk.conv1(x))))
            out = t(name + ".conv2", relu(blk.bn2(blk.conv2(out))))
            out = t(name + ".conv3", blk.bn3(blk.conv3(out)))
            identity = x
            if blk.downsample is not None:
                identity = t(name + ".downsample", blk.downsample(x))
            x = t(name, relu(out + identity))
    x = t("avgpool", model.avgpool(x))
    logits = model.fc(torch.flatten(x, 1))
    t("fc", logits[:, :, None, None])
    return logits


def cmd_resnet50(args):
    """Write ResNet-50 weights (WEIGHTS.h5) and the reference input/logits/top5 (REF.h5)."""
    torch = torch_mod()
    try:
        import torchvision
    except ImportError as e:
        fail(f"torchvision is not available to {sys.executable}: {e}")
    size, batch = args.image_size, args.batch
    if size < 32:
        fail(f"--image-size {size} is too small: it must be >= 32 to survive the five "
             f"stride-2 stages")
    if batch < 1:
        fail(f"--batch must be positive, got {batch}")
    if args.state_dict and not os.path.isfile(args.state_dict):
        fail(f"--state-dict '{args.state_dict}': no such file")

    t0 = time.time()
    torch.manual_seed(args.seed)
    model = torchvision.models.resnet50(weights=None)
    model.eval()
    if args.state_dict:
        resnet_load_state_dict(torch, model, args.state_dict)
        how = f"state dict {args.state_dict}"
    else:
        resnet_random_weights(torch, model, args.seed, size)
        how = (f"seeded random weights (seed {args.seed}), BN calibrated over "
               f"{RESNET_CAL_PASSES}x{RESNET_CAL_BATCH} images")
    t_model = time.time() - t0

    # Weights: one float32 dataset per state_dict key, num_batches_tracked skipped.
    t1 = time.time()
    with H5Writer(args.weights, f"{PROG} resnet50") as wout:
        count = 0
        for key, v in model.state_dict().items():
            if key.endswith("num_batches_tracked") or not v.is_floating_point():
                continue
            wout.put(key, v.detach().float().numpy())
            count += 1
        wout.h5.attrs["model"] = "torchvision resnet50 (v1.5)"
        wout.h5.attrs["weights"] = how
    t_weights = time.time() - t1

    # Reference: input, logits, top5, and optionally every layer.
    t2 = time.time()
    x = torch.randn((batch, 3, size, size), generator=torch.Generator().manual_seed(args.seed))
    file, prefix = split_output(args.output)
    with H5Writer(file, f"{PROG} resnet50", prefix) as out:
        data, attrs = activation_for_file(x.numpy(), args.nchw)
        out.put("input", data, attrs)
        tap = None
        if args.layers:
            def tap(name, v):
                out.put("layers/" + name, nhwc(v), {"layout": "NHWC", "format": "float32"})
        with torch.no_grad():
            logits = resnet_forward(torch, model, x, tap)
        top5 = torch.topk(logits, 5, dim=1).indices.to(torch.int64)
        out.put("logits", logits.numpy().astype(np.float32))
        out.put("top5", top5.numpy())
    t_ref = time.time() - t2

    lg = logits.double()
    mean, std = float(lg.mean()), float(lg.std())
    print(f"resnet50: {how}; {count} weight datasets -> {args.weights}")
    print(f"resnet50: input [{batch}, 3, {size}, {size}] (seed {args.seed}) -> {args.output}"
          f"{' with /layers' if args.layers else ''}")
    print(f"resnet50: logits mean {mean:.6g} std {std:.6g} min {float(lg.min()):.6g} "
          f"max {float(lg.max()):.6g}; top5[0] {top5[0].tolist()}")
    print(f"resnet50: time model {t_model:.2f} s, weights {t_weights:.2f} s, "
          f"reference {t_ref:.2f} s")
    if not torch.isfinite(logits).all():
        fail("the logits are not all finite", status=1)
    if not 0.1 <= std <= 1000:
        msg = f"the logits' standard deviation {std:.6g} is outside [0.1, 1000]"
        if args.state_dict:
            print(f"{PROG}: warning: {msg}", file=sys.stderr)
        else:
            fail(msg, status=1)


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------

def main():
    fmt = argparse.RawTextHelpFormatter
    p = OneLineParser(prog=PROG, description=__doc__, formatter_class=fmt)
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)

    t = sub.add_parser("tensor", help="a seeded random tensor", formatter_class=fmt,
                       description="A seeded standard-normal float32 tensor (numpy "
                                   "default_rng(seed)), NHWC unless --nchw.")
    t.add_argument("--shape", required=True, help="N,H,W,C")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--nchw", action="store_true", help="store as NCHW with layout attribute")
    t.add_argument("--output", required=True, help="FILE.h5:/dataset")
    t.set_defaults(run=cmd_tensor)

    c = sub.add_parser(
        "conv2d", help="conv2d input, weight, bias and reference output", formatter_class=fmt,
        description=(
            "Writes /input (NHWC, or NCHW with --nchw), /weight [Cout, Cin/groups, Kh, Kw],\n"
            "/bias [Cout] (unless --no-bias) and /output (NHWC [N, Ho, Wo, Cout]).\n"
            "Random values are drawn from torch.Generator().manual_seed(seed) in this\n"
            "order: input (standard normal, NCHW order; drawn even for --input-kind ramp),\n"
            "weight, bias (both uniform in +-1/sqrt(Cin/groups*Kh*Kw)). The reference is\n"
            "computed in float64 from the stored float32 values and stored as float32.\n"
            "Asymmetric padding zero-pads with F.pad, then convolves with padding 0."))
    c.add_argument("--input-shape", required=True, metavar="N,H,W,C")
    c.add_argument("--out-channels", required=True, type=int, metavar="CO")
    c.add_argument("--kernel", required=True, metavar="KHxKW", help="e.g. 3x3 or 3")
    c.add_argument("--stride", default="1", metavar="SHxSW", help="default 1x1")
    c.add_argument("--padding", metavar="PH,PW|PT,PB,PL,PR",
                   help="symmetric PH,PW or top,bottom,left,right (default 0)")
    c.add_argument("--dilation", default="1", metavar="DHxDW", help="default 1x1")
    c.add_argument("--groups", type=int, default=1, metavar="G", help="default 1")
    c.add_argument("--no-bias", action="store_true", help="no bias (no /bias dataset)")
    c.add_argument("--activation", choices=["none", "relu"], default="none",
                   help="applied after the bias (default none)")
    add_common_op_args(c)
    c.set_defaults(run=cmd_conv2d)

    m = sub.add_parser(
        "maxpool2d", help="max-pool input and reference output", formatter_class=fmt,
        description=(
            "Writes /input (NHWC, or NCHW with --nchw) and /output (NHWC).\n"
            "Padding never wins a max (it acts as -inf), and is at most half of the\n"
            "effective kernel (d*(k-1)+1)//2 on each side, as PyTorch requires; a NaN in a\n"
            "window gives NaN. Symmetric padding within the installed torch's limit\n"
            "(<= kernel//2) uses torch.max_pool2d directly; other padding pads with\n"
            "-inf via F.pad and pools with padding 0. Output size per dimension:\n"
            "  floor_or_ceil((in + pad_before + pad_after - d*(k-1) - 1) / s) + 1,\n"
            "and in ceil mode one less when the last window would start at or after\n"
            "in + pad_before (torch's rule, generalised to uneven padding)."))
    m.add_argument("--input-shape", required=True, metavar="N,H,W,C")
    m.add_argument("--kernel", required=True, metavar="KHxKW", help="e.g. 3x3 or 3")
    m.add_argument("--stride", metavar="SHxSW", help="default: the kernel size")
    m.add_argument("--padding", metavar="PH,PW|PT,PB,PL,PR",
                   help="symmetric PH,PW or top,bottom,left,right (default 0)")
    m.add_argument("--dilation", default="1", metavar="DHxDW", help="default 1x1")
    m.add_argument("--ceil-mode", action="store_true", help="ceil instead of floor")
    m.add_argument("--specials", type=int, default=0, metavar="K",
                   help="put NaN, +inf and -inf in turn at K seeded places of the input\n"
                        "(PyTorch's max pool gives NaN for a window holding a NaN)")
    add_common_op_args(m)
    m.set_defaults(run=cmd_maxpool2d)

    r = sub.add_parser(
        "resnet50", help="ResNet-50 weights, input, logits and per-layer outputs",
        formatter_class=fmt,
        description=(
            "torchvision resnet50(weights=None) (ResNet-50 v1.5) in eval mode, float32.\n"
            "Weights: --state-dict FILE.pt, or seeded random weights: torchvision's init\n"
            f"under torch.manual_seed(seed); then (generator seed+1) every BN gets\n"
            f"gamma ~ U[0.5,1.5) (each bottleneck's bn3: U[0.1,0.3)) and beta ~ N(0, 0.1^2),\n"
            f"and its running mean/var are\n"
            f"calibrated as cumulative averages over {RESNET_CAL_PASSES} train-mode passes of "
            f"{RESNET_CAL_BATCH} standard-normal\nimages of the same size.\n\n"
            "WEIGHTS.h5: one float32 dataset per state_dict key at the root (e.g.\n"
            "/conv1.weight, /bn1.running_mean, /fc.bias); num_batches_tracked skipped.\n"
            "REF.h5: /input (randn [N,3,S,S] from torch.Generator().manual_seed(seed),\n"
            "stored NHWC, or NCHW with --nchw), /logits [N,1000] float32, /top5 [N,5] int64.\n"
            "--layers adds /layers/<name> (NHWC float32): conv1, maxpool, for every\n"
            "bottleneck layerL.B: layerL.B.conv1, layerL.B.conv2, layerL.B.conv3 (before the\n"
            "add), layerL.B.downsample (first block of each stage), layerL.B (after add and\n"
            "relu); then avgpool [N,1,1,2048] and fc [N,1,1,1000]."))
    r.add_argument("--image-size", type=int, default=224, metavar="S", help="default 224")
    r.add_argument("--batch", type=int, default=1, metavar="N", help="default 1")
    r.add_argument("--seed", type=int, default=0, help="default 0")
    r.add_argument("--state-dict", metavar="FILE.pt", help="load these weights instead")
    r.add_argument("--layers", action="store_true", help="write every layer's output")
    r.add_argument("--nchw", action="store_true", help="store /input as NCHW")
    r.add_argument("--weights", required=True, metavar="WEIGHTS.h5")
    r.add_argument("--output", required=True, metavar="REF.h5")
    r.set_defaults(run=cmd_resnet50)

    args = p.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
