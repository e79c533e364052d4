/* The add's run: performs the plan; see add.h. */
#include <stdlib.h>
#include <string.h>

#include "add.h"
#include "multiversion.h"
#include "reshard.h"
#include "stats.h"
#include "trace.h"

/* x[j] += y[j], then ReLU: restrict and the flag outside the loop let the compiler
 * vectorize it. */
static inline void add_relu(float *restrict x, const float *restrict y, int64_t cols, bool relu) {
    if (relu)
        for (int64_t j = 0; j < cols; j++) {
            float v = x[j] + y[j];
            x[j] = v < 0 ? 0.0f : v;
        }
    else
        for (int64_t j = 0; j < cols; j++) x[j] = x[j] + y[j];
}

/* a += b row by row (ReLU after), in the rows' format: float32 rows in place (a and b
 * apart), the others through float32 copies. */
TG_MULTIVERSION static void add_rows(tg_fmt f, uint8_t *a, const uint8_t *b, int64_t rows,
                                     int64_t cols, size_t row_bytes, bool relu, float *x,
                                     float *y) {
    bool direct = f == TG_FLOAT32 && a != b && (uintptr_t)a % sizeof(float) == 0 &&
                  (uintptr_t)b % sizeof(float) == 0 && row_bytes % sizeof(float) == 0;
    for (int64_t i = 0; i < rows; i++) {
        uint8_t *ra = a + (size_t)i * row_bytes;
        const uint8_t *rb = b + (size_t)i * row_bytes;
        if (direct) {
            add_relu((float *)(void *)ra, (const float *)(const void *)rb, cols, relu);
            continue;
        }
        tg_fmt_unpack(f, ra, cols, x);
        tg_fmt_unpack(f, rb, cols, y);
        add_relu(x, y, cols, relu);
        tg_fmt_pack(f, x, cols, ra);
    }
}

typedef struct add_exec {
    const tg_add_plan *pl;
    const tg_dram_buf *bufs[2];
    uint8_t *a, *b; /* where the rows to add are */
    int64_t cols;
    size_t row_bytes;
    float *x, *y;
    tg_status st;
} add_exec;

static void exec_step(void *ctx, const tg_add_step *s) {
    add_exec *e = ctx;
    if (s->kind == TG_ADD_STEP_XFER) {
        e->st = tg_xfer_run(&s->x, e->bufs, e->st);
        return;
    }
    if (e->st != TG_OK) return;
    double t0 = tg_stats_clock();
    add_rows(e->pl->a.fmt, e->a, e->b, s->rows, e->cols, e->row_bytes, e->pl->relu, e->x, e->y);
    tg_stats_compute(t0);
}

/* Moves an L1 tensor to DRAM (freeing its L1). */
static tg_status evict(tg_tensor *t) {
    int64_t shape[4] = {t->n, t->h, t->w, t->c};
    tg_tensor d;
    TG_CHECK(tg_tensor_alloc_dram(&d, "add:a (to DRAM)", shape, t->fmt));
    tg_status st = tg_tensor_reshard(t, &d);
    if (st != TG_OK) {
        tg_tensor_free(&d);
        return st;
    }
    tg_tensor_free(t);
    *t = d;
    return TG_OK;
}

tg_status tg_add_run(const tg_add_plan *pl, tg_tensor *a, const tg_tensor *b) {
    if (!pl->materialised)
        return tg_err(TG_ERR_RUNTIME, "add: the plan was not made by tg_add_plan_fit");
    tg_tensor a0 = *a;
    if (pl->evict_a) TG_CHECK(evict(a));
    if (a->place != pl->a.place || b->place != pl->b.place)
        return tg_err(TG_ERR_RUNTIME, "add: the tensors are not where the plan found them");
    int64_t shape[4] = {a->n, a->h, a->w, a->c};
    tg_tensor moved = {0};
    const tg_tensor *src = b;
    tg_status st = TG_OK;
    add_exec e = {pl, {NULL, NULL}, NULL, NULL, 0, a->row_bytes, NULL, NULL, TG_OK};
    bool cbs = false;
    if (pl->moved) {
        if (a->place == TG_PLACE_DRAM)
            TG_CHECK(tg_tensor_alloc_dram(&moved, "add:b (moved)", shape, a->fmt));
        else
            TG_CHECK(tg_tensor_alloc_spec(&moved, "add:b (resharded)", shape, a->fmt, &a->spec));
        if (a->place == TG_PLACE_L1)
            TG_TRY(st, tg_l1_map_check(&pl->l1, pl->ev_moved, moved.l1_off), done);
        TG_TRY(st, tg_tensor_reshard(b, &moved), done);
        src = &moved;
    }
    e.cols = a->place == TG_PLACE_DRAM ? a->cols_padded : a->spec.shard_w;
    e.x = malloc((size_t)e.cols * sizeof *e.x);
    e.y = malloc((size_t)e.cols * sizeof *e.y);
    if (!e.x || !e.y) e.st = tg_err(TG_ERR_RUNTIME, "add: out of host memory");
    if (a->place == TG_PLACE_DRAM) {
        TG_TRY(st, tg_l1_map_open(&pl->l1, pl->ev_prog), done);
        cbs = true;
        e.bufs[TG_ADD_BUF_A] = &a->dram;
        e.bufs[TG_ADD_BUF_B] = &src->dram;
        e.a = tg_l1_ptr(pl->l1.cbs[pl->cb_a].off), e.b = tg_l1_ptr(pl->l1.cbs[pl->cb_b].off);
    } else {
        e.a = tg_tensor_row(a, 0), e.b = tg_tensor_row(src, 0);
    }
    tg_add_schedule(pl, tg_core_self()->rank, exec_step, &e);
    st = e.st;
    if (st == TG_OK) {
        tg_timeline_record(&pl->time, tg_core_self()->rank);
        if (tg_trace_on() && tg_core_self()->rank == 0) {
            tg_timeline t;
            if (tg_add_timeline(pl, &a0, true, &t) == TG_OK)
                tg_timeline_trace(tg_stats_scope(), &t);
            tg_err_clear();
            tg_timeline_free(&t);
        }
    }
done:
    free(e.x), free(e.y);
    if (cbs) tg_core_cb_close();
    tg_tensor_free(&moved);
    return st;
}
