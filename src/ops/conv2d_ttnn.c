/* conv2d as TTNN sizes it in L1: a transcription of current TTNN's rules (conv2d_ttnn.h).
 *
 * Each rule carries its source as [SHORT function]; SHORT names a file of
 * tenstorrent/tt-metal at the commit below (the same sources, commits and choices as
 * the independent Python transcription in tests/ttnn/conv2d_l1.py; tests/ttnn/NOTES.md
 * says how the commits were chosen and what could not be determined).
 *
 *   CBI   ttnn/cpp/ttnn/operations/conv/conv2d/conv2d_op_program_factory_common.cpp
 *         @ f3c1ee7ec100a0a965df79edf9936c95734743ea (get_cb_info, is_split_reader_*,
 *         calculate_act_cb_size_with_reuse, the NoC rate and tilize tables)
 *   CU    ttnn/cpp/ttnn/operations/conv/conv2d/conv2d_utils.cpp
 *         @ 71ff3c1d7daa9b533f90160fdb6b853f625bc7f2 (the same for groups == 1 as
 *         @ 002a3f412aeb6ef4694a16b4a0b4cea32d60281e): parallel and block configuration,
 *         channel alignment, shard shapes, auto shard, calculate_L1_usage*
 *   C2D   ttnn/cpp/ttnn/operations/conv/conv2d/conv2d.cpp
 *         @ 645aa768b452a27ebbde3638065135876dd8a627 (conv2d_L1: defaults, halo, matmul path)
 *   SD    ttnn/cpp/ttnn/operations/conv/conv2d/device/factory/conv2d_sharded_descriptor.cpp
 *         @ 4eb69c73a6fbf56c080f8851ec42202b2429c72c (height/block program: CB order)
 *   WSD   ttnn/cpp/ttnn/operations/conv/conv2d/device/factory/conv2d_width_sharded_descriptor.cpp
 *         @ 2cd8410395ff0174ac5b2b3e6fb0900f66c0dee2 (width program)
 *   CFG   ttnn/cpp/ttnn/operations/conv/conv2d/device/conv2d_device_operation_types.hpp
 *         @ 1d3ac3f8d868cb713990cd3e18147559bad6cfda (Conv2dConfig defaults)
 *   PW    ttnn/cpp/ttnn/operations/conv/conv2d/prepare_conv2d_weights.cpp
 *         @ 002a3f412aeb6ef4694a16b4a0b4cea32d60281e (weight matrix padding)
 *   SW    ttnn/cpp/ttnn/operations/sliding_window/sliding_window.cpp (the stored text with
 *         calculate_precise_halo_output_elems, index id 7186334245; the config-tensor
 *         functions also @ 00002df221d980138d62a328a9b8fa6b8e788ee4)
 *   SWH   ttnn/cpp/ttnn/operations/sliding_window/sliding_window.hpp (same stored version;
 *         should_halo_be_in_place: only pooling opts in)
 *   HALO  ttnn/cpp/ttnn/operations/sliding_window/halo/device/halo_device_operation.cpp
 *         @ bc2f139826cc541283d99145248dcb6e0a392517 (halo output shard)
 *   UWH ttnn/cpp/ttnn/operations/sliding_window/halo/device/untilize_with_halo_program_factory.cpp
 *         @ b844a98d7f6f045dbe872df83cfa37cbd29be3a2 (halo program CBs)
 *   MM1D
 * ttnn/cpp/ttnn/operations/matmul/device/factory/matmul_multicore_reuse_mcast_1d_program_factory.cpp
 *         @ 86aa094974e2a818d83a1588fe1ad61457e85693
 *   MM2D
 * ttnn/cpp/ttnn/operations/matmul/device/factory/matmul_multicore_reuse_mcast_2d_program_factory.cpp
 *         @ 043b5ac261d74cd5543a2d73edd684ac5446bdc1
 *   MMU   the matmul utilities header: MCAST_INPUT_BUFFERING_DEPTH = 2 (index text)
 *   WS    tt_metal/common/work_split.cpp @ 0c55449866fe9c9e73861aeb41874b2c1ddaeae5
 *         (num_cores_to_corerangeset)
 *   PRG   tt_metal/impl/program/program.cpp @ 5cd3a453f15f34d99747f21b395fe84e6551ab71
 *         (ProgramImpl::allocate_circular_buffers, validate_circular_buffer_region)
 *   BM    tt_metal/impl/allocator/bank_manager.cpp (BankManager::allocate_buffer; index
 *         text id 6980488341)
 *   L1A   tt_metal/impl/allocator/l1_banking_allocator.cpp
 *         @ a9ff3f6068168f2c52935fb389fa791dc2a34dc5 (L1 and L1_SMALL banks)
 *   CV    tt_metal/hostdevcommon/api/hostdevcommon/common_values.hpp (DEFAULT_L1_SMALL_SIZE 0)
 *   WHMM  tt_metal/hw/inc/internal/tt-1xx/wormhole/dev_mem_map.h, with
 *   WHHAL tt_metal/llrt/hal/tt-1xx/wormhole/wh_hal_tensix.cpp, both
 *         @ 42bfdec046d219c23a9291f0113185bfc4a4f5b9
 *   BHMM  tt_metal/hw/inc/internal/tt-1xx/blackhole/dev_mem_map.h
 *         @ 0079e942208586ff1e7ab8e3349ed91b3d93e8f5
 *   BHHAL tt_metal/llrt/hal/tt-1xx/blackhole/bh_hal_tensix.cpp
 *         @ 0266e6f1f3b025345ea752018469941cada53034
 *
 * The order conv2d_L1 [C2D] applies them, and the order of this file: defaults; the
 * automatic layout (an L1 estimate per layout); the matmul path's test; the parallel
 * configuration and shard shapes; the block configuration; the prepared weight
 * matrix; then the L1 events: the input shard, the halo output and the halo program,
 * the conv output, the conv's config tensor (L1_SMALL) and the conv program with its
 * CBs (or the matmul path's program). The module never places anything: the events
 * are for an L1 model to replay. It must never decide differently from TTNN: a rule
 * that looks odd here is TTNN's, and the Python transcription makes the same call. */
#include "conv2d_ttnn.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TILE 32

