/* Max pool and global average pool on the grid; see pool.h.
 *
 * Max pool runs the sliding window like conv2d: a halo with -inf padding builds
 * each core's haloed shard (or, in DRAM, a window per block of output rows is read
 * from the input's pages), then every output stick is the channel-wise maximum of
 * its window. The maximum of values of a format is one of them, so no rounding is
 * involved and the result is exact. */
#include "pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "multiversion.h"
#include "stats.h"

/* out[c] = max over the window of output o of sticks at base + taps, for the `real`
 * channels of the cs in a stick; padding channels stay 0. */
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
                if (v[c] > acc[c]) acc[c] = v[c];
        }
    memcpy(out, acc, (size_t)cs * sizeof *out);
}

static tg_status run_l1(const tg_pool_plan *pl, tg_tensor *in, tg_tensor *out) {
    const tg_pool_params *p = &pl->p;
    int64_t in_shape[4] = {p->n, p->h, p->w, p->c};
    int64_t out_shape[4] = {p->n, pl->win.out_h, pl->win.out_w, p->c};
    tg_shard_spec want;
    TG_CHECK(tg_shard_spec_make(p->layout, p->n * p->h * p->w, p->c, pl->cores, p->transpose_shards,
                                p->snap, &want));
    tg_tensor resh = {0};
    tg_tensor *src = in;
    tg_haloed h = {0};
    tg_status st = TG_OK;
    if (!tg_tensor_same_spec(in, &want)) {
        TG_CHECK(tg_tensor_alloc(&resh, "maxpool2d:input (resharded)", in_shape, p->fmt, p->layout,
                                 pl->cores, p->transpose_shards, p->snap));
        TG_TRY(st, tg_tensor_reshard(in, &resh), done);
        src = &resh;
    }
    TG_TRY(st,
           tg_tensor_alloc(out, "maxpool2d:output", out_shape, p->fmt, p->layout, pl->cores,
                           p->transpose_shards, p->snap),
           done);
    TG_TRY(st, tg_halo_exchange(&pl->win, src, pl->out_split, -INFINITY, p->halo_mode, &h), done);
    if (h.part >= 0 && h.bounds.o0 < h.bounds.o1) {
        double t0 = tg_stats_clock();
        int64_t cs = src->spec.shard_w;
        tg_shard_range mine = tg_tensor_my_range(src);
        int64_t real = mine.c1 - mine.c0;
        float *acc = malloc((size_t)cs * 3 * sizeof *acc);
        if (!acc) {
            st = tg_err(TG_ERR_RUNTIME, "maxpool2d: out of host memory");
        } else {
            for (int64_t o = h.bounds.o0; o < h.bounds.o1; o++) {
                window_max(&pl->win, p->fmt, tg_l1_ptr(h.l1_off), h.row_bytes,
                           tg_window_top_left(&pl->win, o) - h.bounds.a, cs, real, acc, acc + cs,
                           acc + 2 * cs);
                tg_fmt_pack(p->fmt, acc + 2 * cs, cs, tg_tensor_row(out, o - h.bounds.o0));
            }
            free(acc);
        }
        tg_stats_compute(t0);
    }
    st = tg_noc_sync(st);
done:
    tg_haloed_free(&h);
    tg_tensor_free(&resh);
    if (st != TG_OK) tg_tensor_free(out);
    return st;
}

/* DRAM: this core's output rows in blocks; each block's padded window is gathered
 * from the input pages (padding -inf), reduced, and written to the output pages. */
