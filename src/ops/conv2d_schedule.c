/* conv2d's schedule: every step one core takes, from the plan alone. Pure.
 *
 * The run (conv2d_run.c) performs these steps and the plan tallies their transfers,
 * so what a core moves is decided here once:
 *   height  the first core reads every weight from DRAM and multicasts it to the busy
 *           cores (TTNN's height-sharded conv); each core multiplies its own
 *           activation blocks, one kernel row of K at a time;
 *   block   core (r, c) gets the weights of its output channels from the first core of
 *           its channel column; for each turn t the core (r, t) gathers a block of its
 *           channel slice and multicasts it along grid row r, and every core of the row
 *           accumulates it — the paper's seven steps;
 *   width   the same with all cores in one row; every core reads its own weights;
 *   none    (DRAM) every core reads input windows and weights from interleaved DRAM
 *           and writes output blocks back. */
#include <string.h>

#include "conv2d.h"
#include "conv2d_impl.h"
#include "gemm.h"

typedef struct gen {
    const tg_conv2d_plan *pl;
    const tg_conv2d_role *r;
    int core;
    tg_conv2d_step_fn fn;
    void *ctx;
} gen;

static size_t cb_off(const tg_conv2d_plan *pl, int cb) {
    return pl->cb[cb] >= 0 ? pl->l1.cbs[pl->cb[cb]].off : 0;
}

static void emit(gen *g, tg_conv2d_step s) {
    g->fn(g->ctx, &s);
}

static void xfer(gen *g, tg_xfer x) {
    emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_XFER, .x = x});
}

/* A transfer of weights or bias. */
static void wxfer(gen *g, tg_xfer x) {
    emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_XFER, .x = x, .weights = true});
}

/* Rows [k0, k0 + rows) of the weight tile column at page `col` (its tile kt at page
 * col + kt, conv2d.h) into a panel of the weights CB at `at`: whole tiles in one
 * transfer of one transaction each (TTNN's reader reads weights tile by tile), a
 * block starting or ending mid-tile reads that tile's rows apart. */
static void read_tile_rows(gen *g, size_t at, int64_t col, int64_t k0, int64_t rows, size_t prow) {
    size_t tile = TG_TILE * prow;
    for (int64_t k = k0; k < k0 + rows;) {
        int64_t t = k / TG_TILE, r0 = k % TG_TILE, r1 = k0 + rows - t * TG_TILE;
        if (r1 > TG_TILE) r1 = TG_TILE;
        bool whole = r0 == 0 && r1 == TG_TILE;
        int64_t n = whole ? (k0 + rows - k) / TG_TILE : 1;
        size_t blen = whole ? tile : (size_t)(r1 - r0) * prow;
        wxfer(g, (tg_xfer){.kind = TG_XF_DRAM_READ,
                           .buf = TG_CONV_BUF_WEIGHTS,
                           .first = col + t,
                           .count = n,
                           .peer_off = (size_t)r0 * prow,
                           .blen = blen,
                           .off = at + (size_t)(k - k0) * prow,
                           .stride = tile});
        k += whole ? n * TG_TILE : r1 - r0;
    }
}

/* The same for `w` columns from column `cc` of the tile column (part of a tile: a
 * share of channels ending mid-tile), to column `dc` of the panel: one row of every
 * K tile per transfer. */
static void read_tile_part(gen *g, size_t at, int64_t col, int64_t k0, int64_t rows, size_t prow,
                           int64_t cc, int64_t w, int64_t dc) {
    tg_fmt f = g->pl->p.w_fmt;
    for (int64_t r = 0; r < TG_TILE; r++) {
        int64_t k = k0 + ((r - k0 % TG_TILE) % TG_TILE + TG_TILE) % TG_TILE;
        if (k >= k0 + rows) continue;
        wxfer(g, (tg_xfer){.kind = TG_XF_DRAM_READ,
                           .buf = TG_CONV_BUF_WEIGHTS,
                           .first = col + k / TG_TILE,
                           .count = (k0 + rows - 1 - k) / TG_TILE + 1,
                           .peer_off = (size_t)r * prow + tg_fmt_col_offset(f, cc),
                           .blen = tg_fmt_row_bytes(f, w),
                           .off = at + (size_t)(k - k0) * prow + tg_fmt_col_offset(f, dc),
                           .stride = TG_TILE * prow});
    }
}

