/* Tensors (DESIGN.md section 3): in L1 shards or interleaved in DRAM.
 *
 * A tensor has a logical shape [N, H, W, C], a number format and a placement. It
 * is viewed as the matrix [N*H*W, C]; a row ("stick") is stored as cols_padded
 * values in the format (channels padded to the alignment, zeros beyond C).
 *
 * L1: a shard spec splits the matrix over cores; the shard lives at the same L1
 * offset on every core (the device's allocator reserves an L1 range on all cores at
 * once, and every rank here runs the same allocation sequence), spec.shard_h rows
 * of spec.shard_w values each. Rows and channels beyond the logical tensor are 0.
 * DRAM: an interleaved buffer with one page per row. */
#ifndef TG_TENSOR_H
#define TG_TENSOR_H

#include "format.h"
#include "noc.h"
#include "shard.h"

typedef enum { TG_PLACE_L1 = 0, TG_PLACE_DRAM = 1 } tg_placement;

typedef struct tg_tensor {
    int64_t n, h, w, c; /* logical NHWC */
    tg_fmt fmt;
    tg_placement place;
    int64_t cols_padded;
    size_t row_bytes;   /* L1: bytes of one shard row; DRAM: bytes of one page */
    tg_shard_spec spec; /* L1 only */
    size_t l1_off;      /* L1: shard offset in every core's L1 */
    tg_dram_buf dram;   /* DRAM only */
    bool allocated;
    bool tile; /* TTNN's TILE layout (a conv's output, by default): ttgrid keeps rows either
                * way; the layout changes the device's buffers and choices (conv2d_ttnn.h) */
} tg_tensor;

/* Checks a shape read from a file or the command line: every dimension positive
 * and the element count within int64 and size_t. */
tg_status tg_shape_check(const int64_t shape[4], const char *what);
/* Channel alignment of the device: 16 when C < 32, else 32 (the paper,
 * "Conv2dConfig.input_channels_alignment"). */
int64_t tg_channels_padded(int64_t c);

static inline int64_t tg_tensor_rows(const tg_tensor *t) {
    return t->n * t->h * t->w;
}

/* Describes an L1-sharded tensor (spec, row bytes) without allocating it, as plans
 * need it. Pure. */
tg_status tg_tensor_describe(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt,
                             tg_shard_layout layout, tg_grid cores, bool transpose, bool snap);
/* The same with an explicit spec (tg_shard_spec_make_shape: TTNN's parallel configs);
 * the tensor's channels pad to the spec's alignment. */
tg_status tg_tensor_describe_spec(tg_tensor *t, const char *name, const int64_t shape[4],
                                  tg_fmt fmt, const tg_shard_spec *spec);
tg_status tg_tensor_alloc_spec(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt,
                               const tg_shard_spec *spec);
/* Describes an interleaved DRAM tensor (one page per row) without allocating it. */
tg_status tg_tensor_describe_dram(tg_tensor *t, const char *name, const int64_t shape[4],
                                  tg_fmt fmt);
/* Makes the spec and allocates the shard in this core's L1 (zero-filled). Out of
 * L1 is TG_ERR_RUNTIME naming `name`, the core and the bytes. */
tg_status tg_tensor_alloc(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt,
                          tg_shard_layout layout, tg_grid cores, bool transpose, bool snap);
/* Allocates an interleaved DRAM tensor, one page per row. */
tg_status tg_tensor_alloc_dram(tg_tensor *t, const char *name, const int64_t shape[4], tg_fmt fmt);
void tg_tensor_free(tg_tensor *t);
size_t tg_tensor_shard_bytes(const tg_tensor *t);
/* The part of an L1 tensor that machine core `core` holds (empty when it is outside
 * the spec's rectangle). Pure. */
tg_shard_range tg_tensor_core_range(const tg_tensor *t, tg_grid machine, int core);
/* This core's spec index and part of an L1 tensor (empty range when this core is
 * outside the spec's rectangle). */
int tg_tensor_my_core(const tg_tensor *t);
tg_shard_range tg_tensor_my_range(const tg_tensor *t);
/* Address of local shard row `row` (0-based within the shard). */
uint8_t *tg_tensor_row(const tg_tensor *t, int64_t row);

/* The rows [*r0, *r1) of the matrix a rank moves between the host and a DRAM tensor:
 * an even split over all ranks (pure), and this rank's. */
void tg_tensor_core_host_rows(const tg_tensor *t, int ncores, int core, int64_t *r0, int64_t *r1);
void tg_tensor_host_rows(const tg_tensor *t, int64_t *r0, int64_t *r1);
/* Host <-> DRAM tensor rows [r0, r1), host side [(r1 - r0), C] float32 (like the
 * host's PCIe transfers; counted as this core's DRAM traffic). */
tg_status tg_tensor_write_host_rows(tg_tensor *t, int64_t r0, int64_t r1, const float *rows);
tg_status tg_tensor_read_host_rows(const tg_tensor *t, int64_t r0, int64_t r1, float *rows);
/* True when an L1 tensor is sharded exactly by spec s (layout, grid, shard sizes). */
bool tg_tensor_same_spec(const tg_tensor *t, const tg_shard_spec *s);

#endif
