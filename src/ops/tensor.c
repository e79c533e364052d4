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

tg_status tg_tensor_alloc(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt,
                          tg_shard_layout layout, tg_grid cores, bool transpose, bool snap) {
    TG_CHECK(tensor_init(t, name, shape, fmt));
    t->place = TG_PLACE_L1;
    TG_CHECK(tg_shard_spec_make(layout, tg_tensor_rows(t), t->c, cores, transpose, snap, &t->spec));
    t->row_bytes = tg_fmt_row_bytes(fmt, t->spec.shard_w);
    TG_CHECK(tg_core_alloc(name, tg_tensor_shard_bytes(t), &t->l1_off));
    t->allocated = true;
    memset(tg_l1_ptr(t->l1_off), 0, tg_tensor_shard_bytes(t));
    return TG_OK;
}

tg_status tg_tensor_alloc_dram(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt) {
    TG_CHECK(tensor_init(t, name, shape, fmt));
    t->place = TG_PLACE_DRAM;
    t->row_bytes = tg_fmt_row_bytes(fmt, t->cols_padded);
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

int tg_tensor_my_core(const tg_tensor *t) {
    tg_core *c = tg_core_self();
    return tg_shard_rank_core(&t->spec, c->grid, c->rank);
}

tg_shard_range tg_tensor_my_range(const tg_tensor *t) {
    int i = tg_tensor_my_core(t);
    if (i < 0) return (tg_shard_range){0, 0, 0, 0};
    return tg_shard_core_range(&t->spec, i);
}

uint8_t *tg_tensor_row(const tg_tensor *t, int64_t row) {
    return tg_l1_ptr(t->l1_off) + (size_t)row * t->row_bytes;
}

void tg_tensor_host_rows(const tg_tensor *t, int64_t *r0, int64_t *r1) {
    tg_core *c = tg_core_self();
    int64_t rows = tg_tensor_rows(t), per = (rows + c->nranks - 1) / c->nranks;
    *r0 = per * c->rank < rows ? per * c->rank : rows;
    *r1 = *r0 + per < rows ? *r0 + per : rows;
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

/* The byte range of a DRAM page that holds this core's columns of an L1 tensor:
 * the shard's columns within the padded row (a trailing core may hold fewer). */
static bool shard_columns(const tg_tensor *l1t, tg_shard_range r, size_t *page_off, size_t *blen) {
    int64_t c0 = r.c0, c1 = c0 + l1t->spec.shard_w;
    if (c1 > l1t->cols_padded) c1 = l1t->cols_padded;
    if (c0 >= c1) return false;
    *page_off = tg_fmt_col_offset(l1t->fmt, c0);
    *blen = tg_fmt_row_bytes(l1t->fmt, c1 - c0);
    return true;
}

tg_status tg_tensor_to_sharded(const tg_tensor *src, tg_tensor *dst) {
    tg_shard_range r = tg_tensor_my_range(dst);
    size_t off, blen;
    tg_status st = TG_OK;
    if (!tg_shard_range_empty(r) && shard_columns(dst, r, &off, &blen)) {
        memset(tg_l1_ptr(dst->l1_off), 0, tg_tensor_shard_bytes(dst));
        st = tg_dram_read(&src->dram, r.r0, r.r1 - r.r0, off, blen, dst->l1_off, dst->row_bytes);
        if (st == TG_OK) st = tg_noc_read_barrier();
    }
    return tg_noc_sync(st);
}

tg_status tg_tensor_to_interleaved(const tg_tensor *src, tg_tensor *dst) {
    tg_shard_range r = tg_tensor_my_range(src);
    size_t off, blen;
    tg_status st = TG_OK;
    if (!tg_shard_range_empty(r) && shard_columns(src, r, &off, &blen)) {
        st = tg_dram_write(&dst->dram, r.r0, r.r1 - r.r0, off, blen, src->l1_off, src->row_bytes);
        if (st == TG_OK) st = tg_noc_write_barrier();
    }
    return tg_noc_sync(st);
}

/* Copies the part of `src` that overlaps this core's part of `dst` (both in L1):
 * for each run of rows held by one source row part and each source column part
 * across dst's columns, one strided NoC read. */
static tg_status reshard_l1(const tg_tensor *src, tg_tensor *dst) {
    tg_core *c = tg_core_self();
    tg_shard_range r = tg_tensor_my_range(dst);
    if (tg_shard_range_empty(r)) return TG_OK;
    memset(tg_l1_ptr(dst->l1_off), 0, tg_tensor_shard_bytes(dst));
    int64_t c1 =
        r.c0 + dst->spec.shard_w < src->cols_padded ? r.c0 + dst->spec.shard_w : src->cols_padded;
    for (int64_t row = r.r0; row < r.r1;) {
        int rp = (int)(row / src->spec.shard_h);
        int64_t row_end = (rp + 1) * src->spec.shard_h < r.r1 ? (rp + 1) * src->spec.shard_h : r.r1;
        for (int64_t col = r.c0; col < c1;) {
            int cp = (int)(col / src->spec.shard_w);
            int64_t col_end = (cp + 1) * src->spec.shard_w < c1 ? (cp + 1) * src->spec.shard_w : c1;
            int owner =
                tg_shard_core_rank(&src->spec, c->grid, tg_shard_part_core(&src->spec, rp, cp));
            size_t from = src->l1_off + (size_t)(row - rp * src->spec.shard_h) * src->row_bytes +
                          tg_fmt_col_offset(src->fmt, col - cp * src->spec.shard_w);
            size_t to = dst->l1_off + (size_t)(row - r.r0) * dst->row_bytes +
                        tg_fmt_col_offset(dst->fmt, col - r.c0);
            TG_CHECK(tg_noc_read_strided(owner, from, src->row_bytes, to, dst->row_bytes,
                                         tg_fmt_row_bytes(src->fmt, col_end - col), row_end - row));
            col = col_end;
        }
        row = row_end;
    }
    return tg_noc_read_barrier();
}

/* DRAM to DRAM: each rank copies its host rows' pages through L1-sized steps. */
static tg_status reshard_dram(const tg_tensor *src, tg_tensor *dst) {
    int64_t r0, r1;
    tg_tensor_host_rows(src, &r0, &r1);
    if (r1 <= r0) return TG_OK;
    uint8_t *pages = malloc((size_t)(r1 - r0) * src->row_bytes);
    if (!pages) return tg_err(TG_ERR_RUNTIME, "reshard: out of host memory");
    tg_status st = tg_dram_read_host(&src->dram, r0, r1 - r0, pages, src->row_bytes);
    if (st == TG_OK) st = tg_dram_write_host(&dst->dram, r0, r1 - r0, pages, src->row_bytes);
    free(pages);
    return st;
}

tg_status tg_tensor_reshard(const tg_tensor *src, tg_tensor *dst) {
    if (src->n != dst->n || src->h != dst->h || src->w != dst->w || src->c != dst->c ||
        src->fmt != dst->fmt)
        return tg_err(TG_ERR_RUNTIME,
                      "reshard: [%lld, %lld, %lld, %lld] %s cannot become [%lld, %lld, %lld, "
                      "%lld] %s",
                      (long long)src->n, (long long)src->h, (long long)src->w, (long long)src->c,
                      tg_fmt_name(src->fmt), (long long)dst->n, (long long)dst->h,
                      (long long)dst->w, (long long)dst->c, tg_fmt_name(dst->fmt));
    if (src->place == TG_PLACE_DRAM && dst->place == TG_PLACE_L1)
        return tg_tensor_to_sharded(src, dst);
    if (src->place == TG_PLACE_L1 && dst->place == TG_PLACE_DRAM)
        return tg_tensor_to_interleaved(src, dst);
    if (src->place == TG_PLACE_DRAM) return tg_noc_sync(reshard_dram(src, dst));
    return tg_noc_sync(reshard_l1(src, dst));
}

bool tg_tensor_same_spec(const tg_tensor *t, const tg_shard_spec *s) {
    return t->place == TG_PLACE_L1 && t->spec.layout == s->layout && t->spec.grid.w == s->grid.w &&
           t->spec.grid.h == s->grid.h && t->spec.transpose == s->transpose &&
           t->spec.shard_h == s->shard_h && t->spec.shard_w == s->shard_w;
}