/* Weight rows [k0, k0 + rows) x output channels [c0, c0 + cols) from DRAM's tiles into
 * the weights CB as panels of 32 channels (a column of weight tiles); channels past
 * the matrix stay 0. */
static void read_weights(gen *g, size_t wcb, int64_t k0, int64_t rows, int64_t c0, int64_t cols) {
    const tg_conv2d_plan *pl = g->pl;
    tg_fmt f = pl->p.w_fmt;
    size_t prow = tg_fmt_row_bytes(f, TG_GEMM_PANEL), pbytes = (size_t)rows * prow;
    int64_t kt = tg_conv2d_weight_ktiles(pl->k_rows);
    for (int64_t p = 0; p * TG_GEMM_PANEL < cols; p++) {
        int64_t c = c0 + p * TG_GEMM_PANEL, have = pl->cout_p - c;
        if (have > TG_GEMM_PANEL) have = TG_GEMM_PANEL;
        if (have > cols - p * TG_GEMM_PANEL) have = cols - p * TG_GEMM_PANEL;
        size_t at = wcb + (size_t)p * pbytes;
        if (have < TG_GEMM_PANEL)
            emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_ZERO, .off = at, .bytes = pbytes});
        for (int64_t d = 0; d < have;) {
            int64_t cc = c + d, ct = cc / TG_TILE, w = (ct + 1) * TG_TILE - cc;
            if (w > have - d) w = have - d;
            if (w == TG_TILE)
                read_tile_rows(g, at, ct * kt, k0, rows, prow);
            else
                read_tile_part(g, at, ct * kt, k0, rows, prow, cc % TG_TILE, w, d);
            d += w;
        }
    }
    wxfer(g, (tg_xfer){.kind = TG_XF_READ_BARRIER});
}

/* The weights CB at `at`, weight rows [k0, k0 + rows) of channels [c0, c0 + cols), to
 * the matrix engine. */
static void unpack_weights(gen *g, size_t at, int64_t k0, int64_t rows, int64_t c0, int64_t cols) {
    emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_W_UNPACK,
                             .off = at,
                             .k0 = k0,
                             .k1 = k0 + rows,
                             .rows = rows,
                             .c0 = c0,
                             .cols = cols});
}

/* Bytes of `rows` weight rows of the core's output channels in the weights CB. */
static size_t weight_bytes(const tg_conv2d_plan *pl, int64_t rows) {
    int64_t panels = (pl->weights_block_w + TG_GEMM_PANEL - 1) / TG_GEMM_PANEL;
    return (size_t)rows * (size_t)panels * tg_fmt_row_bytes(pl->p.w_fmt, TG_GEMM_PANEL);
}

/* The bias of channels [c0, c0 + cols) into the bias CB (the [32, Cout] tile's first
 * row), then to the matrix engine. */
static void read_bias(gen *g, int64_t c0, int64_t cols) {
    const tg_conv2d_plan *pl = g->pl;
    if (pl->p.has_bias) {
        tg_fmt f = pl->p.w_fmt;
        size_t rb = tg_fmt_row_bytes(f, cols), at = cb_off(pl, TG_CONV_CB_BIAS);
        emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_ZERO, .off = at, .bytes = rb});
        int64_t have = pl->cout_p - c0 < cols ? pl->cout_p - c0 : cols;
        if (have > 0) {
            wxfer(g, (tg_xfer){.kind = TG_XF_DRAM_READ,
                               .buf = TG_CONV_BUF_BIAS,
                               .first = 0,
                               .count = 1,
                               .peer_off = tg_fmt_col_offset(f, c0),
                               .blen = tg_fmt_row_bytes(f, have),
                               .off = at,
                               .stride = rb});
            wxfer(g, (tg_xfer){.kind = TG_XF_READ_BARRIER});
        }
    }
    emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_BIAS_UNPACK, .cols = cols});
}

/* Sharded layouts, weights resident: all of them into the weights CB of every busy core
 * once. */
