/* Max-pool planning: shards, halo, blocks, the L1 budget, and the schedule. Pure. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "maxpool2d.h"
#include "reshard.h"

void tg_maxpool2d_plan_free(tg_maxpool2d_plan *pl) {
    tg_halo_plan_free(&pl->halo);
    tg_l1_map_destroy(&pl->l1);
    tg_traffic_destroy(&pl->traffic);
    tg_timeline_free(&pl->time);
    pl->materialised = false;
}

/* DRAM: each core takes an even share of the output rows, in blocks whose input
 * window and output fit in L1 (tallest first). */
static tg_status plan_dram(tg_maxpool2d_plan *pl) {
    const tg_maxpool2d_params *p = &pl->p;
    int P = pl->cores.w * pl->cores.h;
    int64_t out_rows = tg_window_out_rows(&pl->win), in_rows = p->n * p->h * p->w;
    pl->row_parts = P, pl->col_parts = 1;
    pl->c_slice = tg_channels_padded(p->c);
    pl->in_split = (tg_split){1, in_rows, in_rows};
    int64_t per = (out_rows + P - 1) / P;
    pl->out_split = (tg_split){P, per > 0 ? per : 1, out_rows};
    size_t row = tg_fmt_row_bytes(p->fmt, pl->c_slice);
    for (int64_t b = 1024; b >= 1; b /= 2) {
        int64_t cap = 0;
        for (int q = 0; q < P; q++)
            for (int64_t o = tg_split_start(pl->out_split, q); o < tg_split_end(pl->out_split, q);
                 o += b) {
                int64_t e =
                    o + b < tg_split_end(pl->out_split, q) ? o + b : tg_split_end(pl->out_split, q);
                int64_t len =
                    tg_window_bottom_right(&pl->win, e - 1) + 1 - tg_window_top_left(&pl->win, o);
                if (len > cap) cap = len;
            }
        pl->block_rows = b;
        pl->halo_cap = cap;
        pl->nitems = 2;
        snprintf(pl->items[0].name, sizeof pl->items[0].name, "input window");
        pl->items[0].bytes = (size_t)cap * row;
        snprintf(pl->items[1].name, sizeof pl->items[1].name, "output block");
        pl->items[1].bytes = (size_t)b * row;
        pl->l1_total = pl->items[0].bytes + pl->items[1].bytes;
        if (pl->l1_total <= pl->l1_limit) return TG_OK;
    }
    return tg_err(TG_ERR_RUNTIME,
                  "maxpool2d (DRAM): out of L1: one output row's window needs %zu B but the limit "
                  "is %zu B",
                  pl->l1_total, pl->l1_limit);
}

/* Whether the pool runs on the input's own shards: an L1 input sharded in the pool's
 * layout keeps its parallel config (cores, parts, shard height, channel alignment), as
 * TTNN's max_pool2d uses a sharded input as it is; any other input is resharded to the
 * pool's rectangle first. */
static bool keeps_input(const tg_maxpool2d_params *p, const tg_tensor *in) {
    return !p->dram && in->place == TG_PLACE_L1 && in->spec.layout == p->layout;
}

tg_status tg_maxpool2d_params_check(const tg_maxpool2d_params *p) {
    if (p->c <= 0) return tg_err(TG_ERR_USAGE, "maxpool2d: %lld channels", (long long)p->c);
    /* PyTorch's rule (aten/src/ATen/native/Pool.h, pooling_output_shape, pytorch/pytorch
     * at 05f542c9ef2e3d9994e92eb30a7bae294ccc7cf0): "pad should be at most half of
     * effective kernel size", pad <= ((kernel - 1) * dilation + 1) / 2, here on each of
     * the four sides. (PyTorch 1.13, Debian's, still checks pad <= kernel / 2, the same
     * rule at dilation 1.) */
    long eh = ((long)p->kh - 1) * p->dh + 1, ew = ((long)p->kw - 1) * p->dw + 1;
    if (p->kh >= 1 && p->kw >= 1 && p->dh >= 1 && p->dw >= 1 &&
        (p->pad_t > eh / 2 || p->pad_b > eh / 2 || p->pad_l > ew / 2 || p->pad_r > ew / 2))
        return tg_err(TG_ERR_USAGE,
                      "maxpool2d: padding %d,%d,%d,%d (top, bottom, left, right) is more than half "
                      "of the effective kernel %ldx%ld (kernel %dx%d, dilation %dx%d): at most "
                      "%ld,%ld, as PyTorch requires",
                      p->pad_t, p->pad_b, p->pad_l, p->pad_r, eh, ew, p->kh, p->kw, p->dh, p->dw,
                      eh / 2, ew / 2);
    return TG_OK;
}

