/* Tensors in L1 shards and in interleaved DRAM; see tensor.h. */
#include "tensor.h"

#include <stdlib.h>
#include <string.h>

tg_status tg_shape_check(const int64_t shape[4], const char *what) {
    int64_t total = 1;
    for (int i = 0; i < 4; i++) {
        if (shape[i] <= 0 || shape[i] > ((int64_t)1 << 31))
            return tg_err(TG_ERR_USAGE, "%s: bad shape [%lld, %lld, %lld, %lld]", what,
                          (long long)shape[0], (long long)shape[1], (long long)shape[2],
                          (long long)shape[3]);
        if (total > INT64_MAX / 8 / shape[i])
            return tg_err(TG_ERR_USAGE, "%s: shape [%lld, %lld, %lld, %lld] is too large", what,
                          (long long)shape[0], (long long)shape[1], (long long)shape[2],
                          (long long)shape[3]);
        total *= shape[i];
    }
    return TG_OK;
}

int64_t tg_channels_padded(int64_t c) {
    int64_t a = c < 32 ? 16 : 32;
    return (c + a - 1) / a * a;
}

static tg_status tensor_init(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt) {
    memset(t, 0, sizeof *t);
    TG_CHECK(tg_shape_check(shape, name));
    t->n = shape[0], t->h = shape[1], t->w = shape[2], t->c = shape[3];
    t->fmt = fmt;
    t->cols_padded = tg_channels_padded(t->c);
    return TG_OK;
}

tg_status tg_tensor_describe(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt,
                             tg_shard_layout layout, tg_grid cores, bool transpose, bool snap) {
    TG_CHECK(tensor_init(t, name, shape, fmt));
    t->place = TG_PLACE_L1;
    TG_CHECK(tg_shard_spec_make(layout, tg_tensor_rows(t), t->c, cores, transpose, snap, &t->spec));
    t->row_bytes = tg_fmt_row_bytes(fmt, t->spec.shard_w);
    return TG_OK;
}

tg_status tg_tensor_describe_spec(tg_tensor *t, const char *name, const int64_t shape[4],
                                  tg_fmt fmt, const tg_shard_spec *spec) {
    TG_CHECK(tensor_init(t, name, shape, fmt));
    if (spec->rows != tg_tensor_rows(t) || spec->cols != t->c)
        return tg_err(TG_ERR_USAGE, "%s: shard spec of [%lld, %lld] for a tensor of [%lld, %lld]",
                      name, (long long)spec->rows, (long long)spec->cols,
                      (long long)tg_tensor_rows(t), (long long)t->c);
    if (fmt == TG_BFLOAT8_B && spec->shard_w % 16)
        return tg_err(TG_ERR_USAGE, "%s: bfloat8_b shards need a multiple of 16 channels, not %lld",
                      name, (long long)spec->shard_w);
    t->place = TG_PLACE_L1;
    t->spec = *spec;
    t->cols_padded = spec->cols_padded;
    t->row_bytes = tg_fmt_row_bytes(fmt, spec->shard_w);
    return TG_OK;
}

tg_status tg_tensor_alloc_spec(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt,
                               const tg_shard_spec *spec) {
    TG_CHECK(tg_tensor_describe_spec(t, name, shape, fmt, spec));
    TG_CHECK(tg_core_alloc(name, tg_tensor_shard_bytes(t), &t->l1_off));
    t->allocated = true;
    memset(tg_l1_ptr(t->l1_off), 0, tg_tensor_shard_bytes(t));
    return TG_OK;
}

tg_status tg_tensor_describe_dram(tg_tensor *t, const char *name, const int64_t shape[4],
                                  tg_fmt fmt) {
    TG_CHECK(tensor_init(t, name, shape, fmt));
    t->place = TG_PLACE_DRAM;
    t->row_bytes = tg_fmt_row_bytes(fmt, t->cols_padded);
    return TG_OK;
}

tg_status tg_tensor_alloc(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt,
                          tg_shard_layout layout, tg_grid cores, bool transpose, bool snap) {
    TG_CHECK(tg_tensor_describe(t, name, shape, fmt, layout, cores, transpose, snap));
    TG_CHECK(tg_core_alloc(name, tg_tensor_shard_bytes(t), &t->l1_off));
    t->allocated = true;
    memset(tg_l1_ptr(t->l1_off), 0, tg_tensor_shard_bytes(t));
    return TG_OK;
}