static void sharded_weights(gen *g) {
    const tg_conv2d_plan *pl = g->pl;
    const tg_conv2d_role *r = g->r;
    int64_t c0 = (int64_t)r->cp * pl->cout_slice;
    size_t wcb = cb_off(pl, TG_CONV_CB_WEIGHTS);
    if (r->reads_weights) read_weights(g, wcb, 0, pl->k_rows, c0, pl->cout_slice);
    xfer(g, (tg_xfer){.kind = TG_XF_SYNC, .set = TG_SET_ALL});
    if (pl->p.layout != TG_CONV_WIDTH) {
        /* the group's first core multicasts what it read; every core of the set takes
         * part. No barrier after: the weights CB is not written again before the conv's
         * final sync, so the root's copy stays valid while the others fetch it. */
        wxfer(g, (tg_xfer){.kind = TG_XF_MCAST,
                           .peer = r->w_root,
                           .set = r->w_set,
                           .rect = r->w_rect,
                           .count = 1,
                           .peer_off = wcb,
                           .off = wcb,
                           .blen = r->w_bytes});
    }
    if (r->busy) unpack_weights(g, wcb, 0, pl->k_rows, c0, pl->cout_slice);
}

/* Sharded layouts, weights streamed (TTNN's weights CB holds one K block per slot):
 * step `step` brings weight rows [k0, k0 + rows) into slot step % w_slots. The group's
 * first core reads them from DRAM and multicasts them to its group (width: every core
 * reads its own). The multicast meets the group before the bytes move (the block is
 * there) and, with one slot, after they landed (the root may read the next block into
 * it); with two, the root reaches the slot of step k only after everyone met before
 * step k - 1, that is after fetching step k - 2's block from it. */
static void streamed_weights(gen *g, int64_t step, int64_t k0, int64_t rows) {
    const tg_conv2d_plan *pl = g->pl;
    const tg_conv2d_role *r = g->r;
    int64_t c0 = (int64_t)r->cp * pl->cout_slice;
    size_t at = cb_off(pl, TG_CONV_CB_WEIGHTS) +
                (size_t)(step % pl->w_slots) * weight_bytes(pl, pl->act_block_w);
    if (r->reads_weights) read_weights(g, at, k0, rows, c0, pl->cout_slice);
    if (pl->p.layout != TG_CONV_WIDTH)
        wxfer(g, (tg_xfer){.kind = TG_XF_MCAST,
                           .peer = r->w_root,
                           .set = r->w_set,
                           .rect = r->w_rect,
                           .count = 1,
                           .peer_off = at,
                           .off = at,
                           .blen = r->w_bytes ? weight_bytes(pl, rows) : 0,
                           .fence_before = true,
                           .fence_after = pl->w_slots == 1,
                           .one_root = true});
    if (r->busy) unpack_weights(g, at, k0, rows, c0, pl->cout_slice);
}

/* The padded-input index of the haloed shard's first stick (or, on the matmul path,
 * the input shard's first row). */
static int64_t origin(const gen *g) {
    const tg_conv2d_plan *pl = g->pl;
    if (pl->matmul_path) return g->r->o_begin;
    /* no halo (width sharding of an unpadded row-major input): the input shard is the
     * padded input, all of it on every core */
    if (!pl->halo.parts) return tg_split_start(pl->in_split, g->r->rp);
    return pl->halo.parts[g->r->rp].bounds.a;
}

/* Height: every core multiplies its own activation blocks by all the weights, one K
 * block (kernel row) at a time. Streamed weights are collective steps, so every core
 * walks the same blocks (those without outputs multiply nothing). */
static void compute_height(gen *g) {
    const tg_conv2d_plan *pl = g->pl;
    const tg_conv2d_role *r = g->r;
    int64_t n = pl->cout_slice, abh = pl->act_block_h, abw = pl->act_block_w;
    int64_t kmax = pl->k_turn, nblocks = pl->out_split.shard / abh;
    if (pl->weights_resident && !r->busy) return;
    for (int64_t b = 0; b < nblocks; b++) {
        int64_t o0 = r->o_begin + b * abh, m = r->o_end - o0;
        if (m > abh) m = abh;
        if (m < 0 || !r->busy) m = 0;
        if (m > 0) emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_ACC_ZERO, .cols = n});
        for (int64_t kb = 0; kb < pl->kblocks_per_turn; kb++) {
            int64_t k0 = kb * abw, k1 = k0 + abw < kmax ? k0 + abw : kmax;
            if (!pl->weights_resident)
                streamed_weights(g, b * pl->kblocks_per_turn + kb, k0, k1 - k0);
            if (m == 0) continue;
            emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_MATMUL,
                                     .o0 = o0,
                                     .m = m,
                                     .k0 = k0,
                                     .k1 = k1,
                                     .kw = pl->weights_resident ? k0 : 0,
                                     .cols = n,
                                     .origin = origin(g),
                                     .last = kb == pl->kblocks_per_turn - 1});
        }
        if (m > 0)
            emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_EPILOGUE, .o0 = o0, .m = m, .cols = n});
    }
}

