/* conv2d execution; see conv2d.h for the model and conv2d_plan.c for the plan.
 *
 * Per core, the output is computed block by block: an activation block of
 * act_block_h output rows x act_block_w K rows is gathered (im2col) from the haloed
 * shard, multiplied by the matching rows of the weight block and accumulated; after
 * the last K block come bias, ReLU and rounding to the output format.
 *   height  every core holds every weight (read from DRAM by the first core and
 *           multicast to the grid, as TTNN's height-sharded conv does);
 *   block   core (r, c) holds the weights of its output channels (read by the
 *           column's first core and multicast down the column); for each turn t the
 *           core (r, t) gathers a block of its channel slice and multicasts it along
 *           grid row r, and every core of the row accumulates a partial product —
 *           the paper's seven steps;
 *   width   the same with all cores in one row;
 *   none    (DRAM) every core reads input windows and weights from interleaved DRAM
 *           and writes output blocks back, sized by the paper's L1 rule.
 * Every circular buffer of the plan is allocated in L1. Arithmetic runs on float32
 * copies of the blocks (the unpacker's registers); in float32 mode the activation
 * block is gathered straight into its L1 circular buffer and read from there. */
#include "conv2d.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "kernel.h"
#include "multiversion.h"
#include "stats.h"

/* ---- weights ---- */

/* The input channel and tap behind weight row k, or -1 for a padding row. */
static int64_t weight_row_source(const tg_conv2d_plan *pl, int64_t k, int *tap) {
    int64_t taps = (int64_t)pl->p.kh * pl->p.kw, ci;
    if (pl->col_parts == 1) {
        if (k >= taps * pl->cin_p) return -1;
        *tap = (int)(k / pl->cin_p);
        ci = k % pl->cin_p;
    } else {
        int64_t t = k / pl->k_turn, rem = k % pl->k_turn;
        *tap = (int)(rem / pl->cin_slice);
        ci = t * pl->cin_slice + rem % pl->cin_slice;
    }
    return ci < pl->p.cin ? ci : -1;
}

void tg_conv2d_weight_cols(int64_t cout, int64_t *co0, int64_t *co1) {
    tg_core *c = tg_core_self();
    int64_t g = cout < 32 ? 16 : 32;
    int64_t per = ((cout + c->nranks - 1) / c->nranks + g - 1) / g * g;
    *co0 = per * c->rank < cout ? per * c->rank : cout;
    *co1 = *co0 + per < cout ? *co0 + per : cout;
}

tg_status tg_conv2d_weights_load(const tg_conv2d_plan *pl, const float *weight, const float *bias,
                                 tg_conv2d_weights *out) {
    const tg_conv2d_params *p = &pl->p;
    memset(out, 0, sizeof *out);
    out->fmt = p->w_fmt;
    out->has_bias = bias != NULL;
    size_t page = tg_fmt_row_bytes(p->w_fmt, pl->cout_p);
    TG_CHECK(tg_dram_alloc("conv2d:weights", page, pl->k_rows, &out->w));
    tg_status st = tg_dram_alloc("conv2d:bias", page, 1, &out->bias);
    if (st != TG_OK) {
        tg_dram_free(&out->w);
        return st;
    }
    /* This rank's columns, padded to whole granules of the format (the last one up
     * to the padded width), written as the same byte range of every page. */
    int64_t co0, co1;
    tg_conv2d_weight_cols(p->cout, &co0, &co1);
    int64_t w_end = co1 == p->cout ? pl->cout_p : co1, width = co1 > co0 ? w_end - co0 : 0;
    size_t seg = tg_fmt_row_bytes(p->w_fmt, width > 0 ? width : 0);
    float *row = calloc((size_t)(width > 0 ? width : 1), sizeof *row);
    uint8_t *pages = malloc((size_t)pl->k_rows * (seg ? seg : 1));
    if (!row || !pages) st = tg_err(TG_ERR_RUNTIME, "conv2d: out of host memory for weights");
    int64_t kk = (int64_t)p->kh * p->kw;
    for (int64_t k = 0; st == TG_OK && width > 0 && k < pl->k_rows; k++) {
        memset(row, 0, (size_t)width * sizeof *row);
        int tap = 0;
        int64_t ci = weight_row_source(pl, k, &tap);
        for (int64_t co = co0; ci >= 0 && co < co1; co++) {
            int64_t g = co / pl->cout_g, cil = ci - g * pl->cin_g;
            if (cil < 0 || cil >= pl->cin_g) continue; /* another group's channel */
            row[co - co0] = weight[((co - co0) * pl->cin_g + cil) * kk + tap];
        }
        tg_fmt_pack(p->w_fmt, row, width, pages + (size_t)k * seg);
    }
    if (st == TG_OK && width > 0) {
        size_t off = tg_fmt_col_offset(p->w_fmt, co0);
        st = tg_dram_write_host_part(&out->w, 0, pl->k_rows, off, seg, pages, seg);
        if (st == TG_OK) {
            memset(row, 0, (size_t)width * sizeof *row);
            if (bias) memcpy(row, bias, (size_t)(co1 - co0) * sizeof *row);
            tg_fmt_pack(p->w_fmt, row, width, pages);
            st = tg_dram_write_host_part(&out->bias, 0, 1, off, seg, pages, seg);
        }
    }
    free(row);
    free(pages);
    st = tg_noc_sync(st);
    if (st != TG_OK) tg_conv2d_weights_free(out);
    return st;
}

