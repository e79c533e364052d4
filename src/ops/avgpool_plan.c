/* Global average pool planning: channel slices, the rows buffer, the schedule. Pure. */
#include <string.h>

#include "avgpool.h"
#include "reshard.h"

void tg_avgpool_plan_free(tg_avgpool_plan *pl) {
    tg_l1_map_destroy(&pl->l1);
    tg_traffic_destroy(&pl->traffic);
    tg_timeline_free(&pl->time);
    pl->materialised = false;
}

void tg_avgpool_core_channels(const tg_avgpool_plan *pl, int core, int64_t *c0, int64_t *c1) {
    int64_t cols = pl->stage.cols_padded;
    *c0 = pl->per * core * 16;
    *c1 = *c0 + pl->per * 16;
    if (*c0 > cols) *c0 = cols;
    if (*c1 > cols) *c1 = cols;
}

typedef struct tally_ctx {
    tg_traffic *t;
    int core;
} tally_ctx;

static void tally_step(void *ctx, const tg_avg_step *s) {
    tally_ctx *c = ctx;
    if (s->kind == TG_AVG_STEP_XFER) tg_xfer_tally(c->t, c->core, &s->x);
}

tg_status tg_avgpool_plan_fit(const tg_tensor *in, const tg_machine *m, const tg_l1 *snapshot,
                              tg_avgpool_plan *pl) {
    memset(pl, 0, sizeof *pl);
    pl->m = *m;
    pl->in = *in;
    int64_t shape[4] = {in->n, in->h, in->w, in->c}, oshape[4] = {in->n, 1, 1, in->c};
    TG_CHECK(tg_tensor_describe_dram(&pl->stage, "avgpool:input (interleaved)", shape, in->fmt));
    TG_CHECK(tg_tensor_describe_dram(&pl->out, "avgpool:output", oshape, in->fmt));
    pl->staged = in->place != TG_PLACE_DRAM;
    /* channel slices of whole granules (16 values, the bfloat8_b block), one per core;
     * every core allocates the largest slice's buffer, as the device allocates a buffer
     * on all cores at once */
    int P = tg_machine_cores(m);
    int64_t granules = pl->stage.cols_padded / 16, hw = in->h * in->w;
    pl->per = (granules + P - 1) / P;
    size_t slice = tg_fmt_row_bytes(in->fmt, pl->per * 16);
    pl->chunk = (int64_t)(256 * 1024 / (slice ? slice : 1));
    if (pl->chunk < 1) pl->chunk = 1;
    if (pl->chunk > hw) pl->chunk = hw;
    pl->buf_bytes = (size_t)pl->chunk * slice;
    tg_l1_map_init(&pl->l1);
    char range[48];
    tg_core_range_name(m->grid, range);
    pl->ev_prog = tg_l1_map_program(&pl->l1, "avgpool", range);
    pl->cb_rows = tg_l1_map_cb(&pl->l1, "avgpool:rows", pl->buf_bytes);
    tg_l1_map_program_end(&pl->l1);
    TG_CHECK(tg_l1_map_replay(&pl->l1, snapshot));
    if (!tg_l1_map_fits(&pl->l1)) return tg_err(TG_ERR_RUNTIME, "avgpool: %s", pl->l1.why);
    TG_CHECK(tg_traffic_init(&pl->traffic, m));
    if (pl->staged) {
        tg_reshard_plan rp;
        TG_CHECK(tg_reshard_plan_make(&pl->in, &pl->stage, &rp));
        tg_reshard_traffic(&rp, m, &pl->traffic);
    }
    for (int core = 0; core < P; core++) {
        tally_ctx c = {&pl->traffic, core};
        tg_avgpool_schedule(pl, core, tally_step, &c);
    }
    pl->materialised = true;
    return tg_avgpool_timeline(pl, false, &pl->time);
}

static void emit_xfer(tg_avg_step_fn fn, void *ctx, tg_xfer x) {
    tg_avg_step s = {.kind = TG_AVG_STEP_XFER, .x = x};
    fn(ctx, &s);
}

void tg_avgpool_schedule(const tg_avgpool_plan *pl, int core, tg_avg_step_fn fn, void *ctx) {
    int64_t c0, c1;
    tg_avgpool_core_channels(pl, core, &c0, &c1);
    tg_fmt f = pl->stage.fmt;
    int64_t hw = pl->stage.h * pl->stage.w, cs = c1 - c0;
    size_t slice = tg_fmt_row_bytes(f, cs), buf = pl->l1.cbs[pl->cb_rows].off;
    for (int64_t n = 0; cs > 0 && n < pl->stage.n; n++) {
        for (int64_t r = 0; r < hw; r += pl->chunk) {
            int64_t k = hw - r < pl->chunk ? hw - r : pl->chunk;
            emit_xfer(fn, ctx,
                      (tg_xfer){.kind = TG_XF_DRAM_READ,
                                .buf = TG_AVG_BUF_INPUT,
                                .first = n * hw + r,
                                .count = k,
                                .peer_off = tg_fmt_col_offset(f, c0),
                                .blen = slice,
                                .off = buf,
                                .stride = slice});
            emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_READ_BARRIER});
            tg_avg_step s = {.kind = TG_AVG_STEP_SUM, .rows = k};
            fn(ctx, &s);
        }
        tg_avg_step s = {.kind = TG_AVG_STEP_MEAN, .n = n};
        fn(ctx, &s);
        emit_xfer(fn, ctx,
                  (tg_xfer){.kind = TG_XF_DRAM_WRITE,
                            .buf = TG_AVG_BUF_OUTPUT,
                            .first = n,
                            .count = 1,
                            .peer_off = tg_fmt_col_offset(f, c0),
                            .blen = slice,
                            .off = buf,
                            .stride = slice});
        emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_WRITE_BARRIER});
    }
    emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_SYNC, .set = TG_SET_ALL});
}
