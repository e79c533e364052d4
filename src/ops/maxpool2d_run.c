/* Max pool's run: performs the plan; see maxpool2d.h. Every output stick is the
 * channel-wise maximum of its window, read from the haloed shard (padding -inf) or
 * from the DRAM window of its block. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maxpool2d.h"
#include "multiversion.h"
#include "reshard.h"
#include "stats.h"
#include "trace.h"

/* out[c] = max over the window of output o of sticks at base + taps, for the `real`
 * channels of the cs in a stick; padding channels stay 0. A NaN in the window gives
 * NaN, as PyTorch's max pool (pytorch/pytorch at 9a8dcf66e09c993089393da1d89f65920b6bdbc5,
 * aten/src/ATen/native/cpu/MaxPoolKernel.cpp: `if ((val > maxval) || std::isnan(val))`): once the
 * maximum is NaN no value replaces it. */
TG_MULTIVERSION static void window_max(const tg_window *w, tg_fmt f, const uint8_t *base,
                                       size_t row_bytes, int64_t first, int64_t cs, int64_t real,
                                       float *acc, float *tmp, float *out) {
    for (int64_t c = 0; c < cs; c++) acc[c] = c < real ? -INFINITY : 0.0f;
    for (int ky = 0; ky < w->kh; ky++)
        for (int kx = 0; kx < w->kw; kx++) {
            const uint8_t *stick = base + (size_t)(first + tg_window_tap(w, ky, kx)) * row_bytes;
            const float *v = (const float *)stick;
            if (f != TG_FLOAT32) {
                tg_fmt_unpack(f, stick, cs, tmp);
                v = tmp;
            }
            for (int64_t c = 0; c < real; c++)
                if (v[c] > acc[c] || isnan(v[c])) acc[c] = v[c];
        }
    memcpy(out, acc, (size_t)cs * sizeof *out);
}

typedef struct pool_exec {
    const tg_maxpool2d_plan *pl;
    const tg_dram_buf *bufs[2];
    const uint8_t *src; /* the haloed shard or the window */
    size_t src_row;
    int64_t real;  /* channels of this core's slice that hold data */
    uint8_t *dst0; /* where output row o0 goes: the output shard's first row or the block */
    int64_t dst_first;
    uint8_t *padrow;
    float *buf; /* 3 x c_slice */
    tg_status st;
} pool_exec;

static void exec_step(void *ctx, const tg_pool_step *s) {
    pool_exec *e = ctx;
    const tg_maxpool2d_plan *pl = e->pl;
    if (s->kind == TG_POOL_STEP_XFER) {
        e->st = tg_xfer_run(&s->x, e->bufs, e->st);
        return;
    }
    if (e->st != TG_OK) return;
    size_t rb = e->src_row;
    int64_t cs = pl->c_slice;
    if (s->kind == TG_POOL_STEP_PAD) {
        for (int64_t i = 0; i < s->len; i++)
            memcpy(tg_l1_ptr(s->off + (size_t)i * rb), e->padrow, rb);
        return;
    }
    double t0 = tg_stats_clock();
    int64_t first = pl->p.dram ? s->o0 : e->dst_first;
    for (int64_t i = 0; i < s->m; i++) {
        window_max(&pl->win, pl->p.fmt, e->src, rb,
                   tg_window_top_left(&pl->win, s->o0 + i) - s->origin, cs, e->real, e->buf,
                   e->buf + cs, e->buf + 2 * cs);
        tg_fmt_pack(pl->p.fmt, e->buf + 2 * cs, cs, e->dst0 + (size_t)(s->o0 + i - first) * rb);
    }
    tg_stats_compute(t0);
}