void tg_conv2d_weights_free(tg_conv2d_weights *w) {
    tg_dram_free(&w->bias);
    tg_dram_free(&w->w);
}

/* ---- per-core state of one run ---- */

typedef struct conv_run {
    const tg_conv2d_plan *pl;
    tg_core *core;
    bool in_grid;
    int rp, cp;             /* row and column part of this core */
    int64_t o_begin, o_end; /* my output rows */
    bool exact;             /* float32 arithmetic: no fidelity, no bf16 partials */
    tg_shard_spec in_spec;  /* sharded layouts: the input's spec */
    int64_t keep;           /* channels per tap that reach the multiply (see compact) */
    int64_t c_base;         /* DRAM layout split by channels: this core's first one */
    /* L1 buffers */
    size_t act_cb, mcast_cb, weights_cb, bias_cb, partials_cb, window, out_cb;
    /* host scratch: the unpacker's and DST's registers */
    float *A, *C, *tmp, *bias, *row;
    tg_mm_weights W;
} conv_run;

/* Whether the multiply skips padded input channels (height and DRAM layouts only,
 * whose sticks hold every channel). */
static bool compacting(const conv_run *r) {
    return r->keep < r->pl->cin_slice && r->pl->col_parts == 1 &&
           (r->pl->p.layout == TG_CONV_HEIGHT || r->pl->p.layout == TG_CONV_DRAM);
}

/* Where im2col reads sticks from: rows of `row_bytes` at `base`; output o's window
 * starts at top_left(o) - origin (or o - origin on the matmul path). */
typedef struct act_source {
    const uint8_t *base;
    size_t row_bytes;
    int64_t origin;
    int64_t cs; /* channels per stick */
} act_source;

/* Gathers K columns [k0, k1) of the activation rows of outputs [o0, o0 + m) into A
 * [abh x (k1 - k0)] (lda), zero rows after the m-th. */
TG_MULTIVERSION static void im2col(const conv_run *r, const act_source *s, int64_t o0, int64_t m,
                                   int64_t k0, int64_t k1, float *A, int64_t lda) {
    const tg_conv2d_plan *pl = r->pl;
    const tg_window *w = &pl->win;
    tg_fmt f = pl->p.in_fmt;
    int64_t kw = pl->p.kw;
    for (int64_t i = 0; i < pl->act_block_h; i++) {
        float *dst = A + i * lda;
        if (i >= m) {
            memset(dst, 0, (size_t)(k1 - k0) * sizeof *dst);
            continue;
        }
        int64_t o = o0 + i;
        int64_t base = (pl->matmul_path ? o : tg_window_top_left(w, o)) - s->origin;
        if (compacting(r)) {
            /* compacted: only the first `keep` channels of each tap's stick */
            for (int64_t tap = k0 / s->cs, j = 0; tap < k1 / s->cs; tap++, j += r->keep) {
                int64_t stick = base + tg_window_tap(w, (int)(tap / kw), (int)(tap % kw));
                const uint8_t *src = s->base + (size_t)stick * s->row_bytes;
                if (f == TG_FLOAT32)
                    for (int64_t c = 0; c < r->keep; c++) dst[j + c] = ((const float *)src)[c];
                else
                    tg_fmt_unpack(f, src, (r->keep + 15) / 16 * 16, r->tmp),
                        memcpy(dst + j, r->tmp, (size_t)r->keep * sizeof *dst);
            }
            continue;
        }
        for (int64_t col = k0; col < k1;) {
            int64_t tap = col / s->cs, c = col % s->cs, n = s->cs - c;
            int64_t stick = base + tg_window_tap(w, (int)(tap / kw), (int)(tap % kw));
            /* consecutive taps of one kernel row are consecutive sticks when dw == 1 */
            if (c == 0 && w->dw == 1) {
                int64_t more = kw - tap % kw;
                while (more > 1 && col + n + s->cs <= k1) n += s->cs, more--;
            }
            if (col + n > k1) n = k1 - col;
            tg_fmt_unpack(f, s->base + (size_t)stick * s->row_bytes + tg_fmt_col_offset(f, c), n,
                          dst + (col - k0));
            col += n;
        }
    }
}

/* Rounds partial sums to bfloat16 between K blocks unless fp32 accumulation. */
TG_MULTIVERSION static void round_partials(const conv_run *r, int64_t m, int64_t n, bool last) {
    if (r->exact || r->pl->p.fp32_acc || last) return;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) r->C[i * n + j] = tg_bf16_round(r->C[i * n + j]);
}

/* Bias, ReLU and rounding to the output format: C [m x n] into rows of `dst`. */
TG_MULTIVERSION static void epilogue(const conv_run *r, int64_t m, int64_t n, uint8_t *dst,
                                     size_t dst_row, int64_t dst_cols) {
    const tg_conv2d_params *p = &r->pl->p;
    for (int64_t i = 0; i < m; i++) {
        float *c = r->C + i * n;
        memset(r->row, 0, (size_t)dst_cols * sizeof *r->row);
        for (int64_t j = 0; j < n && j < dst_cols; j++) {
            float v = c[j] + (p->has_bias ? r->bias[j] : 0.0f);
            r->row[j] = (p->relu && v < 0) ? 0.0f : v;
        }
        tg_fmt_pack(p->out_fmt, r->row, dst_cols, dst + (size_t)i * dst_row);
    }
}

