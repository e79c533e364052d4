/* Pooling on the grid: max pool 2-D over a sharded input with a -inf halo, and the
 * global average pool (DESIGN.md section 7). */
#ifndef TG_POOL_H
#define TG_POOL_H

#include "conv2d.h"

typedef struct tg_pool_params {
    int64_t n, h, w, c;
    int kh, kw, sh, sw, dh, dw;
    int pad_t, pad_b, pad_l, pad_r;
    bool ceil_mode;
    tg_shard_layout layout;
    tg_grid cores; /* 0x0: the machine grid */
    bool transpose_shards, snap;
    tg_fmt fmt;
    tg_halo_mode halo_mode;
    bool dram; /* interleaved DRAM in and out: cores stream blocks of output rows */
} tg_pool_params;

typedef struct tg_pool_plan {
    tg_pool_params p;
    tg_window win;
    tg_grid cores;
    int row_parts, col_parts;
    int64_t c_slice; /* channels per column part */
    tg_split in_split, out_split;
    int64_t halo_cap;   /* haloed sticks, or (DRAM) window sticks of one block */
    int64_t block_rows; /* DRAM: output rows per block */
    tg_l1_item items[4];
    int nitems;
    size_t l1_total, l1_limit;
} tg_pool_plan;

/* Plans a max pool; bad parameters are TG_ERR_USAGE, an L1 budget over the limit
 * TG_ERR_RUNTIME with the numbers. */
tg_status tg_pool_plan_make(const tg_pool_params *p, tg_grid machine, size_t l1_size,
                            size_t l1_other, tg_pool_plan *out);

/* Max pool of `in` (any placement; moved to the plan's when it differs) into `out`,
 * allocated here: L1 sharded like the plan's input, or DRAM. Padding and ceil mode's
 * extra sticks are -inf, so the result equals PyTorch's max_pool2d exactly in any
 * format. Collective. */
tg_status tg_maxpool2d_run(const tg_pool_plan *plan, tg_tensor *in, tg_tensor *out);

/* Global average pool [N, H, W, C] -> [N, 1, 1, C] in DRAM: each core averages a
 * slice of the channels over every row (reading them from DRAM; an L1 input is
 * moved to DRAM first). Collective. */
tg_status tg_avgpool_global_run(tg_tensor *in, tg_tensor *out);

#endif