/* Block and width: for each K block (a kernel row of every input-channel slice), every
 * core holding a slice gathers its block (TTNN's tilized act CB, in the output's format)
 * and, turn by turn, each multicasts it to the cores of its rows (into their act CB),
 * which all multiply it by their weights for that slice and kernel row. Every core runs
 * every turn (those outside the conv grid, or without outputs, only take part in the
 * barriers), so the barriers match. The row meets before the first turn (all blocks
 * ready) and after the last (the senders may gather the next K block); the matmul path,
 * whose input CB is both source and destination, meets around every turn. */
static void compute_mcast(gen *g) {
    const tg_conv2d_plan *pl = g->pl;
    const tg_conv2d_role *r = g->r;
    /* a row set without outputs skips the turns, unless streamed weights come down its
     * columns: then it takes part in their steps (and multicasts nothing in its rows) */
    if (r->idle_set && pl->weights_resident) return;
    int64_t n = pl->cout_slice, abh = pl->act_block_h, abw = pl->act_block_w;
    int64_t shard = pl->out_split.shard, nblocks = (shard + abh - 1) / abh;
    size_t arow = tg_fmt_row_bytes(pl->act_fmt, pl->act_cols), ablock = (size_t)abh * arow;
    size_t act_cb = cb_off(pl, TG_CONV_CB_ACT);
    /* no act CB to receive into (one input and one output channel core): the sender's
     * own block is the one it multiplies */
    bool recv = pl->cb[TG_CONV_CB_MCAST] >= 0;
    size_t mcast_cb = recv ? cb_off(pl, TG_CONV_CB_MCAST) : act_cb;
    int64_t slots = recv ? (int64_t)(pl->l1.cbs[pl->cb[TG_CONV_CB_MCAST]].bytes / ablock) : 1;
    /* each K block (kernel row) of every slice at once: the senders gather their own
     * blocks together, then the turns multicast them one after the other (as TTNN's
     * block-sharded reader walks the kernel rows outside the turns) */
    bool at_once = recv && act_cb != mcast_cb;
    for (int64_t b = 0; b < nblocks; b++) {
        int64_t o0 = r->o_begin + b * abh, m = r->o_end - o0;
        if (m > abh) m = abh;
        if (m < 0) m = 0;
        if (r->busy) emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_ACC_ZERO, .cols = n});
        for (int64_t kb = 0; kb < pl->kblocks_per_turn; kb++)
            for (int t = 0; t < pl->col_parts; t++) {
                int64_t k0 = kb * abw, k1 = k0 + abw < pl->k_turn ? k0 + abw : pl->k_turn;
                int64_t step = ((b * pl->kblocks_per_turn + kb) * pl->col_parts + t);
                if (!pl->weights_resident) streamed_weights(g, step, t * pl->k_turn + k0, k1 - k0);
                size_t slot = mcast_cb + (size_t)(step % (slots > 0 ? slots : 1)) * ablock;
                /* the sender's block goes where it multicasts from: its tilized act CB,
                 * or (the matmul path, whose input CB is both) its own slot */
                size_t src = act_cb == mcast_cb ? slot : act_cb;
                bool sender = at_once ? t == 0 && r->sends : r->sends && r->cp == t;
                if (sender)
                    emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_GATHER,
                                             .o0 = o0,
                                             .m = m,
                                             .k0 = k0,
                                             .k1 = k1,
                                             .off = src,
                                             .origin = origin(g)});
                int root = r->in_grid
                               ? tg_shard_core_rank(&pl->stage.spec, pl->m.grid,
                                                    tg_shard_part_core(&pl->stage.spec, r->rp, t))
                               : g->core;
                /* the row meets before the block moves (the sender's block is ready,
                 * every receiver is done with its buffer) and after it landed when the
                 * sender gathers again into the same CB: every step, or (all senders at
                 * once) after the act block's last turn */
                if (recv)
                    xfer(g, (tg_xfer){.kind = TG_XF_MCAST,
                                      .peer = root,
                                      .set = r->a_set,
                                      .rect = r->a_rect,
                                      .count = 1,
                                      .peer_off = src,
                                      .off = slot,
                                      .blen = r->row_busy ? ablock : 0,
                                      .fence_before = !at_once || t == 0,
                                      .fence_after = !at_once || t == pl->col_parts - 1,
                                      .one_root = !at_once});
                if (!r->busy) continue;
                bool last = t == pl->col_parts - 1 && kb == pl->kblocks_per_turn - 1;
                emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_MATMUL,
                                         .o0 = o0,
                                         .m = m,
                                         .k0 = k0,
                                         .k1 = k1,
                                         .kw = pl->weights_resident ? t * pl->k_turn + k0 : 0,
                                         .cols = n,
                                         .off = slot,
                                         .from_cb = true,
                                         .last = last});
            }
        if (r->busy && m > 0)
            emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_EPILOGUE, .o0 = o0, .m = m, .cols = n});
    }
}

