/* conv2d as TTNN sizes it, the configuration: arch figures, defaults, the parallel
 * and block configuration, shard shapes, the prepared weight matrix and TTNN's
 * automatic layout; then the plan's entry point. The sources ([SHORT function]) are
 * listed in impl/conv2d_ttnn_impl.h. Pure. */
#include "conv2d_ttnn_impl.h"

#include <stdio.h>
#include <string.h>

/* ---- the L1 of each arch ---- */

/* One row per arch TTNN has (Grayskull is gone from tt-metal: the HAL holds only
 * wormhole/ and blackhole/). The memory map worked out here; tg_arch's presets
 * (src/rank/arch.c) carry the results, and the unit test checks that they agree. */
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

static tg_status conv_resolve(const tg_ttnn_conv2d_config *c, ttnn_conv *v) {
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
    /* [CU determine_per_core_conv_block_config] a TT_ASSERT (debug builds); a release
     * build would divide by zero below 32. */
    if (c->act_block_h_override < 0 || c->act_block_h_override % TTNN_TILE != 0)
        return tg_err(TG_ERR_USAGE, "TT_FATAL: Config Error: act_block_h_override must be a "
                                    "multiple of 32 (tile height).");
    if (c->weights_dtype < -1 || c->weights_dtype > TG_BFLOAT8_B || c->output_dtype < -1 ||
        c->output_dtype > TG_BFLOAT8_B)
        return tg_err(TG_ERR_USAGE, "conv2d (TTNN): unknown weights (%d) or output (%d) format",
                      c->weights_dtype, c->output_dtype);
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
    /* [C2D conv2d_L1] weights from conv_config.weights_dtype, else the weights tensor's;
     * the output from dtype, else the input's. [PW prepare_conv_bias_internal] converts
     * the bias to the weights' format. */
    v->w_fmt = c->weights_dtype >= 0 ? (tg_fmt)c->weights_dtype : c->weights_tensor_dtype;
    v->out_fmt = c->output_dtype >= 0 ? (tg_fmt)c->output_dtype : c->input_dtype;
    /* [CU get_conv_default_compute_kernel_config] HiFi4, approx, fp32_dest_acc_en only
     * when input and weights are both FLOAT32, packer_l1_acc off. */
    v->fp32_acc = c->fp32_dest_acc >= 0 ? c->fp32_dest_acc != 0
                                        : (c->input_dtype == TG_FLOAT32 && v->w_fmt == TG_FLOAT32);
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
    int64_t padded = ttnn_round_up(num, d);
    while (padded - num >= padded / d) {
        d--;
        padded = ttnn_round_up(num, d);
    }
    return d;
}

/* The same with the padding to d * mult (act_block_h_override's tiles), stopping at 1. */
static int find_closest_largest_divisor_with_num_padding_and_mult(int64_t num, int start,
                                                                  int mult) {
    int d = start;
    int64_t padded = ttnn_round_up(num, (int64_t)d * mult);
    while (padded - num >= padded / d && d > 1) {
        d--;
        padded = ttnn_round_up(num, (int64_t)d * mult);
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
    *box = n >= grid.w ? (tg_grid){grid.w, (int)ttnn_div_up(n, grid.w)} : (tg_grid){n, 1};
    return TG_OK;
}

/* ---- parallel configuration [CU] ---- */

/* [CU get_input_channels_alignment] without an input memory config: half the L1
 * alignment (8 channels) for a row-major input that is neither width sharded nor a
 * matmul conv, else a tile. An input already sharded: 32, 16 or 8 by its shard width
 * [CU get_conv_padded_input_shape_and_mem_config]. */
static int input_channels_alignment(const ttnn_conv *v, int layout, bool mm, bool given) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    if (given) {
        if (mm || layout == TG_SHARD_WIDTH || c->input_shard_w % 32 == 0) return TTNN_TILE;
        return c->input_shard_w % 16 == 0 ? 16 : 8;
    }
    if (!mm && layout != TG_SHARD_WIDTH && c->input_layout == TG_TTNN_ROW_MAJOR)
        return (int)v->l1.l1_align / 2;
    return TTNN_TILE;
}

/* [CU determine_parallel_config], ROW_MAJOR shard orientation. */
static tg_status determine_parallel_config(const ttnn_conv *v, int layout, int align,
                                           bool channels_padding, ttnn_pconf *p) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    int64_t out_nhw_ntiles = ttnn_div_up(c->batch * v->out_h * v->out_w, TTNN_TILE);
    int64_t out_c_ntiles = ttnn_div_up(c->out_c, TTNN_TILE);
    int mult = c->act_block_h_override == 0 ? 1 : c->act_block_h_override / TTNN_TILE;
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
        int64_t in_c_blocks = ttnn_div_up(c->in_c, align);
        p->nhw =
            find_closest_largest_divisor_with_num_padding_and_mult(out_nhw_ntiles, v->grid.h, mult);
        p->c = channels_padding
                   ? find_closest_largest_divisor_with_num_padding(in_c_blocks, v->grid.w)
                   : find_closest_largest_divisor2(out_c_ntiles, in_c_blocks, v->grid.w);
        p->box = (tg_grid){p->c, p->nhw};
        p->ncores = p->c * p->nhw;
        return TG_OK;
    }
    int64_t in_c_ntiles = ttnn_div_up(c->in_c, TTNN_TILE);
    p->nhw = 1;
    p->c = channels_padding ? find_closest_largest_divisor_with_num_padding(in_c_ntiles, max_cores)
                            : find_closest_largest_divisor(in_c_ntiles, max_cores);
    p->ncores = p->c;
    return num_cores_to_grid(p->c, v->grid, &p->box);
}