static void count_macs(const conv_run *r, int64_t m, int64_t k, int64_t n) {
    tg_counters *k_ = tg_stats_now();
    double macs = (double)m * (double)k * (double)n;
    k_->macs += macs;
    k_->model_cycles += tg_mm_cycles(macs, r->core->arch->matmul_flop_per_cycle, r->pl->p.fidelity);
}

/* Makes the matmul's weights from the weights CB (see read_weights). */
static tg_status weights_to_host(conv_run *r, size_t off, int64_t rows, int64_t cols) {
    const tg_conv2d_plan *pl = r->pl;
    TG_CHECK(tg_mm_weights_from_panels(&r->W, tg_l1_ptr(off), pl->p.w_fmt, rows, cols,
                                       pl->p.fidelity, r->exact, pl->p.in_fmt));
    if (!compacting(r)) return TG_OK;
    int64_t limit = (int64_t)pl->p.kh * pl->p.kw * pl->cin_p;
    return tg_mm_weights_compact(&r->W, pl->cin_p, r->keep, rows < limit ? rows : limit);
}

/* K rows [k0, k0 + k) of the padded weight matrix as rows of the compacted one. */
static int64_t kc(const conv_run *r, int64_t k) {
    return compacting(r) ? k / r->pl->cin_p * r->keep : k;
}

/* Bytes of `rows` weight rows of `cols` output channels in the weights CB: panels
 * of 32 channels (a column of weight tiles), each `rows` rows of 32 values. */
static size_t panel_bytes(tg_fmt f, int64_t rows, int64_t cols) {
    return (size_t)rows * (size_t)((cols + TG_GEMM_PANEL - 1) / TG_GEMM_PANEL) *
           tg_fmt_row_bytes(f, TG_GEMM_PANEL);
}

/* Reads weight rows [k0, k0 + rows) x output channels [c0, c0 + cols) from DRAM into
 * the weights CB as panels: one strided read per panel; channels past the matrix
 * stay 0. */
static tg_status read_weights(conv_run *r, const tg_conv2d_weights *w, int64_t k0, int64_t rows,
                              int64_t c0, int64_t cols) {
    const tg_conv2d_plan *pl = r->pl;
    tg_fmt f = pl->p.w_fmt;
    size_t prow = tg_fmt_row_bytes(f, TG_GEMM_PANEL), pbytes = (size_t)rows * prow;
    for (int64_t p = 0; p * TG_GEMM_PANEL < cols; p++) {
        int64_t c = c0 + p * TG_GEMM_PANEL, have = pl->cout_p - c;
        if (have > TG_GEMM_PANEL) have = TG_GEMM_PANEL;
        if (have > cols - p * TG_GEMM_PANEL) have = cols - p * TG_GEMM_PANEL;
        size_t at = r->weights_cb + (size_t)p * pbytes;
        if (have < TG_GEMM_PANEL) memset(tg_l1_ptr(at), 0, pbytes);
        if (have > 0)
            TG_CHECK(tg_dram_read(&w->w, k0, rows, tg_fmt_col_offset(f, c),
                                  tg_fmt_row_bytes(f, have), at, prow));
    }
    return tg_noc_read_barrier();
}

static tg_status read_bias(conv_run *r, const tg_conv2d_weights *w, int64_t c0, int64_t cols) {
    const tg_conv2d_plan *pl = r->pl;
    memset(r->bias, 0, (size_t)cols * sizeof *r->bias);
    if (!pl->p.has_bias) return TG_OK;
    size_t rb = tg_fmt_row_bytes(pl->p.w_fmt, cols);
    memset(tg_l1_ptr(r->bias_cb), 0, rb);
    int64_t have = pl->cout_p - c0 < cols ? pl->cout_p - c0 : cols;
    if (have > 0) {
        TG_CHECK(tg_dram_read(&w->bias, 0, 1, tg_fmt_col_offset(pl->p.w_fmt, c0),
                              tg_fmt_row_bytes(pl->p.w_fmt, have), r->bias_cb, rb));
        TG_CHECK(tg_noc_read_barrier());
    }
    tg_fmt_unpack(pl->p.w_fmt, tg_l1_ptr(r->bias_cb), cols, r->bias);
    return TG_OK;
}

/* ---- sharded layouts ---- */

static tg_shard_layout shard_layout_of(tg_conv_layout l) {
    return l == TG_CONV_WIDTH   ? TG_SHARD_WIDTH
           : l == TG_CONV_BLOCK ? TG_SHARD_BLOCK
                                : TG_SHARD_HEIGHT;
}

/* The cores sharing this core's rows (they exchange activation blocks) as a core
 * set and as the multicast rectangle. */
static tg_core_set row_set(const tg_conv2d_plan *pl) {
    if (pl->p.layout == TG_CONV_WIDTH) return TG_SET_ALL;
    return pl->p.transpose_shards ? TG_SET_COL : TG_SET_ROW;
}

static tg_rect row_rect(const conv_run *r) {
    const tg_conv2d_plan *pl = r->pl;
    if (pl->p.layout == TG_CONV_WIDTH) return (tg_rect){0, 0, pl->cores.w, pl->cores.h};
    if (pl->p.transpose_shards) return (tg_rect){r->core->x, 0, 1, pl->cores.h};
    return (tg_rect){0, r->core->y, pl->cores.w, 1};
}

/* Row parts that hold output rows (the last ones may hold none: they get no
 * weights, as TTNN would leave such cores out of the conv's grid). */
static int busy_parts(const tg_conv2d_plan *pl) {
    int64_t n = (pl->out_rows + pl->out_split.shard - 1) / pl->out_split.shard;
    return n < pl->row_parts ? (int)n : pl->row_parts;
}