/* Shapes, blocks and budget for l1_size bytes of which l1_other are held elsewhere. */
static tg_status decide(const tg_maxpool2d_params *p, const tg_machine *m, const tg_tensor *in_t,
                        size_t l1_size, size_t l1_other, tg_maxpool2d_plan *pl) {
    memset(pl, 0, sizeof *pl);
    pl->p = *p;
    pl->m = *m;
    TG_CHECK(tg_maxpool2d_params_check(p));
    TG_CHECK(tg_window_make(p->n, p->h, p->w, p->kh, p->kw, p->sh, p->sw, p->pad_t, p->pad_b,
                            p->pad_l, p->pad_r, p->dh, p->dw, p->ceil_mode, &pl->win));
    pl->kept = keeps_input(p, in_t);
    pl->cores = pl->kept                             ? in_t->spec.grid
                : (p->cores.w > 0 && p->cores.h > 0) ? p->cores
                                                     : m->grid;
    if (pl->cores.w > m->grid.w || pl->cores.h > m->grid.h)
        return tg_err(TG_ERR_USAGE, "maxpool2d: core grid %dx%d does not fit in the %dx%d grid",
                      pl->cores.w, pl->cores.h, m->grid.w, m->grid.h);
    pl->l1_limit = l1_size > l1_other ? l1_size - l1_other : 0;
    if (p->dram) return plan_dram(pl);
    if (pl->kept)
        pl->spec = in_t->spec;
    else
        TG_CHECK(tg_shard_spec_make(p->layout, p->n * p->h * p->w, p->c, pl->cores,
                                    p->transpose_shards, p->snap, &pl->spec));
    const tg_shard_spec in = pl->spec;
    pl->row_parts = in.row_parts;
    pl->col_parts = in.col_parts;
    pl->c_slice = in.shard_w;
    pl->in_split = tg_split_of(&in);
    pl->out_split = tg_split_out(&in, tg_window_out_rows(&pl->win));
    pl->halo_cap = tg_window_max_halo(&pl->win, pl->out_split);
    size_t row = tg_fmt_row_bytes(p->fmt, pl->c_slice);
    const char *names[] = {"input shard", "haloed shard", "output shard"};
    size_t bytes[] = {(size_t)pl->in_split.shard * row, (size_t)pl->halo_cap * row,
                      (size_t)pl->out_split.shard * row};
    for (int i = 0; i < 3; i++) {
        snprintf(pl->items[i].name, sizeof pl->items[i].name, "%s", names[i]);
        pl->items[i].bytes = bytes[i];
        pl->l1_total += bytes[i];
    }
    pl->nitems = 3;
    if (pl->l1_total > pl->l1_limit)
        return tg_err(TG_ERR_RUNTIME,
                      "maxpool2d (%s sharded, %dx%d cores): out of L1 on every core: needs %zu B "
                      "(input shard %zu B, haloed shard %zu B, output shard %zu B) but the limit "
                      "is %zu B; try more cores or another layout",
                      tg_shard_name(p->layout), pl->cores.w, pl->cores.h, pl->l1_total, bytes[0],
                      bytes[1], bytes[2], pl->l1_limit);
    return TG_OK;
}

