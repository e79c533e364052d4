/* Max pool's and average pool's device time (timeline.h). Pure.
 *
 * Max pool: the reader gathers each output's window sticks within L1 and compute
 * tilizes them (75 cycles a tile [Tilize's performance model]) and reduces them (a
 * 16x16 max per cycle, 4 cycles a tile [matrix engine tech report];
 * docs/device-model-sources.md 1.1, 1.3). TTNN's own pool model is a Grayskull
 * leftover (ibid., section 1.3) and is not used. Average pool: each chunk of rows read
 * from DRAM is reduced (4 cycles a tile, times the fidelity for a sum). */
#include <string.h>

#include "avgpool.h"
#include "maxpool2d.h"
#include "op_timeline.h"

enum { REDUCE_CYCLES_PER_TILE = 4 };

typedef struct pool_tl {
    const tg_maxpool2d_plan *pl;
    const tg_tl_costs *c;
    const tl_sink *s;
    tg_reshard_plan stage;
} pool_tl;

static void pool_step(void *ctx, const tg_pool_step *st) {
    pool_tl *t = ctx;
    const tg_maxpool2d_plan *pl = t->pl;
    size_t rb = tg_fmt_row_bytes(pl->p.fmt, pl->c_slice);
    switch (st->kind) {
    case TG_POOL_STEP_XFER:
        tl_xfer(t->s, &st->x);
        break;
    case TG_POOL_STEP_PAD:
        tl_local(t->s, (uint64_t)st->len * rb);
        break;
    case TG_POOL_STEP_MAX: {
        int64_t sticks = st->m * pl->p.kh * pl->p.kw;
        double tiles = tl_tiles(sticks, pl->c_slice);
        tl_local(t->s, (uint64_t)sticks * rb);
        tl_work(t->s, TG_TL_COMPUTE,
                tiles * (t->c->tilize_cycles_per_tile + REDUCE_CYCLES_PER_TILE),
                tiles * REDUCE_CYCLES_PER_TILE, "max pool");
        break;
    }
    }
}

static void pool_gen(void *ctx, int core, tg_tl_emit_fn emit, void *ectx) {
    pool_tl *t = ctx;
    tl_sink s = {t->c, emit, ectx};
    t->s = &s;
    if (t->pl->staged) tl_reshard(&s, &t->stage, &t->pl->m, core);
    if (t->pl->halo.parts) tl_halo(&s, &t->pl->halo, &t->pl->m, core);
    tg_maxpool2d_schedule(t->pl, core, pool_step, t);
}

tg_status tg_maxpool2d_timeline(const tg_maxpool2d_plan *pl, bool spans, tg_timeline *out) {
    memset(out, 0, sizeof *out);
    tg_tl_costs c = tg_tl_costs_of(pl->m.arch);
    pool_tl t = {.pl = pl, .c = &c};
    if (pl->staged) TG_CHECK(tg_reshard_plan_make(&pl->in, &pl->stage, &t.stage));
    return tg_timeline_model(&pl->m, &c, 1, spans, pool_gen, &t, out);
}

typedef struct avg_tl {
    const tg_avgpool_plan *pl;
    const tg_tl_costs *c;
    const tl_sink *s;
    tg_reshard_plan stage;
} avg_tl;

static void avg_step(void *ctx, const tg_avg_step *st) {
    avg_tl *t = ctx;
    if (st->kind == TG_AVG_STEP_XFER)
        tl_xfer(t->s, &st->x);
    else if (st->kind == TG_AVG_STEP_SUM) {
        double tiles = tl_tiles(st->rows, t->pl->per * 16);
        tl_work(t->s, TG_TL_COMPUTE, tiles * REDUCE_CYCLES_PER_TILE, tiles * REDUCE_CYCLES_PER_TILE,
                "sum");
    }
}

static void avg_gen(void *ctx, int core, tg_tl_emit_fn emit, void *ectx) {
    avg_tl *t = ctx;
    tl_sink s = {t->c, emit, ectx};
    t->s = &s;
    if (t->pl->staged) tl_reshard(&s, &t->stage, &t->pl->m, core);
    tg_avgpool_schedule(t->pl, core, avg_step, t);
}

tg_status tg_avgpool_timeline(const tg_avgpool_plan *pl, bool spans, tg_timeline *out) {
    memset(out, 0, sizeof *out);
    tg_tl_costs c = tg_tl_costs_of(pl->m.arch);
    avg_tl t = {.pl = pl, .c = &c};
    if (pl->staged) TG_CHECK(tg_reshard_plan_make(&pl->in, &pl->stage, &t.stage));
    return tg_timeline_model(&pl->m, &c, 2, spans, avg_gen, &t, out);
}