/* The cores that get this core's weights: for height sharding every busy core (the
 * grid rows they occupy), for block sharding the busy cores of its channel column. */
static tg_rect weights_rect(const conv_run *r) {
    const tg_conv2d_plan *pl = r->pl;
    int busy = busy_parts(pl);
    if (pl->p.layout == TG_CONV_HEIGHT)
        return busy <= pl->cores.w
                   ? (tg_rect){0, 0, busy, 1}
                   : (tg_rect){0, 0, pl->cores.w, (busy + pl->cores.w - 1) / pl->cores.w};
    if (pl->p.transpose_shards) return (tg_rect){0, r->core->y, busy, 1};
    return (tg_rect){r->core->x, 0, 1, busy};
}

/* Weights into the weights CB of every busy core: read from DRAM once per sharing
 * group and multicast to it. */
static tg_status load_sharded_weights(conv_run *r, const tg_conv2d_weights *w) {
    const tg_conv2d_plan *pl = r->pl;
    size_t bytes = panel_bytes(pl->p.w_fmt, pl->k_rows, pl->cout_slice);
    int64_t c0 = (int64_t)r->cp * pl->cout_slice;
    bool busy = r->in_grid && r->rp < busy_parts(pl);
    tg_status st = TG_OK;
    if (busy && (pl->p.layout == TG_CONV_WIDTH || r->rp == 0))
        st = read_weights(r, w, 0, pl->k_rows, c0, pl->cout_slice);
    TG_CHECK(tg_noc_sync(st));
    if (pl->p.layout != TG_CONV_WIDTH) {
        /* the group's first core multicasts what it read (every core of the set takes
         * part; the others receive nothing) */
        bool height = pl->p.layout == TG_CONV_HEIGHT;
        tg_core_set set = height ? TG_SET_ALL : pl->p.transpose_shards ? TG_SET_ROW : TG_SET_COL;
        tg_rect dst = weights_rect(r);
        int root = tg_core_rank(r->core->grid, dst.x0, dst.y0);
        bool sends = r->in_grid && busy_parts(pl) > 0;
        if (!sends) dst = (tg_rect){r->core->x, r->core->y, 1, 1}, root = r->core->rank;
        /* no barrier after: the weights CB is not written again before the conv's
         * final sync, so the root's copy stays valid while the others fetch it */
        TG_CHECK(
            tg_noc_mcast_group(set, dst, root, r->weights_cb, r->weights_cb, sends ? bytes : 0));
    }
    if (busy) {
        TG_CHECK(weights_to_host(r, r->weights_cb, pl->k_rows, pl->cout_slice));
        TG_CHECK(read_bias(r, w, c0, pl->cout_slice));
    }
    return TG_OK;
}

/* Height: every core multiplies its own activation blocks by all the weights. */
static tg_status compute_height(conv_run *r, const act_source *s, tg_tensor *out) {
    const tg_conv2d_plan *pl = r->pl;
    int64_t n = pl->cout_slice, abh = pl->act_block_h, abw = pl->act_block_w;
    int64_t kmax = pl->matmul_path ? pl->cin_p : (int64_t)pl->p.kh * pl->p.kw * pl->cin_p;
    for (int64_t o0 = r->o_begin; o0 < r->o_end; o0 += abh) {
        int64_t m = r->o_end - o0 < abh ? r->o_end - o0 : abh;
        memset(r->C, 0, (size_t)(abh * n) * sizeof *r->C);
        for (int64_t kb = 0; kb < pl->kblocks_per_turn; kb++) {
            int64_t k0 = kb * abw, k1 = k0 + abw < kmax ? k0 + abw : kmax;
            double t0 = tg_stats_clock();
            float *A = r->A;
            int64_t lda = k1 - k0;
            if (r->exact && pl->matmul_path) {
                A = (float *)(s->base + (size_t)(o0 - s->origin) * s->row_bytes); /* the shard */
                lda = pl->cin_p;
            } else {
                if (r->exact) A = (float *)tg_l1_ptr(r->act_cb); /* gather into the act CB */
                lda = kc(r, k1 - k0);
                im2col(r, s, o0, m, k0, k1, A, lda);
            }
            tg_mm_acc(r->C, n, A, lda, m, kc(r, k1 - k0), &r->W, kc(r, k0), 0, n, r->tmp);
            round_partials(r, m, n, kb == pl->kblocks_per_turn - 1);
            tg_stats_compute(t0);
            count_macs(r, m, k1 - k0, n);
        }
        epilogue(r, m, n, tg_tensor_row(out, o0 - r->o_begin), out->row_bytes, out->spec.shard_w);
    }
    return TG_OK;
}

/* Block and width: for each turn the core holding that channel slice gathers its
 * activation block and multicasts it to the cores of its rows, which all multiply
 * it by their weights for that slice. Every core runs every turn (those outside
 * the conv grid only take part in the barriers), so the barriers match. */