tg_status tg_tensor_alloc_dram(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt) {
    TG_CHECK(tg_tensor_describe_dram(t, name, shape, fmt));
    TG_CHECK(tg_dram_alloc(name, t->row_bytes, tg_tensor_rows(t), &t->dram));
    t->allocated = true;
    return TG_OK;
}

void tg_tensor_free(tg_tensor *t) {
    if (t->allocated) {
        if (t->place == TG_PLACE_L1)
            tg_core_free(t->l1_off);
        else
            tg_dram_free(&t->dram);
    }
    t->allocated = false;
}

size_t tg_tensor_shard_bytes(const tg_tensor *t) {
    return (size_t)t->spec.shard_h * t->row_bytes;
}

tg_shard_range tg_tensor_core_range(const tg_tensor *t, tg_grid machine, int core) {
    int i = tg_shard_rank_core(&t->spec, machine, core);
    if (i < 0) return (tg_shard_range){0, 0, 0, 0};
    return tg_shard_core_range(&t->spec, i);
}

int tg_tensor_my_core(const tg_tensor *t) {
    tg_core *c = tg_core_self();
    return tg_shard_rank_core(&t->spec, c->grid, c->rank);
}

tg_shard_range tg_tensor_my_range(const tg_tensor *t) {
    tg_core *c = tg_core_self();
    return tg_tensor_core_range(t, c->grid, c->rank);
}

uint8_t *tg_tensor_row(const tg_tensor *t, int64_t row) {
    return tg_l1_ptr(t->l1_off) + (size_t)row * t->row_bytes;
}

void tg_tensor_core_host_rows(const tg_tensor *t, int ncores, int core, int64_t *r0, int64_t *r1) {
    int64_t rows = tg_tensor_rows(t), per = (rows + ncores - 1) / ncores;
    *r0 = per * core < rows ? per * core : rows;
    *r1 = *r0 + per < rows ? *r0 + per : rows;
}

void tg_tensor_host_rows(const tg_tensor *t, int64_t *r0, int64_t *r1) {
    tg_core *c = tg_core_self();
    tg_tensor_core_host_rows(t, c->nranks, c->rank, r0, r1);
}

tg_status tg_tensor_write_host_rows(tg_tensor *t, int64_t r0, int64_t r1, const float *rows) {
    int64_t n = r1 - r0;
    if (n <= 0) return TG_OK;
    uint8_t *pages = malloc((size_t)n * t->row_bytes);
    float *row = calloc((size_t)t->cols_padded, sizeof *row);
    tg_status st = TG_OK;
    if (!pages || !row) {
        st = tg_err(TG_ERR_RUNTIME, "out of host memory for %lld rows", (long long)n);
    } else {
        for (int64_t i = 0; i < n; i++) {
            memcpy(row, rows + i * t->c, (size_t)t->c * sizeof *row);
            tg_fmt_pack(t->fmt, row, t->cols_padded, pages + (size_t)i * t->row_bytes);
        }
        st = tg_dram_write_host(&t->dram, r0, n, pages, t->row_bytes);
    }
    free(row);
    free(pages);
    return st;
}

tg_status tg_tensor_read_host_rows(const tg_tensor *t, int64_t r0, int64_t r1, float *rows) {
    int64_t n = r1 - r0;
    if (n <= 0) return TG_OK;
    uint8_t *pages = malloc((size_t)n * t->row_bytes);
    float *row = malloc((size_t)t->cols_padded * sizeof *row);
    tg_status st = TG_OK;
    if (!pages || !row) {
        st = tg_err(TG_ERR_RUNTIME, "out of host memory for %lld rows", (long long)n);
    } else {
        st = tg_dram_read_host(&t->dram, r0, n, pages, t->row_bytes);
        for (int64_t i = 0; st == TG_OK && i < n; i++) {
            tg_fmt_unpack(t->fmt, pages + (size_t)i * t->row_bytes, t->cols_padded, row);
            memcpy(rows + i * t->c, row, (size_t)t->c * sizeof *row);
        }
    }
    free(row);
    free(pages);
    return st;
}

bool tg_tensor_same_spec(const tg_tensor *t, const tg_shard_spec *s) {
    return t->place == TG_PLACE_L1 && t->spec.layout == s->layout && t->spec.grid.w == s->grid.w &&
           t->spec.grid.h == s->grid.h && t->spec.transpose == s->transpose &&
           t->spec.shard_h == s->shard_h && t->spec.shard_w == s->shard_w;
}