static tg_status dram_core(const tg_pool_plan *pl, const tg_tensor *in, tg_tensor *out,
                           size_t window, size_t oblock) {
    tg_core *c = tg_core_self();
    const tg_pool_params *p = &pl->p;
    if (c->x >= pl->cores.w || c->y >= pl->cores.h) return TG_OK;
    int q = c->y * pl->cores.w + c->x;
    int64_t o_begin = tg_split_start(pl->out_split, q), o_end = tg_split_end(pl->out_split, q);
    if (o_begin >= o_end) return TG_OK;
    int64_t cs = pl->c_slice;
    size_t rb = in->row_bytes;
    uint8_t *padrow = malloc(rb);
    float *buf = malloc((size_t)cs * 3 * sizeof *buf);
    int64_t cap = tg_window_runs_bound(&pl->win, pl->in_split, 0, pl->halo_cap);
    tg_halo_run *runs = malloc((size_t)cap * sizeof *runs);
    tg_status st = TG_OK;
    if (!padrow || !buf || !runs) st = tg_err(TG_ERR_RUNTIME, "maxpool2d: out of host memory");
    if (st == TG_OK) {
        for (int64_t i = 0; i < cs; i++) buf[i] = -INFINITY;
        tg_fmt_pack(p->fmt, buf, cs, padrow);
    }
    for (int64_t o0 = o_begin; o0 < o_end && st == TG_OK; o0 += pl->block_rows) {
        int64_t m = o_end - o0 < pl->block_rows ? o_end - o0 : pl->block_rows;
        int64_t a = tg_window_top_left(&pl->win, o0);
        int64_t b = tg_window_bottom_right(&pl->win, o0 + m - 1) + 1;
        int64_t n = tg_window_runs(&pl->win, pl->in_split, a, b, runs);
        for (int64_t i = 0; i < n && st == TG_OK; i++) {
            size_t at = window + (size_t)runs[i].dst * rb;
            if (runs[i].owner < 0)
                for (int64_t s = 0; s < runs[i].len; s++)
                    memcpy(tg_l1_ptr(at + (size_t)s * rb), padrow, rb);
            else
                st = tg_dram_read(&in->dram, runs[i].src, runs[i].len, 0, rb, at, rb);
        }
        if (st == TG_OK) st = tg_noc_read_barrier();
        if (st != TG_OK) break;
        double t0 = tg_stats_clock();
        for (int64_t i = 0; i < m; i++) {
            window_max(&pl->win, p->fmt, tg_l1_ptr(window), rb,
                       tg_window_top_left(&pl->win, o0 + i) - a, cs, p->c, buf, buf + cs,
                       buf + 2 * cs);
            tg_fmt_pack(p->fmt, buf + 2 * cs, cs, tg_l1_ptr(oblock + (size_t)i * rb));
        }
        tg_stats_compute(t0);
        st = tg_dram_write(&out->dram, o0, m, 0, rb, oblock, rb);
        if (st == TG_OK) st = tg_noc_write_barrier();
    }
    free(runs), free(buf), free(padrow);
    return st;
}

static tg_status run_dram(const tg_pool_plan *pl, tg_tensor *in, tg_tensor *out) {
    const tg_pool_params *p = &pl->p;
    int64_t in_shape[4] = {p->n, p->h, p->w, p->c};
    int64_t out_shape[4] = {p->n, pl->win.out_h, pl->win.out_w, p->c};
    tg_tensor resh = {0};
    const tg_tensor *src = in;
    tg_status st = TG_OK;
    size_t window = (size_t)-1, oblock = (size_t)-1;
    if (in->place != TG_PLACE_DRAM) {
        TG_CHECK(tg_tensor_alloc_dram(&resh, "maxpool2d:input (interleaved)", in_shape, p->fmt));
        TG_TRY(st, tg_tensor_reshard(in, &resh), done);
        src = &resh;
    }
    TG_TRY(st, tg_tensor_alloc_dram(out, "maxpool2d:output", out_shape, p->fmt), done);
    TG_TRY(st, tg_core_alloc("maxpool2d:input window", pl->items[0].bytes, &window), done);
    TG_TRY(st, tg_core_alloc("maxpool2d:output block", pl->items[1].bytes, &oblock), done);
    st = tg_noc_sync(dram_core(pl, src, out, window, oblock));
done:
    if (oblock != (size_t)-1) tg_core_free(oblock);
    if (window != (size_t)-1) tg_core_free(window);
    tg_tensor_free(&resh);
    if (st != TG_OK) tg_tensor_free(out);
    return st;
}