static tg_status compute_mcast(conv_run *r, const act_source *s, tg_tensor *out) {
    const tg_conv2d_plan *pl = r->pl;
    int64_t n = pl->cout_slice, abh = pl->act_block_h, abw = pl->act_block_w;
    int64_t shard = pl->p.layout == TG_CONV_WIDTH ? (pl->out_rows + TG_TILE - 1) / TG_TILE * TG_TILE
                                                  : pl->out_split.shard;
    size_t arow = tg_fmt_row_bytes(pl->p.in_fmt, abw);
    tg_core_set set = row_set(pl);
    tg_status st = TG_OK;
    /* Cores whose row part holds no outputs share a row set with no busy core (the
     * sets are whole rows, or whole columns when transposed, of the parts), so the
     * whole set skips the turns together. Width sharding has one set: all cores. */
    bool idle_set =
        pl->p.layout != TG_CONV_WIDTH && r->in_grid && r->rp >= busy_parts(pl) &&
        (pl->p.transpose_shards ? pl->cores.h == r->core->grid.h : pl->cores.w == r->core->grid.w);
    if (idle_set) return TG_OK;
    /* When receivers fetch each block from its sender and a turn is one K block,
     * every sender can gather its block at once: one barrier when all are ready and
     * one before they are overwritten, per act block, instead of one per turn. The
     * blocks, the traffic and the order of the sums are those of the turns. */
    bool at_once = tg_noc_group_receivers_fetch() && pl->kblocks_per_turn == 1;
    for (int64_t b = 0; b < shard / abh; b++) {
        int64_t o0 = r->o_begin + b * abh, m = r->o_end - o0;
        if (m > abh) m = abh;
        if (m < 0) m = 0;
        memset(r->C, 0, (size_t)(abh * n) * sizeof *r->C);
        if (at_once && b > 0) tg_noc_barrier(set); /* the last block's fetches are done */
        for (int t = 0; t < pl->col_parts; t++)
            for (int64_t kb = 0; kb < pl->kblocks_per_turn; kb++) {
                int64_t k0 = kb * abw, k1 = k0 + abw < pl->k_turn ? k0 + abw : pl->k_turn;
                int64_t step = ((b * pl->col_parts + t) * pl->kblocks_per_turn + kb);
                size_t recv =
                    r->mcast_cb + (pl->p.act_double_buffer && (step & 1) ? (size_t)abh * arow : 0);
                bool sender = r->in_grid && r->cp == t && r->rp < busy_parts(pl);
                if (at_once) sender = t == 0 && r->in_grid && r->rp < busy_parts(pl);
                if (sender && st == TG_OK) {
                    double t0 = tg_stats_clock();
                    float *A = r->exact ? (float *)tg_l1_ptr(r->act_cb) : r->A;
                    im2col(r, s, o0, m, k0, k1, A, k1 - k0);
                    if (!r->exact)
                        for (int64_t i = 0; i < abh; i++)
                            tg_fmt_pack(pl->p.in_fmt, A + i * (k1 - k0), k1 - k0,
                                        tg_l1_ptr(r->act_cb + (size_t)i * arow));
                    tg_stats_compute(t0);
                }
                /* the sender's block is ready and every receiver is done with its
                 * buffer; then the row takes the block (receivers fetch it) */
                if (!at_once || t == 0) tg_noc_barrier(set);
                int root = r->in_grid
                               ? tg_shard_core_rank(&r->in_spec, r->core->grid,
                                                    tg_shard_part_core(&r->in_spec, r->rp, t))
                               : r->core->rank;
                tg_rect rr = r->in_grid ? row_rect(r) : (tg_rect){r->core->x, r->core->y, 1, 1};
                /* rows with no outputs have nothing to exchange */
                bool busy = r->in_grid && r->rp < busy_parts(pl);
                tg_status ms = tg_noc_mcast_group(set, rr, root, recv, r->act_cb,
                                                  busy ? (size_t)abh * arow : 0);
                if (st == TG_OK) st = ms;
                if (!r->in_grid || st != TG_OK) continue;
                double t0 = tg_stats_clock();
                float *A = r->exact ? (float *)tg_l1_ptr(recv) : r->A;
                if (!r->exact)
                    for (int64_t i = 0; i < m; i++)
                        tg_fmt_unpack(pl->p.in_fmt, tg_l1_ptr(recv + (size_t)i * arow), k1 - k0,
                                      A + i * (k1 - k0));
                tg_mm_acc(r->C, n, A, k1 - k0, m, k1 - k0, &r->W, t * pl->k_turn + k0, 0, n,
                          r->tmp);
                bool last = t == pl->col_parts - 1 && kb == pl->kblocks_per_turn - 1;
                round_partials(r, m, n, last);
                tg_stats_compute(t0);
                count_macs(r, m, k1 - k0, n);
            }
        if (r->in_grid && m > 0 && st == TG_OK)
            epilogue(r, m, n, tg_tensor_row(out, o0 - r->o_begin), out->row_bytes,
                     out->spec.shard_w);
    }
    return st;
}

static void run_free(conv_run *r) {
    size_t *cbs[] = {&r->act_cb,      &r->mcast_cb, &r->weights_cb, &r->bias_cb,
                     &r->partials_cb, &r->window,   &r->out_cb};
    for (size_t i = 0; i < sizeof cbs / sizeof cbs[0]; i++)
        if (*cbs[i] != (size_t)-1) tg_core_free(*cbs[i]);
    free(r->A), free(r->C), free(r->tmp), free(r->bias), free(r->row);
    tg_mm_weights_free(&r->W);
}

/* Allocates the circular buffers (in tg_conv2d_cb_sizes' order, which
 * tg_conv2d_fits_now replays) and the host scratch of the plan. */
