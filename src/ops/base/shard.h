/* Shard specs (DESIGN.md section 3; the paper, "Sharding"). Pure.
 *
 * An activation [N, H, W, C] is viewed as the matrix [rows = N*H*W, cols = C]. A
 * shard spec splits that matrix over a rectangle of cores (the first grid.w x grid.h
 * cores of the machine grid, cores (x, y) with x < grid.w, y < grid.h):
 *   height: rows in p = grid.w*grid.h pieces, full width;
 *   width:  columns in p pieces, full height;
 *   block:  rows over grid rows and columns over grid columns; transpose swaps them
 *           (TTNN's COL_MAJOR shard orientation, transpose_shards=True).
 * As on the device, a shard's height rounds up to a multiple of 32 (the tile height;
 * `snap` off splits rows evenly instead, as in the paper's halo example) and the
 * channels pad to the alignment (16 when C < 32, else 32), so trailing cores may
 * hold fewer rows or columns, or none. Every core of the spec holds a full-size
 * shard allocation, as the device allocates a sharded buffer on all its cores.
 * TTNN's parallel configs (tg_shard_spec_make_shape) are more general: the parts may
 * fill only part of the rectangle (cores beyond them hold nothing, yet allocate), the
 * shard height need not be a multiple of 32, and channels may align to 8. Code that
 * walks a spec's cores must ask tg_shard_core_holds, not assume every core of the
 * rectangle holds a part. */
#ifndef TG_SHARD_H
#define TG_SHARD_H

#include <stdbool.h>
#include <stdint.h>

#include "rank.h"

typedef enum {
    TG_SHARD_HEIGHT = 0,
    TG_SHARD_WIDTH = 1,
    TG_SHARD_BLOCK = 2,
} tg_shard_layout;

#define TG_TILE 32

typedef struct tg_shard_spec {
    tg_shard_layout layout;
    tg_grid grid;   /* the core rectangle the spec uses */
    bool transpose; /* block only */
    bool snap;      /* shard height rounded to a multiple of 32 */
    int64_t rows, cols;
    int align;           /* channel alignment: 16 or 32 */
    int64_t cols_padded; /* cols rounded up to the alignment */
    int row_parts, col_parts;
    int64_t shard_h, shard_w; /* allocation per core, elements */
} tg_shard_spec;

/* A core's part of the logical matrix: rows [r0, r1), columns [c0, c1); empty when
 * r0 >= r1 or c0 >= c1. */
typedef struct tg_shard_range {
    int64_t r0, r1, c0, c1;
} tg_shard_range;

tg_status tg_shard_parse(const char *s, tg_shard_layout *out);
const char *tg_shard_name(tg_shard_layout l);

/* Makes the spec of a [rows, cols] matrix on the `cores` rectangle. TG_ERR_USAGE on
 * empty grids or negative sizes. */
tg_status tg_shard_spec_make(tg_shard_layout layout, int64_t rows, int64_t cols, tg_grid cores,
                             bool transpose, bool snap, tg_shard_spec *out);

/* A spec as TTNN's parallel config and ShardSpec give it: `grid` is the bounding box
 * of the cores, used row-major; height uses the first row_parts cores of the box
 * (TTNN's row-wise core range, which may end part-way along a row), width the first
 * col_parts, block row_parts grid rows of col_parts columns (transpose: the other way
 * round). Shards are shard_h x shard_w (shard_w a multiple of `align`: 8, 16 or 32
 * channels); the columns pad to `align`. Cores of the box beyond the parts hold
 * nothing (still an allocation, as the device's allocator reserves the range on every
 * bank). TG_ERR_USAGE when the parts do not cover the matrix or do not fit the box. */
typedef struct tg_shard_shape {
    tg_grid grid;
    int row_parts, col_parts;
    int64_t shard_h, shard_w;
    int align;
} tg_shard_shape;
tg_status tg_shard_spec_make_shape(tg_shard_layout layout, int64_t rows, int64_t cols,
                                   const tg_shard_shape *shape, bool transpose, tg_shard_spec *out);
/* The spec an op's output of [rows, cols] takes from its input's spec: the same layout,
 * cores, parts and alignment; shard height ceil(rows / row_parts), rounded up to 32
 * when the input's snaps (for a spec of tg_shard_spec_make_shape: when its shard height
 * is a multiple of 32), as tg_split_out splits an op's output rows; the input's shard
 * width when cols is the input's, else the least that covers cols. On a spec of
 * tg_shard_spec_make of as many columns it gives what tg_shard_spec_make gives for
 * [rows, cols] on the same cores. */
tg_status tg_shard_spec_like(const tg_shard_spec *in, int64_t rows, int64_t cols,
                             tg_shard_spec *out);

static inline int tg_shard_ncores(const tg_shard_spec *s) {
    return s->grid.w * s->grid.h;
}
/* Row and column piece held by core index i (0 <= i < ncores, row-major in the
 * spec's rectangle). */
void tg_shard_core_part(const tg_shard_spec *s, int i, int *row_part, int *col_part);
/* Whether core index i holds one of the spec's parts (it may still be empty when
 * the matrix ends before its part); the other cores of the box hold nothing. */
bool tg_shard_core_holds(const tg_shard_spec *s, int i);
/* Core index holding row piece rp and column piece cp. */
int tg_shard_part_core(const tg_shard_spec *s, int row_part, int col_part);
tg_shard_range tg_shard_core_range(const tg_shard_spec *s, int i);
static inline bool tg_shard_range_empty(tg_shard_range r) {
    return r.r0 >= r.r1 || r.c0 >= r.c1;
}
/* Machine rank of spec core index i on a machine grid. */
static inline int tg_shard_core_rank(const tg_shard_spec *s, tg_grid machine, int i) {
    return tg_core_rank(machine, i % s->grid.w, i / s->grid.w);
}
/* Spec core index of a machine rank, or -1 when the rank is outside the rectangle. */
int tg_shard_rank_core(const tg_shard_spec *s, tg_grid machine, int rank);

#endif