tg_status tg_maxpool2d_run(const tg_pool_plan *plan, tg_tensor *in, tg_tensor *out) {
    const tg_pool_params *p = &plan->p;
    memset(out, 0, sizeof *out);
    if (in->n != p->n || in->h != p->h || in->w != p->w || in->c != p->c || in->fmt != p->fmt)
        return tg_err(TG_ERR_USAGE,
                      "maxpool2d: input is [%lld, %lld, %lld, %lld] %s, the pool expects [%lld, "
                      "%lld, %lld, %lld] %s",
                      (long long)in->n, (long long)in->h, (long long)in->w, (long long)in->c,
                      tg_fmt_name(in->fmt), (long long)p->n, (long long)p->h, (long long)p->w,
                      (long long)p->c, tg_fmt_name(p->fmt));
    return p->dram ? run_dram(plan, in, out) : run_l1(plan, in, out);
}

/* ---- global average pool ---- */

tg_status tg_avgpool_global_run(tg_tensor *in, tg_tensor *out) {
    tg_core *c = tg_core_self();
    memset(out, 0, sizeof *out);
    int64_t shape[4] = {in->n, in->h, in->w, in->c}, oshape[4] = {in->n, 1, 1, in->c};
    tg_tensor resh = {0};
    const tg_tensor *src = in;
    tg_status st = TG_OK;
    size_t buf = (size_t)-1;
    if (in->place != TG_PLACE_DRAM) {
        TG_CHECK(tg_tensor_alloc_dram(&resh, "avgpool:input (interleaved)", shape, in->fmt));
        TG_TRY(st, tg_tensor_reshard(in, &resh), done);
        src = &resh;
    }
    TG_TRY(st, tg_tensor_alloc_dram(out, "avgpool:output", oshape, in->fmt), done);
    /* Channel slices of whole granules (16 values, the bfloat8_b block), one per core. */
    int64_t granules = src->cols_padded / 16, per = (granules + c->nranks - 1) / c->nranks;
    int64_t c0 = per * c->rank * 16, c1 = c0 + per * 16;
    if (c1 > src->cols_padded) c1 = src->cols_padded;
    int64_t hw = src->h * src->w, cs = c1 > c0 ? c1 - c0 : 0;
    size_t slice = tg_fmt_row_bytes(src->fmt, cs);
    /* one image's rows of the slice at a time, in chunks that fit a modest buffer */
    int64_t chunk = cs ? (int64_t)(256 * 1024 / (slice ? slice : 1)) : 1;
    if (chunk < 1) chunk = 1;
    if (chunk > hw) chunk = hw;
    TG_TRY(st, tg_core_alloc("avgpool:rows", (size_t)chunk * (slice ? slice : 16), &buf), done);
    if (cs > 0) {
        double *sum = malloc((size_t)cs * sizeof *sum);
        float *row = malloc((size_t)cs * sizeof *row);
        if (!sum || !row) st = tg_err(TG_ERR_RUNTIME, "avgpool: out of host memory");
        for (int64_t n = 0; n < src->n && st == TG_OK; n++) {
            memset(sum, 0, (size_t)cs * sizeof *sum);
            for (int64_t r = 0; r < hw && st == TG_OK; r += chunk) {
                int64_t k = hw - r < chunk ? hw - r : chunk;
                st = tg_dram_read(&src->dram, n * hw + r, k, tg_fmt_col_offset(src->fmt, c0), slice,
                                  buf, slice);
                if (st == TG_OK) st = tg_noc_read_barrier();
                for (int64_t i = 0; i < k && st == TG_OK; i++) {
                    tg_fmt_unpack(src->fmt, tg_l1_ptr(buf + (size_t)i * slice), cs, row);
                    for (int64_t j = 0; j < cs; j++) sum[j] += row[j];
                }
            }
            for (int64_t j = 0; j < cs; j++) row[j] = (float)(sum[j] / (double)hw);
            if (st == TG_OK) {
                tg_fmt_pack(src->fmt, row, cs, tg_l1_ptr(buf));
                st = tg_dram_write(&out->dram, n, 1, tg_fmt_col_offset(src->fmt, c0), slice, buf,
                                   slice);
                if (st == TG_OK) st = tg_noc_write_barrier();
            }
        }
        free(sum), free(row);
    }
    st = tg_noc_sync(st);
done:
    if (buf != (size_t)-1) tg_core_free(buf);
    tg_tensor_free(&resh);
    if (st != TG_OK) tg_tensor_free(out);
    return st;
}
