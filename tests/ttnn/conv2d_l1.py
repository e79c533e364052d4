#!/usr/bin/env python3
"""TTNN's conv2d L1 rules, transcribed by hand into Python (standard library only).

Given a conv2d configuration, plan(cfg) returns what current TTNN (tenstorrent/tt-metal)
would allocate per core: the block configuration, every circular buffer (CB) with TTNN's
name for it, the sharded L1 buffers (input shard, halo output, conv output), the device
L1 map, whether it fits, and TTNN's own error text when it does not.

This is an independent transcription of TTNN's C++ rules, not a port of its code. Each
rule cites its source as  [file @ commit, function].  Short names used below:

  CBI  = ttnn/cpp/ttnn/operations/conv/conv2d/conv2d_op_program_factory_common.cpp
         @ f3c1ee7ec100a0a965df79edf9936c95734743ea  (get_cb_info, is_split_reader_*)
  CU   = ttnn/cpp/ttnn/operations/conv/conv2d/conv2d_utils.cpp
         @ 71ff3c1d7daa9b533f90160fdb6b853f625bc7f2  (block config, parallel config,
         auto shard, calculate_L1_usage[_for_conv_op]); identical for groups == 1 to the
         other current version @ 002a3f412aeb6ef4694a16b4a0b4cea32d60281e
  C2D  = ttnn/cpp/ttnn/operations/conv/conv2d/conv2d.cpp
         @ 645aa768b452a27ebbde3638065135876dd8a627  (conv2d_L1: defaults, halo, matmul path)
  SD   = ttnn/cpp/ttnn/operations/conv/conv2d/device/factory/conv2d_sharded_descriptor.cpp
         @ 4eb69c73a6fbf56c080f8851ec42202b2429c72c  (height/block program, CB creation order)
  WSD  = ttnn/cpp/ttnn/operations/conv/conv2d/device/factory/conv2d_width_sharded_descriptor.cpp
         @ 2cd8410395ff0174ac5b2b3e6fb0900f66c0dee2  (width program)
  PW   = ttnn/cpp/ttnn/operations/conv/conv2d/prepare_conv2d_weights.cpp
         @ 002a3f412aeb6ef4694a16b4a0b4cea32d60281e  (weight matrix padding)
  CFG  = ttnn/cpp/ttnn/operations/conv/conv2d/device/conv2d_device_operation_types.hpp
         @ 1d3ac3f8d868cb713990cd3e18147559bad6cfda  (Conv2dConfig defaults)
  SW   = ttnn/cpp/ttnn/operations/sliding_window/sliding_window.cpp (newest stored text,
         the one with calculate_precise_halo_output_elems; index id 7186334245; the
         reader-indices config layout from @ 00002df221d980138d62a328a9b8fa6b8e788ee4)
  HALO = ttnn/cpp/ttnn/operations/sliding_window/halo/device/halo_device_operation.cpp
         @ bc2f139826cc541283d99145248dcb6e0a392517 (halo output shard)
  UWH  = ttnn/cpp/ttnn/operations/sliding_window/halo/device/untilize_with_halo_program_factory.cpp
         @ b844a98d7f6f045dbe872df83cfa37cbd29be3a2 (halo program CBs)
  MM1D = ttnn/cpp/ttnn/operations/matmul/device/factory/matmul_multicore_reuse_mcast_1d_program_factory.cpp
         @ 86aa094974e2a818d83a1588fe1ad61457e85693 (process_mcast_in1_program_and_create_override_variables)
  MM2D = ttnn/cpp/ttnn/operations/matmul/device/factory/matmul_multicore_reuse_mcast_2d_program_factory.cpp
         @ 043b5ac261d74cd5543a2d73edd684ac5446bdc1
  PRG  = tt_metal/impl/program/program.cpp @ 5cd3a453f15f34d99747f21b395fe84e6551ab71
         (ProgramImpl::allocate_circular_buffers, validate_circular_buffer_region)
  BM   = tt_metal/impl/allocator/bank_manager.cpp (BankManager::allocate_buffer, OOM text)
  WHMM = tt_metal/hw/inc/internal/tt-1xx/wormhole/dev_mem_map.h @ 42bfdec046d219c23a9291f0113185bfc4a4f5b9
  WHHAL= tt_metal/llrt/hal/tt-1xx/wormhole/wh_hal_tensix.cpp @ 42bfdec046d219c23a9291f0113185bfc4a4f5b9
  BHMM = tt_metal/hw/inc/internal/tt-1xx/blackhole/dev_mem_map.h @ 0079e942208586ff1e7ab8e3349ed91b3d93e8f5
  BHHAL= tt_metal/llrt/hal/tt-1xx/blackhole/bh_hal_tensix.cpp @ 0266e6f1f3b025345ea752018469941cada53034

Limits (also in NOTES.md): groups == 1 only; no conv_transpose, no DRAM slicing, no
kernel-stride folding (enable_kernel_stride_folding); the ResNet stem is given in the
folded form TTNN actually runs. Halo config tensors (L1_SMALL) are not sized.
"""

import math
import struct

# --------------------------------------------------------------------------------------
# Device L1 map per arch.
# --------------------------------------------------------------------------------------

TILE = 32


def _wh_mem_map_end():
    # WHMM: MEM_MAILBOX_BASE 16, MEM_MAILBOX_SIZE 12768, zeros 512 (32-aligned), LLK debug 1024,
    # firmware BRISC 6K, NCRISC 2048, TRISC0/1/2 1536 each, NOC counters 5*2*2*4, fabric counters
    # 3*2*4+8, fabric connection lock 144, routing table base(484)+1d path(256)+2d path(512),
    # exit node table 1024 + padding 12, fabric connections 656, packet header pool 112*4*2*2
    # (MaxDMProcessorsPerCoreType = 2).
    mailbox_end = 16 + 12768
    zeros = (mailbox_end + 31) & ~31
    brisc_fw = zeros + 512 + 1024
    noc_counter = brisc_fw + 6 * 1024 + 2048 + 3 * 1536
    lock = noc_counter + 5 * 2 * 2 * 4 + (3 * 2 * 4 + 8)
    routing_table = lock + 144
    exit_table = routing_table + 484 + 256 + 512
    fabric_conn = exit_table + 1024 + 12
    pool = fabric_conn + 656
    return pool + 112 * 4 * 2 * 2


def _bh_mem_map_end():
    # BHMM: MEM_MAILBOX_BASE 96, size 13168, zeros 512, LLK 1024, BRISC fw 6K+2560, NCRISC and
    # TRISC0/1/2 2560 each, NOC counters 80, fabric counters 32, lock 144, routing table
    # base(516) + union paths(1024), exit table 1024 + 12, connections 656, headers 144*6*2*2.
    mailbox_end = 96 + 13168
    zeros = (mailbox_end + 31) & ~31
    brisc_fw = zeros + 512 + 1024
    noc_counter = brisc_fw + (6 * 1024 + 2560) + 2560 + 3 * 2560
    lock = noc_counter + 80 + 32
    routing_table = lock + 144
    exit_table = routing_table + 516 + 1024
    fabric_conn = exit_table + 1024 + 12
    pool = fabric_conn + 656
    return pool + 144 * 6 * 2 * 2


def _unreserved(mem_map_end, max_alignment):
    # WHHAL/BHHAL create_tensix_mem_map: DEFAULT_UNRESERVED =
    #   ((MEM_MAP_END + default_l1_kernel_config_size - 1) | (max_alignment - 1)) + 1,
    # default_l1_kernel_config_size = 69 * 1024, max_alignment = max(DRAM_ALIGNMENT, L1_ALIGNMENT).
    return ((mem_map_end + 69 * 1024 - 1) | (max_alignment - 1)) + 1


