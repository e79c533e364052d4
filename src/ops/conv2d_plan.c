/* conv2d planning, the decisions: layout, shards, blocks and the per-core L1 budget.
 * Pure. (conv2d_fit.c tries candidates and materialises the chosen one;
 * conv2d_schedule.c turns it into each core's steps.)
 *
 * Sharded layouts follow ttnn.conv2d's defaults (the paper, "Conv2dConfig"): the
 * output block is the core's whole output shard unless act_block_h overrides it;
 * the K dimension is walked one kernel row at a time (act_block_w = Kw * Cin) for
 * height sharding and one core's channel slice per multicast turn for block and
 * width sharding; the whole weight block for the core's output channels stays in
 * L1. A sharded plan that does not fit is an error, as on the device. The DRAM
 * layout ("none", the paper's single-core interleaved variant, here on any number
 * of cores) sizes its blocks itself by the paper's L1 rule. */
#include "conv2d.h"
#include "conv2d_impl.h"
#include "gemm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

static int64_t round_up(int64_t a, int64_t b) {
    return ceil_div(a, b) * b;
}

tg_status tg_conv_layout_parse(const char *s, tg_conv_layout *out) {
    if (!strcmp(s, "height"))
        *out = TG_CONV_HEIGHT;
    else if (!strcmp(s, "width"))
        *out = TG_CONV_WIDTH;
    else if (!strcmp(s, "block"))
        *out = TG_CONV_BLOCK;
    else if (!strcmp(s, "none") || !strcmp(s, "dram"))
        *out = TG_CONV_DRAM;
    else if (!strcmp(s, "auto"))
        *out = TG_CONV_AUTO;
    else
        return tg_err(TG_ERR_USAGE, "unknown shard layout '%s' (auto, height, width, block, none)",
                      s);
    return TG_OK;
}

const char *tg_conv_layout_name(tg_conv_layout l) {
    static const char *names[] = {"height", "width", "block", "none", "auto"};
    return (int)l >= 0 && l <= TG_CONV_AUTO ? names[l] : "?";
}

tg_status tg_fidelity_parse(const char *s, tg_fidelity *out) {
    if (!strcmp(s, "LoFi"))
        *out = TG_LOFI;
    else if (!strcmp(s, "HiFi2"))
        *out = TG_HIFI2;
    else if (!strcmp(s, "HiFi3"))
        *out = TG_HIFI3;
    else if (!strcmp(s, "HiFi4"))
        *out = TG_HIFI4;
    else
        return tg_err(TG_ERR_USAGE, "unknown math fidelity '%s' (LoFi, HiFi2, HiFi3, HiFi4)", s);
    return TG_OK;
}

const char *tg_fidelity_name(tg_fidelity f) {
    static const char *names[] = {"?", "LoFi", "HiFi2", "HiFi3", "HiFi4"};
    return f >= TG_LOFI && f <= TG_HIFI4 ? names[f] : "?";
}

void tg_conv2d_params_default(tg_conv2d_params *p) {
    memset(p, 0, sizeof *p);
    p->kh = p->kw = p->sh = p->sw = p->dh = p->dw = 1;
    p->groups = 1;
    p->layout = TG_CONV_AUTO;
    p->act_block_w_div = 1;
    p->in_fmt = p->w_fmt = p->out_fmt = TG_BFLOAT16;
    p->fidelity = TG_HIFI4;
    /* TTNN's Conv2dConfig and compute config defaults (conv2d_ttnn.c cites them) */
    p->fp32_acc = -1;
    p->force_split_reader = -1;
    p->reallocate_halo_output = true;
    p->snap = true;
    p->halo_mode = TG_HALO_PULL;
}

static void add_item(tg_conv2d_plan *pl, const char *name, size_t bytes) {
    if (pl->nitems == TG_CONV_MAX_ITEMS || bytes == 0) return;
    snprintf(pl->items[pl->nitems].name, sizeof pl->items[0].name, "%s", name);
    pl->items[pl->nitems].bytes = bytes;
    pl->nitems++;
}

/* TTNN's choices of output sub-block (h x w tiles), best first. */
static void pick_subblock(tg_conv2d_plan *pl) {
    static const int choices[][2] = {{4, 2}, {2, 4}, {8, 1}, {1, 8}, {7, 1}, {1, 7}, {3, 2},
                                     {2, 3}, {6, 1}, {1, 6}, {5, 1}, {1, 5}, {2, 2}, {4, 1},
                                     {1, 4}, {3, 1}, {1, 3}, {2, 1}, {1, 2}, {1, 1}};
    int limit = pl->p.fp32_acc ? 4 : 8; /* tiles in DST (tech report "Fp32 Dest Acc") */
    int64_t ht = ceil_div(pl->act_block_h, TG_TILE), wt = ceil_div(pl->weights_block_w, TG_TILE);
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        int h = choices[i][0], w = choices[i][1];
        if (h * w <= limit && ht % h == 0 && wt % w == 0) {
            pl->sub_h = h, pl->sub_w = w;
            return;
        }
    }
    pl->sub_h = pl->sub_w = 1;
}