static int64_t div_up(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

static int64_t round_up(int64_t a, int64_t b) {
    return div_up(a, b) * b;
}

static int64_t max64(int64_t a, int64_t b) {
    return a > b ? a : b;
}

/* tt::tile_size(DataFormat) of a 32x32 tile. */
static size_t tile_bytes(tg_fmt f) {
    switch (f) {
    case TG_FLOAT32:
        return 4096;
    case TG_BFLOAT16:
        return 2048;
    case TG_BFLOAT8_B:
        return 1088; /* 64 exponent bytes + 1024 mantissa bytes */
    }
    return 0;
}

/* The conv op reads the halo output, which is row-major bfloat16, or float32 for a
 * float32 input [HALO compute_output_specs]: its "input" format. */
static tg_fmt halo_fmt(tg_fmt input) {
    return input == TG_FLOAT32 ? TG_FLOAT32 : TG_BFLOAT16;
}

/* ---- the L1 of each arch ---- */

/* One row per arch TTNN has (Grayskull is gone from tt-metal: the HAL holds only
 * wormhole/ and blackhole/). The lead moves these into tg_arch later. */
static const struct {
    const char *name;
    size_t l1_size, mem_map_end, l1_align, dram_align;
    bool blackhole;
} l1_rows[] = {
    /* [WHMM] MEM_L1_SIZE 1464 KiB. MEM_MAP_END: mailbox 16 + 12768, zeros 512 (from a
     * 32-aligned 12800), LLK debug 1024, firmware BRISC 6 KiB, NCRISC 2 KiB, TRISC0-2
     * 1536 each, NoC counters 80, fabric counters 32, fabric lock 144, routing tables
     * 484 + 256 + 512, exit node table 1024 + 12, fabric connections 656, packet
     * headers 112 * 4 * 2 * 2 = 32,128. DRAM alignment 32, L1 16 [WHHAL]. */
    {"wormhole_b0", 1464 * 1024, 32128, 16, 32, false},
    /* [BHMM] MEM_L1_SIZE 1536 KiB. MEM_MAP_END: mailbox 96 + 13168, zeros 512 (from
     * 13280), LLK 1024, BRISC 6 KiB + 2560, NCRISC and TRISC0-2 2560 each, NoC counters
     * 80, fabric counters 32, lock 144, routing tables 516 + 1024, exit table 1024 + 12,
     * connections 656, headers 144 * 6 * 2 * 2 = 40,704. DRAM alignment 64 [BHHAL]. */
    {"blackhole", 1536 * 1024, 40704, 16, 64, true},
};

tg_status tg_ttnn_l1_figures_of(const tg_arch *arch, tg_ttnn_l1_figures *out) {
    memset(out, 0, sizeof *out);
    if (!arch) return tg_err(TG_ERR_USAGE, "conv2d (TTNN): no arch given");
    for (size_t i = 0; i < sizeof l1_rows / sizeof l1_rows[0]; i++) {
        if (strcmp(l1_rows[i].name, arch->name) != 0) continue;
        out->arch = l1_rows[i].name;
        out->l1_size = l1_rows[i].l1_size;
        out->mem_map_end = l1_rows[i].mem_map_end;
        out->l1_align = l1_rows[i].l1_align;
        out->dram_align = l1_rows[i].dram_align;
        out->is_blackhole = l1_rows[i].blackhole;
        /* [WHHAL/BHHAL create_tensix_mem_map] default_l1_kernel_config_size = 69 KiB;
         * DEFAULT_UNRESERVED = ((MEM_MAP_END + kernel config - 1) | (max alignment - 1))
         * + 1. The device puts the L1 allocator's base (and so the CB region) there when
         * worker_l1_size keeps its default [DEVI Device::initialize]: 102,784 on
         * Wormhole, 111,360 on Blackhole. */
        out->kernel_config_size = 69 * 1024;
        size_t align = out->dram_align > out->l1_align ? out->dram_align : out->l1_align;
        out->base = ((out->mem_map_end + out->kernel_config_size - 1) | (align - 1)) + 1;
        return TG_OK;
    }
    return tg_err(TG_ERR_USAGE,
                  "conv2d (TTNN): arch '%s' is not in current tt-metal (wormhole_b0, blackhole)",
                  arch->name);
}

/* ---- defaults [CFG Conv2dConfig; CU get_conv_default_compute_kernel_config; CV] ---- */

void tg_ttnn_conv2d_defaults(tg_ttnn_conv2d_config *c) {
    memset(c, 0, sizeof *c);
    c->arch = tg_arch_default();
    c->batch = 1;
    c->kh = c->kw = c->sh = c->sw = c->dh = c->dw = 1;
    c->bias = true;
    c->layout = -1; /* shard_layout unset: automatic */
    c->input_dtype = c->weights_tensor_dtype = TG_BFLOAT16;
    c->weights_dtype = -1; /* [C2D] conv_config.weights_dtype.value_or(weights dtype) */
    c->output_dtype = -1;  /* [C2D] dtype.value_or(input dtype) */
    c->input_layout = TG_TTNN_ROW_MAJOR;
    c->output_layout = TG_TTNN_TILE;
    c->act_block_w_div = 1;
    c->force_split_reader = -1;
    c->reallocate_halo_output = true;
    c->fp32_dest_acc = -1;
    c->l1_small_size = 0; /* [CV] DEFAULT_L1_SMALL_SIZE */
}

/* The config with TTNN's rules applied: the fields conv2d_L1 works with. */
typedef struct conv {
    const tg_ttnn_conv2d_config *cfg;
    tg_ttnn_l1_figures l1;
    tg_grid grid;
    tg_fmt in_fmt, w_fmt, out_fmt;
    bool fp32_acc, act_dbuf, w_dbuf;
    int64_t out_h, out_w;
} conv;

static tg_status conv_resolve(const tg_ttnn_conv2d_config *c, conv *v) {
    memset(v, 0, sizeof *v);
    v->cfg = c;
    TG_CHECK(tg_ttnn_l1_figures_of(c->arch, &v->l1));
    if (c->batch < 1 || c->in_h < 1 || c->in_w < 1 || c->in_c < 1 || c->out_c < 1)
        return tg_err(TG_ERR_USAGE,
                      "conv2d (TTNN): input %lldx%lldx%lldx%lld and %lld output channels must be "
                      "positive",
                      (long long)c->batch, (long long)c->in_h, (long long)c->in_w,
                      (long long)c->in_c, (long long)c->out_c);
    if (c->kh < 1 || c->kw < 1 || c->sh < 1 || c->sw < 1 || c->dh < 1 || c->dw < 1 ||
        c->pad_t < 0 || c->pad_b < 0 || c->pad_l < 0 || c->pad_r < 0)
        return tg_err(TG_ERR_USAGE,
                      "conv2d (TTNN): kernel %dx%d, stride %dx%d, dilation %dx%d must be positive "
                      "and padding %d,%d,%d,%d not negative",
                      c->kh, c->kw, c->sh, c->sw, c->dh, c->dw, c->pad_t, c->pad_b, c->pad_l,
                      c->pad_r);
    if (c->layout < -1 || c->layout > TG_SHARD_BLOCK)
        return tg_err(TG_ERR_USAGE, "conv2d (TTNN): unknown shard layout %d", c->layout);
    /* [CU determine_per_core_conv_block_config] TT_ASSERT */
    if (c->act_block_h_override < 0 || c->act_block_h_override % TILE != 0)
        return tg_err(TG_ERR_USAGE, "TT_FATAL: Config Error: act_block_h_override must be a "
                                    "multiple of 32 (tile height).");
    if (c->act_block_w_div < 1)
        return tg_err(TG_ERR_USAGE, "conv2d (TTNN): act_block_w_div %d must be positive",
                      c->act_block_w_div);
    /* ttgrid's words: a block-float tensor exists only in tiles on the device. */
    if (c->input_dtype == TG_BFLOAT8_B && c->input_layout == TG_TTNN_ROW_MAJOR)
        return tg_err(TG_ERR_USAGE, "conv2d (TTNN): a bfloat8_b input must be in TILE layout");
    if (c->has_input_shard && (c->input_num_cores_nhw < 1 || c->input_num_cores_c < 0 ||
                               c->input_shard_h < 1 || c->input_shard_w < 1))
        return tg_err(TG_ERR_USAGE,
                      "conv2d (TTNN): input shard %lldx%lld on %d x %d cores must be positive",
                      (long long)c->input_shard_h, (long long)c->input_shard_w,
                      c->input_num_cores_nhw, c->input_num_cores_c);
    v->grid = c->grid;
    if (v->grid.w <= 0 || v->grid.h <= 0) v->grid = (tg_grid){c->arch->grid_w, c->arch->grid_h};
    v->in_fmt = c->input_dtype;
    /* [C2D conv2d_L1] weights from conv_config.weights_dtype, else the weights tensor's;
     * the output from dtype, else the input's. [PW prepare_conv_bias_internal] converts
     * the bias to the weights' format. */
    v->w_fmt = c->weights_dtype >= 0 ? (tg_fmt)c->weights_dtype : c->weights_tensor_dtype;
    v->out_fmt = c->output_dtype >= 0 ? (tg_fmt)c->output_dtype : c->input_dtype;
    /* [CU get_conv_default_compute_kernel_config] HiFi4, approx, fp32_dest_acc_en only
     * when input and weights are both FLOAT32, packer_l1_acc off. */
    v->fp32_acc = c->fp32_dest_acc >= 0 ? c->fp32_dest_acc != 0
                                        : (v->in_fmt == TG_FLOAT32 && v->w_fmt == TG_FLOAT32);
    /* [C2D conv2d_L1] activation reuse turns both double buffers off. */
    v->act_dbuf = c->act_double_buffer && !c->activation_reuse;
    v->w_dbuf = c->weights_double_buffer && !c->activation_reuse;
    if (c->output_layout == TG_TTNN_ROW_MAJOR && v->out_fmt == TG_BFLOAT8_B)
        return tg_err(TG_ERR_USAGE,
                      "TT_FATAL: Untilize output requires BFLOAT16 or FLOAT32 data type");
    /* [SW get_output_shape] */
    v->out_h = (c->in_h + c->pad_t + c->pad_b - (int64_t)c->dh * (c->kh - 1) - 1) / c->sh + 1;
    v->out_w = (c->in_w + c->pad_l + c->pad_r - (int64_t)c->dw * (c->kw - 1) - 1) / c->sw + 1;
    if (v->out_h < 1 || v->out_w < 1)
        return tg_err(TG_ERR_USAGE,
                      "conv2d (TTNN): a %dx%d kernel (dilation %dx%d) does not fit the padded "
                      "%lldx%lld input",
                      c->kh, c->kw, c->dh, c->dw, (long long)(c->in_h + c->pad_t + c->pad_b),
                      (long long)(c->in_w + c->pad_l + c->pad_r));
    return TG_OK;
}

/* [CU use_matmul_for_1x1_conv] layout -1 (unset) is not width. */
static bool use_matmul_for_1x1_conv(const tg_ttnn_conv2d_config *c, int layout) {
    return c->kh == 1 && c->kw == 1 && c->sh == 1 && c->sw == 1 && c->pad_t == 0 && c->pad_b == 0 &&
           c->pad_l == 0 && c->pad_r == 0 && c->dh == 1 && c->dw == 1 && layout != TG_SHARD_WIDTH;
}

/* ---- the divisor helpers [CU] ---- */

static int find_closest_largest_divisor(int64_t num, int start) {
    int d = start;
    while (num % d != 0) d--;
    return d;
}

static int find_closest_largest_divisor2(int64_t num1, int64_t num2, int start) {
    int d = start;
    while (num1 % d != 0 || num2 % d != 0) d--;
    return d;
}

/* The largest d <= start whose padding of num to a multiple of d is less than one d-th. */
static int find_closest_largest_divisor_with_num_padding(int64_t num, int start) {
    int d = start;
    int64_t padded = round_up(num, d);
    while (padded - num >= padded / d) {
        d--;
        padded = round_up(num, d);
    }
    return d;
}

/* The same with the padding to d * mult (act_block_h_override's tiles), stopping at 1. */
static int find_closest_largest_divisor_with_num_padding_and_mult(int64_t num, int start,
                                                                  int mult) {
    int d = start;
    int64_t padded = round_up(num, (int64_t)d * mult);
    while (padded - num >= padded / d && d > 1) {
        d--;
        padded = round_up(num, (int64_t)d * mult);
    }
    return d;
}

/* The bounding box of [WS num_cores_to_corerangeset](n, grid, row_wise): full rows of
 * grid.w cores, then a partial row. */
static tg_status num_cores_to_grid(int n, tg_grid grid, tg_grid *box) {
    if (n > grid.w * grid.h)
        return tg_err(TG_ERR_USAGE,
                      "TT_FATAL: Target number of cores %d is greater than total number of "
                      "available cores %d",
                      n, grid.w * grid.h);
    *box = n >= grid.w ? (tg_grid){grid.w, (int)div_up(n, grid.w)} : (tg_grid){n, 1};
    return TG_OK;
}

/* ---- parallel configuration [CU] ---- */

typedef struct pconf {
    int nhw, c; /* cores along N*H*W and along the channels */
    tg_grid box;
    int ncores;
} pconf;

/* [CU get_input_channels_alignment] without an input memory config: half the L1
 * alignment (8 channels) for a row-major input that is neither width sharded nor a
 * matmul conv, else a tile. An input already sharded: 32, 16 or 8 by its shard width
 * [CU get_conv_padded_input_shape_and_mem_config]. */
static int input_channels_alignment(const conv *v, int layout, bool mm, bool given) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    if (given) {
        if (mm || layout == TG_SHARD_WIDTH || c->input_shard_w % 32 == 0) return TILE;
        return c->input_shard_w % 16 == 0 ? 16 : 8;
    }
    if (!mm && layout != TG_SHARD_WIDTH && c->input_layout == TG_TTNN_ROW_MAJOR)
        return (int)v->l1.l1_align / 2;
    return TILE;
}

