/* The pieces every op's device-time model shares; see impl/op_timeline.h. Pure. */
#include "op_timeline.h"

#include <stdlib.h>

#include "stats.h"
#include "trace.h"

void tl_xfer(const tl_sink *s, const tg_xfer *x) {
    tg_tl_step st = {.kind = TG_TL_XFER, .x = *x};
    s->emit(s->ectx, &st);
}

void tl_work(const tl_sink *s, tg_tl_kernel k, double cycles, double ideal, const char *what) {
    if (cycles <= 0 && ideal <= 0 && k != TG_TL_COMPUTE) return;
    tg_tl_step st = {
        .kind = TG_TL_WORK, .kernel = k, .cycles = cycles, .ideal = ideal, .what = what};
    s->emit(s->ectx, &st);
}

/* A local L1 copy moves through the core's own NoC port at the link rate
 * (docs/device-model-sources.md, section 2: L1 read/write bandwidth per core). */
void tl_local(const tl_sink *s, uint64_t bytes) {
    if (bytes) tl_work(s, TG_TL_READER, (double)bytes / s->c->noc_bytes_per_cycle, 0, "local copy");
}

double tl_tiles(int64_t rows, int64_t cols) {
    return (double)((rows + 31) / 32) * (double)((cols + 31) / 32);
}

typedef struct reshard_ctx {
    const tl_sink *s;
    const tg_reshard_plan *rp;
} reshard_ctx;

static void reshard_step(void *ctx, const tg_reshard_step *st) {
    reshard_ctx *r = ctx;
    switch (st->kind) {
    case TG_RESHARD_STEP_XFER:
        tl_xfer(r->s, &st->x);
        break;
    case TG_RESHARD_STEP_ZERO:
        tl_local(r->s, st->bytes);
        break;
    case TG_RESHARD_STEP_ZERO_DRAM: {
        /* zeros written into the pages' padding: a DRAM write of those bytes */
        tg_xfer x = {.kind = TG_XF_DRAM_WRITE,
                     .buf = 1,
                     .first = st->first,
                     .count = st->count,
                     .blen = st->bytes};
        tl_xfer(r->s, &x);
        break;
    }
    case TG_RESHARD_STEP_HOST: {
        /* DRAM to DRAM: the pages read and written again */
        tg_xfer rd = {.kind = TG_XF_DRAM_READ,
                      .first = st->first,
                      .count = st->count,
                      .blen = r->rp->src.row_bytes};
        tg_xfer wr = {.kind = TG_XF_DRAM_WRITE,
                      .buf = 1,
                      .first = st->first,
                      .count = st->count,
                      .blen = r->rp->dst.row_bytes};
        tl_xfer(r->s, &rd);
        tl_xfer(r->s, &wr);
        break;
    }
    }
}

void tl_reshard(const tl_sink *s, const tg_reshard_plan *rp, const tg_machine *m, int core) {
    reshard_ctx r = {s, rp};
    tg_reshard_schedule(rp, m, core, 0, 0, reshard_step, &r);
}

typedef struct halo_ctx {
    const tl_sink *s;
    size_t row_bytes;
} halo_ctx;

static void halo_step(void *ctx, const tg_halo_step *st) {
    halo_ctx *h = ctx;
    if (st->kind == TG_HALO_STEP_XFER)
        tl_xfer(h->s, &st->x);
    else
        tl_local(h->s, (uint64_t)st->len * h->row_bytes);
}

void tl_halo(const tl_sink *s, const tg_halo_plan *h, const tg_machine *m, int core) {
    halo_ctx c = {s, h->row_bytes};
    tg_halo_schedule(h, m, core, 0, 0, halo_step, &c);
}

void tg_timeline_record(const tg_timeline *t, int core) {
    if (core < 0 || core >= t->ncores) return;
    tg_counters *k = tg_stats_now();
    const tg_tl_core *c = &t->core[core];
    k->model_set = true;
    k->model_start = c->start;
    k->model_end = c->end;
    k->model_op_cycles = t->cycles;
    k->model_reader = c->busy[TG_TL_READER];
    k->model_compute = c->busy[TG_TL_COMPUTE];
    k->model_writer = c->busy[TG_TL_WRITER];
    k->model_wait = c->wait_cycles;
    k->model_ideal = c->ideal_cycles;
    k->model_bound = (int)c->bound;
    k->model_op_bound = (int)t->bound;
}

void tg_timeline_trace(const char *op, const tg_timeline *t) {
    if (!tg_trace_on() || !t) return;
    tg_trace_span *s = malloc((size_t)(t->nspans ? t->nspans : 1) * sizeof *s);
    if (!s) {
        tg_trace_op(op, t->cycles, NULL, -1); /* recorded as lost */
        return;
    }
    for (int64_t i = 0; i < t->nspans; i++)
        s[i] = (tg_trace_span){0,
                               t->spans[i].core,
                               (int)t->spans[i].kernel,
                               t->spans[i].start,
                               t->spans[i].end,
                               t->spans[i].what};
    tg_trace_op(op, t->cycles, s, t->nspans);
    free(s);
}