const char *const tg_conv_cb_names[TG_CONV_NCB] = {"input window",   "act CB",  "act mcast CB",
                                                   "weights CB",     "bias CB", "partials CB",
                                                   "output block CB"};

void tg_conv2d_cb_sizes(const tg_conv2d_plan *pl, size_t sz[TG_CONV_NCB]) {
    const tg_conv2d_params *p = &pl->p;
    bool dram = p->layout == TG_CONV_DRAM;
    int64_t abh = pl->act_block_h, abw = pl->act_block_w, bww = pl->weights_block_w;
    int64_t kblocks = pl->kblocks_per_turn * pl->col_parts;
    size_t act = (size_t)abh * tg_fmt_row_bytes(p->in_fmt, abw) * (p->act_double_buffer ? 2 : 1);
    size_t wrow = tg_fmt_row_bytes(p->w_fmt, bww);
    memset(sz, 0, TG_CONV_NCB * sizeof *sz);
    if (dram) sz[TG_CONV_CB_WINDOW] = (size_t)pl->halo_cap * tg_fmt_row_bytes(p->in_fmt, pl->cin_p);
    /* the height-sharded matmul path reads its activations straight from the shard */
    if (!pl->matmul_path || p->layout != TG_CONV_HEIGHT) sz[TG_CONV_CB_ACT] = act;
    if (!dram && p->layout != TG_CONV_HEIGHT) sz[TG_CONV_CB_MCAST] = act;
    /* weights in panels of 32 output channels (a column of weight tiles) */
    int64_t panels = (bww + TG_GEMM_PANEL - 1) / TG_GEMM_PANEL;
    sz[TG_CONV_CB_WEIGHTS] = (size_t)(pl->weights_resident ? pl->k_rows : abw) * (size_t)panels *
                             tg_fmt_row_bytes(p->w_fmt, TG_GEMM_PANEL) *
                             (p->weights_double_buffer ? 2 : 1);
    if (p->has_bias) sz[TG_CONV_CB_BIAS] = (size_t)TG_TILE * wrow; /* the paper: [32, Cout] */
    if (kblocks > 1) sz[TG_CONV_CB_PARTIALS] = (size_t)(abh * bww) * (p->fp32_acc ? 4 : 2);
    if (dram) sz[TG_CONV_CB_OUTBLOCK] = (size_t)abh * tg_fmt_row_bytes(p->out_fmt, bww);
}

size_t tg_conv2d_input_bytes(const tg_conv2d_plan *pl) {
    if (pl->p.layout == TG_CONV_DRAM) return 0;
    return (size_t)pl->in_split.shard * tg_fmt_row_bytes(pl->p.in_fmt, pl->cin_slice);
}

size_t tg_conv2d_output_bytes(const tg_conv2d_plan *pl) {
    if (pl->p.layout == TG_CONV_DRAM) return 0;
    int64_t h =
        pl->p.layout == TG_CONV_WIDTH ? round_up(pl->out_rows, TG_TILE) : pl->out_split.shard;
    return (size_t)h * tg_fmt_row_bytes(pl->p.out_fmt, pl->cout_slice);
}

size_t tg_conv2d_haloed_bytes(const tg_conv2d_plan *pl) {
    if (pl->p.layout == TG_CONV_DRAM || pl->matmul_path) return 0;
    return (size_t)pl->halo_cap * tg_fmt_row_bytes(pl->p.in_fmt, pl->cin_slice);
}

/* Fills the L1 budget; the total is the peak over the op's two phases: the halo
 * (input shard + haloed shard + output shard) and the compute (haloed shard,
 * circular buffers, output shard, and the input shard unless it was deallocated). */