static tg_status run_alloc(conv_run *r) {
    const tg_conv2d_plan *pl = r->pl;
    size_t sz[TG_CONV_NCB],
        *off[TG_CONV_NCB] = {&r->window,  &r->act_cb,      &r->mcast_cb, &r->weights_cb,
                             &r->bias_cb, &r->partials_cb, &r->out_cb};
    tg_conv2d_cb_sizes(pl, sz);
    char name[64];
    for (int i = 0; i < TG_CONV_NCB; i++) {
        *off[i] = (size_t)-1;
        snprintf(name, sizeof name, "conv2d:%s", tg_conv_cb_names[i]);
        if (sz[i]) TG_CHECK(tg_core_alloc(name, sz[i], off[i]));
    }
    int64_t abh = pl->act_block_h, abw = pl->act_block_w, bww = pl->weights_block_w;
    int64_t kw = abw > pl->cin_p ? abw : pl->cin_p;
    r->A = malloc((size_t)(abh * kw) * sizeof *r->A);
    r->tmp = malloc((size_t)(abh * kw) * sizeof *r->tmp);
    r->C = malloc((size_t)(abh * bww) * sizeof *r->C);
    r->bias = calloc((size_t)bww, sizeof *r->bias);
    r->row = calloc((size_t)(bww > pl->cout_p ? bww : pl->cout_p) + 16, sizeof *r->row);
    if (!r->A || !r->tmp || !r->C || !r->bias || !r->row)
        return tg_err(TG_ERR_RUNTIME, "conv2d: out of host memory for blocks");
    return TG_OK;
}

/* The input's spec for a sharded plan. */
static tg_status want_spec(const tg_conv2d_plan *pl, tg_shard_spec *want) {
    const tg_conv2d_params *p = &pl->p;
    tg_shard_layout sl = p->layout == TG_CONV_WIDTH   ? TG_SHARD_WIDTH
                         : p->layout == TG_CONV_BLOCK ? TG_SHARD_BLOCK
                                                      : TG_SHARD_HEIGHT;
    return tg_shard_spec_make(sl, p->n * p->h * p->w, p->cin, pl->cores, p->transpose_shards,
                              p->snap, want);
}

bool tg_conv2d_fits_now(const tg_conv2d_plan *pl, const tg_tensor *in) {
    tg_l1 sim;
    if (tg_l1_clone(&sim, tg_core_l1()) != TG_OK) return false;
    size_t off, src = (size_t)-1, sz[TG_CONV_NCB];
    bool ok = true;
    if (pl->p.layout != TG_CONV_DRAM) {
        /* as run_sharded: resharded input, output, haloed shard, input freed */
        tg_shard_spec want;
        bool same = want_spec(pl, &want) == TG_OK && tg_tensor_same_spec(in, &want);
        if (same)
            src = in->l1_off;
        else
            ok = tg_l1_alloc(&sim, "sim", tg_conv2d_input_bytes(pl), &src) == TG_OK;
        ok = ok && tg_l1_alloc(&sim, "sim", tg_conv2d_output_bytes(pl), &off) == TG_OK;
        if (ok && !pl->matmul_path) {
            ok = tg_l1_alloc(&sim, "sim", tg_conv2d_haloed_bytes(pl), &off) == TG_OK;
            if (ok && pl->p.deallocate_activation) tg_l1_free(&sim, src);
        }
    }
    tg_conv2d_cb_sizes(pl, sz);
    for (int i = 0; ok && i < TG_CONV_NCB; i++)
        if (sz[i]) ok = tg_l1_alloc(&sim, "sim", sz[i], &off) == TG_OK;
    tg_l1_destroy(&sim);
    tg_err_clear();
    return ok;
}

static void run_init(conv_run *r, const tg_conv2d_plan *pl) {
    memset(r, 0, sizeof *r);
    r->act_cb = r->mcast_cb = r->weights_cb = r->bias_cb = r->partials_cb = r->window = r->out_cb =
        (size_t)-1; /* nothing allocated yet */
    r->pl = pl;
    r->core = tg_core_self();
    r->exact = pl->p.in_fmt == TG_FLOAT32;
    int x = r->core->x, y = r->core->y;
    r->in_grid = x < pl->cores.w && y < pl->cores.h;
    /* Padded input channels add exact zeros to every sum: where a stick holds every
     * channel the multiply skips them (the cost model still counts them, as the
     * device does them). Block and width slices keep their padding. */
    bool one_slice = pl->p.layout == TG_CONV_HEIGHT || pl->p.layout == TG_CONV_DRAM;
    r->keep = one_slice ? pl->p.cin : pl->cin_slice;
    int idx = r->in_grid ? y * pl->cores.w + x : -1;
    switch (pl->p.layout) {
    case TG_CONV_HEIGHT:
    case TG_CONV_DRAM:
        r->rp = idx, r->cp = 0;
        break;
    case TG_CONV_WIDTH:
        r->rp = 0, r->cp = idx;
        break;
    case TG_CONV_BLOCK:
        r->rp = pl->p.transpose_shards ? x : y;
        r->cp = pl->p.transpose_shards ? y : x;
        break;
    case TG_CONV_AUTO:
        break;
    }
    if (r->in_grid) {
        r->o_begin = tg_split_start(pl->out_split, r->rp);
        r->o_end = tg_split_end(pl->out_split, r->rp);
        if (pl->p.layout == TG_CONV_WIDTH) r->o_begin = 0, r->o_end = pl->out_rows;
        if (pl->p.layout == TG_CONV_DRAM && pl->dram_cols) {
            r->c_base = (int64_t)idx * pl->cout_part;
            r->o_begin = 0;
            r->o_end = r->c_base < pl->cout_p ? pl->out_rows : 0; /* no channels: idle */
        }
    }
}