/* [CU determine_parallel_config], ROW_MAJOR shard orientation. */
static tg_status determine_parallel_config(const conv *v, int layout, int align,
                                           bool channels_padding, pconf *p) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    int64_t out_nhw_ntiles = div_up(c->batch * v->out_h * v->out_w, TILE);
    int64_t out_c_ntiles = div_up(c->out_c, TILE);
    int mult = c->act_block_h_override == 0 ? 1 : c->act_block_h_override / TILE;
    int max_cores = v->grid.w * v->grid.h;
    memset(p, 0, sizeof *p);
    if (layout == TG_SHARD_HEIGHT) {
        p->nhw =
            find_closest_largest_divisor_with_num_padding_and_mult(out_nhw_ntiles, max_cores, mult);
        p->c = 1;
        p->ncores = p->nhw;
        return num_cores_to_grid(p->nhw, v->grid, &p->box);
    }
    if (layout == TG_SHARD_BLOCK) {
        int64_t in_c_blocks = div_up(c->in_c, align);
        p->nhw =
            find_closest_largest_divisor_with_num_padding_and_mult(out_nhw_ntiles, v->grid.h, mult);
        p->c = channels_padding
                   ? find_closest_largest_divisor_with_num_padding(in_c_blocks, v->grid.w)
                   : find_closest_largest_divisor2(out_c_ntiles, in_c_blocks, v->grid.w);
        p->box = (tg_grid){p->c, p->nhw};
        p->ncores = p->c * p->nhw;
        return TG_OK;
    }
    int64_t in_c_ntiles = div_up(c->in_c, TILE);
    p->nhw = 1;
    p->c = channels_padding ? find_closest_largest_divisor_with_num_padding(in_c_ntiles, max_cores)
                            : find_closest_largest_divisor(in_c_ntiles, max_cores);
    p->ncores = p->c;
    return num_cores_to_grid(p->c, v->grid, &p->box);
}

/* [CU determine_output_parallel_config]: a matmul conv keeps the input's. */
static tg_status determine_output_parallel_config(const conv *v, int layout, bool mm,
                                                  const pconf *in, pconf *out) {
    *out = *in;
    if (mm) return TG_OK;
    int64_t out_c_ntiles = div_up(v->cfg->out_c, TILE);
    if (layout == TG_SHARD_WIDTH) {
        out->c = find_closest_largest_divisor_with_num_padding(out_c_ntiles, v->grid.w * v->grid.h);
        out->ncores = out->c;
        return num_cores_to_grid(out->c, v->grid, &out->box);
    }
    if (layout == TG_SHARD_BLOCK) {
        out->c = find_closest_largest_divisor_with_num_padding(out_c_ntiles, v->grid.w);
        out->box = (tg_grid){out->c, in->nhw};
        out->ncores = out->c * in->nhw;
    }
    return TG_OK;
}

/* ---- block configuration [CU] ---- */

typedef struct blockc {
    int64_t abh, abw; /* act_block_h_ntiles, act_block_w_ntiles */
    int sub_h, sub_w;
} blockc;

/* [CU determine_largest_subblock_size]: the first candidate that divides the block,
 * spans the block's width unless one tile high, and holds at most 4 tiles with fp32
 * accumulation (half the destination registers). */
static void determine_largest_subblock_size(int64_t block_h, int64_t block_w, bool fp32, int *sh,
                                            int *sw) {
    static const int cand[][2] = {{2, 4}, {4, 2}, {1, 8}, {8, 1}, {1, 7}, {7, 1}, {2, 3},
                                  {3, 2}, {1, 6}, {6, 1}, {1, 5}, {5, 1}, {2, 2}, {1, 4},
                                  {4, 1}, {1, 3}, {3, 1}, {1, 2}, {2, 1}, {1, 1}};
    for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) {
        int h = cand[i][0], w = cand[i][1];
        if (fp32 && h * w > 4) continue;
        if (block_h % h != 0 || block_w % w != 0) continue;
        if (w != block_w && h != 1) continue;
        *sh = h;
        *sw = w;
        return;
    }
    *sh = *sw = 1; /* not reached: (1, 1) always qualifies */
}

/* [CU determine_per_core_conv_block_config] (groups == 1, not 1D depthwise). */
static tg_status determine_block_config(const conv *v, int layout, const pconf *in,
                                        int64_t per_core_h, int64_t per_core_w, int64_t in_c_padded,
                                        blockc *b) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    /* The whole output shard, or the override when it divides the shard; else the
     * closest divisor below (TTNN logs a warning). */
    b->abh = per_core_h;
    if (c->act_block_h_override > 0) {
        int o = c->act_block_h_override / TILE;
        b->abh = per_core_h % o == 0 ? o : find_closest_largest_divisor(per_core_h, o);
    }
    if (layout == TG_SHARD_HEIGHT && c->activation_reuse) {
        int64_t ow_ntiles = div_up(v->out_w, TILE);
        if (!(b->abh > ow_ntiles))
            return tg_err(TG_ERR_USAGE,
                          "TT_FATAL: Activation reuse needs act block h (%lld) to be bigger than "
                          "output image width in tiles (%lld) for the optimization to give boost",
                          (long long)b->abh, (long long)ow_ntiles);
    }
    int64_t w;
    if (layout == TG_SHARD_HEIGHT) {
        /* one kernel row of all channels; activation reuse: the whole window */
        w = round_up(in_c_padded * (c->activation_reuse ? c->kh * c->kw : c->kw), TILE);
    } else if (layout == TG_SHARD_BLOCK) {
        /* one kernel row of this grid column's channels, unless full_inner_dim */
        w = round_up(in_c_padded / in->c * c->kw * (c->full_inner_dim ? c->kh : 1), TILE);
    } else {
        int64_t unit = (int64_t)TILE * in->ncores * c->act_block_w_div;
        if (in_c_padded % unit != 0)
            return tg_err(TG_ERR_USAGE,
                          "TT_FATAL: Padded In Channels = %lld, num_cores = %d, "
                          "act_block_w_div = %d",
                          (long long)in_c_padded, in->ncores, c->act_block_w_div);
        w = in_c_padded * c->kh * c->kw / ((int64_t)in->ncores * c->act_block_w_div);
    }
    b->abw = w / TILE;
    determine_largest_subblock_size(b->abh, per_core_w, v->fp32_acc, &b->sub_h, &b->sub_w);
    return TG_OK;
}