static void budget(tg_conv2d_plan *pl) {
    const tg_conv2d_params *p = &pl->p;
    size_t cb[TG_CONV_NCB];
    tg_conv2d_cb_sizes(pl, cb);
    size_t input = tg_conv2d_input_bytes(pl), haloed = tg_conv2d_haloed_bytes(pl);
    size_t output = tg_conv2d_output_bytes(pl), cbs = 0;
    pl->nitems = 0;
    add_item(pl, "input shard", input);
    add_item(pl, "haloed shard", haloed);
    for (int i = 0; i < TG_CONV_NCB; i++) {
        add_item(pl, tg_conv_cb_names[i], cb[i]);
        cbs += cb[i];
    }
    add_item(pl, "output shard", output);
    size_t compute = haloed + cbs + output + (p->deallocate_activation && haloed ? 0 : input);
    size_t halo_phase = input + haloed + output;
    pl->l1_total = compute > halo_phase ? compute : halo_phase;
    pl->largest = 0;
    for (int i = 1; i < pl->nitems; i++)
        if (pl->items[i].bytes > pl->items[pl->largest].bytes) pl->largest = i;
}

static bool fits(const tg_conv2d_plan *pl) {
    return pl->l1_total <= pl->l1_limit;
}

/* DRAM layout: the padded sticks one block of `abh` outputs can touch, at most, over
 * every block of every core. */
static int64_t dram_window(const tg_conv2d_plan *pl, int64_t abh) {
    int64_t best = 0;
    for (int q = 0; q < pl->out_split.parts; q++) {
        int64_t o1 = tg_split_end(pl->out_split, q);
        for (int64_t o = tg_split_start(pl->out_split, q); o < o1; o += abh) {
            int64_t e = o + abh < o1 ? o + abh : o1;
            int64_t len =
                tg_window_bottom_right(&pl->win, e - 1) + 1 - tg_window_top_left(&pl->win, o);
            if (len > best) best = len;
        }
    }
    return best;
}

/* DRAM layout: a rough cost of a block choice, in seconds of one core: the bytes
 * moved (weights read once if resident, else once per act block; input windows
 * gathered once per act block and weight block; im2col once per weight block) at
 * ~5 GB/s, and the multiplies at ~200 GFLOP/s, slower on weight blocks narrower
 * than 64 channels. Only the ranking matters. */
static double dram_cost(const tg_conv2d_plan *pl) {
    double M = (double)pl->out_split.shard, K = (double)pl->p.kh * pl->p.kw * (double)pl->cin_p;
    double N = (double)pl->cout_part, nh = ceil(M / (double)pl->act_block_h),
           nw = (double)pl->nblocks_w;
    double wb = (double)tg_fmt_row_bytes(pl->p.w_fmt, 32) / 32,
           ib = (double)tg_fmt_row_bytes(pl->p.in_fmt, 32) / 32;
    double weights = K * N * wb * (pl->weights_resident ? 1.0 : nh);
    double windows =
        (double)pl->halo_cap * (double)pl->cin_p * ib * nh * (pl->weights_resident ? nw : 1.0);
    double im2col = M * K * 4.0 * nw;
    double narrow = pl->weights_block_w < 64 ? 64.0 / (double)pl->weights_block_w : 1.0;
    return (weights + windows + im2col) / 5e9 + 2.0 * M * K * N * (0.5 + 0.5 * narrow) / 200e9;
}

/* DRAM layout: how the cores share the work. Split by rows, every core reads every
 * weight; split by output channels, every core reads the whole input. Whichever
 * reads fewer bytes wins (late layers have more weights than activations). */
static void dram_split(tg_conv2d_plan *pl) {
    int P = pl->cores.w * pl->cores.h;
    double K = (double)pl->p.kh * pl->p.kw * (double)pl->cin_p;
    double wbytes = K * (double)tg_fmt_row_bytes(pl->p.w_fmt, pl->cout_p);
    double ibytes = (double)pl->in_split.rows * (double)tg_fmt_row_bytes(pl->p.in_fmt, pl->cin_p);
    int64_t g = pl->p.cout < 32 ? 16 : 32;
    int64_t part = ((pl->cout_p + P - 1) / P + g - 1) / g * g;
    pl->dram_cols = P > 1 && part < pl->cout_p && wbytes > ibytes;
    pl->cout_part = pl->dram_cols ? part : pl->cout_p;
    if (pl->dram_cols) {
        int64_t rows = round_up(pl->out_rows, TG_TILE);
        pl->out_split = (tg_split){1, rows, pl->out_rows};
    }
}

/* DRAM layout: of the block choices that fit by the paper's L1 rule (weight blocks
 * resident or streamed, any width dividing Cout, act blocks of whole tiles), the
 * cheapest by dram_cost. */