/* Moves the input into `staged` (allocated by the caller in the layout the conv
 * reads), which is freed again when the move fails. */
static tg_status stage_input(const tg_tensor *in, tg_tensor *staged) {
    tg_status st = tg_tensor_reshard(in, staged);
    if (st != TG_OK) tg_tensor_free(staged);
    return st;
}

static tg_status run_sharded(const tg_conv2d_plan *pl, tg_tensor *in, const tg_conv2d_weights *w,
                             tg_tensor *out) {
    const tg_conv2d_params *p = &pl->p;
    conv_run r;
    run_init(&r, pl);
    int64_t in_shape[4] = {p->n, p->h, p->w, p->cin};
    int64_t out_shape[4] = {p->n, pl->win.out_h, pl->win.out_w, p->cout};
    tg_shard_layout sl = shard_layout_of(p->layout);
    tg_tensor resh = {0};
    tg_tensor *src = in;
    tg_haloed h = {0};
    tg_status st = TG_OK;
    tg_shard_spec want;
    TG_CHECK(want_spec(pl, &want));
    r.in_spec = want;
    if (!tg_tensor_same_spec(in, &want)) {
        TG_CHECK(tg_tensor_alloc(&resh, "conv2d:input (resharded)", in_shape, p->in_fmt, sl,
                                 pl->cores, p->transpose_shards, p->snap));
        TG_CHECK(stage_input(in, &resh));
        src = &resh;
    }
    TG_TRY(st,
           tg_tensor_alloc(out, "conv2d:output", out_shape, p->out_fmt, sl, pl->cores,
                           p->transpose_shards, p->snap),
           done);
    act_source s = {tg_l1_ptr(src->l1_off), src->row_bytes, r.o_begin, pl->cin_slice};
    if (!pl->matmul_path) {
        TG_TRY(st, tg_halo_exchange(&pl->win, src, pl->out_split, 0.0f, p->halo_mode, &h), done);
        s = (act_source){tg_l1_ptr(h.l1_off), h.row_bytes, h.bounds.a, pl->cin_slice};
        if (p->deallocate_activation) {
            tg_tensor_free(src);
            if (src == in) memset(in, 0, sizeof *in);
        }
    }
    TG_TRY(st, run_alloc(&r), done);
    TG_TRY(st, load_sharded_weights(&r, w), done);
    st = p->layout == TG_CONV_HEIGHT ? compute_height(&r, &s, out) : compute_mcast(&r, &s, out);
    st = tg_noc_sync(st);
done:
    run_free(&r);
    tg_haloed_free(&h);
    tg_tensor_free(&resh);
    if (st != TG_OK) tg_tensor_free(out);
    return st;
}

/* ---- DRAM layout ---- */

/* Gathers the padded sticks [a, b) of the input into the window buffer: padding
 * sticks zero, data runs read from the input's DRAM pages. */
static tg_status gather_window(conv_run *r, const tg_tensor *in, int64_t a, int64_t b,
                               tg_halo_run *runs) {
    const tg_conv2d_plan *pl = r->pl;
    size_t rb = in->row_bytes;
    tg_split all = {1, pl->in_split.rows, pl->in_split.rows};
    int64_t n = tg_window_runs(&pl->win, all, a, b, runs);
    for (int64_t i = 0; i < n; i++) {
        size_t at = r->window + (size_t)runs[i].dst * rb;
        if (runs[i].owner < 0)
            memset(tg_l1_ptr(at), 0, (size_t)runs[i].len * rb);
        else
            TG_CHECK(tg_dram_read(&in->dram, runs[i].src, runs[i].len, 0, rb, at, rb));
    }
    return tg_noc_read_barrier();
}

/* One output block [o0, o0 + m) x weight block nb of the DRAM layout. */
static tg_status dram_block(conv_run *r, const act_source *s, const tg_conv2d_weights *w,
                            tg_tensor *out, int64_t o0, int64_t m, int64_t nb) {
    const tg_conv2d_plan *pl = r->pl;
    int64_t bww = pl->weights_block_w, abw = pl->act_block_w, c0 = r->c_base + nb * bww;
    int64_t kmax = (int64_t)pl->p.kh * pl->p.kw * pl->cin_p;
    if (c0 >= pl->cout_p) return TG_OK; /* the last core's share may end early */
    memset(r->C, 0, (size_t)(pl->act_block_h * bww) * sizeof *r->C);
    if (!pl->weights_resident) TG_CHECK(read_bias(r, w, c0, bww));
    for (int64_t kb = 0; kb < pl->kblocks_per_turn; kb++) {
        int64_t k0 = kb * abw, k1 = k0 + abw < kmax ? k0 + abw : kmax;
        if (!pl->weights_resident) {
            TG_CHECK(read_weights(r, w, k0, k1 - k0, c0, bww));
            TG_CHECK(weights_to_host(r, r->weights_cb, k1 - k0, bww));
        }
        double t0 = tg_stats_clock();
        float *A = r->exact ? (float *)tg_l1_ptr(r->act_cb) : r->A;
        im2col(r, s, o0, m, k0, k1, A, kc(r, k1 - k0));
        tg_mm_acc(r->C, bww, A, kc(r, k1 - k0), m, kc(r, k1 - k0), &r->W,
                  pl->weights_resident ? kc(r, k0) : 0, 0, bww, r->tmp);
        round_partials(r, m, bww, kb == pl->kblocks_per_turn - 1);
        tg_stats_compute(t0);
        count_macs(r, m, k1 - k0, bww);
    }
    size_t orow = tg_fmt_row_bytes(pl->p.out_fmt, bww);
    epilogue(r, m, bww, tg_l1_ptr(r->out_cb), orow, bww);
    int64_t have = pl->cout_p - c0 < bww ? pl->cout_p - c0 : bww;
    TG_CHECK(tg_dram_write(&out->dram, o0, m, tg_fmt_col_offset(pl->p.out_fmt, c0),
                           tg_fmt_row_bytes(pl->p.out_fmt, have), r->out_cb, orow));
    return tg_noc_write_barrier();
}