/* ---- one layout's configuration: parallel config, shards, blocks ---- */

typedef struct sizing {
    int layout;
    bool mm;
    pconf in, out;
    int align;
    int64_t in_c_padded, in_shard_h, in_shard_w;
    int64_t out_c_padded, out_shard_h, out_shard_w;
    int64_t per_core_h, per_core_w;
    blockc blk;
} sizing;

/* estimate: TTNN's auto-shard estimate, which ignores a given input shard. */
static tg_status sizing_make(const conv *v, int layout, bool mm, bool estimate, sizing *k) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    memset(k, 0, sizeof *k);
    k->layout = layout;
    k->mm = mm;
    bool given = c->has_input_shard && !estimate;
    if (given) {
        /* [C2D/CU get_conv_padded_input_shape_and_mem_config] a sharded input in L1
         * (reshard_if_not_optimal off) keeps its grid. */
        k->align = input_channels_alignment(v, layout, mm, true);
        int nc = c->input_num_cores_c > 0 ? c->input_num_cores_c : 1;
        k->in.nhw = layout == TG_SHARD_WIDTH ? 1 : c->input_num_cores_nhw;
        k->in.c = nc;
        if (layout == TG_SHARD_BLOCK) {
            k->in.box = (tg_grid){nc, c->input_num_cores_nhw};
            k->in.ncores = nc * c->input_num_cores_nhw;
        } else {
            k->in.ncores = layout == TG_SHARD_HEIGHT ? c->input_num_cores_nhw : nc;
            TG_CHECK(num_cores_to_grid(k->in.ncores, v->grid, &k->in.box));
        }
    } else {
        k->align = input_channels_alignment(v, layout, mm, false);
        TG_CHECK(determine_parallel_config(v, layout, k->align, !mm, &k->in));
    }
    TG_CHECK(determine_output_parallel_config(v, layout, mm, &k->in, &k->out));
    /* [CU determine_input_memory_config] rows to nhw * 32 (width sharding of a
     * row-major input: nhw), channels to the channel cores * alignment. */
    k->in_c_padded = round_up(c->in_c, (int64_t)k->in.c * k->align);
    int64_t rsz = layout == TG_SHARD_WIDTH && c->input_layout == TG_TTNN_ROW_MAJOR ? 1 : TILE;
    k->in_shard_h = round_up(c->batch * c->in_h * c->in_w, k->in.nhw * rsz) / k->in.nhw;
    k->in_shard_w = k->in_c_padded / k->in.c;
    if (given) {
        k->in_shard_h = c->input_shard_h;
        k->in_shard_w = c->input_shard_w;
    }
    /* [CU get_conv_configs, create_sharded_memory_config_from_parallel_config] output
     * rows to nhw * 32 (width: not rounded), channels to the output channel cores * 32. */
    k->out_c_padded = round_up(c->out_c, (int64_t)k->out.c * TILE);
    int64_t nhw_out = c->batch * v->out_h * v->out_w;
    int64_t out_rows = layout == TG_SHARD_WIDTH ? nhw_out : round_up(nhw_out, k->in.nhw * TILE);
    k->out_shard_h = out_rows / k->in.nhw;
    k->out_shard_w = k->out_c_padded / k->out.c;
    k->per_core_h = div_up(k->out_shard_h, TILE);
    k->per_core_w = div_up(k->out_shard_w, TILE);
    return determine_block_config(v, layout, &k->in, k->per_core_h, k->per_core_w, k->in_c_padded,
                                  &k->blk);
}

/* [PW] the prepared weight matrix [1, 1, rows, cols]; the output channels are already
 * padded to the output channel cores * 32. */
static void weights_matrix_shape(const conv *v, const sizing *k, int64_t *rows, int64_t *cols) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    int64_t abw = k->blk.abw;
    if (k->layout == TG_SHARD_BLOCK) {
        /* [PW to_weight_tile_layout_block_sharded] each input-core slice padded to tiles
         * per kernel row (full_inner_dim: over the whole window) */
        int64_t cs = k->in_c_padded / k->in.c;
        int64_t padded = c->full_inner_dim ? round_up(cs * c->kw * c->kh, TILE)
                                           : round_up(cs * c->kw, TILE) * c->kh;
        *rows = k->in_c_padded * c->kh * c->kw;
        if (cs * c->kh * c->kw < padded) *rows = padded * k->in.c;
        *cols = k->out_c_padded;
        return;
    }
    *cols = round_up(k->out_c_padded, (int64_t)k->blk.sub_w * TILE);
    if (k->layout == TG_SHARD_HEIGHT) /* [PW to_weight_special_padding_tile_layout] */
        *rows = c->activation_reuse ? abw * TILE : abw * TILE * c->kh;
    else /* [PW to_weight_tile_layout] */
        *rows = round_up(k->in_c_padded * c->kh * c->kw, abw * TILE);
}

/* ---- the sliding window [SW] ---- */

/* op_trace_metadata[i]: the padded-input stick at the top-left of output i's window
 * [SW generate_op_trace_metadata]. */
typedef struct trace {
    int64_t n, oh, ow, hp, wp, sh, sw;
} trace;

static trace trace_make(const conv *v) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    trace t = {c->batch * v->out_h * v->out_w, v->out_h, v->out_w, c->in_h + c->pad_t + c->pad_b,
               c->in_w + c->pad_l + c->pad_r,  c->sh,    c->sw};
    return t;
}

static int64_t trace_at(const trace *t, int64_t i) {
    int64_t b = i / (t->oh * t->ow), r = i % (t->oh * t->ow);
    return b * t->hp * t->wp + (r / t->ow) * t->sh * t->wp + (r % t->ow) * t->sw;
}

/* Core q's output rows [os, oe] and input sticks [is, ie], inclusive
 * [SW generate_shard_boundaries] (snap to tile, not bilinear, not transposed). */
static void shard_boundary(const conv *v, const trace *t, int nhw, int q, int64_t *os, int64_t *oe,
                           int64_t *is, int64_t *ie) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    int64_t shard_h = round_up(t->n, (int64_t)nhw * TILE) / nhw;
    int64_t dkh = c->kh + (int64_t)(c->dh - 1) * (c->kh - 1);
    int64_t dkw = c->kw + (int64_t)(c->dw - 1) * (c->kw - 1);
    int64_t halo = (dkh - 1) * t->wp + dkw - 1;
    int64_t start = 0, end = -1;
    for (int i = 0; i <= q; i++) {
        start = end + 1;
        end = (start + shard_h < t->n ? start + shard_h : t->n) - 1;
    }
    *os = start;
    *oe = end;
    *is = trace_at(t, start < t->n - 1 ? start : t->n - 1);
    *ie = trace_at(t, end) + halo;
    if (*is == 0 && start != 0) {
        *is = trace_at(t, end) + 1;
        *ie = *is - 1;
    }
}

/* [SW generate_max_out_nsticks_per_core]: the halo output's shard height [HALO]. */
static int64_t max_out_nsticks_per_core(const conv *v, int nhw) {
    trace t = trace_make(v);
    int64_t best = 0;
    for (int q = 0; q < nhw; q++) {
        int64_t os, oe, is, ie;
        shard_boundary(v, &t, nhw, q, &os, &oe, &is, &ie);
        best = max64(best, ie - is + 1);
    }
    return best;
}

/* Entries of the conv's reader-indices config tensor per core
 * [SW generate_sliding_window_op_config(is_conv, pad_cores), construct_on_host_config_tensor]:
 * per act block a 3-entry header, a 2-entry break wherever the window's top-left does
 * not advance by the stride, one closing entry; the two readers alternate blocks of
 * reader0 and reader1 rows. The longest core's, padded to an even length. */