/* The run's tensors and its L1 allocations in order, replayed on the snapshot. */
static tg_status materialise_l1(tg_maxpool2d_plan *pl, const tg_tensor *in, const tg_l1 *snap) {
    const tg_maxpool2d_params *p = &pl->p;
    int64_t in_shape[4] = {p->n, p->h, p->w, p->c};
    int64_t out_shape[4] = {p->n, pl->win.out_h, pl->win.out_w, p->c};
    tg_l1_map *m = &pl->l1;
    tg_l1_map_init(m);
    pl->in = *in;
    pl->ev_stage = pl->ev_out = pl->ev_halo = pl->ev_prog = pl->cb_window = pl->cb_block = -1;
    if (p->dram) {
        pl->staged = in->place != TG_PLACE_DRAM;
        /* an L1 input moves to DRAM and gives its L1 to the blocks */
        pl->evict = pl->staged && in->allocated;
        if (pl->evict) tg_l1_map_free_old(m, "maxpool2d:input (to DRAM)", in->l1_off);
        TG_CHECK(
            tg_tensor_describe_dram(&pl->stage, "maxpool2d:input (interleaved)", in_shape, p->fmt));
        TG_CHECK(tg_tensor_describe_dram(&pl->out, "maxpool2d:output", out_shape, p->fmt));
        char range[48];
        tg_core_range_name(pl->cores, range);
        pl->ev_prog = tg_l1_map_program(m, "maxpool2d", range);
        pl->cb_window = tg_l1_map_cb(m, "maxpool2d:input window", pl->items[0].bytes);
        pl->cb_block = tg_l1_map_cb(m, "maxpool2d:output block", pl->items[1].bytes);
        tg_l1_map_program_end(m);
        return tg_l1_map_replay(m, snap);
    }
    /* the output takes the input's parallel config, its rows split as the halo's
     * outputs are (tg_split_out) */
    tg_shard_spec out_spec;
    TG_CHECK(tg_shard_spec_like(&pl->spec, tg_window_out_rows(&pl->win), p->c, &out_spec));
    TG_CHECK(tg_tensor_describe_spec(&pl->stage, "maxpool2d:input (resharded)", in_shape, p->fmt,
                                     &pl->spec));
    TG_CHECK(tg_tensor_describe_spec(&pl->out, "maxpool2d:output", out_shape, p->fmt, &out_spec));
    pl->staged = !(in->place == TG_PLACE_L1 && tg_tensor_same_spec(in, &pl->stage.spec));
    TG_CHECK(tg_halo_plan_make(&pl->win, &pl->stage.spec, p->fmt, pl->out_split, -INFINITY,
                               p->halo_mode, &pl->halo));
    if (pl->staged)
        pl->ev_stage =
            tg_l1_map_alloc(m, "maxpool2d:input (resharded)", tg_tensor_shard_bytes(&pl->stage));
    pl->ev_out = tg_l1_map_alloc(m, "maxpool2d:output", tg_tensor_shard_bytes(&pl->out));
    pl->ev_halo = tg_l1_map_alloc(m, "halo:haloed_shard", tg_halo_bytes(&pl->halo));
    tg_l1_map_free(m, pl->ev_halo);
    tg_l1_map_free(m, pl->ev_stage);
    return tg_l1_map_replay(m, snap);
}

typedef struct tally_ctx {
    tg_traffic *t;
    int core;
} tally_ctx;

static void tally_step(void *ctx, const tg_pool_step *s) {
    tally_ctx *c = ctx;
    if (s->kind == TG_POOL_STEP_XFER) tg_xfer_tally(c->t, c->core, &s->x);
}

static tg_status materialise_traffic(tg_maxpool2d_plan *pl) {
    TG_CHECK(tg_traffic_init(&pl->traffic, &pl->m));
    if (pl->staged) {
        tg_reshard_plan rp;
        TG_CHECK(tg_reshard_plan_make(&pl->in, &pl->stage, &rp));
        tg_reshard_traffic(&rp, &pl->m, &pl->traffic);
    }
    if (pl->halo.parts) tg_halo_traffic(&pl->halo, &pl->m, &pl->traffic);
    for (int core = 0; core < tg_machine_cores(&pl->m); core++) {
        tally_ctx c = {&pl->traffic, core};
        tg_maxpool2d_schedule(pl, core, tally_step, &c);
    }
    pl->materialised = true;
    return tg_maxpool2d_timeline(pl, false, &pl->time);
}

/* One candidate with the room the snapshot leaves (plus the input's own shard). */
static tg_status try_one(const tg_maxpool2d_params *p, const tg_machine *m, const tg_l1 *snap,
                         const tg_tensor *in, tg_maxpool2d_plan *out) {
    size_t avail = tg_l1_largest_free(snap);
    if (!p->dram && in->allocated && in->place == TG_PLACE_L1) avail += tg_tensor_shard_bytes(in);
    size_t other = snap->size > avail ? snap->size - avail : 0;
    TG_CHECK(decide(p, m, in, snap->size, other, out));
    TG_CHECK(materialise_l1(out, in, snap));
    if (!tg_l1_map_fits(&out->l1))
        return tg_err(TG_ERR_RUNTIME, "maxpool2d (%s): %s",
                      p->dram ? "DRAM" : tg_shard_name(p->layout), out->l1.why);
    return TG_OK;
}

tg_status tg_maxpool2d_plan_fit(const tg_maxpool2d_params *p, const tg_machine *m,
                                const tg_l1 *snapshot, const tg_tensor *in, bool fallback,
                                tg_maxpool2d_plan *out) {
    tg_status st = try_one(p, m, snapshot, in, out);
    if (st == TG_ERR_RUNTIME && fallback && !p->dram) {
        tg_err_clear();
        tg_maxpool2d_plan_free(out);
        tg_maxpool2d_params q = *p;
        q.dram = true;
        st = try_one(&q, m, snapshot, in, out);
    }
    TG_CHECK(st);
    return materialise_traffic(out);
}

/* ---- the schedule ---- */

static void emit_xfer(tg_pool_step_fn fn, void *ctx, tg_xfer x) {
    tg_pool_step s = {.kind = TG_POOL_STEP_XFER, .x = x};
    fn(ctx, &s);
}

/* DRAM: one block's padded window [a, b) into the window CB, one padded row of runs at
 * a time, joined where they continue each other (as tg_window_runs joins them). */