static tg_status dram_core(conv_run *r, const tg_tensor *in, const tg_conv2d_weights *w,
                           tg_tensor *out) {
    const tg_conv2d_plan *pl = r->pl;
    if (!r->in_grid || r->o_begin >= r->o_end) return TG_OK;
    int64_t abh = pl->act_block_h;
    tg_split all = {1, pl->in_split.rows, pl->in_split.rows};
    int64_t cap = tg_window_runs_bound(&pl->win, all, 0, pl->halo_cap);
    tg_halo_run *runs = malloc((size_t)cap * sizeof *runs);
    if (!runs) return tg_err(TG_ERR_RUNTIME, "conv2d: out of host memory for runs");
    tg_status st = TG_OK;
    /* Resident weights: one weight block at a time, every act block under it;
     * streamed weights: one act block at a time, every weight block over it. */
    int64_t outer = pl->weights_resident ? pl->nblocks_w : 1;
    for (int64_t nb0 = 0; nb0 < outer && st == TG_OK; nb0++) {
        if (pl->weights_resident) {
            int64_t c0 = r->c_base + nb0 * pl->weights_block_w;
            st = read_weights(r, w, 0, pl->k_rows, c0, pl->weights_block_w);
            if (st == TG_OK)
                st = weights_to_host(r, r->weights_cb, pl->k_rows, pl->weights_block_w);
            if (st == TG_OK) st = read_bias(r, w, c0, pl->weights_block_w);
        }
        for (int64_t o0 = r->o_begin; o0 < r->o_end && st == TG_OK; o0 += abh) {
            int64_t m = r->o_end - o0 < abh ? r->o_end - o0 : abh;
            int64_t a = tg_window_top_left(&pl->win, o0);
            int64_t b = tg_window_bottom_right(&pl->win, o0 + m - 1) + 1;
            st = gather_window(r, in, a, b, runs);
            act_source s = {tg_l1_ptr(r->window), in->row_bytes, a, pl->cin_p};
            for (int64_t nb = pl->weights_resident ? nb0 : 0;
                 st == TG_OK && nb < (pl->weights_resident ? nb0 + 1 : pl->nblocks_w); nb++)
                st = dram_block(r, &s, w, out, o0, m, nb);
        }
    }
    free(runs);
    return st;
}

static tg_status run_dram(const tg_conv2d_plan *pl, tg_tensor *in, const tg_conv2d_weights *w,
                          tg_tensor *out) {
    const tg_conv2d_params *p = &pl->p;
    conv_run r;
    run_init(&r, pl);
    int64_t in_shape[4] = {p->n, p->h, p->w, p->cin};
    int64_t out_shape[4] = {p->n, pl->win.out_h, pl->win.out_w, p->cout};
    tg_tensor resh = {0};
    const tg_tensor *src = in;
    tg_status st = TG_OK;
    if (in->place != TG_PLACE_DRAM) {
        TG_CHECK(tg_tensor_alloc_dram(&resh, "conv2d:input (interleaved)", in_shape, p->in_fmt));
        TG_CHECK(stage_input(in, &resh));
        src = &resh;
    }
    TG_TRY(st, tg_tensor_alloc_dram(out, "conv2d:output", out_shape, p->out_fmt), done);
    TG_TRY(st, run_alloc(&r), done);
    st = tg_noc_sync(dram_core(&r, src, w, out));
done:
    run_free(&r);
    tg_tensor_free(&resh);
    if (st != TG_OK) tg_tensor_free(out);
    return st;
}

tg_status tg_conv2d_run(const tg_conv2d_plan *plan, tg_tensor *in, const tg_conv2d_weights *w,
                        tg_tensor *out) {
    const tg_conv2d_params *p = &plan->p;
    memset(out, 0, sizeof *out);
    if (in->n != p->n || in->h != p->h || in->w != p->w || in->c != p->cin)
        return tg_err(TG_ERR_USAGE,
                      "conv2d: input is [%lld, %lld, %lld, %lld] but the conv expects [%lld, %lld, "
                      "%lld, %lld]",
                      (long long)in->n, (long long)in->h, (long long)in->w, (long long)in->c,
                      (long long)p->n, (long long)p->h, (long long)p->w, (long long)p->cin);
    if (in->fmt != p->in_fmt)
        return tg_err(TG_ERR_USAGE, "conv2d: input is %s but the conv's dtype is %s",
                      tg_fmt_name(in->fmt), tg_fmt_name(p->in_fmt));
    if (p->has_bias != w->has_bias)
        return tg_err(TG_ERR_USAGE, "conv2d: the plan %s a bias but the weights %s one",
                      p->has_bias ? "has" : "has no", w->has_bias ? "have" : "lack");
    return p->layout == TG_CONV_DRAM ? run_dram(plan, in, w, out) : run_sharded(plan, in, w, out);
}