static void dram_blocks(tg_conv2d_plan *pl) {
    int64_t rows = pl->out_split.shard;
    int64_t hmax =
        pl->p.act_block_h ? pl->p.act_block_h : round_up(rows < 1024 ? rows : 1024, TG_TILE);
    int64_t hmin = pl->p.act_block_h ? hmax : TG_TILE;
    tg_conv2d_plan best = *pl;
    double best_cost = -1;
    for (int resident = 1; resident >= 0; resident--)
        for (int64_t bw = pl->cout_part; bw >= 16; bw -= 16) {
            if (pl->cout_part % bw || (bw % TG_TILE && bw != pl->cout_part)) continue;
            /* tall blocks first, a tile at a time down to one tile */
            for (int64_t bh = hmax; bh >= hmin; bh -= TG_TILE) {
                pl->weights_resident = resident;
                pl->weights_block_w = bw;
                pl->nblocks_w = pl->cout_part / bw;
                pl->act_block_h = bh;
                pl->halo_cap = dram_window(pl, bh);
                budget(pl);
                if (!fits(pl)) continue;
                double cost = dram_cost(pl);
                if (best_cost < 0 || cost < best_cost) best = *pl, best_cost = cost;
                break; /* the tallest block that fits is the cheapest of this width */
            }
        }
    /* nothing fits: keep the last (smallest) blocks so the error names their sizes */
    if (best_cost >= 0) *pl = best;
}

/* Everything but the blocks: shapes, parts, slices, K. */
static tg_status plan_shapes(const tg_conv2d_params *p, const tg_machine *m, tg_conv2d_plan *pl) {
    tg_grid machine = m->grid;
    memset(pl, 0, sizeof *pl);
    pl->p = *p;
    pl->m = *m;
    /* [CU get_conv_default_compute_kernel_config] fp32 accumulation when the input and
     * the weights are both float32 (conv2d_ttnn.c) */
    if (p->fp32_acc < 0) pl->p.fp32_acc = p->in_fmt == TG_FLOAT32 && p->w_fmt == TG_FLOAT32;
    if (p->n <= 0 || p->h <= 0 || p->w <= 0 || p->cin <= 0 || p->cout <= 0)
        return tg_err(TG_ERR_USAGE,
                      "conv2d: input [%lld, %lld, %lld, %lld] and %lld output channels must be "
                      "positive",
                      (long long)p->n, (long long)p->h, (long long)p->w, (long long)p->cin,
                      (long long)p->cout);
    if (p->groups < 1 || p->cin % p->groups || p->cout % p->groups)
        return tg_err(TG_ERR_USAGE,
                      "conv2d: groups %d must divide both %lld input and %lld output channels",
                      p->groups, (long long)p->cin, (long long)p->cout);
    if (p->act_block_w_div < 1)
        return tg_err(TG_ERR_USAGE, "conv2d: act_block_w_div %d must be at least 1",
                      p->act_block_w_div);
    TG_CHECK(tg_window_make(p->n, p->h, p->w, p->kh, p->kw, p->sh, p->sw, p->pad_t, p->pad_b,
                            p->pad_l, p->pad_r, p->dh, p->dw, false, &pl->win));
    pl->cores = (p->cores.w > 0 && p->cores.h > 0) ? p->cores : machine;
    if (pl->cores.w > machine.w || pl->cores.h > machine.h)
        return tg_err(TG_ERR_USAGE, "conv2d: core grid %dx%d does not fit in the %dx%d grid",
                      pl->cores.w, pl->cores.h, machine.w, machine.h);
    pl->matmul_path = p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && p->pad_t == 0 &&
                      p->pad_b == 0 && p->pad_l == 0 && p->pad_r == 0 && p->groups == 1 &&
                      p->layout != TG_CONV_DRAM;
    pl->cin_g = p->cin / p->groups;
    pl->cout_g = p->cout / p->groups;
    pl->cin_p = tg_channels_padded(p->cin);
    /* Channels pad as every tensor's do (16 below 32, else 32), so the output is an
     * ordinary tensor of [N, Ho, Wo, Cout]; the device pads Cout to whole tiles. */
    pl->cout_p = tg_channels_padded(p->cout);
    pl->out_rows = tg_window_out_rows(&pl->win);
    int P = pl->cores.w * pl->cores.h;
    int align = p->cin < 32 ? 16 : 32;
    switch (p->layout) {
    case TG_CONV_HEIGHT:
    case TG_CONV_DRAM:
        pl->row_parts = P, pl->col_parts = 1;
        break;
    case TG_CONV_WIDTH:
        pl->row_parts = 1, pl->col_parts = P;
        break;
    case TG_CONV_BLOCK:
        pl->row_parts = p->transpose_shards ? pl->cores.w : pl->cores.h;
        pl->col_parts = p->transpose_shards ? pl->cores.h : pl->cores.w;
        break;
    case TG_CONV_AUTO:
        return tg_err(TG_ERR_USAGE, "conv2d: layout not resolved");
    }
    pl->cin_slice = round_up(ceil_div(pl->cin_p, pl->col_parts), align);
    pl->cout_slice = round_up(ceil_div(pl->cout_p, pl->col_parts), p->cout < 32 ? 16 : 32);
    int64_t taps = (int64_t)p->kh * p->kw;
    pl->k_turn = taps * pl->cin_slice;
    pl->k_rows =
        pl->col_parts == 1 ? round_up(taps * pl->cin_p, TG_TILE) : pl->col_parts * pl->k_turn;
    int64_t in_rows = p->n * p->h * p->w;
    int64_t ish = ceil_div(in_rows, pl->row_parts), osh = ceil_div(pl->out_rows, pl->row_parts);
    if (p->snap) ish = round_up(ish, TG_TILE), osh = round_up(osh, TG_TILE);
    pl->in_split = (tg_split){pl->row_parts, ish, in_rows};
    pl->out_split = (tg_split){pl->row_parts, osh, pl->out_rows};
    return TG_OK;
}

