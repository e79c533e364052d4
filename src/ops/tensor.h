/* Tensors held in L1 shards (DESIGN.md section 3).
 *
 * A tensor has a logical shape [N, H, W, C], a number format and a shard spec over
 * the matrix [N*H*W, C]. Its shard lives at the same L1 offset on every core (the
 * device's allocator reserves an L1 range on all cores at once, and every rank here
 * runs the same allocation sequence), rows of spec.shard_w values in the format, so
 * a shard takes shard_h * row_bytes bytes on each core. Rows and channels beyond the
 * logical tensor hold zeros. */
#ifndef TG_TENSOR_H
#define TG_TENSOR_H

#include "format.h"
#include "shard.h"

typedef struct tg_tensor {
    int64_t n, h, w, c; /* logical NHWC */
    tg_fmt fmt;
    tg_shard_spec spec;
    size_t row_bytes; /* bytes of one shard row */
    size_t l1_off;    /* shard offset in this core's L1 */
    bool allocated;
} tg_tensor;

/* Checks a shape read from a file or the command line: every dimension positive
 * and the element count within int64 and size_t. */
tg_status tg_shape_check(const int64_t shape[4], const char *what);

/* Makes the spec and allocates the shard in this core's L1 (zero-filled). Out of
 * L1 is TG_ERR_RUNTIME naming `name`, the core and the bytes. */
tg_status tg_tensor_alloc(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt,
                          tg_shard_layout layout, tg_grid cores, bool transpose, bool snap);
void tg_tensor_free(tg_tensor *t);
size_t tg_tensor_shard_bytes(const tg_tensor *t);
/* This core's spec index and part of the tensor (empty range when this core is
 * outside the spec's rectangle). */
int tg_tensor_my_core(const tg_tensor *t);
tg_shard_range tg_tensor_my_range(const tg_tensor *t);
/* Address of local shard row `row` (0-based within the shard). */
uint8_t *tg_tensor_row(const tg_tensor *t, int64_t row);

#endif
