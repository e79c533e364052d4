/* Add planning: where b goes, the DRAM chunks, the schedule. Pure. */
#include <string.h>

#include "add.h"
#include "reshard.h"

void tg_add_plan_free(tg_add_plan *pl) {
    tg_l1_map_destroy(&pl->l1);
    tg_traffic_destroy(&pl->traffic);
    tg_timeline_free(&pl->time);
    pl->materialised = false;
}

typedef struct tally_ctx {
    tg_traffic *t;
    int core;
} tally_ctx;

static void tally_step(void *ctx, const tg_add_step *s) {
    tally_ctx *c = ctx;
    if (s->kind == TG_ADD_STEP_XFER) tg_xfer_tally(c->t, c->core, &s->x);
}

static tg_status add_reshard_traffic(const tg_tensor *from, const tg_tensor *to,
                                     const tg_machine *m, tg_traffic *t) {
    tg_reshard_plan rp;
    TG_CHECK(tg_reshard_plan_make(from, to, &rp));
    tg_reshard_traffic(&rp, m, t);
    return TG_OK;
}

static tg_status plan_once(const tg_tensor *a, const tg_tensor *b, bool relu, const tg_machine *m,
                           const tg_l1 *snapshot, bool fallback, bool to_dram, tg_add_plan *pl);

/* With fallbacks, an add whose b does not fit beside a in a's shards sums in DRAM
 * instead (a moved there first). */
tg_status tg_add_plan_fit(const tg_tensor *a, const tg_tensor *b, bool relu, const tg_machine *m,
                          const tg_l1 *snapshot, bool fallback, tg_add_plan *pl) {
    tg_status st = plan_once(a, b, relu, m, snapshot, fallback, false, pl);
    if (st != TG_ERR_RUNTIME || !fallback || a->place != TG_PLACE_L1 || pl->evict_a) return st;
    tg_err_clear();
    tg_add_plan_free(pl);
    return plan_once(a, b, relu, m, snapshot, fallback, true, pl);
}

static tg_status plan_once(const tg_tensor *a, const tg_tensor *b, bool relu, const tg_machine *m,
                           const tg_l1 *snapshot, bool fallback, bool to_dram, tg_add_plan *pl) {
    memset(pl, 0, sizeof *pl);
    if (a->n != b->n || a->h != b->h || a->w != b->w || a->c != b->c || a->fmt != b->fmt)
        return tg_err(TG_ERR_USAGE,
                      "add: [%lld, %lld, %lld, %lld] %s and [%lld, %lld, %lld, %lld] %s differ",
                      (long long)a->n, (long long)a->h, (long long)a->w, (long long)a->c,
                      tg_fmt_name(a->fmt), (long long)b->n, (long long)b->h, (long long)b->w,
                      (long long)b->c, tg_fmt_name(b->fmt));
    pl->m = *m;
    pl->relu = relu;
    pl->a = *a;
    pl->b = *b;
    int64_t shape[4] = {a->n, a->h, a->w, a->c};
    tg_l1_map_init(&pl->l1);
    pl->ev_moved = pl->ev_prog = pl->cb_a = pl->cb_b = -1;
    /* when b lives in DRAM and a's shard has no room for a copy of it, sum in DRAM */
    pl->evict_a = fallback && a->place == TG_PLACE_L1 &&
                  (to_dram || (b->place == TG_PLACE_DRAM &&
                               tg_l1_largest_free(snapshot) < tg_tensor_shard_bytes(a)));
    if (pl->evict_a) {
        tg_l1_map_free_old(&pl->l1, "add:a (to DRAM)", a->l1_off);
        TG_CHECK(tg_tensor_describe_dram(&pl->a, "add:a (to DRAM)", shape, a->fmt));
    }
    if (pl->a.place == TG_PLACE_DRAM) {
        pl->moved = b->place != TG_PLACE_DRAM;
        if (pl->moved)
            TG_CHECK(tg_tensor_describe_dram(&pl->b_moved, "add:b (moved)", shape, a->fmt));
    } else {
        pl->moved = !tg_tensor_same_spec(b, &pl->a.spec);
        if (pl->moved) {
            TG_CHECK(tg_tensor_describe_spec(&pl->b_moved, "add:b (resharded)", shape, a->fmt,
                                             &pl->a.spec));
            pl->ev_moved =
                tg_l1_map_alloc(&pl->l1, "add:b (resharded)", tg_tensor_shard_bytes(&pl->b_moved));
        }
    }
    if (pl->a.place == TG_PLACE_DRAM) {
        /* rows per chunk: 128 KiB per operand, or what the room below the lowest buffer
         * (a's shard gone) holds */
        size_t rb = pl->a.row_bytes, room = 128 * 1024;
        tg_l1 sim;
        TG_CHECK(tg_l1_clone(&sim, snapshot));
        if (pl->evict_a) tg_l1_free(&sim, a->l1_off);
        size_t below = tg_l1_lowest(&sim) > sim.lo ? tg_l1_lowest(&sim) - sim.lo : 0;
        tg_l1_destroy(&sim);
        if (below / 2 < room) room = below / 2 / 64 * 64;
        pl->chunk = (int64_t)(room / rb);
        if (pl->chunk < 1) pl->chunk = 1;
        char range[48];
        tg_core_range_name(m->grid, range);
        pl->ev_prog = tg_l1_map_program(&pl->l1, "add", range);
        pl->cb_a = tg_l1_map_cb(&pl->l1, "add:a rows", (size_t)pl->chunk * rb);
        pl->cb_b = tg_l1_map_cb(&pl->l1, "add:b rows", (size_t)pl->chunk * rb);
        tg_l1_map_program_end(&pl->l1);
    }
    tg_l1_map_free(&pl->l1, pl->ev_moved);
    TG_CHECK(tg_l1_map_replay(&pl->l1, snapshot));
    if (!tg_l1_map_fits(&pl->l1)) return tg_err(TG_ERR_RUNTIME, "add: %s", pl->l1.why);
    TG_CHECK(tg_traffic_init(&pl->traffic, m));
    if (pl->evict_a) TG_CHECK(add_reshard_traffic(a, &pl->a, m, &pl->traffic));
    if (pl->moved) TG_CHECK(add_reshard_traffic(b, &pl->b_moved, m, &pl->traffic));
    for (int core = 0; core < tg_machine_cores(m); core++) {
        tally_ctx c = {&pl->traffic, core};
        tg_add_schedule(pl, core, tally_step, &c);
    }
    pl->materialised = true;
    return tg_add_timeline(pl, a, false, &pl->time);
}