/* Row parts that hold output rows (the last ones may hold none: they get no weights,
 * as TTNN would leave such cores out of the conv's grid). */
static int count_busy_parts(const tg_conv2d_plan *pl) {
    int64_t n = (pl->out_rows + pl->out_split.shard - 1) / pl->out_split.shard;
    return n < pl->row_parts ? (int)n : pl->row_parts;
}

static tg_shard_layout conv_shard_layout(tg_conv_layout l) {
    return l == TG_CONV_WIDTH   ? TG_SHARD_WIDTH
           : l == TG_CONV_BLOCK ? TG_SHARD_BLOCK
                                : TG_SHARD_HEIGHT;
}

static tg_conv_layout conv_layout_of(int shard_layout) {
    return shard_layout == TG_SHARD_WIDTH   ? TG_CONV_WIDTH
           : shard_layout == TG_SHARD_BLOCK ? TG_CONV_BLOCK
                                            : TG_CONV_HEIGHT;
}

/* The input TTNN keeps as it is: sharded in L1 in the layout the conv runs in (or, for
 * an automatic layout, in any), row-major orientation [CU
 * get_conv_padded_input_shape_and_mem_config; conv2d_ttnn.h]. */
static bool keeps_input(const tg_conv2d_params *p, const tg_tensor *in) {
    if (!in || in->place != TG_PLACE_L1 || in->spec.transpose) return false;
    return p->layout == TG_CONV_AUTO || conv_layout_of((int)in->spec.layout) == p->layout;
}

/* ttnn.conv2d's arguments for these parameters on machine m, the input being `in`. */
static void ttnn_config_of(const tg_conv2d_params *p, const tg_machine *m, const tg_tensor *in,
                           tg_ttnn_conv2d_config *c) {
    tg_ttnn_conv2d_defaults(c);
    c->arch = m->arch;
    c->grid = (p->cores.w > 0 && p->cores.h > 0) ? p->cores : m->grid;
    /* transposed (COL_MAJOR) block shards: TTNN's rules on the transposed grid */
    if (p->transpose_shards) c->grid = (tg_grid){c->grid.h, c->grid.w};
    c->batch = p->n, c->in_h = p->h, c->in_w = p->w, c->in_c = p->cin, c->out_c = p->cout;
    c->kh = p->kh, c->kw = p->kw, c->sh = p->sh, c->sw = p->sw, c->dh = p->dh, c->dw = p->dw;
    c->pad_t = p->pad_t, c->pad_b = p->pad_b, c->pad_l = p->pad_l, c->pad_r = p->pad_r;
    c->bias = p->has_bias;
    c->layout = p->layout == TG_CONV_AUTO ? -1 : (int)conv_shard_layout(p->layout);
    c->input_dtype = p->in_fmt;
    c->weights_tensor_dtype = p->w_fmt;
    c->output_dtype = (int)p->out_fmt;
    /* TILE when asked, for a bfloat8_b input, and for an input a conv left in TILE */
    c->input_layout = p->in_tile || p->in_fmt == TG_BFLOAT8_B || (in && in->tile)
                          ? TG_TTNN_TILE
                          : TG_TTNN_ROW_MAJOR;
    c->output_layout = p->out_row_major ? TG_TTNN_ROW_MAJOR : TG_TTNN_TILE;
    c->act_block_h_override = p->act_block_h;
    c->act_block_w_div = p->act_block_w_div;
    c->act_double_buffer = p->act_double_buffer;
    c->weights_double_buffer = p->weights_double_buffer;
    c->full_inner_dim = p->full_inner_dim;
    c->activation_reuse = p->activation_reuse;
    c->force_split_reader = p->force_split_reader;
    c->config_tensors_in_dram = p->config_tensors_in_dram;
    c->deallocate_activation = p->deallocate_activation;
    c->reallocate_halo_output = p->reallocate_halo_output;
    c->fp32_dest_acc = p->fp32_acc;
    c->packer_l1_acc = p->packer_l1_acc;
    c->l1_small_size = m->l1_small;
    if (keeps_input(p, in)) {
        const tg_shard_spec *s = &in->spec;
        c->layout = (int)s->layout;
        c->has_input_shard = true;
        c->input_num_cores_nhw = s->row_parts;
        c->input_num_cores_c = s->col_parts;
        c->input_shard_h = s->shard_h;
        c->input_shard_w = s->shard_w;
    }
}