tg_status tg_maxpool2d_run(const tg_maxpool2d_plan *pl, tg_tensor *in, tg_tensor *out) {
    const tg_maxpool2d_params *p = &pl->p;
    memset(out, 0, sizeof *out);
    if (!pl->materialised)
        return tg_err(TG_ERR_RUNTIME, "maxpool2d: the plan was not made by tg_maxpool2d_plan_fit");
    if (in->n != p->n || in->h != p->h || in->w != p->w || in->c != p->c || in->fmt != p->fmt)
        return tg_err(TG_ERR_USAGE,
                      "maxpool2d: input is [%lld, %lld, %lld, %lld] %s, the pool expects [%lld, "
                      "%lld, %lld, %lld] %s",
                      (long long)in->n, (long long)in->h, (long long)in->w, (long long)in->c,
                      tg_fmt_name(in->fmt), (long long)p->n, (long long)p->h, (long long)p->w,
                      (long long)p->c, tg_fmt_name(p->fmt));
    int64_t in_shape[4] = {p->n, p->h, p->w, p->c};
    int64_t out_shape[4] = {p->n, pl->win.out_h, pl->win.out_w, p->c};
    tg_tensor resh = {0};
    tg_tensor *src = in;
    tg_haloed h = {0};
    size_t window = (size_t)-1, oblock = (size_t)-1;
    pool_exec e = {pl, {NULL, NULL}, NULL, 0, 0, NULL, 0, NULL, NULL, TG_OK};
    tg_status st = TG_OK;
    if (pl->staged) {
        if (p->dram)
            TG_CHECK(
                tg_tensor_alloc_dram(&resh, "maxpool2d:input (interleaved)", in_shape, p->fmt));
        else
            TG_CHECK(tg_tensor_alloc_spec(&resh, "maxpool2d:input (resharded)", in_shape, p->fmt,
                                          &pl->stage.spec));
        if (!p->dram) TG_TRY(st, tg_l1_map_check(&pl->l1, pl->ev_stage, resh.l1_off), done);
        TG_TRY(st, tg_tensor_reshard(in, &resh), done);
        src = &resh;
        if (pl->evict) { /* the input is in DRAM now: its L1 goes to the blocks */
            tg_tensor_free(in);
            *in = resh;
            memset(&resh, 0, sizeof resh);
            src = in;
        }
    }
    e.padrow = malloc(tg_fmt_row_bytes(p->fmt, pl->c_slice));
    e.buf = malloc((size_t)pl->c_slice * 3 * sizeof *e.buf);
    if (!e.padrow || !e.buf) {
        e.st = tg_err(TG_ERR_RUNTIME, "maxpool2d: out of host memory");
    } else {
        for (int64_t i = 0; i < pl->c_slice; i++) e.buf[i] = -INFINITY;
        tg_fmt_pack(p->fmt, e.buf, pl->c_slice, e.padrow);
    }
    if (p->dram) {
        TG_TRY(st, tg_tensor_alloc_dram(out, "maxpool2d:output", out_shape, p->fmt), done);
        TG_TRY(st, tg_l1_map_open(&pl->l1, pl->ev_prog), done);
        window = pl->l1.cbs[pl->cb_window].off;
        oblock = pl->l1.cbs[pl->cb_block].off;
        e.bufs[TG_POOL_BUF_INPUT] = &src->dram;
        e.bufs[TG_POOL_BUF_OUTPUT] = &out->dram;
        e.src = tg_l1_ptr(window);
        e.src_row = src->row_bytes;
        e.real = p->c;
        e.dst0 = tg_l1_ptr(oblock);
    } else {
        TG_TRY(st, tg_tensor_alloc_spec(out, "maxpool2d:output", out_shape, p->fmt, &pl->out.spec),
               done);
        TG_TRY(st, tg_l1_map_check(&pl->l1, pl->ev_out, out->l1_off), done);
        TG_TRY(st, tg_halo_run(&pl->halo, src, &h), done);
        TG_TRY(st, tg_l1_map_check(&pl->l1, pl->ev_halo, h.l1_off), done);
        tg_shard_range mine = tg_tensor_my_range(src);
        e.src = tg_l1_ptr(h.l1_off);
        e.src_row = h.row_bytes;
        e.real = mine.c1 - mine.c0;
        e.dst0 = tg_l1_ptr(out->l1_off);
        e.dst_first = h.bounds.o0;
    }
    tg_maxpool2d_schedule(pl, tg_core_self()->rank, exec_step, &e);
    st = e.st;
    if (st == TG_OK) {
        tg_timeline_record(&pl->time, tg_core_self()->rank);
        if (tg_trace_on() && tg_core_self()->rank == 0) {
            tg_timeline t;
            if (tg_maxpool2d_timeline(pl, true, &t) == TG_OK)
                tg_timeline_trace(tg_stats_scope(), &t);
            tg_err_clear();
            tg_timeline_free(&t);
        }
    }
done:
    free(e.padrow);
    free(e.buf);
    if (window != (size_t)-1) tg_core_cb_close();
    tg_haloed_free(&h);
    tg_tensor_free(&resh);
    if (st != TG_OK) tg_tensor_free(out);
    return st;
}