static void emit_xfer(tg_add_step_fn fn, void *ctx, tg_xfer x) {
    tg_add_step s = {.kind = TG_ADD_STEP_XFER, .x = x};
    fn(ctx, &s);
}

void tg_add_schedule(const tg_add_plan *pl, int core, tg_add_step_fn fn, void *ctx) {
    if (pl->a.place == TG_PLACE_L1) {
        tg_shard_range r = tg_tensor_core_range(&pl->a, pl->m.grid, core);
        if (!tg_shard_range_empty(r)) {
            tg_add_step s = {.kind = TG_ADD_STEP_ADD, .rows = r.r1 - r.r0};
            fn(ctx, &s);
        }
    } else {
        int64_t r0, r1;
        tg_tensor_core_host_rows(&pl->a, tg_machine_cores(&pl->m), core, &r0, &r1);
        size_t rb = pl->a.row_bytes, ba = pl->l1.cbs[pl->cb_a].off, bb = pl->l1.cbs[pl->cb_b].off;
        for (int64_t r = r0; r < r1; r += pl->chunk) {
            int64_t k = r1 - r < pl->chunk ? r1 - r : pl->chunk;
            tg_xfer rd = {.kind = TG_XF_DRAM_READ,
                          .buf = TG_ADD_BUF_A,
                          .first = r,
                          .count = k,
                          .blen = rb,
                          .off = ba,
                          .stride = rb};
            emit_xfer(fn, ctx, rd);
            rd.buf = TG_ADD_BUF_B, rd.off = bb;
            emit_xfer(fn, ctx, rd);
            emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_READ_BARRIER});
            tg_add_step s = {.kind = TG_ADD_STEP_ADD, .rows = k};
            fn(ctx, &s);
            rd.kind = TG_XF_DRAM_WRITE, rd.buf = TG_ADD_BUF_A, rd.off = ba;
            emit_xfer(fn, ctx, rd);
            emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_WRITE_BARRIER});
        }
    }
    emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_SYNC, .set = TG_SET_ALL});
}
