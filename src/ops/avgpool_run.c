/* Global average pool's run: performs the plan; see avgpool.h. */
#include <stdlib.h>
#include <string.h>

#include "avgpool.h"
#include "reshard.h"
#include "stats.h"
#include "trace.h"

typedef struct avg_exec {
    const tg_avgpool_plan *pl;
    const tg_dram_buf *bufs[2];
    size_t buf;
    int64_t cs;
    double *sum;
    float *row;
    tg_status st;
} avg_exec;

static void exec_step(void *ctx, const tg_avg_step *s) {
    avg_exec *e = ctx;
    if (s->kind == TG_AVG_STEP_XFER) {
        e->st = tg_xfer_run(&s->x, e->bufs, e->st);
        return;
    }
    if (e->st != TG_OK) return;
    tg_fmt f = e->pl->stage.fmt;
    size_t slice = tg_fmt_row_bytes(f, e->cs);
    double t0 = tg_stats_clock();
    if (s->kind == TG_AVG_STEP_SUM) {
        for (int64_t i = 0; i < s->rows; i++) {
            tg_fmt_unpack(f, tg_l1_ptr(e->buf + (size_t)i * slice), e->cs, e->row);
            for (int64_t j = 0; j < e->cs; j++) e->sum[j] += e->row[j];
        }
    } else {
        double hw = (double)(e->pl->stage.h * e->pl->stage.w);
        for (int64_t j = 0; j < e->cs; j++) e->row[j] = (float)(e->sum[j] / hw);
        tg_fmt_pack(f, e->row, e->cs, tg_l1_ptr(e->buf));
        memset(e->sum, 0, (size_t)e->cs * sizeof *e->sum); /* the next image's */
    }
    tg_stats_compute(t0);
}

tg_status tg_avgpool_run(const tg_avgpool_plan *pl, tg_tensor *in, tg_tensor *out) {
    memset(out, 0, sizeof *out);
    if (!pl->materialised)
        return tg_err(TG_ERR_RUNTIME, "avgpool: the plan was not made by tg_avgpool_plan_fit");
    int64_t shape[4] = {in->n, in->h, in->w, in->c}, oshape[4] = {in->n, 1, 1, in->c};
    tg_tensor resh = {0};
    const tg_tensor *src = in;
    tg_status st = TG_OK;
    avg_exec e = {pl, {NULL, NULL}, (size_t)-1, 0, NULL, NULL, TG_OK};
    if (pl->staged) {
        TG_CHECK(tg_tensor_alloc_dram(&resh, "avgpool:input (interleaved)", shape, in->fmt));
        TG_TRY(st, tg_tensor_reshard(in, &resh), done);
        src = &resh;
    }
    TG_TRY(st, tg_tensor_alloc_dram(out, "avgpool:output", oshape, in->fmt), done);
    TG_TRY(st, tg_l1_map_open(&pl->l1, pl->ev_prog), done);
    e.buf = pl->l1.cbs[pl->cb_rows].off;
    int64_t c0, c1;
    tg_avgpool_core_channels(pl, tg_core_self()->rank, &c0, &c1);
    e.cs = c1 - c0;
    e.bufs[TG_AVG_BUF_INPUT] = &src->dram;
    e.bufs[TG_AVG_BUF_OUTPUT] = &out->dram;
    e.sum = calloc((size_t)(e.cs > 0 ? e.cs : 1), sizeof *e.sum);
    e.row = malloc((size_t)(e.cs > 0 ? e.cs : 1) * sizeof *e.row);
    if (!e.sum || !e.row) e.st = tg_err(TG_ERR_RUNTIME, "avgpool: out of host memory");
    tg_avgpool_schedule(pl, tg_core_self()->rank, exec_step, &e);
    st = e.st;
    if (st == TG_OK) {
        tg_timeline_record(&pl->time, tg_core_self()->rank);
        if (tg_trace_on() && tg_core_self()->rank == 0) {
            tg_timeline t;
            if (tg_avgpool_timeline(pl, true, &t) == TG_OK) tg_timeline_trace(tg_stats_scope(), &t);
            tg_err_clear();
            tg_timeline_free(&t);
        }
    }
done:
    free(e.sum), free(e.row);
    if (e.buf != (size_t)-1) tg_core_cb_close();
    tg_tensor_free(&resh);
    if (st != TG_OK) tg_tensor_free(out);
    return st;
}