static int64_t reader_indices_len(const conv *v, int nhw, int64_t reader0, int64_t reader1) {
    trace t = trace_make(v);
    int64_t longest = 0;
    for (int q = 0; q < nhw; q++) {
        int64_t os, oe, is, ie;
        shard_boundary(v, &t, nhw, q, &os, &oe, &is, &ie);
        if (os >= t.n) continue;
        int64_t n = 0, last = 0, remaining = 0, base = trace_at(&t, os);
        bool new_block = true, use0 = true;
        for (int64_t i = os; i <= oe; i++) {
            int64_t rel = trace_at(&t, i) - base;
            if (new_block) {
                remaining = (reader1 == 0 || use0) ? reader0 : reader1;
                n += 3;
                new_block = false;
            } else if (rel != last + t.sw) {
                n += 2;
            }
            remaining--;
            last = rel;
            if (remaining == 0 || i == oe) {
                n++;
                new_block = true;
                use0 = !use0;
            }
        }
        longest = max64(longest, n);
    }
    return longest + longest % 2;
}

/* ---- split reader [CBI] ---- */

/* [CBI get_*_noc_transfer_rate]: a clamped linear rate in GB/s from the transfer size,
 * in float as the C++ computes it. min is the L1 alignment. */
static float noc_rate(uint32_t size, uint32_t min, uint32_t threshold, float lo, float hi) {
    uint32_t eff = size < min ? min : (size > threshold ? threshold : size);
    const float per_byte = (hi - lo) / (float)(threshold - min);
    return lo + (per_byte * (float)(eff - min));
}

/* [CBI get_tilize_cycles_per_tile] [halo format][output format][fp32 accumulation]. */
static uint32_t tilize_cycles_per_tile(bool bh, tg_fmt halo, tg_fmt out, bool fp32) {
    /* rows: halo float32, bfloat16; columns: output float32, bfloat16, bfloat8_b */
    static const uint32_t wh[2][3][2] = {{{107, 128}, {74, 74}, {74, 70}},
                                         {{92, 117}, {61, 68}, {40, 43}}};
    static const uint32_t bhc[2][3][2] = {{{132, 132}, {132, 80}, {132, 77}},
                                          {{105, 128}, {72, 72}, {60, 60}}};
    int i = halo == TG_FLOAT32 ? 0 : 1;
    int j = out == TG_FLOAT32 ? 0 : (out == TG_BFLOAT16 ? 1 : 2);
    return bh ? bhc[i][j][fp32] : wh[i][j][fp32];
}

/* [CBI is_split_reader_viable]: split when reading half the activation, then the
 * longer of weights and tilize, beats the longer of activation + tilize and weights.
 * Float arithmetic in the C++'s order (the build never contracts to FMA). */
static bool is_split_reader_viable(const conv *v, int layout, int64_t abh, int64_t in_c_padded,
                                   tg_fmt input, int64_t weights_block_ntiles, size_t weights_tile,
                                   int64_t abw) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    if (layout == TG_SHARD_BLOCK) return true;
    if (c->activation_reuse) return true;
    const bool bh = v->l1.is_blackhole;
    const uint32_t min = (uint32_t)v->l1.l1_align;
    const float clock_ghz = bh ? 1.35f : 1.0f;
    const uint32_t bpe = input == TG_FLOAT32 ? 4 : 2;
    const uint32_t coalesced = c->dw == 1 ? (uint32_t)c->kw : 1;
    const uint32_t unit = bpe * (uint32_t)in_c_padded * coalesced;
    const float local_rate =
        bh ? noc_rate(unit, min, 4096, 1.124f, 80.48f) : noc_rate(unit, min, 1024, 0.868f, 27.84f);
    const uint32_t act_bytes = bpe * (uint32_t)abh * TILE * (uint32_t)in_c_padded * (uint32_t)c->kw;
    const float act_cycles = clock_ghz * (float)act_bytes / local_rate;
    const uint32_t w_bytes = (uint32_t)weights_tile * (uint32_t)weights_block_ntiles;
    const float mcast_rate = bh ? noc_rate(w_bytes, min, 65536, 0.182f, 57.677f)
                                : noc_rate(w_bytes, min, 65536, 0.318f, 25.345f);
    const float dram_rate = bh ? noc_rate((uint32_t)weights_tile, min, 2048, 0.671f, 80.885f)
                               : noc_rate((uint32_t)weights_tile, min, 2048, 0.436f, 28.411f);
    const float w_cycles = clock_ghz * (float)w_bytes * (1.0f / dram_rate + 1.0f / mcast_rate);
    const uint32_t tiles = (uint32_t)abw * (uint32_t)abh;
    const float tilize =
        (float)(tilize_cycles_per_tile(bh, halo_fmt(input), v->out_fmt, v->fp32_acc) * tiles);
    const float split = act_cycles / 2 + (w_cycles > tilize ? w_cycles : tilize);
    const float single_reader = act_cycles + tilize;
    return split < (single_reader > w_cycles ? single_reader : w_cycles);
}

/* [CBI calculate_act_cb_size_with_reuse]: with activation reuse an act CB holds one
 * block of output-width tiles plus the rows the reader keeps for the next image row. */
static tg_status act_cb_size_with_reuse(const conv *v, int64_t abh, int64_t abw,
                                        int64_t padded_in_c, size_t input_tile, tg_fmt input,
                                        int64_t *pages) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    int64_t iwt = div_up(v->out_w, TILE);
    int64_t loops = div_up(abh, iwt);
    int64_t leftover = v->out_w % TILE == 0 ? 0 : TILE - v->out_w % TILE;
    if (input == TG_BFLOAT8_B) /* tt::datum_size */
        return tg_err(TG_ERR_USAGE, "TT_FATAL: datum for bfp2, bfp4, bfp8 is invalid");
    int64_t datum = input == TG_FLOAT32 ? 4 : 2;
    int64_t length = loops * padded_in_c * c->kw * (1 + leftover * c->kh) * datum;
    *pages = iwt * abw + div_up(length, (int64_t)input_tile);
    return TG_OK;
}

/* ---- the conv program's CBs [CBI get_cb_info] ---- */

typedef struct cb {
    const char *name;
    int64_t pages; /* 0: none (or overlapped by another CB): no space */
    size_t page_size;
    bool global; /* globally allocated on an L1 buffer: no CB space */
} cb;

typedef struct cb_list {
    cb cbs[16];
    int n;
} cb_list;

static cb *cb_add(cb_list *l, const char *name, int64_t pages, size_t page_size, bool global) {
    cb *x = &l->cbs[l->n++];
    *x = (cb){name, pages, page_size, global};
    return x;
}

typedef struct cb_info {
    bool split_reader, split_viable, packer_l1_acc_en;
    int64_t num_blocks_act_h, num_blocks_act_w, in0_num_blocks_w;
    tg_fmt partials;
} cb_info;

/* The conv op's CBs in the order SD/WSD create them. input: the conv op's input
 * format (the halo output's); in_c_split: the channels the split-reader model reads;
 * skip_act_mcast: [CU conv_skip_mcast]. */