/* [CU determine_output_parallel_config]: a matmul conv keeps the input's. */
static tg_status determine_output_parallel_config(const ttnn_conv *v, int layout, bool mm,
                                                  const ttnn_pconf *in, ttnn_pconf *out) {
    *out = *in;
    if (mm) return TG_OK;
    int64_t out_c_ntiles = ttnn_div_up(v->cfg->out_c, TTNN_TILE);
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
static tg_status determine_block_config(const ttnn_conv *v, int layout, const ttnn_pconf *in,
                                        int64_t per_core_h, int64_t per_core_w, int64_t in_c_padded,
                                        ttnn_block *b) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    /* The whole output shard, or the override when it divides the shard; else the
     * closest divisor below (TTNN logs a warning). */
    b->abh = per_core_h;
    if (c->act_block_h_override > 0) {
        int o = c->act_block_h_override / TTNN_TILE;
        b->abh = per_core_h % o == 0 ? o : find_closest_largest_divisor(per_core_h, o);
    }
    if (layout == TG_SHARD_HEIGHT && c->activation_reuse) {
        int64_t ow_ntiles = ttnn_div_up(v->out_w, TTNN_TILE);
        if (!(b->abh > ow_ntiles))
            return tg_err(TG_ERR_USAGE,
                          "TT_FATAL: Activation reuse needs act block h (%lld) to be bigger than "
                          "output image width in tiles (%lld) for the optimization to give boost",
                          (long long)b->abh, (long long)ow_ntiles);
    }
    int64_t w;
    if (layout == TG_SHARD_HEIGHT) {
        /* one kernel row of all channels; activation reuse: the whole window */
        w = ttnn_round_up(in_c_padded * (c->activation_reuse ? c->kh * c->kw : c->kw), TTNN_TILE);
    } else if (layout == TG_SHARD_BLOCK) {
        /* one kernel row of this grid column's channels, unless full_inner_dim */
        w = ttnn_round_up(in_c_padded / in->c * c->kw * (c->full_inner_dim ? c->kh : 1), TTNN_TILE);
    } else {
        int64_t unit = (int64_t)TTNN_TILE * in->ncores * c->act_block_w_div;
        if (in_c_padded % unit != 0)
            return tg_err(TG_ERR_USAGE,
                          "TT_FATAL: Padded In Channels = %lld, num_cores = %d, "
                          "act_block_w_div = %d",
                          (long long)in_c_padded, in->ncores, c->act_block_w_div);
        w = in_c_padded * c->kh * c->kw / ((int64_t)in->ncores * c->act_block_w_div);
    }
    b->abw = w / TTNN_TILE;
    determine_largest_subblock_size(b->abh, per_core_w, v->fp32_acc, &b->sub_h, &b->sub_w);
    return TG_OK;
}

/* ---- one layout's configuration: parallel config, shards, blocks ---- */

/* estimate: TTNN's auto-shard estimate, which ignores a given input shard. */
static tg_status sizing_make(const ttnn_conv *v, int layout, bool mm, bool estimate,
                             ttnn_sizing *k) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    memset(k, 0, sizeof *k);
    k->layout = layout;
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
    k->in_c_padded = ttnn_round_up(c->in_c, (int64_t)k->in.c * k->align);
    int64_t rsz = layout == TG_SHARD_WIDTH && c->input_layout == TG_TTNN_ROW_MAJOR ? 1 : TTNN_TILE;
    k->in_shard_h = ttnn_round_up(c->batch * c->in_h * c->in_w, k->in.nhw * rsz) / k->in.nhw;
    k->in_shard_w = k->in_c_padded / k->in.c;
    if (given) {
        k->in_shard_h = c->input_shard_h;
        k->in_shard_w = c->input_shard_w;
    }
    /* [CU get_conv_configs, create_sharded_memory_config_from_parallel_config] output
     * rows to nhw * 32 (width: not rounded), channels to the output channel cores * 32. */
    k->out_c_padded = ttnn_round_up(c->out_c, (int64_t)k->out.c * TTNN_TILE);
    int64_t nhw_out = c->batch * v->out_h * v->out_w;
    int64_t out_rows =
        layout == TG_SHARD_WIDTH ? nhw_out : ttnn_round_up(nhw_out, k->in.nhw * TTNN_TILE);
    k->out_shard_h = out_rows / k->in.nhw;
    k->out_shard_w = k->out_c_padded / k->out.c;
    k->per_core_h = ttnn_div_up(k->out_shard_h, TTNN_TILE);
    k->per_core_w = ttnn_div_up(k->out_shard_w, TTNN_TILE);
    return determine_block_config(v, layout, &k->in, k->per_core_h, k->per_core_w, k->in_c_padded,
                                  &k->blk);
}