/* A sharded conv as TTNN configures it: layout, cores, shards and blocks from
 * tg_ttnn_conv2d_plan_make; what the run walks (K blocks, weights resident or streamed)
 * derived from them. */
static tg_status plan_ttnn(const tg_conv2d_params *p, const tg_machine *m, const tg_tensor *in,
                           tg_conv2d_plan *pl) {
    tg_conv2d_params q0 = *p;
    if (q0.layout == TG_CONV_AUTO) q0.layout = TG_CONV_HEIGHT;
    TG_CHECK(plan_shapes(&q0, m, pl));
    pl->p.layout = p->layout;
    tg_ttnn_conv2d_config c;
    ttnn_config_of(&pl->p, m, in, &c);
    pl->in_place = c.has_input_shard;
    pl->p.in_tile = c.input_layout == TG_TTNN_TILE;
    tg_status st = tg_ttnn_conv2d_plan_make(&c, &pl->tt);
    if (st != TG_OK) return st;
    const tg_ttnn_conv2d_plan *t = &pl->tt;
    pl->ttnn = true;
    pl->p.layout = conv_layout_of(t->layout);
    pl->p.w_fmt = t->weights_dtype;
    pl->p.out_fmt = t->output_dtype;
    pl->p.fp32_acc = t->fp32_dest_acc;
    const tg_conv2d_params *q = &pl->p;
    pl->matmul_path = t->mm_conv;
    pl->cores = t->grid;
    if (q->transpose_shards) pl->cores = (tg_grid){t->grid.h, t->grid.w};
    pl->row_parts = q->layout == TG_CONV_WIDTH ? 1 : t->num_cores_nhw;
    pl->col_parts = q->layout == TG_CONV_HEIGHT ? 1 : t->num_cores_c_in;
    pl->out_parts = q->layout == TG_CONV_HEIGHT ? 1 : t->num_cores_c_out;
    pl->cin_p = t->in_c_padded;
    pl->cout_p = t->out_c_padded;
    pl->cin_slice = t->input_shard_w;
    pl->cout_slice = t->output_shard_w;
    int64_t taps = (int64_t)q->kh * q->kw;
    pl->k_turn = pl->col_parts == 1 ? taps * pl->cin_p : taps * pl->cin_slice;
    pl->k_rows = pl->col_parts == 1 ? round_up(pl->k_turn, TG_TILE) : pl->col_parts * pl->k_turn;
    int64_t in_rows = q->n * q->h * q->w;
    pl->in_split = (tg_split){pl->row_parts, t->input_shard_h, in_rows};
    pl->out_split = (tg_split){pl->row_parts, t->output_shard_h, pl->out_rows};
    pl->act_block_h = t->act_block_h_ntiles * TG_TILE;
    pl->act_cols = t->act_block_w_ntiles * TG_TILE;
    pl->sub_h = t->out_subblock_h_ntiles, pl->sub_w = t->out_subblock_w_ntiles;
    /* K blocks: height one kernel row (activation reuse: the whole window), block one
     * kernel row of the turn's channels (full_inner_dim: all rows), width the turn over
     * act_block_w_div; the matmul path TTNN's in0 blocks [CU
     * determine_per_core_conv_block_config; MMU] */
    if (pl->matmul_path)
        pl->kblocks_per_turn = t->in0_num_blocks_w / pl->col_parts;
    else if (q->layout == TG_CONV_HEIGHT)
        pl->kblocks_per_turn = q->activation_reuse ? 1 : q->kh;
    else if (q->layout == TG_CONV_BLOCK)
        pl->kblocks_per_turn = q->full_inner_dim ? 1 : q->kh;
    else
        pl->kblocks_per_turn = q->act_block_w_div;
    if (pl->kblocks_per_turn < 1 || pl->k_turn % pl->kblocks_per_turn)
        return tg_err(TG_ERR_RUNTIME, "conv2d: %lld K blocks do not divide a turn of %lld",
                      (long long)pl->kblocks_per_turn, (long long)pl->k_turn);
    pl->act_block_w = pl->k_turn / pl->kblocks_per_turn;
    /* the multicast block: TTNN's tilized act CB, in the output's format; the matmul
     * path multicasts its input shard's block as it is */
    pl->act_fmt = pl->matmul_path ? q->in_fmt : q->out_fmt;
    if (pl->matmul_path) pl->act_cols = pl->act_block_w;
    pl->weights_block_w = pl->cout_slice;
    pl->nblocks_w = 1;
    pl->halo_cap =
        pl->matmul_path || t->halo_sticks == 0 ? 0 : tg_window_max_halo(&pl->win, pl->out_split);
    pl->busy_parts = count_busy_parts(pl);
    /* the weights CB: the whole K of the core's channels when it holds it (height with
     * several act blocks: "fully buffered"), else one K block per slot */
    const tg_ttnn_buffer *wb =
        tg_ttnn_plan_buffer(t, pl->matmul_path ? "MM_IN1 weights (c_1)" : "WEIGHTS");
    size_t prow = tg_fmt_row_bytes(q->w_fmt, TG_GEMM_PANEL);
    size_t panels = (size_t)((pl->cout_slice + TG_GEMM_PANEL - 1) / TG_GEMM_PANEL);
    size_t all = (size_t)pl->k_rows * panels * prow, one = (size_t)pl->act_block_w * panels * prow;
    pl->weights_resident = wb && wb->bytes >= all;
    pl->w_slots = pl->weights_resident ? 1 : (int)(wb ? wb->bytes / one : 0);
    if (pl->w_slots < 1)
        return tg_err(TG_ERR_RUNTIME,
                      "conv2d: TTNN's weights CB (%zu B) holds no K block of %zu B (a bug)",
                      wb ? wb->bytes : 0, one);
    return TG_OK;
}