static tg_status get_cb_info(const conv *v, const sizing *k, int64_t w_rows, int64_t w_cols,
                             tg_fmt input, int64_t in_c_split, bool skip_act_mcast, cb_list *l,
                             cb_info *info) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    const int layout = k->layout;
    const bool untilize_out = c->output_layout == TG_TTNN_ROW_MAJOR;
    const tg_fmt conv_in = halo_fmt(input);
    const size_t in_tile = tile_bytes(conv_in), w_tile = tile_bytes(v->w_fmt),
                 out_tile = tile_bytes(v->out_fmt);
    const int64_t abh = k->blk.abh, abw = k->blk.abw;
    const int64_t pch = k->per_core_h, pcw = k->per_core_w;
    memset(info, 0, sizeof *info);
    info->num_blocks_act_h = pch / abh;

    /* [CBI is_split_reader_supported]: height or block, more than one tile row. */
    bool supported = (layout == TG_SHARD_HEIGHT || layout == TG_SHARD_BLOCK) && abh > 1;
    info->split_viable =
        is_split_reader_viable(v, layout, abh, in_c_split, input, pcw * abw, w_tile, abw);
    info->split_reader =
        supported && (c->force_split_reader >= 0 ? c->force_split_reader != 0 : info->split_viable);

    int64_t act = abh * abw, act_split = 0;
    if (info->split_reader) {
        int64_t second = abh / 2, first = abh - second;
        if (!c->activation_reuse) {
            act = first * abw;
            act_split = second * abw;
        } else {
            int64_t padded_in_c = w_rows / (c->kh * c->kw);
            TG_CHECK(act_cb_size_with_reuse(v, first, abw, padded_in_c, in_tile, input, &act));
            TG_CHECK(
                act_cb_size_with_reuse(v, second, abw, padded_in_c, in_tile, input, &act_split));
        }
    }

    /* K in act_block_w blocks; block sharding walks them once per input channel core
     * [CBI get_cb_info; CU determine_packer_l1_acc]: packer L1 accumulation is kept only
     * when it saves a pass (bias and more than one block, or more than two). */
    info->num_blocks_act_w = w_rows / TILE / abw;
    int64_t conv_act_c_blocks = w_cols / TILE / pcw;
    info->in0_num_blocks_w = layout == TG_SHARD_BLOCK ? info->num_blocks_act_w * conv_act_c_blocks
                                                      : info->num_blocks_act_w;
    info->packer_l1_acc_en =
        c->packer_l1_acc && ((c->bias && info->in0_num_blocks_w > 1) || info->in0_num_blocks_w > 2);
    info->partials = info->packer_l1_acc_en ? (v->fp32_acc ? TG_FLOAT32 : TG_BFLOAT16) : v->out_fmt;

    /* WEIGHTS: one act_block_w slice of the core's output channels. Height keeps all
     * kernel rows when the shard has several act blocks ("fully buffered"), else doubles
     * with weights double buffering; activation reuse neither. */
    int64_t wb = pcw * abw;
    if (layout == TG_SHARD_HEIGHT) {
        if (!c->activation_reuse) {
            if (info->num_blocks_act_h > 1)
                wb *= c->kh;
            else if (v->w_dbuf)
                wb *= 2;
        }
    } else if (v->w_dbuf) {
        wb *= 2;
    }
    cb_add(l, "WEIGHTS", wb, w_tile, false);
    /* MATMUL_PARTIALS: on the output buffer unless the output is untilized or the
     * partials' format differs. */
    cb_add(l, "MATMUL_PARTIALS", pch * pcw, tile_bytes(info->partials),
           !untilize_out && info->partials == v->out_fmt);
    /* Block sharding overlaps the im2col CBs (ACT_SECOND_READER, ACT_ROW_MAJOR) with ACT
     * when no format conversion happens; with the activation multicast skipped,
     * ACT_TILIZED overlaps ACT (block, width). */
    bool overlap_im2col = layout == TG_SHARD_BLOCK && conv_in == v->out_fmt && !skip_act_mcast;
    if (v->act_dbuf) {
        act *= 2;
        act_split *= 2;
    }
    bool overlap_act = layout != TG_SHARD_HEIGHT && skip_act_mcast;
    /* ACT: height holds the first reader's half in the input format; block and width
     * the whole block (both halves) in the output format. */
    int64_t act_pages = overlap_act ? 0 : (layout == TG_SHARD_HEIGHT ? act : act + act_split);
    cb_add(l, "ACT", act_pages, layout == TG_SHARD_HEIGHT ? in_tile : out_tile, false);
    cb_add(l, "ACT_SECOND_READER", overlap_im2col ? 0 : act_split, in_tile, false);
    cb_add(l, "TEMP_SUM", 0, out_tile, false); /* 1D depthwise only */
    cb_add(l, "ACT_TILIZED", abh * abw, out_tile, false);
    cb_add(l, "BIAS", c->bias ? pcw : 0, w_tile, false);
    /* ACT_ROW_MAJOR_BFLOAT16: width two blocks; block the ACT count when converting. */
    int64_t rm = layout == TG_SHARD_WIDTH ? abw * 2 : (layout == TG_SHARD_BLOCK ? act : 0);
    cb_add(l, "ACT_ROW_MAJOR_BFLOAT16", overlap_im2col ? 0 : rm, in_tile, false);
    cb_add(l, "OUT", pch * pcw, out_tile, true);
    /* READER_INDICES: on the config tensor in L1_SMALL (page size set by the caller), or
     * a local CB with config_tensors_in_dram. */
    cb_add(l, "READER_INDICES", 1, (size_t)pch * TILE * 2, !c->config_tensors_in_dram);
    cb_add(l, "L1_ARRAY", 1, 64, false);
    cb_add(l, "ACT_SHARDED", 0, 0, true); /* on the input; sized by the caller */
    return TG_OK;
}

static cb *cb_find(cb_list *l, const char *name) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->cbs[i].name, name)) return &l->cbs[i];
    return NULL;
}

/* [CU conv_skip_mcast] the activation multicast is skipped (block, width) when one
 * input and one output channel core remain. Height: one core. */
static bool conv_skip_act_mcast(const sizing *k) {
    if (k->layout == TG_SHARD_BLOCK || k->layout == TG_SHARD_WIDTH)
        return k->out.c == 1 && k->in.c == 1;
    return k->in.nhw * k->out.c == 1;
}

/* ---- the matmul path [C2D determine_matmul_op_config_from_conv_op_config; MM1D; MM2D] ---- */

typedef struct mm_info {
    int64_t num_blocks;
    bool packer_l1_acc_en, interm0_shares_out;
    tg_fmt interm0;
} mm_info;

static void matmul_cbs(const conv *v, const sizing *k, int64_t w_rows, cb_list *l, mm_info *info) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    const int64_t m = k->per_core_h, n = k->per_core_w, in0_block_w = k->blk.abw;
    info->num_blocks = w_rows / TILE / in0_block_w;
    info->packer_l1_acc_en =
        c->packer_l1_acc && ((c->bias && info->num_blocks > 1) || info->num_blocks > 2);
    tg_fmt acc = v->fp32_acc ? TG_FLOAT32 : TG_BFLOAT16;
    info->interm0 = info->packer_l1_acc_en ? acc : (v->fp32_acc ? TG_FLOAT32 : v->out_fmt);
    /* interm0 shares the output CB unless its format differs (the conv's matmul is not
     * asked to untilize, so the untilize condition never applies). */
    info->interm0_shares_out = info->interm0 == v->out_fmt;
    const size_t in0_tile = tile_bytes(c->input_dtype), w_tile = tile_bytes(v->w_fmt),
                 out_tile = tile_bytes(v->out_fmt);
    /* [MMU] MCAST_INPUT_BUFFERING_DEPTH when K has more than one block (batch fused) */
    const int64_t buffering = info->num_blocks > 1 ? 2 : 1;
    if (k->layout == TG_SHARD_HEIGHT) {
        /* [MM1D process_mcast_in1_program_and_create_override_variables]: in1
         * multicast; in0 read in place unless the shard is wider than one K block. */
        bool extract = (k->in_shard_w / TILE) / in0_block_w > 1;
        cb_add(l, "MM_IN0 (c_0)", info->num_blocks * m * in0_block_w, in0_tile, !extract);
        if (extract) cb_add(l, "MM_IN0_SHARDED (c_2)", m * in0_block_w, in0_tile, true);
        cb_add(l, "MM_IN1 weights (c_1)", n * in0_block_w * buffering, w_tile, false);
    } else {
        /* [MM2D] both operands multicast, in0 from the block shard */
        cb_add(l, "MM_IN0 (c_0)", m * in0_block_w * buffering, in0_tile, false);
        cb_add(l, "MM_IN1 weights (c_1)", n * in0_block_w * buffering, w_tile, false);
        cb_add(l, "MM_IN0_SHARDED (c_2)", m * (k->in_shard_w / TILE), in0_tile, true);
        cb_add(l, "MM_L1_ARRAY (c_6)", 1, 64, false);
    }
    if (!info->interm0_shares_out)
        cb_add(l, "MM_INTERM0 partials (c_5)", m * n, tile_bytes(info->interm0), false);
    cb_add(l, "MM_OUT (c_4)", m * n, out_tile, true);
    if (c->bias) cb_add(l, "MM_BIAS (c_3)", n, w_tile, false);
}

/* ---- TTNN's automatic layout [CU determine_conv_config_for_auto_shard] ---- */

/* [CU calculate_L1_usage_for_conv_op]: every CB that takes CB space (get_cb_info with
 * the approximate weights [Kh*Kw*round_up(Cin, align), round_up(Cout, 32)], the conv's
 * input format and no multicast skip) + the output shard (the OUT CB) + the halo output
 * (calculate_precise_halo_output_elems * datum). The input shard is not counted. */
static tg_status estimate_layout(const conv *v, int layout, bool mm, tg_ttnn_estimate *e) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    sizing k;
    TG_CHECK(sizing_make(v, layout, mm, true, &k));
    int64_t w_rows = round_up(c->in_c, k.align) * c->kh * c->kw;
    int64_t w_cols = round_up(c->out_c, TILE);
    cb_list l = {.n = 0};
    cb_info info;
    TG_CHECK(get_cb_info(v, &k, w_rows, w_cols, c->input_dtype, k.in_c_padded, false, &l, &info));
    for (int i = 0; i < l.n; i++) {
        size_t bytes = (size_t)l.cbs[i].pages * l.cbs[i].page_size;
        if (!l.cbs[i].global) e->cb_bytes += bytes;
        if (!strcmp(l.cbs[i].name, "OUT")) e->output_bytes = bytes;
    }
    size_t datum = c->input_dtype == TG_FLOAT32 ? 4 : 2;
    e->halo_bytes = (size_t)max_out_nsticks_per_core(v, k.in.nhw) * (size_t)k.in_shard_w * datum;
    e->total = e->cb_bytes + e->output_bytes + e->halo_bytes;
    e->core_count = k.in.ncores > k.out.ncores ? k.in.ncores : k.out.ncores;
    e->valid = true;
    return TG_OK;
}