ARCHS = {
    # l1_size: MEM_L1_SIZE (= soc descriptor worker_l1_size, Device::l1_size_per_core, the
    # "max L1 size" of the CB error). base: the L1 allocator base = start of the CB region
    # (device init: worker_l1_unreserved_start = align(L1_BASE + L1_SIZE - worker_l1_size,
    # max_alignment) with worker_l1_size defaulting to the DEFAULT_UNRESERVED size).
    "wormhole_b0": {
        "l1_size": 1464 * 1024,                   # WHMM MEM_L1_SIZE = 1,499,136
        "mem_map_end": _wh_mem_map_end(),         # 32,128
        "l1_alignment": 16,                       # hal L1 alignment (NoC L1 16 B)
        "dram_alignment": 32,                     # hal DRAM alignment (WH 32 B)
        "grid": (8, 8),
        "is_blackhole": False,
    },
    "blackhole": {
        "l1_size": 1536 * 1024,                   # BHMM MEM_L1_SIZE = 1,572,864
        "mem_map_end": _bh_mem_map_end(),         # 40,704
        "l1_alignment": 16,
        "dram_alignment": 64,                     # BH DRAM alignment 64 B
        "grid": (13, 10),                         # p150 compute grid (DESIGN.md section 1)
        "is_blackhole": True,
    },
}
for _a in ARCHS.values():
    _a["base"] = _unreserved(_a["mem_map_end"], max(_a["l1_alignment"], _a["dram_alignment"]))
# wormhole_b0 base = 102,784 (0x19180); blackhole base = 111,360 (0x1B300; tt-mlir's
# Blackhole system descriptors carry the same l1_unreserved_base = 111360).

# tt_metal/hostdevcommon/api/hostdevcommon/common_values.hpp: DEFAULT_L1_SMALL_SIZE = 0.
DEFAULT_L1_SMALL_SIZE = 0

# Tile sizes in bytes, tt::tile_size(DataFormat) for a 32x32 tile.
TILE_BYTES = {"bfloat16": 2048, "float32": 4096, "bfloat8_b": 1088, "bfloat4_b": 576, "uint16": 2048}
DATUM = {"bfloat16": 2, "float32": 4, "uint16": 2}

# matmul/device utilities: MCAST_INPUT_BUFFERING_DEPTH (2 by default; see NOTES.md).
MCAST_INPUT_BUFFERING_DEPTH = 2


