/* Element-wise add; see eltwise.h. Every core adds the rows it holds (its shard, or
 * in DRAM its even share of the rows, read and written through L1 in chunks). */
#include "eltwise.h"

#include <stdlib.h>
#include <string.h>

#include "multiversion.h"
#include "stats.h"

TG_MULTIVERSION static void add_rows(tg_fmt f, uint8_t *a, const uint8_t *b, int64_t rows,
                                     int64_t cols, size_t row_bytes, bool relu, float *x,
                                     float *y) {
    for (int64_t i = 0; i < rows; i++) {
        tg_fmt_unpack(f, a + (size_t)i * row_bytes, cols, x);
        tg_fmt_unpack(f, b + (size_t)i * row_bytes, cols, y);
        for (int64_t j = 0; j < cols; j++) {
            float v = x[j] + y[j];
            x[j] = relu && v < 0 ? 0.0f : v;
        }
        tg_fmt_pack(f, x, cols, a + (size_t)i * row_bytes);
    }
}

static tg_status add_dram(tg_tensor *a, const tg_tensor *b, bool relu, float *x, float *y) {
    int64_t r0, r1;
    tg_tensor_host_rows(a, &r0, &r1);
    size_t rb = a->row_bytes, ba = (size_t)-1, bb = (size_t)-1;
    int64_t chunk = (int64_t)(128 * 1024 / rb);
    if (chunk < 1) chunk = 1;
    tg_status st = tg_core_alloc("add:a rows", (size_t)chunk * rb, &ba);
    if (st == TG_OK) st = tg_core_alloc("add:b rows", (size_t)chunk * rb, &bb);
    for (int64_t r = r0; r < r1 && st == TG_OK; r += chunk) {
        int64_t k = r1 - r < chunk ? r1 - r : chunk;
        st = tg_dram_read(&a->dram, r, k, 0, rb, ba, rb);
        if (st == TG_OK) st = tg_dram_read(&b->dram, r, k, 0, rb, bb, rb);
        if (st == TG_OK) st = tg_noc_read_barrier();
        if (st != TG_OK) break;
        double t0 = tg_stats_clock();
        add_rows(a->fmt, tg_l1_ptr(ba), tg_l1_ptr(bb), k, a->cols_padded, rb, relu, x, y);
        tg_stats_compute(t0);
        st = tg_dram_write(&a->dram, r, k, 0, rb, ba, rb);
        if (st == TG_OK) st = tg_noc_write_barrier();
    }
    if (bb != (size_t)-1) tg_core_free(bb);
    if (ba != (size_t)-1) tg_core_free(ba);
    return st;
}

tg_status tg_add_inplace(tg_tensor *a, const tg_tensor *b, bool relu) {
    if (a->n != b->n || a->h != b->h || a->w != b->w || a->c != b->c || a->fmt != b->fmt)
        return tg_err(TG_ERR_USAGE,
                      "add: [%lld, %lld, %lld, %lld] %s and [%lld, %lld, %lld, %lld] %s differ",
                      (long long)a->n, (long long)a->h, (long long)a->w, (long long)a->c,
                      tg_fmt_name(a->fmt), (long long)b->n, (long long)b->h, (long long)b->w,
                      (long long)b->c, tg_fmt_name(b->fmt));
    int64_t shape[4] = {a->n, a->h, a->w, a->c};
    tg_tensor moved = {0};
    const tg_tensor *src = b;
    bool same =
        a->place == TG_PLACE_DRAM ? b->place == TG_PLACE_DRAM : tg_tensor_same_spec(b, &a->spec);
    if (!same) {
        if (a->place == TG_PLACE_DRAM)
            TG_CHECK(tg_tensor_alloc_dram(&moved, "add:b (moved)", shape, a->fmt));
        else
            TG_CHECK(tg_tensor_alloc(&moved, "add:b (resharded)", shape, a->fmt, a->spec.layout,
                                     a->spec.grid, a->spec.transpose, a->spec.snap));
        tg_status st = tg_tensor_reshard(b, &moved);
        if (st != TG_OK) {
            tg_tensor_free(&moved);
            return st;
        }
        src = &moved;
    }
    int64_t cols = a->place == TG_PLACE_DRAM ? a->cols_padded : a->spec.shard_w;
    float *x = malloc((size_t)cols * sizeof *x), *y = malloc((size_t)cols * sizeof *y);
    tg_status st = x && y ? TG_OK : tg_err(TG_ERR_RUNTIME, "add: out of host memory");
    if (st == TG_OK && a->place == TG_PLACE_DRAM) {
        st = add_dram(a, src, relu, x, y);
    } else if (st == TG_OK) {
        tg_shard_range r = tg_tensor_my_range(a);
        if (!tg_shard_range_empty(r)) {
            double t0 = tg_stats_clock();
            add_rows(a->fmt, tg_tensor_row(a, 0), tg_tensor_row(src, 0), r.r1 - r.r0, cols,
                     a->row_bytes, relu, x, y);
            tg_stats_compute(t0);
        }
    }
    free(x), free(y);
    st = tg_noc_sync(st);
    tg_tensor_free(&moved);
    return st;
}