/* Height by default; block when smaller and it uses at least a grid row of cores;
 * width when smaller still and the conv is not a matmul conv. A layout TTNN cannot
 * configure is skipped (its estimate says why). */
static int auto_shard(const conv *v, bool mm, tg_ttnn_estimate est[3]) {
    static const int order[3] = {TG_SHARD_HEIGHT, TG_SHARD_BLOCK, TG_SHARD_WIDTH};
    for (int i = 0; i < 3; i++) {
        tg_ttnn_estimate *e = &est[order[i]];
        memset(e, 0, sizeof *e);
        if (estimate_layout(v, order[i], mm, e) != TG_OK) {
            memset(e, 0, sizeof *e);
            snprintf(e->why, sizeof e->why, "%s", tg_err_msg());
        }
    }
    int win = TG_SHARD_HEIGHT;
    const tg_ttnn_estimate *b = &est[TG_SHARD_BLOCK], *w = &est[TG_SHARD_WIDTH];
    if (b->valid && (!est[win].valid || b->total < est[win].total) && b->core_count >= v->grid.w)
        win = TG_SHARD_BLOCK;
    if (w->valid && (!est[win].valid || w->total < est[win].total) && !mm) win = TG_SHARD_WIDTH;
    return win;
}

/* ---- the plan: buffers and events in conv2d_L1's order ---- */

static int buf_add(tg_ttnn_conv2d_plan *p, const char *name, tg_ttnn_kind kind, int64_t pages,
                   size_t page_size, const char *program) {
    tg_ttnn_buffer *b = &p->buffers[p->nbuffers];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    b->kind = kind;
    b->pages = pages;
    b->page_size = page_size;
    b->bytes = (size_t)pages * page_size;
    /* [L1A; BM] an L1 buffer takes its size per bank rounded up to the L1 alignment */
    if (kind == TG_TTNN_L1_BUFFER || kind == TG_TTNN_L1_SMALL)
        b->bytes = (size_t)round_up((int64_t)b->bytes, (int64_t)p->l1.l1_align);
    b->program = program;
    return p->nbuffers++;
}

static void ev_add(tg_ttnn_conv2d_plan *p, tg_ttnn_event_kind kind, int buffer, int cb0, int ncbs) {
    p->events[p->nevents++] = (tg_ttnn_event){kind, buffer, cb0, ncbs};
}

/* A program's CBs as buffers, in creation order (a CB without pages is not created);
 * returns the first one's index. The caller adds the PROGRAM event. */
static int program_buffers(tg_ttnn_conv2d_plan *p, const cb_list *l, const char *program) {
    int cb0 = p->nbuffers;
    for (int i = 0; i < l->n; i++) {
        const cb *x = &l->cbs[i];
        if (x->pages == 0 && !x->global) continue;
        buf_add(p, x->name, x->global ? TG_TTNN_CB_ALIAS : TG_TTNN_CB, x->pages, x->page_size,
                program);
    }
    return cb0;
}

static void program_add(tg_ttnn_conv2d_plan *p, const cb_list *l, const char *program) {
    int cb0 = program_buffers(p, l, program);
    ev_add(p, TG_TTNN_EV_PROGRAM, -1, cb0, p->nbuffers - cb0);
}

/* A [h, w] shard of fmt: tiles, or rows of w values aligned to the L1 alignment. */
static int buf_add_shard(tg_ttnn_conv2d_plan *p, const char *name, int64_t h, int64_t w, tg_fmt fmt,
                         tg_ttnn_layout layout) {
    if (layout == TG_TTNN_TILE)
        return buf_add(p, name, TG_TTNN_L1_BUFFER, div_up(h, TILE) * div_up(w, TILE),
                       tile_bytes(fmt), NULL);
    size_t row = (size_t)round_up((int64_t)tg_fmt_row_bytes(fmt, w), (int64_t)p->l1.l1_align);
    return buf_add(p, name, TG_TTNN_L1_BUFFER, h, row, NULL);
}

/* The 1x1 matmul path [C2D]: ttnn::linear on the sharded input, tilized first when it
 * is row-major (then freed with deallocate_activation). */
static void plan_matmul(const conv *v, const sizing *k, tg_ttnn_conv2d_plan *p, int input) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    if (c->input_layout == TG_TTNN_ROW_MAJOR) {
        int t = buf_add_shard(p, "tilized input", k->in_shard_h, k->in_shard_w, c->input_dtype,
                              TG_TTNN_TILE);
        ev_add(p, TG_TTNN_EV_ALLOC, t, 0, 0);
        if (c->deallocate_activation) ev_add(p, TG_TTNN_EV_FREE, input, 0, 0);
    }
    int o = buf_add_shard(p, "conv output shard", k->out_shard_h, k->out_shard_w, v->out_fmt,
                          TG_TTNN_TILE);
    ev_add(p, TG_TTNN_EV_ALLOC, o, 0, 0);
    cb_list l = {.n = 0};
    mm_info mi;
    matmul_cbs(v, k, p->weights_rows, &l, &mi);
    program_add(p, &l, "matmul");
    p->num_blocks_act_h = 1;
    p->num_blocks_act_w = p->in0_num_blocks_w = mi.num_blocks;
    p->split_reader = p->split_reader_viable = false;
    p->packer_l1_acc_en = mi.packer_l1_acc_en;
    p->partials_dtype = mi.interm0;
    p->mm_mcast_in0 = k->layout != TG_SHARD_HEIGHT;
    p->mm_interm0_shares_out = mi.interm0_shares_out;
}