tg_status tg_conv2d_input_spec(const tg_conv2d_plan *pl, tg_shard_spec *s) {
    const tg_ttnn_conv2d_plan *t = &pl->tt;
    tg_shard_layout l = conv_shard_layout(pl->p.layout);
    tg_grid box = t->grid_in;
    if (pl->p.transpose_shards) box = (tg_grid){box.h, box.w};
    tg_shard_shape sh = {
        box, pl->row_parts, pl->col_parts, t->input_shard_h, t->input_shard_w, t->in_c_alignment};
    return tg_shard_spec_make_shape(l, pl->p.n * pl->p.h * pl->p.w, pl->p.cin, &sh,
                                    pl->p.transpose_shards, s);
}

tg_status tg_conv2d_output_spec(const tg_conv2d_plan *pl, tg_shard_spec *s) {
    const tg_ttnn_conv2d_plan *t = &pl->tt;
    tg_shard_layout l = conv_shard_layout(pl->p.layout);
    tg_grid box = t->grid_out;
    if (pl->p.transpose_shards) box = (tg_grid){box.h, box.w};
    /* a TILE output holds whole tiles of rows */
    int64_t h = pl->p.out_row_major ? t->output_shard_h : round_up(t->output_shard_h, TG_TILE);
    tg_shard_shape sh = {box, pl->row_parts, pl->out_parts, h, t->output_shard_w, TG_TILE};
    return tg_shard_spec_make_shape(l, pl->out_rows, pl->p.cout, &sh, pl->p.transpose_shards, s);
}

/* The DRAM layout: ttgrid's own blocks by the paper's L1 rule. */
static tg_status plan_dram(const tg_conv2d_params *p, const tg_machine *m, size_t l1_size,
                           size_t l1_other, tg_conv2d_plan *pl) {
    TG_CHECK(plan_shapes(p, m, pl));
    pl->l1_limit = l1_size > l1_other ? l1_size - l1_other : 0;
    if (p->act_block_h && p->act_block_h % TG_TILE)
        return tg_err(TG_ERR_USAGE, "conv2d: act_block_h %d must be a multiple of 32",
                      p->act_block_h);
    pl->act_block_w = (int64_t)p->kw * pl->cin_p;
    pl->kblocks_per_turn = p->kh;
    pl->out_parts = 1;
    pl->w_slots = 1;
    dram_split(pl);
    dram_blocks(pl);
    pick_subblock(pl);
    pl->busy_parts = count_busy_parts(pl);
    return TG_OK;
}