/* DRAM layout: one output block [o0, o0 + m) x weight block nb. */
static void dram_block(gen *g, int64_t o0, int64_t m, int64_t a, int64_t nb) {
    const tg_conv2d_plan *pl = g->pl;
    int64_t bww = pl->weights_block_w, abw = pl->act_block_w, c0 = g->r->c_base + nb * bww;
    int64_t kmax = (int64_t)pl->p.kh * pl->p.kw * pl->cin_p;
    if (c0 >= pl->cout_p) return; /* the last core's share may end early */
    emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_ACC_ZERO, .cols = bww});
    if (!pl->weights_resident) read_bias(g, c0, bww);
    for (int64_t kb = 0; kb < pl->kblocks_per_turn; kb++) {
        int64_t k0 = kb * abw, k1 = k0 + abw < kmax ? k0 + abw : kmax;
        if (!pl->weights_resident) {
            read_weights(g, cb_off(pl, TG_CONV_CB_WEIGHTS), k0, k1 - k0, c0, bww);
            unpack_weights(g, cb_off(pl, TG_CONV_CB_WEIGHTS), k0, k1 - k0, c0, bww);
        }
        emit(g, (tg_conv2d_step){.kind = TG_CONV_STEP_MATMUL,
                                 .o0 = o0,
                                 .m = m,
                                 .k0 = k0,
                                 .k1 = k1,
                                 .kw = pl->weights_resident ? k0 : 0,
                                 .cols = bww,
                                 .origin = a,
                                 .src = 1,
                                 .last = kb == pl->kblocks_per_turn - 1});
    }
    size_t orow = tg_fmt_row_bytes(pl->p.out_fmt, bww), out_cb = cb_off(pl, TG_CONV_CB_OUTBLOCK);
    emit(g, (tg_conv2d_step){
                .kind = TG_CONV_STEP_EPILOGUE, .o0 = o0, .m = m, .cols = bww, .to_block = true});
    int64_t have = pl->cout_p - c0 < bww ? pl->cout_p - c0 : bww;
    xfer(g, (tg_xfer){.kind = TG_XF_DRAM_WRITE,
                      .buf = TG_CONV_BUF_OUTPUT,
                      .first = o0,
                      .count = m,
                      .peer_off = tg_fmt_col_offset(pl->p.out_fmt, c0),
                      .blen = tg_fmt_row_bytes(pl->p.out_fmt, have),
                      .off = out_cb,
                      .stride = orow});
    xfer(g, (tg_xfer){.kind = TG_XF_WRITE_BARRIER});
}

/* DRAM layout: the padded sticks [a, b) of the input into the window CB: padding
 * sticks zero, data runs read from the input's DRAM pages. The runs are those of
 * tg_window_runs over [a, b), made one padded row at a time (so no buffer is needed)
 * and joined where they continue each other, as tg_window_runs joins them. */
static void window_run(gen *g, const tg_stick_run *r) {
    const tg_conv2d_plan *pl = g->pl;
    size_t rb = tg_fmt_row_bytes(pl->p.in_fmt, pl->cin_p), window = cb_off(pl, TG_CONV_CB_WINDOW);
    size_t at = window + (size_t)r->dst * rb;
    if (r->owner < 0)
        emit(g,
             (tg_conv2d_step){.kind = TG_CONV_STEP_ZERO, .off = at, .bytes = (size_t)r->len * rb});
    else
        xfer(g, (tg_xfer){.kind = TG_XF_DRAM_READ,
                          .buf = TG_CONV_BUF_INPUT,
                          .first = r->src,
                          .count = r->len,
                          .blen = rb,
                          .off = at,
                          .stride = rb});
}