static void window_run(const tg_maxpool2d_plan *pl, const tg_stick_run *r, tg_pool_step_fn fn,
                       void *ctx) {
    size_t rb = tg_fmt_row_bytes(pl->p.fmt, pl->c_slice);
    size_t at = pl->l1.cbs[pl->cb_window].off + (size_t)r->dst * rb;
    if (r->owner < 0) {
        tg_pool_step s = {.kind = TG_POOL_STEP_PAD, .off = at, .len = r->len};
        fn(ctx, &s);
    } else {
        emit_xfer(fn, ctx,
                  (tg_xfer){.kind = TG_XF_DRAM_READ,
                            .buf = TG_POOL_BUF_INPUT,
                            .first = r->src,
                            .count = r->len,
                            .blen = rb,
                            .off = at,
                            .stride = rb});
    }
}

static void dram_window(const tg_maxpool2d_plan *pl, int64_t a, int64_t b, tg_pool_step_fn fn,
                        void *ctx) {
    const tg_window *w = &pl->win;
    tg_stick_run row[16], pending = {0, 0, 0, 0};
    bool have = false;
    for (int64_t p = a; p < b;) {
        int64_t end = (p / w->wp + 1) * w->wp < b ? (p / w->wp + 1) * w->wp : b;
        int64_t n = tg_window_runs(w, pl->in_split, p, end, row);
        for (int64_t i = 0; i < n; i++) {
            tg_stick_run r = row[i];
            r.dst += p - a;
            if (have && pending.owner == r.owner && pending.dst + pending.len == r.dst &&
                (r.owner < 0 || pending.src + pending.len == r.src)) {
                pending.len += r.len;
                continue;
            }
            if (have) window_run(pl, &pending, fn, ctx);
            pending = r, have = true;
        }
        p = end;
    }
    if (have) window_run(pl, &pending, fn, ctx);
    emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_READ_BARRIER});
}

void tg_maxpool2d_schedule(const tg_maxpool2d_plan *pl, int core, tg_pool_step_fn fn, void *ctx) {
    tg_grid g = pl->m.grid;
    int x = tg_core_x(g, core), y = tg_core_y(g, core);
    if (!pl->p.dram) {
        int cp, rp = tg_halo_core_part(&pl->halo, &pl->m, core, &cp);
        if (rp >= 0 && pl->halo.parts[rp].bounds.o0 < pl->halo.parts[rp].bounds.o1) {
            const tg_window_bounds *b = &pl->halo.parts[rp].bounds;
            tg_pool_step s = {
                .kind = TG_POOL_STEP_MAX, .o0 = b->o0, .m = b->o1 - b->o0, .origin = b->a};
            fn(ctx, &s);
        }
    } else if (x < pl->cores.w && y < pl->cores.h) {
        int q = y * pl->cores.w + x;
        int64_t o_begin = tg_split_start(pl->out_split, q), o_end = tg_split_end(pl->out_split, q);
        size_t rb = tg_fmt_row_bytes(pl->p.fmt, pl->c_slice);
        for (int64_t o0 = o_begin; o0 < o_end; o0 += pl->block_rows) {
            int64_t m = o_end - o0 < pl->block_rows ? o_end - o0 : pl->block_rows;
            int64_t a = tg_window_top_left(&pl->win, o0);
            int64_t b = tg_window_bottom_right(&pl->win, o0 + m - 1) + 1;
            dram_window(pl, a, b, fn, ctx);
            tg_pool_step s = {.kind = TG_POOL_STEP_MAX, .o0 = o0, .m = m, .origin = a};
            fn(ctx, &s);
            emit_xfer(fn, ctx,
                      (tg_xfer){.kind = TG_XF_DRAM_WRITE,
                                .buf = TG_POOL_BUF_OUTPUT,
                                .first = o0,
                                .count = m,
                                .blen = rb,
                                .off = pl->l1.cbs[pl->cb_block].off,
                                .stride = rb});
            emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_WRITE_BARRIER});
        }
    }
    emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_SYNC, .set = TG_SET_ALL});
}

tg_status tg_maxpool2d_plan_standalone(const tg_maxpool2d_params *p, const tg_machine *m,
                                       tg_maxpool2d_plan *out) {
    tg_l1 empty;
    tg_machine_empty_l1(m, &empty);
    tg_tensor in;
    int64_t shape[4] = {p->n, p->h, p->w, p->c};
    tg_status st = tg_tensor_describe_dram(&in, "maxpool2d:input", shape, p->fmt);
    if (st == TG_OK) st = tg_maxpool2d_plan_fit(p, m, &empty, &in, false, out);
    tg_l1_destroy(&empty);
    return st;
}