/* A sharded plan's budget items: TTNN's buffers that take L1 (not the CBs that sit on
 * a buffer), and their total per core. */
static void ttnn_items(tg_conv2d_plan *pl, size_t l1_size, size_t l1_other) {
    const tg_ttnn_conv2d_plan *t = &pl->tt;
    pl->nitems = 0;
    pl->l1_total = 0;
    for (int i = 0; i < t->nbuffers; i++) {
        const tg_ttnn_buffer *b = &t->buffers[i];
        if (b->kind == TG_TTNN_CB_ALIAS) continue;
        add_item(pl, b->name, b->bytes);
        pl->l1_total += b->bytes;
    }
    pl->l1_limit = l1_size > l1_other ? l1_size - l1_other : 0;
    pl->largest = 0;
    for (int i = 1; i < pl->nitems; i++)
        if (pl->items[i].bytes > pl->items[pl->largest].bytes) pl->largest = i;
}

tg_status conv2d_decide(const tg_conv2d_params *p, const tg_machine *m, const tg_tensor *in,
                        size_t l1_size, size_t l1_other, tg_conv2d_plan *out, bool *ok,
                        tg_explain *why) {
    if (p->layout == TG_CONV_DRAM) {
        TG_CHECK(plan_dram(p, m, l1_size, l1_other, out));
        *ok = fits(out);
        return TG_OK;
    }
    TG_CHECK(plan_ttnn(p, m, in, out));
    ttnn_items(out, l1_size, l1_other);
    /* TTNN's automatic layout [CU determine_conv_config_for_auto_shard]: height unless
     * block is smaller and uses a grid row of cores, width if smaller still (not for a
     * matmul conv); the estimate counts the CBs, the output shard and the halo output */
    if (out->tt.auto_layout) {
        static const tg_conv_layout order[3] = {TG_CONV_HEIGHT, TG_CONV_BLOCK, TG_CONV_WIDTH};
        for (int i = 0; i < 3; i++) {
            const tg_ttnn_estimate *e = &out->tt.est[conv_shard_layout(order[i])];
            char msg[400];
            if (e->valid)
                snprintf(msg, sizeof msg,
                         "TTNN's L1 estimate %zu B per core (CBs %zu, output %zu, halo %zu) on "
                         "%d cores",
                         e->total, e->cb_bytes, e->output_bytes, e->halo_bytes, e->core_count);
            else
                snprintf(msg, sizeof msg, "TTNN cannot configure it: %s", e->why);
            char what[32];
            snprintf(what, sizeof what, "auto: %s", tg_conv_layout_name(order[i]));
            conv2d_explain(why, order[i] == out->p.layout, what, msg);
        }
    }
    *ok = true; /* the L1 map decides, as on the device */
    return TG_OK;
}

void conv2d_explain(tg_explain *why, bool chosen, const char *what, const char *reason) {
    if (!why || why->n == TG_EXPLAIN_MAX) return;
    snprintf(why->c[why->n].what, sizeof why->c[0].what, "%s", what);
    snprintf(why->c[why->n].why, sizeof why->c[0].why, "%s", reason);
    why->c[why->n].chosen = chosen;
    why->n++;
}

tg_status conv2d_no_fit_error(const tg_conv2d_plan *out, size_t l1_size, size_t l1_other) {
    const tg_l1_item *big = &out->items[out->largest];
    const char *hint = out->p.layout == TG_CONV_DRAM
                           ? "fewer output channels per core, or a larger --l1-size"
                       : out->p.layout == TG_CONV_HEIGHT
                           ? "a smaller --act-block-h (e.g. 32), more cores, --shard block, or "
                             "--shard none"
                           : "a smaller --act-block-h (e.g. 32), more cores, or --shard none";
    return tg_err(TG_ERR_RUNTIME,
                  "conv2d (%s, %dx%d cores): out of L1 on every core: needs %zu B but "
                  "the limit is %zu B (%zu B per core, %zu B held by other buffers); largest "
                  "buffer '%s' %zu B, act_block_h %lld; try %s",
                  out->p.layout == TG_CONV_DRAM     ? "DRAM interleaved"
                  : out->p.layout == TG_CONV_HEIGHT ? "height sharded"
                  : out->p.layout == TG_CONV_WIDTH  ? "width sharded"
                                                    : "block sharded",
                  out->cores.w, out->cores.h, out->l1_total, out->l1_limit, l1_size, l1_other,
                  big->name, big->bytes, (long long)out->act_block_h, hint);
}