static void gather_window(gen *g, int64_t a, int64_t b) {
    const tg_window *w = &g->pl->win;
    tg_split all = {1, g->pl->in_split.rows, g->pl->in_split.rows};
    tg_stick_run row[16], pending = {0, 0, 0, 0};
    bool have = false;
    for (int64_t p = a; p < b;) {
        int64_t end = (p / w->wp + 1) * w->wp < b ? (p / w->wp + 1) * w->wp : b;
        int64_t n = tg_window_runs(w, all, p, end, row);
        for (int64_t i = 0; i < n; i++) {
            tg_stick_run r = row[i];
            r.dst += p - a;
            if (have && pending.owner == r.owner && pending.dst + pending.len == r.dst &&
                (r.owner < 0 || pending.src + pending.len == r.src)) {
                pending.len += r.len;
                continue;
            }
            if (have) window_run(g, &pending);
            pending = r, have = true;
        }
        p = end;
    }
    if (have) window_run(g, &pending);
    xfer(g, (tg_xfer){.kind = TG_XF_READ_BARRIER});
}

/* DRAM layout. Resident weights: one weight block at a time, every act block under
 * it; streamed weights: one act block at a time, every weight block over it. */
static void compute_dram(gen *g) {
    const tg_conv2d_plan *pl = g->pl;
    const tg_conv2d_role *r = g->r;
    if (!r->busy) return;
    int64_t abh = pl->act_block_h;
    int64_t outer = pl->weights_resident ? pl->nblocks_w : 1;
    for (int64_t nb0 = 0; nb0 < outer; nb0++) {
        if (pl->weights_resident) {
            int64_t c0 = r->c_base + nb0 * pl->weights_block_w;
            read_weights(g, cb_off(pl, TG_CONV_CB_WEIGHTS), 0, pl->k_rows, c0, pl->weights_block_w);
            unpack_weights(g, cb_off(pl, TG_CONV_CB_WEIGHTS), 0, pl->k_rows, c0,
                           pl->weights_block_w);
            read_bias(g, c0, pl->weights_block_w);
        }
        for (int64_t o0 = r->o_begin; o0 < r->o_end; o0 += abh) {
            int64_t m = r->o_end - o0 < abh ? r->o_end - o0 : abh;
            int64_t a = tg_window_top_left(&pl->win, o0);
            int64_t b = tg_window_bottom_right(&pl->win, o0 + m - 1) + 1;
            gather_window(g, a, b);
            for (int64_t nb = pl->weights_resident ? nb0 : 0;
                 nb < (pl->weights_resident ? nb0 + 1 : pl->nblocks_w); nb++)
                dram_block(g, o0, m, a, nb);
        }
    }
}

void tg_conv2d_schedule(const tg_conv2d_plan *pl, int core, tg_conv2d_step_fn fn, void *ctx) {
    gen g = {pl, &pl->roles[core], core, fn, ctx};
    if (pl->p.layout == TG_CONV_DRAM) {
        compute_dram(&g);
    } else {
        if (pl->weights_resident) sharded_weights(&g);
        if (g.r->busy) read_bias(&g, (int64_t)g.r->cp * pl->cout_slice, pl->cout_slice);
        if (pl->p.layout == TG_CONV_HEIGHT)
            compute_height(&g);
        else
            compute_mcast(&g);
    }
    xfer(&g, (tg_xfer){.kind = TG_XF_SYNC, .set = TG_SET_ALL});
}

typedef struct tally_ctx {
    tg_traffic *t;
    int core;
} tally_ctx;

static void tally_step(void *ctx, const tg_conv2d_step *s) {
    tally_ctx *c = ctx;
    if (s->kind == TG_CONV_STEP_XFER) tg_xfer_tally(c->t, c->core, &s->x);
}

void conv2d_schedule_traffic(tg_conv2d_plan *pl) {
    for (int core = 0; core < tg_machine_cores(&pl->m); core++) {
        tally_ctx c = {&pl->traffic, core};
        tg_conv2d_schedule(pl, core, tally_step, &c);
    }
}