def round_up(a, b):
    return ((a + b - 1) // b) * b


def div_up(a, b):
    return (a + b - 1) // b


# --------------------------------------------------------------------------------------
# Divisor helpers [CU].
# --------------------------------------------------------------------------------------

def find_closest_largest_divisor(num, start):
    d = start
    while num % d != 0:
        d -= 1
    return d


def find_closest_largest_divisor2(num1, num2, start):
    d = start
    while num1 % d != 0 or num2 % d != 0:
        d -= 1
    return d


def find_closest_largest_divisor_with_num_padding(num, start):
    d = start
    padded = round_up(num, d)
    while (padded - num) >= padded // d:
        d -= 1
        padded = round_up(num, d)
    return d


def find_closest_largest_divisor_with_num_padding_and_mult(num, start, mult):
    d = start
    padded = round_up(num, d * mult)
    while (padded - num) >= padded // d and d > 1:
        d -= 1
        padded = round_up(num, d * mult)
    return d


def num_cores_to_grid(n, grid):
    """tt::tt_metal::num_cores_to_corerangeset(n, grid, row_wise=true): full rows of grid.x
    then a partial row. Returns the bounding box size (x, y)."""
    gx, gy = grid
    assert n <= gx * gy, "more cores than the grid has"
    if n >= gx:
        return (gx, div_up(n, gx))
    return (n, 1)


# --------------------------------------------------------------------------------------
# Parallel and block configuration [CU].
# --------------------------------------------------------------------------------------

def get_input_channels_alignment(layout, input_layout, is_mm_conv, l1_alignment=16):
    # CU get_input_channels_alignment (no input memory config): non-matmul, not width
    # sharded, row-major input -> L1 alignment / 2 = 8 channels; otherwise TILE_WIDTH.
    if not is_mm_conv and layout != "width" and input_layout == "ROW_MAJOR":
        return l1_alignment // 2
    return TILE


def determine_parallel_config(layout, batch, in_c, out_h, out_w, out_c, align, grid,
                              enable_channels_padding, act_block_h_override=0):
    """CU determine_parallel_config, ROW_MAJOR block orientation (transpose_shards False).
    Returns dict(num_cores_nhw, num_cores_c, grid_size=(x, y), num_cores)."""
    out_nhw_ntiles = div_up(batch * out_h * out_w, TILE)
    out_c_ntiles = div_up(out_c, TILE)
    mult = 1 if act_block_h_override == 0 else act_block_h_override // TILE
    max_cores = grid[0] * grid[1]
    if layout == "height":
        n = find_closest_largest_divisor_with_num_padding_and_mult(out_nhw_ntiles, max_cores, mult)
        return {"num_cores_nhw": n, "num_cores_c": 1, "grid_size": num_cores_to_grid(n, grid), "num_cores": n}
    if layout == "block":
        in_blocks = div_up(in_c, align)
        nhw = find_closest_largest_divisor_with_num_padding_and_mult(out_nhw_ntiles, grid[1], mult)
        if enable_channels_padding:
            c = find_closest_largest_divisor_with_num_padding(in_blocks, grid[0])
        else:
            c = find_closest_largest_divisor2(out_c_ntiles, in_blocks, grid[0])
        return {"num_cores_nhw": nhw, "num_cores_c": c, "grid_size": (c, nhw), "num_cores": c * nhw}
    if layout == "width":
        in_ntiles = div_up(in_c, TILE)
        if enable_channels_padding:
            c = find_closest_largest_divisor_with_num_padding(in_ntiles, max_cores)
        else:
            c = find_closest_largest_divisor(in_ntiles, max_cores)
        return {"num_cores_nhw": 1, "num_cores_c": c, "grid_size": num_cores_to_grid(c, grid), "num_cores": c}
    raise ValueError(layout)


def determine_output_parallel_config(inp, grid, out_c, is_mm_conv):
    # CU determine_output_parallel_config
    out = dict(inp)
    if is_mm_conv:
        return out
    out_c_ntiles = div_up(out_c, TILE)
    if inp["layout"] == "width":
        c = find_closest_largest_divisor_with_num_padding(out_c_ntiles, grid[0] * grid[1])
        out.update(num_cores_c=c, grid_size=num_cores_to_grid(c, grid), num_cores=c)
    elif inp["layout"] == "block":
        c = find_closest_largest_divisor_with_num_padding(out_c_ntiles, grid[0])
        out.update(num_cores_c=c, grid_size=(c, inp["num_cores_nhw"]), num_cores=c * inp["num_cores_nhw"])
    return out


def determine_largest_subblock_size(block_h, block_w, fp32_accum):
    # CU determine_largest_subblock_size
    subblocks = [(2, 4), (4, 2), (1, 8), (8, 1), (1, 7), (7, 1), (2, 3), (3, 2), (1, 6), (6, 1),
                 (1, 5), (5, 1), (2, 2), (1, 4), (4, 1), (1, 3), (3, 1), (1, 2), (2, 1), (1, 1)]
    for sh, sw in subblocks:
        if fp32_accum and sh * sw > 4:
            continue
        if block_h % sh == 0 and block_w % sw == 0:
            if sw != block_w and sh != 1:
                continue
            return sh, sw
    raise RuntimeError("Could not find valid subblock size")


def determine_block_config(layout, num_cores_c_in, num_cores_total, per_core_out_h, per_core_out_w,
                           padded_in_channels, act_block_h_override, act_block_w_div, kh, kw,
                           output_width, fp32_accum, full_inner_dim, activation_reuse):
    """CU determine_per_core_conv_block_config (groups == 1, not 1D depthwise)."""
    act_block_h = per_core_out_h
    if act_block_h_override > 0:
        o = act_block_h_override // TILE
        if per_core_out_h % o == 0:
            act_block_h = o
        else:  # TTNN logs a warning and takes the closest divisor below
            act_block_h = find_closest_largest_divisor(per_core_out_h, o)
    if layout == "height" and activation_reuse:
        if not act_block_h > div_up(output_width, TILE):
            raise ValueError("Activation reuse needs act block h ({}) to be bigger than output image "
                             "width in tiles ({})".format(act_block_h, div_up(output_width, TILE)))
    if layout == "height":
        w = round_up(padded_in_channels * (kh * kw if activation_reuse else kw), TILE)
    elif layout == "block":
        w = round_up(padded_in_channels // num_cores_c_in * kw * (kh if full_inner_dim else 1), TILE)
    else:
        if padded_in_channels % (32 * num_cores_total * act_block_w_div) != 0:
            raise ValueError("Padded In Channels = {}, num_cores = {}, act_block_w_div = {}".format(
                padded_in_channels, num_cores_total, act_block_w_div))
        w = padded_in_channels * kh * kw // (num_cores_total * act_block_w_div)
    assert w % TILE == 0
    sh, sw = determine_largest_subblock_size(act_block_h, per_core_out_w, fp32_accum)
    return {"act_block_h_ntiles": act_block_h, "act_block_w_ntiles": w // TILE,
            "out_subblock_h_ntiles": sh, "out_subblock_w_ntiles": sw}


def use_matmul_for_1x1_conv(k, s, pad4, dil, layout):
    # CU use_matmul_for_1x1_conv
    return (k == (1, 1) and s[0] == s[1] == 1 and pad4 == (0, 0, 0, 0) and dil == (1, 1)
            and layout != "width")


def conv_skip_mcast(layout, nhw, c_in, c_out):
    # CU conv_skip_mcast -> (skip_activation_mcast, skip_weights_mcast)
    if layout in ("block", "width"):
        return (c_out == 1 and c_in == 1), nhw == 1
    s = nhw * c_out == 1
    return s, s


def determine_packer_l1_acc(packer_l1_acc, bias, in0_num_blocks_w):
    # CU determine_packer_l1_acc
    return packer_l1_acc and ((bias and in0_num_blocks_w > 1) or in0_num_blocks_w > 2)


# --------------------------------------------------------------------------------------
# Split reader viability [CBI]. C++ uses float; we round to float32 after each step.
# --------------------------------------------------------------------------------------

def _f(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def _rate(size, params, min_size=16):
    thr, lo, hi = params
    eff = min(max(size, min_size), thr)
    slope = _f(_f(hi - lo) / _f(float(thr - min_size)))
    return _f(lo + _f(slope * (eff - min_size)))


_TILIZE_CYCLES = {  # CBI get_tilize_cycles_per_tile [arch][halo dtype][out dtype] = (no fp32, fp32)
    True: {"float32": {"float32": (132, 132), "bfloat16": (132, 80), "bfloat8_b": (132, 77)},
           "bfloat16": {"float32": (105, 128), "bfloat16": (72, 72), "bfloat8_b": (60, 60)}},
    False: {"float32": {"float32": (107, 128), "bfloat16": (74, 74), "bfloat8_b": (74, 70)},
            "bfloat16": {"float32": (92, 117), "bfloat16": (61, 68), "bfloat8_b": (40, 43)}},
}


def is_split_reader_viable(layout, act_block_h, in_c_padded, kw, is_bh, input_dtype, weights_block_ntiles,
                           weights_tile, dilation_w, act_block_w, fp32_acc, output_dtype, act_reuse):
    if layout == "block" or act_reuse:
        return True
    clock = 1.35 if is_bh else 1.0
    bpe = 4 if input_dtype == "float32" else 2
    halo_dtype = "float32" if input_dtype == "float32" else "bfloat16"
    unit = bpe * in_c_padded * (kw if dilation_w == 1 else 1)
    local = _rate(unit, (4096, 1.124, 80.48) if is_bh else (1024, 0.868, 27.84))
    act_bytes = bpe * act_block_h * TILE * in_c_padded * kw
    act_cycles = _f(_f(clock * float(act_bytes)) / local)
    w_bytes = weights_tile * weights_block_ntiles
    mcast = _rate(w_bytes, (65536, 0.182, 57.677) if is_bh else (65536, 0.318, 25.345))
    dram = _rate(weights_tile, (2048, 0.671, 80.885) if is_bh else (2048, 0.436, 28.411))
    w_cycles = _f(_f(clock * float(w_bytes)) * _f(_f(1.0 / dram) + _f(1.0 / mcast)))
    tilize = _f(float(_TILIZE_CYCLES[is_bh][halo_dtype][output_dtype][1 if fp32_acc else 0]
                      * act_block_w * act_block_h))
    return _f(_f(act_cycles / 2) + max(w_cycles, tilize)) < max(_f(act_cycles + tilize), w_cycles)


def calculate_act_cb_size_with_reuse(abh, abw, out_w, padded_in_c, kh, kw, input_tile, input_dtype):
    # CBI calculate_act_cb_size_with_reuse (input_dtype is the conv op's input: the halo output).
    iwt = div_up(out_w, TILE)
    loops = math.ceil(abh / iwt)
    mod = out_w % TILE
    leftover = 0 if mod == 0 else TILE - mod
    if input_dtype not in ("float32", "bfloat16"):
        # tt::datum_size throws for block-float formats
        raise ValueError("datum for bfp2, bfp4, bfp8 is invalid")
    ds = DATUM[input_dtype]
    length = loops * padded_in_c * kw * (1 + leftover * kh) * ds
    return iwt * abw + div_up(length, input_tile)


# --------------------------------------------------------------------------------------
# get_cb_info [CBI]: the conv2d circular buffers, in TTNN's order.
# --------------------------------------------------------------------------------------

def get_cb_info(c, layout, blk, per_core_h, per_core_w, weights_shape, input_dtype, output_dtype,
                weights_dtype, fp32_acc, packer_l1_acc, bias, in_c_padded, skip_act_cb_create, is_bh,
                output_width):
    """Returns (list of CB dicts in creation order, info dict). A CB dict has name, pages,
    page_size, global (backed by an L1 buffer: no CB-region space), overlapped (shares another
    CB: no space)."""
    kh, kw = c["kernel"]
    untilize_out = c["output_layout"] == "ROW_MAJOR"
    conv_in = "float32" if input_dtype == "float32" else "bfloat16"     # halo output is RM bf16/fp32
    in_tile = TILE_BYTES[conv_in]
    w_tile = TILE_BYTES[weights_dtype]
    out_tile = TILE_BYTES[output_dtype]
    abh, abw = blk["act_block_h_ntiles"], blk["act_block_w_ntiles"]
    reuse = c["enable_activation_reuse"]
    num_blocks_act_h = per_core_h // abh
    padded_in_channels = weights_shape[2] // (kh * kw)

    supported = layout in ("height", "block") and abh > 1
    viable = is_split_reader_viable(layout, abh, in_c_padded, kw, is_bh, input_dtype, per_core_w * abw, w_tile,
                                    c["dilation"][1], abw, fp32_acc, output_dtype, reuse)
    split = supported and (c["force_split_reader"] if c["force_split_reader"] is not None else viable)

    act_split = 0
    if not split:
        act = abh * abw
    else:
        last = abh // 2
        first = abh - last
        if not reuse:
            act, act_split = first * abw, last * abw
        else:
            act = calculate_act_cb_size_with_reuse(first, abw, output_width, padded_in_channels, kh, kw,
                                                   in_tile, input_dtype)
            act_split = calculate_act_cb_size_with_reuse(last, abw, output_width, padded_in_channels, kh, kw,
                                                         in_tile, input_dtype)

    w_h_ntiles, w_w_ntiles = weights_shape[2] // TILE, weights_shape[3] // TILE
    num_blocks_act_w = w_h_ntiles // abw
    conv_act_c_blocks = w_w_ntiles // per_core_w
    in0_num_blocks_w = num_blocks_act_w * conv_act_c_blocks if layout == "block" else num_blocks_act_w
    pl1 = determine_packer_l1_acc(packer_l1_acc, bias, in0_num_blocks_w)
    partial_dtype = ("float32" if fp32_acc else "bfloat16") if pl1 else output_dtype

    cbs = []
    # Weights CB
    wb = per_core_w * abw
    if layout == "height":
        if not reuse:
            if num_blocks_act_h > 1:
                wb *= kh                       # "fully buffered": all kernel rows
            elif c["enable_weights_double_buffer"]:
                wb *= 2
    elif c["enable_weights_double_buffer"]:
        wb *= 2
    cbs.append(dict(name="WEIGHTS", pages=wb, page_size=w_tile))
    # Matmul partials CB: shares the output buffer unless the output is row-major or the
    # partials format differs from the output format.
    cbs.append(dict(name="MATMUL_PARTIALS", pages=per_core_h * per_core_w, page_size=TILE_BYTES[partial_dtype],
                    glob=(not untilize_out and partial_dtype == output_dtype)))
    overlap_im2col = layout == "block" and conv_in == output_dtype and not skip_act_cb_create
    if c["enable_act_double_buffer"]:
        act *= 2
        act_split *= 2
    act_page = in_tile if layout == "height" else out_tile
    overlap_act = layout != "height" and skip_act_cb_create
    cbs.append(dict(name="ACT", pages=0 if overlap_act else (act if layout == "height" else act + act_split),
                    page_size=act_page, overlapped_by="ACT_TILIZED" if overlap_act else None))
    cbs.append(dict(name="ACT_SECOND_READER", pages=0 if overlap_im2col else act_split, page_size=in_tile))
    cbs.append(dict(name="TEMP_SUM", pages=0, page_size=out_tile))          # 1D depthwise only
    cbs.append(dict(name="ACT_TILIZED", pages=abh * abw, page_size=out_tile))
    cbs.append(dict(name="BIAS", pages=per_core_w if bias else 0, page_size=w_tile))
    rm = abw * 2 if layout == "width" else (act if layout == "block" else 0)
    cbs.append(dict(name="ACT_ROW_MAJOR_BFLOAT16", pages=0 if overlap_im2col else rm, page_size=in_tile,
                    overlapped_by="ACT" if overlap_im2col else None))
    cbs.append(dict(name="OUT", pages=per_core_h * per_core_w, page_size=out_tile, glob=True))
    cbs.append(dict(name="READER_INDICES", pages=1, page_size=per_core_h * TILE * 2,
                    glob=not c["config_tensors_in_dram"]))
    cbs.append(dict(name="L1_ARRAY", pages=1, page_size=64))
    cbs.append(dict(name="ACT_SHARDED", pages=0, page_size=0, glob=True))   # sized by the caller
    info = {"split_reader": split, "split_reader_viable": viable, "num_blocks_act_h": num_blocks_act_h,
            "num_blocks_act_w": num_blocks_act_w, "in0_num_blocks_w": in0_num_blocks_w,
            "packer_l1_acc_en": pl1, "partials_dtype": partial_dtype}
    return cbs, info


# --------------------------------------------------------------------------------------
# Weight matrix shape after prepare_conv_weights [PW].
# --------------------------------------------------------------------------------------

def weights_matrix_shape(layout, is_mm, in_c_padded, out_c_padded, kh, kw, blk, nc_in, full_inner_dim, reuse,
                         interleaved_mm=False):
    """[1, 1, rows, cols] of the prepared weights. out_c_padded is already padded to
    num_cores_c_out * 32 (calculate_out_channels_padded)."""
    if interleaved_mm:
        return (1, 1, round_up(kh * kw * in_c_padded, TILE), round_up(out_c_padded, TILE))
    abw = blk["act_block_w_ntiles"]
    cols = round_up(out_c_padded, blk["out_subblock_w_ntiles"] * TILE)
    if layout == "height":        # to_weight_special_padding_tile_layout
        rows = abw * TILE if reuse else abw * TILE * kh
        return (1, 1, rows, cols)
    if layout == "block":         # to_weight_tile_layout_block_sharded
        cs = in_c_padded // nc_in
        rows = in_c_padded * kh * kw
        padded = round_up(cs * kw * kh, TILE) if full_inner_dim else round_up(cs * kw, TILE) * kh
        if cs * kh * kw < padded:
            rows = padded * nc_in
        return (1, 1, rows, out_c_padded)
    rows = round_up(in_c_padded * kh * kw, abw * TILE)   # to_weight_tile_layout (width)
    return (1, 1, rows, cols)


# --------------------------------------------------------------------------------------
# Sliding window: output size, shard boundaries, halo output sticks [SW].
# --------------------------------------------------------------------------------------

def output_hw(c):
    (ih, iw), (kh, kw), (sh, sw), (dh, dw) = (c["in_h"], c["in_w"]), c["kernel"], c["stride"], c["dilation"]
    p = c["pad4"]
    oh = (ih + p[0] + p[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (iw + p[2] + p[3] - dw * (kw - 1) - 1) // sw + 1
    return oh, ow


class _Trace:
    """op_trace_metadata[i] without building the list (generate_op_trace_metadata)."""

    def __init__(self, c):
        self.oh, self.ow = output_hw(c)
        p = c["pad4"]
        self.hp, self.wp = c["in_h"] + p[0] + p[1], c["in_w"] + p[2] + p[3]
        self.sh, self.sw = c["stride"]
        self.n = c["batch"] * self.oh * self.ow

    def __getitem__(self, i):
        b, r = divmod(i, self.oh * self.ow)
        h, w = divmod(r, self.ow)
        return b * self.hp * self.wp + h * self.sh * self.wp + w * self.sw


def shard_boundaries(c, num_cores_nhw):
    """generate_shard_boundaries (snap_to_tile = true, not bilinear, not transpose)."""
    t = _Trace(c)
    shard_h = round_up(t.n, num_cores_nhw * TILE) // num_cores_nhw
    (kh, kw), (dh, dw) = c["kernel"], c["dilation"]
    dkh, dkw = kh + (dh - 1) * (kh - 1), kw + (dw - 1) * (kw - 1)
    halo_len = (dkh - 1) * t.wp + dkw - 1
    out, start = [], 0
    for _ in range(num_cores_nhw):
        end = min(start + shard_h, t.n) - 1
        in_start = t[min(start, t.n - 1)]
        in_end = t[end] + halo_len
        if in_start == 0 and start != 0:
            in_start = t[end] + 1
            in_end = in_start - 1
        out.append(((start, end), (in_start, in_end)))
        start = end + 1
    return out, t


def max_out_nsticks_per_core(c, num_cores_nhw):
    # generate_max_out_nsticks_per_core; HALO: halo output shard height is exactly this.
    b, _ = shard_boundaries(c, num_cores_nhw)
    return max(ie - is_ + 1 for _, (is_, ie) in b)


def reader_indices_len(c, num_cores_nhw, reader0, reader1):
    """generate_sliding_window_op_config(is_conv=true, pad_cores=true) entries per core, then
    construct_on_host_config_tensor's pad to an even length."""
    b, t = shard_boundaries(c, num_cores_nhw)
    stride_w = c["stride"][1]
    longest = 0
    for (os_, oe), _ in b:
        if os_ >= t.n:
            continue
        n, new_block, last, remaining, use0 = 0, True, 0, 0, True
        base = t[os_]
        for i in range(os_, oe + 1):
            rel = t[i] - base
            if new_block:
                remaining = reader0 if (reader1 == 0 or use0) else reader1
                n += 3
                new_block = False
            elif rel != last + stride_w:
                n += 2
            remaining -= 1
            last = rel
            if remaining == 0 or i == oe:
                n += 1
                new_block = True
                use0 = not use0
        longest = max(longest, n)
    return longest + (longest % 2)


# --------------------------------------------------------------------------------------
# L1 allocator (top-down) and the CB region [BM, PRG].
# --------------------------------------------------------------------------------------

class L1:
    """One core's L1 bank: buffers are placed top-down in [base, top), top = l1_size -
    l1_small_size. A buffer is placed at the top of the highest free block that fits
    (first allocation lands at top - size, as BankManager's tests expect)."""

    def __init__(self, arch, l1_small_size, num_banks):
        self.arch = arch
        self.base = arch["base"]
        self.top = arch["l1_size"] - l1_small_size
        self.align = arch["l1_alignment"]
        self.num_banks = num_banks
        self.used = {}      # name -> (addr, size)
        self.error = None

    def free_blocks(self):
        taken = sorted(self.used.values())
        blocks, cur = [], self.base
        for a, s in taken:
            if a > cur:
                blocks.append((cur, a))
            cur = max(cur, a + s)
        if cur < self.top:
            blocks.append((cur, self.top))
        return blocks

    def alloc(self, name, size_per_bank, num_banks=None):
        size = round_up(size_per_bank, self.align)
        for lo, hi in sorted(self.free_blocks(), key=lambda b: -b[1]):
            if hi - lo >= size:
                self.used[name] = ((hi - size) // self.align * self.align, size)
                return self.used[name][0]
        nb = num_banks or self.num_banks
        allocated = sum(s for _, s in self.used.values())
        blocks = self.free_blocks()
        self.error = self.error or (
            "Out of Memory: Not enough space to allocate {} B L1 buffer across {} banks, where each bank needs to "
            "store {} B, but bank size is {} B (allocated: {} B, free: {} B, largest free block: {} B)".format(
                size * nb, nb, size, self.top - self.base, allocated, (self.top - self.base) - allocated,
                max([h - l for l, h in blocks] or [0])))
        return None

    def free(self, name):
        self.used.pop(name, None)

    def lowest(self):
        return min([a for a, _ in self.used.values()] or [None]) if self.used else None


def cb_region(cbs, arch):
    """PRG allocate_circular_buffers: local CBs one after the other from the allocator base,
    each address aligned to the DRAM alignment. Returns (end, [(name, addr, size)])."""
    addr, placed = arch["base"], []
    for cb in cbs:
        if cb["pages"] == 0 or cb.get("glob") or cb.get("overlapped_by"):
            continue
        addr = round_up(addr, arch["dram_alignment"])
        size = cb["pages"] * cb["page_size"]
        placed.append((cb["name"], addr, size))
        addr += size
    return addr, placed


def core_range_str(gx, gy):
    return "[(x=0,y=0) - (x={},y={})]".format(gx - 1, gy - 1)


def validate_cb_region(end, lowest, arch, crange):
    # PRG validate_circular_buffer_region: TTNN's two messages.
    if end > arch["l1_size"]:
        return ("Statically allocated circular buffers on core range {} grow to {} B which is beyond max L1 size "
                "of {} B".format(crange, end, arch["l1_size"]))
    if lowest is not None and lowest < end:
        return ("Statically allocated circular buffers in program {{id}} clash with L1 buffers on core range {}. "
                "L1 buffer allocated at {} and static circular buffer region ends at {}".format(crange, lowest, end))
    return None


# --------------------------------------------------------------------------------------
# Configuration defaults [CFG, C2D].
# --------------------------------------------------------------------------------------

DEFAULTS = dict(
    batch=1, dilation=(1, 1), groups=1, bias=True, arch="wormhole_b0", grid=None,
    shard_layout=None,                 # None: TTNN's automatic choice
    input_dtype="bfloat16", weights_tensor_dtype="bfloat16", weights_dtype=None, output_dtype=None,
    input_layout="ROW_MAJOR", output_layout="TILE",
    act_block_h_override=0, act_block_w_div=1,
    enable_act_double_buffer=False, enable_weights_double_buffer=False, full_inner_dim=False,
    enable_activation_reuse=False, force_split_reader=None,
    config_tensors_in_dram=False, deallocate_activation=False, reallocate_halo_output=True,
    fp32_dest_acc_en=None, packer_l1_acc=None,
    l1_small_size=DEFAULT_L1_SMALL_SIZE,
)


def normalize(cfg):
    c = dict(DEFAULTS)
    c.update(cfg)
    for k in ("kernel", "stride", "dilation"):
        v = c[k]
        c[k] = (v, v) if isinstance(v, int) else tuple(v)
    p = c.get("padding", 0)
    if isinstance(p, int):
        p = (p, p)
    p = tuple(p)
    c["pad4"] = (p[0], p[0], p[1], p[1]) if len(p) == 2 else p
    if c["grid"] is None:
        c["grid"] = ARCHS[c["arch"]]["grid"]
    c["grid"] = tuple(c["grid"])
    if c["groups"] != 1:
        raise ValueError("only groups == 1 is transcribed")
    # C2D: weights dtype from conv_config.weights_dtype, else the weight tensor's dtype.
    if c["weights_dtype"] is None:
        c["weights_dtype"] = c["weights_tensor_dtype"]
    # C2D: output dtype defaults to the input tensor's dtype.
    if c["output_dtype"] is None:
        c["output_dtype"] = c["input_dtype"]
    # CU get_conv_default_compute_kernel_config: HiFi4, approx on, fp32_dest_acc only when the
    # input and weights are both float32, packer_l1_acc off.
    if c["fp32_dest_acc_en"] is None:
        c["fp32_dest_acc_en"] = c["input_dtype"] == "float32" and c["weights_dtype"] == "float32"
    if c["packer_l1_acc"] is None:
        c["packer_l1_acc"] = False
    # C2D conv2d_L1: activation reuse turns both double buffers off.
    if c["enable_activation_reuse"]:
        c["enable_act_double_buffer"] = False
        c["enable_weights_double_buffer"] = False
    if c["output_layout"] == "ROW_MAJOR" and c["output_dtype"] not in ("bfloat16", "float32"):
        raise ValueError("Untilize output requires BFLOAT16 or FLOAT32 data type")
    return c


# --------------------------------------------------------------------------------------
# Shard shapes [CU determine_input_memory_config, get_conv_configs].
# --------------------------------------------------------------------------------------

def configs_for(c, layout, is_mm, for_estimate=False):
    """Parallel config, input shard, output shard and block config for one layout."""
    arch = ARCHS[c["arch"]]
    oh, ow = output_hw(c)
    given = None if for_estimate else c.get("input_shard")
    if given:
        # C2D/CU get_conv_padded_input_shape_and_mem_config: an input already sharded in L1
        # (and reshard_if_not_optimal false) keeps its own grid; the channel alignment then
        # comes from its shard width (32, 16 or 8).
        sw = given["shape"][1]
        align = TILE if (is_mm or layout == "width" or sw % 32 == 0) else (16 if sw % 16 == 0 else 8)
        n_nhw, n_c = given["num_cores_nhw"], given.get("num_cores_c", 1)
        if layout == "height":
            gs = num_cores_to_grid(n_nhw, c["grid"])
        elif layout == "block":
            gs = (n_c, n_nhw)
        else:
            gs = num_cores_to_grid(n_c, c["grid"])
        pin = {"num_cores_nhw": n_nhw if layout != "width" else 1, "num_cores_c": n_c, "grid_size": gs,
               "num_cores": gs[0] * gs[1] if layout == "block" else (n_nhw if layout == "height" else n_c)}
    else:
        align = get_input_channels_alignment(layout, c["input_layout"], is_mm, arch["l1_alignment"])
        pin = determine_parallel_config(layout, c["batch"], c["in_c"], oh, ow, c["out_c"], align, c["grid"],
                                        not is_mm, c["act_block_h_override"])
    pin["layout"] = layout
    pout = determine_output_parallel_config(pin, c["grid"], c["out_c"], is_mm)
    nhw, nc_in, nc_out = pin["num_cores_nhw"], pin["num_cores_c"], pout["num_cores_c"]
    in_c_padded = round_up(c["in_c"], nc_in * align)
    # input shard (determine_input_memory_config)
    rsz = 1 if (layout == "width" and c["input_layout"] == "ROW_MAJOR") else TILE
    in_rows = round_up(c["batch"] * c["in_h"] * c["in_w"], nhw * rsz)
    in_shard = (in_rows // nhw, in_c_padded // nc_in)
    if given:
        in_shard = tuple(given["shape"])
    # output shard (get_conv_configs / create_sharded_memory_config_from_parallel_config)
    out_c_padded = round_up(c["out_c"], nc_out * TILE)
    nhw_out = c["batch"] * oh * ow
    out_rows = nhw_out if layout == "width" else round_up(nhw_out, nhw * TILE)
    out_shard = (out_rows // nhw, out_c_padded // nc_out)
    per_core_h, per_core_w = div_up(out_shard[0], TILE), div_up(out_shard[1], TILE)
    blk = determine_block_config(layout, nc_in, pin["num_cores"], per_core_h, per_core_w, in_c_padded,
                                 c["act_block_h_override"], c["act_block_w_div"], c["kernel"][0], c["kernel"][1],
                                 ow, c["fp32_dest_acc_en"], c["full_inner_dim"], c["enable_activation_reuse"])
    return dict(pin=pin, pout=pout, align=align, in_c_padded=in_c_padded, in_shard=in_shard,
                out_c_padded=out_c_padded, out_shard=out_shard, per_core_h=per_core_h, per_core_w=per_core_w,
                blk=blk, oh=oh, ow=ow)


def shard_bytes(shape, dtype, layout, align=16):
    h, w = shape
    if layout == "TILE":
        return div_up(h, TILE) * div_up(w, TILE) * TILE_BYTES[dtype]
    return h * round_up(w * DATUM[dtype], align)


# --------------------------------------------------------------------------------------
# TTNN's automatic shard layout [CU calculate_L1_usage_for_conv_op, determine_conv_config_for_auto_shard].
# --------------------------------------------------------------------------------------

def l1_usage_estimate(c, layout, is_mm):
    arch = ARCHS[c["arch"]]
    k = configs_for(c, layout, is_mm, for_estimate=True)
    kh, kw = c["kernel"]
    in_aligned = round_up(c["in_c"], k["align"])
    # "These are not exact shapes for weights ... good enough for L1 usage estimation."
    wshape = (1, 1, in_aligned * kh * kw, round_up(c["out_c"], TILE))
    cbs, _ = get_cb_info(c, layout, k["blk"], k["per_core_h"], k["per_core_w"], wshape, c["input_dtype"],
                         c["output_dtype"], c["weights_dtype"], c["fp32_dest_acc_en"], c["packer_l1_acc"],
                         c["bias"], k["in_c_padded"], False, arch["is_blackhole"], k["ow"])
    cb_total = sum(cb["pages"] * cb["page_size"] for cb in cbs if not cb.get("glob"))
    out = next(cb["pages"] * cb["page_size"] for cb in cbs if cb["name"] == "OUT")
    sticks = max_out_nsticks_per_core(c, k["pin"]["num_cores_nhw"])
    datum = 4 if c["input_dtype"] == "float32" else 2
    halo = sticks * k["in_shard"][1] * datum
    cores = max(k["pin"]["num_cores"], k["pout"]["num_cores"])
    return {"layout": layout, "cb": cb_total, "output": out, "halo_output": halo, "total": cb_total + out + halo,
            "core_count": cores}


def auto_shard(c, is_mm):
    """determine_conv_config_for_auto_shard: height; block if smaller and it uses at least a
    full grid row of cores (core_count >= grid.x); width if smaller still and not a matmul conv."""
    est = {}
    for lay in ("height", "block", "width"):
        try:
            est[lay] = l1_usage_estimate(c, lay, is_mm)
        except (ValueError, AssertionError, RuntimeError) as e:   # TTNN would assert; keep going
            est[lay] = {"layout": lay, "error": str(e)}
    win = est["height"]
    b, w = est["block"], est["width"]
    if "total" in b and b["total"] < win.get("total", float("inf")) and b["core_count"] >= c["grid"][0]:
        win = b
    if "total" in w and w["total"] < win.get("total", float("inf")) and not is_mm:
        win = w
    return win["layout"], est


# --------------------------------------------------------------------------------------
# The 1x1 matmul path [C2D -> ttnn::linear; MM1D, MM2D].
# --------------------------------------------------------------------------------------

def matmul_cbs(c, layout, k, wshape, in_tile_dtype):
    blk = k["blk"]
    M, N = k["per_core_h"], k["per_core_w"]
    in0_block_w = blk["act_block_w_ntiles"]
    Kt = wshape[2] // TILE
    num_blocks = Kt // in0_block_w
    B = 1                                           # fuse_batch: [1, 1, NHW, C]
    pl1 = c["packer_l1_acc"] and ((c["bias"] and num_blocks > 1) or num_blocks > 2)
    fp32 = c["fp32_dest_acc_en"]
    out_dt = c["output_dtype"]
    interm = ("float32" if fp32 else "bfloat16") if pl1 else ("float32" if fp32 else out_dt)
    untilize = False          # the conv2d matmul path does not untilize (output_layout is not passed)
    in1_num_subblocks = N // blk["out_subblock_w_ntiles"]
    separate = (interm != out_dt) or (untilize and in1_num_subblocks > 1)   # per_core_M == out_block_h
    in0_t, w_t, o_t = TILE_BYTES[in_tile_dtype], TILE_BYTES[c["weights_dtype"]], TILE_BYTES[out_dt]
    buf = MCAST_INPUT_BUFFERING_DEPTH if B * num_blocks > 1 else 1
    cbs = []
    if layout == "height":   # MM1D, mcast_in0 = false (in1 multicast); in0 read in place
        extract = (k["in_shard"][1] // TILE) // in0_block_w > 1
        cbs.append(dict(name="MM_IN0 (c_0)", pages=num_blocks * M * in0_block_w * B, page_size=in0_t,
                        glob=not extract))
        if extract:
            cbs.append(dict(name="MM_IN0_SHARDED (c_2)", pages=M * in0_block_w, page_size=in0_t, glob=True))
        cbs.append(dict(name="MM_IN1 weights (c_1)", pages=N * in0_block_w * (2 if B * num_blocks > 1 else 1),
                        page_size=w_t))
    else:                    # MM2D, in0 block sharded
        cbs.append(dict(name="MM_IN0 (c_0)", pages=M * in0_block_w * buf, page_size=in0_t))
        cbs.append(dict(name="MM_IN1 weights (c_1)", pages=N * in0_block_w * buf, page_size=w_t))
        cbs.append(dict(name="MM_IN0_SHARDED (c_2)", pages=M * (k["in_shard"][1] // TILE), page_size=in0_t,
                        glob=True))
        cbs.append(dict(name="MM_L1_ARRAY (c_6)", pages=1, page_size=64))
    if separate:
        cbs.append(dict(name="MM_INTERM0 partials (c_5)", pages=M * N, page_size=TILE_BYTES[interm]))
    cbs.append(dict(name="MM_OUT (c_4)", pages=M * N, page_size=o_t, glob=True))
    if c["bias"]:
        cbs.append(dict(name="MM_BIAS (c_3)", pages=N, page_size=w_t))
    info = {"num_blocks": num_blocks, "packer_l1_acc_en": pl1, "interm0_dtype": interm,
            "interm0_shares_out": not separate, "mcast_in0": layout != "height"}
    return cbs, info


# --------------------------------------------------------------------------------------
# plan()
# --------------------------------------------------------------------------------------

def _cb_entries(cbs, program):
    out = []
    for cb in cbs:
        if cb["pages"] == 0 and not cb.get("glob"):
            continue
        kind = "cb_alias" if (cb.get("glob") or cb.get("overlapped_by")) else "cb"
        out.append({"name": cb["name"], "kind": kind, "bytes": cb["pages"] * cb["page_size"],
                    "pages": cb["pages"], "page_size": cb["page_size"], "program": program})
    return out


def plan(cfg):
    """TTNN's answer for one conv2d. See the module docstring and NOTES.md.
    A TT_FATAL that TTNN would raise while configuring comes back as fits False with the
    message in 'error' (prefixed 'TT_FATAL: ')."""
    try:
        return _plan(cfg)
    except (ValueError, AssertionError, RuntimeError) as e:
        return {"error": "TT_FATAL: " + str(e), "fits": False, "buffers": [], "cb_total": None,
                "l1_buffers_total": None, "layout": cfg.get("shard_layout"), "block_config": None}


def _plan(cfg):
    c = normalize(cfg)
    arch = ARCHS[c["arch"]]
    kh, kw = c["kernel"]
    mm_before = use_matmul_for_1x1_conv(c["kernel"], c["stride"], c["pad4"], c["dilation"], c["shard_layout"])
    result = {"arch": c["arch"], "grid": c["grid"], "buffers": [], "error": None, "notes": []}
    layout = c["shard_layout"]
    if layout is None:
        layout, est = auto_shard(c, mm_before)
        result["auto_shard"] = est
        if mm_before:
            # C2D shard_or_reshard_tensor_if_required: auto_shard && mm_conv -> the input is not
            # sharded and ttnn::linear runs on an interleaved tensor. Not modelled.
            result["notes"].append("auto-shard 1x1 matmul conv: TTNN runs an interleaved matmul (not modelled)")
    result["layout"] = layout
    is_mm = use_matmul_for_1x1_conv(c["kernel"], c["stride"], c["pad4"], c["dilation"], layout)
    result["mm_conv"] = is_mm
    k = configs_for(c, layout, is_mm)
    pin, pout, blk = k["pin"], k["pout"], k["blk"]
    num_banks = max(pin["num_cores"], pout["num_cores"])
    gsz = pout["grid_size"] if layout == "height" else (max(pin["grid_size"][0], pout["grid_size"][0]),
                                                         max(pin["grid_size"][1], pout["grid_size"][1]))
    crange = core_range_str(*gsz)
    result["parallel"] = {"num_cores_nhw": pin["num_cores_nhw"], "num_cores_c_in": pin["num_cores_c"],
                          "num_cores_c_out": pout["num_cores_c"], "grid_size": gsz,
                          "input_shard": k["in_shard"], "output_shard": k["out_shard"],
                          "per_core_out_matrix_height_ntiles": k["per_core_h"],
                          "per_core_out_matrix_width_ntiles": k["per_core_w"],
                          "in_channels_padded": k["in_c_padded"], "out_channels_padded": k["out_c_padded"],
                          "input_channels_alignment": k["align"]}
    wshape = weights_matrix_shape(layout, is_mm, k["in_c_padded"], k["out_c_padded"], kh, kw, blk,
                                  pin["num_cores_c"], c["full_inner_dim"], c["enable_activation_reuse"])
    mem = L1(arch, c["l1_small_size"], num_banks)
    l1_small = []

    # --- the input shard, as TTNN shards it (the conv's input tensor, in L1) ---------------
    in_layout = c["input_layout"]
    in_bytes = shard_bytes(k["in_shard"], c["input_dtype"], in_layout)
    mem.alloc("input shard", in_bytes)
    result["buffers"].append({"name": "input shard", "kind": "l1_buffer", "bytes": round_up(in_bytes, 16),
                              "shape": k["in_shard"], "dtype": c["input_dtype"], "layout": in_layout})

    if is_mm:
        # C2D: ttnn::linear on the sharded input (tilized first if row-major).
        in_tile_dtype = c["input_dtype"]
        if in_layout == "ROW_MAJOR":
            tb = shard_bytes(k["in_shard"], in_tile_dtype, "TILE")
            mem.alloc("tilized input", tb)
            result["buffers"].append({"name": "tilized input", "kind": "l1_buffer", "bytes": round_up(tb, 16)})
            if c["deallocate_activation"]:
                mem.free("input shard")
        out_bytes = shard_bytes(k["out_shard"], c["output_dtype"], "TILE")
        mem.alloc("conv output shard", out_bytes)
        result["buffers"].append({"name": "conv output shard", "kind": "l1_buffer", "bytes": round_up(out_bytes, 16),
                                  "shape": k["out_shard"], "dtype": c["output_dtype"], "layout": "TILE"})
        cbs, info = matmul_cbs(c, layout, k, wshape, in_tile_dtype)
        program = "matmul"
        result["block_config"] = dict(blk, weights_block_ntiles=(blk["act_block_w_ntiles"], k["per_core_w"]),
                                      num_blocks_act_h=1, num_blocks_act_w=info["num_blocks"], split_reader=False,
                                      packer_l1_acc_en=info["packer_l1_acc_en"], partials_dtype=info["interm0_dtype"],
                                      fp32_dest_acc_en=c["fp32_dest_acc_en"], weights_dtype=c["weights_dtype"],
                                      weights_matrix_shape=wshape, matmul=info)
    else:
        # --- halo [C2D]: skipped only for width sharding of a row-major input without padding
        need_halo = not (layout == "width" and in_layout == "ROW_MAJOR" and sum(c["pad4"]) == 0)
        halo_err = None
        if need_halo:
            sticks = max_out_nsticks_per_core(c, pin["num_cores_nhw"])
            hdt = "float32" if c["input_dtype"] == "float32" else "bfloat16"
            hb = sticks * round_up(k["in_shard"][1] * DATUM[hdt], arch["l1_alignment"])
            mem.alloc("halo output", hb)
            result["buffers"].append({"name": "halo output", "kind": "l1_buffer", "bytes": hb,
                                      "shape": (sticks, k["in_shard"][1]), "dtype": hdt, "layout": "ROW_MAJOR"})
            # halo program CBs [UWH]
            stick = round_up(k["in_shard"][1] * DATUM[hdt], arch["l1_alignment"])
            hcbs = [dict(name="HALO_PAD0", pages=1, page_size=stick), dict(name="HALO_PAD1", pages=1, page_size=stick)]
            if in_layout == "TILE":
                ntiles = div_up(k["in_shard"][1], TILE)
                hcbs += [dict(name="HALO_UNTILIZE0", pages=2 * ntiles, page_size=TILE_BYTES[hdt]),
                         dict(name="HALO_UNTILIZE1", pages=2 * ntiles, page_size=TILE_BYTES[hdt])]
            if c["config_tensors_in_dram"]:
                result["notes"].append("halo config CBs with config_tensors_in_dram are sized by the halo gather "
                                       "config (not modelled: 4 one-page CBs missing)")
            result["buffers"] += _cb_entries(hcbs, "halo")
            hend, _ = cb_region(hcbs, arch)
            halo_err = validate_cb_region(hend, mem.lowest(), arch, crange)
            result["halo_cb_end"] = hend
            if c["deallocate_activation"]:
                mem.free("input shard")
            if c["reallocate_halo_output"]:      # ttnn::move: free, then allocate again (top-down)
                mem.free("halo output")
                mem.alloc("halo output", hb)
        out_layout = c["output_layout"]
        out_bytes = shard_bytes(k["out_shard"], c["output_dtype"], out_layout)
        mem.alloc("conv output shard", out_bytes)
        result["buffers"].append({"name": "conv output shard", "kind": "l1_buffer", "bytes": round_up(out_bytes, 16),
                                  "shape": k["out_shard"], "dtype": c["output_dtype"], "layout": out_layout})
        skip_act, _ = conv_skip_mcast(layout, pin["num_cores_nhw"], pin["num_cores_c"], pout["num_cores_c"])
        in_c_for_split = k["in_shard"][1] * (pin["num_cores_c"] if layout == "block" else 1)
        if layout == "width":
            in_c_for_split = k["in_shard"][1] * pin["num_cores"]
        # SD/WSD pass a.dtype() to get_cb_info: the conv op's input tensor is the halo output
        # (bfloat16, or float32 for a float32 input), not the user's tensor.
        op_in_dtype = ("float32" if c["input_dtype"] == "float32" else "bfloat16") if need_halo else c["input_dtype"]
        cbs, info = get_cb_info(c, layout, blk, k["per_core_h"], k["per_core_w"], wshape, op_in_dtype,
                                c["output_dtype"], c["weights_dtype"], c["fp32_dest_acc_en"], c["packer_l1_acc"],
                                c["bias"], in_c_for_split, skip_act, arch["is_blackhole"], k["ow"])
        if layout == "width":       # WSD: no force_split_reader; split reader unsupported for width anyway
            info["split_reader"] = False
        for cb in cbs:
            if cb["name"] == "ACT_SHARDED":
                cb["pages"], cb["page_size"] = (k["in_shard"][0], k["in_shard"][1] *
                                                (4 if c["input_dtype"] == "float32" else 2))
        # reader indices config tensor [SW construct_on_host_config_tensor / move_config_tensor_to_device]
        abh = blk["act_block_h_ntiles"]
        if info["split_reader"]:
            r0, r1 = (abh - abh // 2) * TILE, (abh // 2) * TILE
        else:
            r0, r1 = abh * TILE, 0
        n_idx = reader_indices_len(c, pin["num_cores_nhw"], r0, r1)
        if not c["config_tensors_in_dram"]:   # SD: the CB takes the config tensor's page size
            for cb in cbs:
                if cb["name"] == "READER_INDICES":
                    cb["page_size"] = n_idx * 2
        if not c["config_tensors_in_dram"]:
            l1_small.append({"name": "reader indices (conv config tensor)", "kind": "l1_small",
                             "bytes": round_up(n_idx * 2, arch["l1_alignment"])})
        program = "conv"
        result["block_config"] = dict(blk, weights_block_ntiles=(blk["act_block_w_ntiles"], k["per_core_w"]),
                                      num_blocks_act_h=info["num_blocks_act_h"],
                                      num_blocks_act_w=info["num_blocks_act_w"],
                                      in0_num_blocks_w=info["in0_num_blocks_w"], split_reader=info["split_reader"],
                                      packer_l1_acc_en=info["packer_l1_acc_en"], partials_dtype=info["partials_dtype"],
                                      fp32_dest_acc_en=c["fp32_dest_acc_en"], weights_dtype=c["weights_dtype"],
                                      weights_matrix_shape=wshape)
        if halo_err:
            result["error"] = halo_err

    result["buffers"] += _cb_entries(cbs, program)
    result["buffers"] += l1_small
    end, placed = cb_region(cbs, arch)
    lowest = mem.lowest()
    cb_err = validate_cb_region(end, lowest, arch, crange)
    l1_small_total = sum(b["bytes"] for b in l1_small)
    small_err = None
    if l1_small_total:
        if c["l1_small_size"] == 0 or l1_small_total > c["l1_small_size"]:
            small_err = ("Out of Memory: Not enough space to allocate {} B L1_SMALL buffer across {} banks, where each "
                         "bank needs to store {} B, but bank size is {} B (allocated: 0 B, free: {} B, largest free "
                         "block: {} B)".format(l1_small_total * num_banks, num_banks, l1_small_total,
                                               c["l1_small_size"], c["l1_small_size"], c["l1_small_size"]))
    result["error"] = mem.error or result["error"] or small_err or cb_err
    result["cb_total"] = end - arch["base"]
    result["l1_buffers_total"] = sum(s for _, s in mem.used.values())
    result["l1_small_total"] = l1_small_total
    result["l1_map"] = {"l1_size": arch["l1_size"], "cb_base": arch["base"], "cb_end": end,
                        "l1_buffer_top": mem.top, "l1_small_size": c["l1_small_size"], "lowest_l1_buffer": lowest,
                        "cbs": placed, "l1_buffers": sorted(((n, a, s) for n, (a, s) in mem.used.items()),
                                                            key=lambda t: t[1])}
    result["fits"] = result["error"] is None
    # peak per-core bytes of this conv: local CBs + L1 buffers alive during the program
    result["per_core_total"] = result["cb_total"] + result["l1_buffers_total"]
    return result


def summary(p):
    """Short text report of a plan."""
    lines = ["layout {} {} grid {} cores nhw {} c_in {} c_out {}".format(
        p["layout"], "(matmul)" if p["mm_conv"] else "", p["parallel"]["grid_size"], p["parallel"]["num_cores_nhw"],
        p["parallel"]["num_cores_c_in"], p["parallel"]["num_cores_c_out"])]
    b = p["block_config"]
    lines.append("act_block_h {} act_block_w {} subblock {}x{} split_reader {}".format(
        b["act_block_h_ntiles"], b["act_block_w_ntiles"], b["out_subblock_h_ntiles"], b["out_subblock_w_ntiles"],
        b["split_reader"]))
    for x in p["buffers"]:
        lines.append("  {:<34} {:<9} {:>9} B  {}".format(x["name"], x["kind"], x["bytes"], x.get("program", "")))
    lines.append("CBs {} B, L1 buffers {} B, fits {}".format(p["cb_total"], p["l1_buffers_total"], p["fits"]))
    if p["error"]:
        lines.append("error: " + p["error"])
    return "\n".join(lines)


if __name__ == "__main__":
    # The example: 1x7x7x512 -> 512, 3x3, stride 2, pad 1, block sharded, 2x2 grid, bfloat16.
    print(summary(plan(dict(in_h=7, in_w=7, in_c=512, out_c=512, kernel=3, stride=2, padding=1,
                            shard_layout="block", grid=(2, 2), l1_small_size=32768))))
