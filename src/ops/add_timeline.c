/* The residual add's device time (timeline.h). Pure. Each tile of the sum is one
 * element-wise binary op on compute (docs/device-model-sources.md 1.1: 8 math cycles
 * a tile, with unpack and pack in the per-arch constant); in DRAM the reader brings
 * chunks of both operands and the writer sends the sums back. */
#include <string.h>

#include "add.h"
#include "op_timeline.h"

typedef struct add_tl {
    const tg_add_plan *pl;
    const tg_tl_costs *c;
    const tl_sink *s;
    tg_reshard_plan moves[2];
    int nmoves;
} add_tl;

static void step(void *ctx, const tg_add_step *st) {
    add_tl *t = ctx;
    if (st->kind == TG_ADD_STEP_XFER) {
        tl_xfer(t->s, &st->x);
        return;
    }
    int64_t cols = t->pl->a.place == TG_PLACE_L1 ? t->pl->a.spec.shard_w : t->pl->a.cols_padded;
    double tiles = tl_tiles(st->rows, cols);
    tl_work(t->s, TG_TL_COMPUTE, tiles * t->c->eltwise_cycles_per_tile,
            tiles * t->c->eltwise_cycles_per_tile, "add");
}

static void gen(void *ctx, int core, tg_tl_emit_fn emit, void *ectx) {
    add_tl *t = ctx;
    tl_sink s = {t->c, emit, ectx};
    t->s = &s;
    for (int i = 0; i < t->nmoves; i++) tl_reshard(&s, &t->moves[i], &t->pl->m, core);
    tg_add_schedule(t->pl, core, step, t);
}

tg_status tg_add_timeline(const tg_add_plan *pl, const tg_tensor *a, bool spans, tg_timeline *out) {
    memset(out, 0, sizeof *out);
    tg_tl_costs c = tg_tl_costs_of(pl->m.arch);
    add_tl t = {.pl = pl, .c = &c};
    if (pl->evict_a) TG_CHECK(tg_reshard_plan_make(a, &pl->a, &t.moves[t.nmoves++]));
    if (pl->moved) TG_CHECK(tg_reshard_plan_make(&pl->b, &pl->b_moved, &t.moves[t.nmoves++]));
    return tg_timeline_model(&pl->m, &c, 2, spans, gen, &t, out);
}