/* [PW] the prepared weight matrix [1, 1, rows, cols]; the output channels are already
 * padded to the output channel cores * 32. */
static void weights_matrix_shape(const ttnn_conv *v, const ttnn_sizing *k, int64_t *rows,
                                 int64_t *cols) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    int64_t abw = k->blk.abw;
    if (k->layout == TG_SHARD_BLOCK) {
        /* [PW to_weight_tile_layout_block_sharded] each input-core slice padded to tiles
         * per kernel row (full_inner_dim: over the whole window) */
        int64_t cs = k->in_c_padded / k->in.c;
        int64_t padded = c->full_inner_dim ? ttnn_round_up(cs * c->kw * c->kh, TTNN_TILE)
                                           : ttnn_round_up(cs * c->kw, TTNN_TILE) * c->kh;
        *rows = k->in_c_padded * c->kh * c->kw;
        if (cs * c->kh * c->kw < padded) *rows = padded * k->in.c;
        *cols = k->out_c_padded;
        return;
    }
    *cols = ttnn_round_up(k->out_c_padded, (int64_t)k->blk.sub_w * TTNN_TILE);
    if (k->layout == TG_SHARD_HEIGHT) /* [PW to_weight_special_padding_tile_layout] */
        *rows = c->activation_reuse ? abw * TTNN_TILE : abw * TTNN_TILE * c->kh;
    else /* [PW to_weight_tile_layout] */
        *rows = ttnn_round_up(k->in_c_padded * c->kh * c->kw, abw * TTNN_TILE);
}

/* ---- TTNN's automatic layout [CU determine_conv_config_for_auto_shard] ---- */

/* [CU calculate_L1_usage_for_conv_op]: every CB that takes CB space (get_cb_info with
 * the approximate weights [Kh*Kw*round_up(Cin, align), round_up(Cout, 32)], the
 * conv's input format and no multicast skip) + the output shard (the OUT CB) + the halo output
 * (calculate_precise_halo_output_elems * datum). The input shard is not counted. */
static tg_status estimate_layout(const ttnn_conv *v, int layout, bool mm, tg_ttnn_estimate *e) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    ttnn_sizing k;
    TG_CHECK(sizing_make(v, layout, mm, true, &k));
    int64_t w_rows = ttnn_round_up(c->in_c, k.align) * c->kh * c->kw;
    int64_t w_cols = ttnn_round_up(c->out_c, TTNN_TILE);
    ttnn_cb_list l = {.n = 0};
    ttnn_cb_info info;
    TG_CHECK(
        ttnn_get_cb_info(v, &k, w_rows, w_cols, c->input_dtype, k.in_c_padded, false, &l, &info));
    for (int i = 0; i < l.n; i++) {
        size_t bytes = (size_t)l.cbs[i].pages * l.cbs[i].page_size;
        if (!l.cbs[i].global) e->cb_bytes += bytes;
        if (!strcmp(l.cbs[i].name, "OUT")) e->output_bytes = bytes;
    }
    size_t datum = c->input_dtype == TG_FLOAT32 ? 4 : 2;
    e->halo_bytes =
        (size_t)ttnn_max_out_nsticks_per_core(v, k.in.nhw) * (size_t)k.in_shard_w * datum;
    e->total = e->cb_bytes + e->output_bytes + e->halo_bytes;
    e->core_count = k.in.ncores > k.out.ncores ? k.in.ncores : k.out.ncores;
    e->valid = true;
    return TG_OK;
}

/* Height by default; block when smaller and it uses at least a grid row of cores;
 * width when smaller still and the conv is not a matmul conv. A layout TTNN cannot
 * configure is skipped (its estimate says why). */
static int auto_shard(const ttnn_conv *v, bool mm, tg_ttnn_estimate est[3]) {
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

tg_status tg_ttnn_conv2d_plan_make(const tg_ttnn_conv2d_config *c, tg_ttnn_conv2d_plan *out) {
    memset(out, 0, sizeof *out);
    out->layout = c->layout;
    ttnn_conv v;
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

    ttnn_sizing k;
    TG_CHECK(sizing_make(&v, layout, p->mm_conv, false, &k));
    p->num_cores_nhw = k.in.nhw;
    p->num_cores_c_in = k.in.c;
    p->num_cores_c_out = k.out.c;
    p->num_cores_in = k.in.ncores;
    p->num_cores_out = k.out.ncores;
    p->grid_in = k.in.box;
    p->grid_out = k.out.box;
    /* The program's cores, as a bounding box (tests/ttnn/NOTES.md section 8): the
     * output's for height, else the input's and output's together. */
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

    return ttnn_plan_l1(&v, &k, p);
}