/* The conv op: halo, output, config tensor, program [C2D conv2d_L1; SD; WSD]. */
static tg_status plan_conv(const conv *v, const sizing *k, tg_ttnn_conv2d_plan *p, int input) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    const tg_fmt hfmt = halo_fmt(c->input_dtype);
    /* [C2D] the halo runs unless width sharding reads a row-major input without padding;
     * its output is not in place for conv [SWH should_halo_be_in_place]. */
    bool need_halo = !(k->layout == TG_SHARD_WIDTH && c->input_layout == TG_TTNN_ROW_MAJOR &&
                       c->pad_t + c->pad_b + c->pad_l + c->pad_r == 0);
    if (need_halo) {
        /* [HALO compute_output_specs] [max_out_nsticks_per_core, shard width], row-major */
        p->halo_sticks = max_out_nsticks_per_core(v, k->in.nhw);
        int h =
            buf_add_shard(p, "halo output", p->halo_sticks, k->in_shard_w, hfmt, TG_TTNN_ROW_MAJOR);
        ev_add(p, TG_TTNN_EV_ALLOC, h, 0, 0);
        /* [UWH UntilizeWithHaloProgramFactory::create] two pad CBs of one stick; for a
         * tiled input two untilize CBs of two tile rows of the shard. (Its four config
         * CBs live on the halo's config tensors, not modelled.) */
        size_t stick = (size_t)round_up((int64_t)tg_fmt_row_bytes(hfmt, k->in_shard_w),
                                        (int64_t)p->l1.l1_align);
        cb_list hl = {.n = 0};
        cb_add(&hl, "HALO_PAD0", 1, stick, false);
        cb_add(&hl, "HALO_PAD1", 1, stick, false);
        if (c->input_layout == TG_TTNN_TILE) {
            int64_t ntiles = div_up(k->in_shard_w, TILE);
            cb_add(&hl, "HALO_UNTILIZE0", 2 * ntiles, tile_bytes(hfmt), false);
            cb_add(&hl, "HALO_UNTILIZE1", 2 * ntiles, tile_bytes(hfmt), false);
        }
        program_add(p, &hl, "halo");
        /* [C2D] then the input goes (deallocate_activation) and the halo output moves
         * (ttnn::move: freed, then allocated again top-down, into the freed space). */
        if (c->deallocate_activation) ev_add(p, TG_TTNN_EV_FREE, input, 0, 0);
        if (c->reallocate_halo_output) {
            ev_add(p, TG_TTNN_EV_FREE, h, 0, 0);
            ev_add(p, TG_TTNN_EV_ALLOC, h, 0, 0);
        }
    }
    /* [DEV compute_output_specs] the output shard, allocated before the program */
    int o = buf_add_shard(p, "conv output shard", k->out_shard_h, k->out_shard_w, v->out_fmt,
                          c->output_layout);
    ev_add(p, TG_TTNN_EV_ALLOC, o, 0, 0);

    /* [SD/WSD] get_cb_info takes the conv op's input tensor: the halo output. The split
     * reader's channels: the whole input's for block and width. */
    tg_fmt op_in = need_halo ? hfmt : c->input_dtype;
    int64_t in_c_split = k->in_shard_w;
    if (k->layout == TG_SHARD_BLOCK) in_c_split = k->in_shard_w * k->in.c;
    if (k->layout == TG_SHARD_WIDTH) in_c_split = k->in_shard_w * k->in.ncores;
    cb_list l = {.n = 0};
    cb_info info;
    TG_CHECK(get_cb_info(v, k, p->weights_rows, p->weights_cols, op_in, in_c_split,
                         conv_skip_act_mcast(k), &l, &info));
    if (k->layout == TG_SHARD_WIDTH) info.split_reader = false; /* [WSD] never split */
    cb *sharded = cb_find(&l, "ACT_SHARDED");
    sharded->pages = k->in_shard_h;
    sharded->page_size = (size_t)k->in_shard_w * (c->input_dtype == TG_FLOAT32 ? 4 : 2);

    /* The reader-indices config tensor [SW construct_on_host_config_tensor,
     * move_config_tensor_to_device]: uint16 entries in L1_SMALL; the READER_INDICES CB
     * sits on it with its page size [SD]. */
    int64_t abh = k->blk.abh;
    int64_t r0 = abh * TILE, r1 = 0;
    if (info.split_reader) {
        r0 = (abh - abh / 2) * TILE;
        r1 = (abh / 2) * TILE;
    }
    p->reader_indices = reader_indices_len(v, k->in.nhw, r0, r1);
    if (!c->config_tensors_in_dram)
        cb_find(&l, "READER_INDICES")->page_size = (size_t)p->reader_indices * 2;
    int cb0 = program_buffers(p, &l, "conv"), ncbs = p->nbuffers - cb0;
    /* The config tensor is allocated while the program is made, before its CBs are
     * validated at launch. */
    if (!c->config_tensors_in_dram) {
        int small = buf_add(p, "reader indices (conv config tensor)", TG_TTNN_L1_SMALL, 1,
                            (size_t)p->reader_indices * 2, NULL);
        ev_add(p, TG_TTNN_EV_ALLOC, small, 0, 0);
    }
    ev_add(p, TG_TTNN_EV_PROGRAM, -1, cb0, ncbs);
    p->num_blocks_act_h = info.num_blocks_act_h;
    p->num_blocks_act_w = info.num_blocks_act_w;
    p->in0_num_blocks_w = info.in0_num_blocks_w;
    p->split_reader = info.split_reader;
    p->split_reader_viable = info.split_viable;
    p->packer_l1_acc_en = info.packer_l1_acc_en;
    p->partials_dtype = info.partials;
    return TG_OK;
}

tg_status tg_ttnn_conv2d_plan_make(const tg_ttnn_conv2d_config *c, tg_ttnn_conv2d_plan *out) {
    memset(out, 0, sizeof *out);
    out->layout = c->layout;
    conv v;
    TG_CHECK(conv_resolve(c, &v));
    tg_ttnn_conv2d_plan *p = out;
    p->l1 = v.l1;
    p->l1_small_size = c->l1_small_size;
    p->weights_dtype = v.w_fmt;
    p->output_dtype = v.out_fmt;
    p->fp32_dest_acc = v.fp32_acc;
    p->out_h = v.out_h;
    p->out_w = v.out_w;

    int layout = c->layout;
    if (layout < 0) {
        bool mm_unset = use_matmul_for_1x1_conv(c, -1);
        layout = auto_shard(&v, mm_unset, p->est);
        p->auto_layout = true;
        /* [C2D shard_or_reshard_tensor_if_required] an automatically sharded matmul conv
         * runs ttnn::linear on the interleaved input: not modelled, planned sharded. */
        p->auto_mm_note = mm_unset;
    }
    p->layout = layout;
    p->mm_conv = use_matmul_for_1x1_conv(c, layout);

    sizing k;
    TG_CHECK(sizing_make(&v, layout, p->mm_conv, false, &k));
    p->num_cores_nhw = k.in.nhw;
    p->num_cores_c_in = k.in.c;
    p->num_cores_c_out = k.out.c;
    p->num_cores_in = k.in.ncores;
    p->num_cores_out = k.out.ncores;
    p->grid_in = k.in.box;
    p->grid_out = k.out.box;
    /* The program's cores: the output's for height, else the union's bounding box. */
    p->grid = layout == TG_SHARD_HEIGHT
                  ? k.out.box
                  : (tg_grid){k.in.box.w > k.out.box.w ? k.in.box.w : k.out.box.w,
                              k.in.box.h > k.out.box.h ? k.in.box.h : k.out.box.h};
    snprintf(p->core_range, sizeof p->core_range, "[(x=0,y=0) - (x=%d,y=%d)]", p->grid.w - 1,
             p->grid.h - 1);
    p->num_banks = k.in.ncores > k.out.ncores ? k.in.ncores : k.out.ncores;
    p->input_shard_h = k.in_shard_h;
    p->input_shard_w = k.in_shard_w;
    p->output_shard_h = k.out_shard_h;
    p->output_shard_w = k.out_shard_w;
    p->per_core_out_h_ntiles = k.per_core_h;
    p->per_core_out_w_ntiles = k.per_core_w;
    p->in_c_padded = k.in_c_padded;
    p->out_c_padded = k.out_c_padded;
    p->in_c_alignment = k.align;
    p->act_block_h_ntiles = k.blk.abh;
    p->act_block_w_ntiles = k.blk.abw;
    p->out_subblock_h_ntiles = k.blk.sub_h;
    p->out_subblock_w_ntiles = k.blk.sub_w;
    weights_matrix_shape(&v, &k, &p->weights_rows, &p->weights_cols);

    /* The input shard, as TTNN shards it (or as given), is in L1 when the conv starts. */
    int input = buf_add_shard(p, "input shard", k.in_shard_h, k.in_shard_w, c->input_dtype,
                              c->input_layout);
    ev_add(p, TG_TTNN_EV_ALLOC, input, 0, 0);
    if (p->mm_conv) {
        plan_matmul(&v, &k, p, input);
        return TG_OK;
    }
    return plan_conv(&v, &k, p, input);
}

const tg_ttnn_buffer *tg_ttnn_plan_buffer(const tg_ttnn_conv2d_plan *p, const char *name) {
    for (int i = 0; i < p->nbuffers; i++)
        if (!strcmp(p->buffers[i].name, name)) return &p->buffers[i];
    return NULL;
}

const char *tg_ttnn_kind_name(tg_ttnn_kind k) {
    switch (k) {
    case TG_TTNN_CB:
        return "cb";
    case TG_TTNN_CB_ALIAS:
        return "cb_alias";
    case TG_TTNN_L1_BUFFER:
        return "l1_buffer";
    case TG_TTNN_L1_SMALL:
        return "l1_small";
    }
    return "?";
}

/* ---- TTNN's error texts ---- */

bool tg_ttnn_cb_error(char *msg, size_t cap, const char *program, const char *core_range,
                      size_t cb_end, size_t l1_size, size_t lowest) {
    /* [PRG ProgramImpl::validate_circular_buffer_region] */
    if (cb_end > l1_size) {
        snprintf(msg, cap,
                 "Statically allocated circular buffers on core range %s grow to %zu B which is "
                 "beyond max L1 size of %zu B",
                 core_range, cb_end, l1_size);
        return true;
    }
    if (lowest != SIZE_MAX && lowest < cb_end) {
        snprintf(msg, cap,
                 "Statically allocated circular buffers in program %s clash with L1 buffers on "
                 "core range %s. L1 buffer allocated at %zu and static circular buffer region "
                 "ends at %zu",
                 program, core_range, lowest, cb_end);
        return true;
    }
    return false;
}

void tg_ttnn_oom_error(char *msg, size_t cap, const char *region, size_t bank_bytes, int num_banks,
                       size_t bank_size, size_t allocated, size_t free, size_t largest) {
    /* [BM BankManager::allocate_buffer] (older tt-metal ends "bank size is only Z B") */
    snprintf(msg, cap,
             "Out of Memory: Not enough space to allocate %zu B %s buffer across %d banks, where "
             "each bank needs to store %zu B, but bank size is %zu B (allocated: %zu B, free: %zu "
             "B, largest free block: %zu B)",
             bank_bytes * (size_t)num_banks, region, num_banks, bank_bytes, bank_size, allocated,
             free, largest);
}
