/* Tensors in L1 shards; see tensor.h. */
#include "tensor.h"

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

tg_status tg_tensor_alloc(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt,
                          tg_shard_layout layout, tg_grid cores, bool transpose, bool snap) {
    memset(t, 0, sizeof *t);
    TG_CHECK(tg_shape_check(shape, name));
    t->n = shape[0], t->h = shape[1], t->w = shape[2], t->c = shape[3];
    t->fmt = fmt;
    TG_CHECK(tg_shard_spec_make(layout, t->n * t->h * t->w, t->c, cores, transpose, snap,
                                &t->spec));
    t->row_bytes = tg_fmt_row_bytes(fmt, t->spec.shard_w);
    TG_CHECK(tg_core_alloc(name, tg_tensor_shard_bytes(t), &t->l1_off));
    t->allocated = true;
    memset(tg_l1_ptr(t->l1_off), 0, tg_tensor_shard_bytes(t));
    return TG_OK;
}

void tg_tensor_free(tg_tensor *t) {
    if (t->allocated) tg_core_free(t->l1_off);
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
