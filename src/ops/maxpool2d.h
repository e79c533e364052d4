/* Max pool 2-D on the grid (DESIGN.md section 7; the paper, "Haloing"): a sliding window
 * over a sharded input with a -inf halo, or over interleaved DRAM in blocks of output
 * rows. The maximum of values of a format is one of them, so no rounding is involved
 * and the result equals PyTorch's max_pool2d exactly in any format.
 * Plan (maxpool2d_plan.c, pure) and run (maxpool2d_run.c) read the same schedule. */
#ifndef TG_MAXPOOL2D_H
#define TG_MAXPOOL2D_H

#include "conv2d.h"

typedef struct tg_maxpool2d_params {
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
} tg_maxpool2d_params;

typedef struct tg_maxpool2d_plan {
    tg_maxpool2d_params p;
    tg_machine m;
    tg_window win;
    bool kept;          /* the pool runs on the L1 input's own spec (see tg_maxpool2d_plan_fit) */
    tg_shard_spec spec; /* sharded: the input spec the pool runs on */
    tg_grid cores;      /* the rectangle of cores (sharded: the spec's) */
    int row_parts, col_parts;
    int64_t c_slice; /* channels per column part */
    tg_split in_split, out_split;
    int64_t halo_cap;   /* haloed sticks, or (DRAM) window sticks of one block */
    int64_t block_rows; /* DRAM: output rows per block */
    tg_l1_item items[4];
    int nitems;
    size_t l1_total, l1_limit;
    /* materialised */
    tg_tensor in;    /* the input as the run finds it */
    bool staged;     /* moved into the pool's layout (or to DRAM) first */
    bool evict;      /* DRAM: an L1 input moves to DRAM (its L1 freed) before the blocks */
    tg_tensor stage; /* ... as this tensor */
    tg_tensor out;   /* the output (a description) */
    tg_halo_plan halo;
    tg_l1_map l1;
    int ev_stage, ev_out, ev_halo, ev_prog, cb_window, cb_block; /* DRAM: the program's CBs */
    tg_traffic traffic;
    tg_timeline time; /* the device's time (pool_timeline.c) */
    bool materialised;
} tg_maxpool2d_plan;

/* The parameter rules of max pool beyond the window's (tg_window_make): channels,
 * and PyTorch's limit on padding, at most half the effective kernel on each side.
 * TG_ERR_USAGE with the numbers. Pure. */
tg_status tg_maxpool2d_params_check(const tg_maxpool2d_params *p);

/* Plans the pool from a snapshot of the L1 allocator with the input `in` as it is.
 * An input in L1 sharded in the pool's layout is pooled where it is, on its own spec
 * (cores, parts, shard height, channel alignment: TTNN's max_pool2d keeps a sharded
 * input's parallel config), and p->cores, transpose_shards and snap are not used; the
 * output takes tg_shard_spec_like of the input's spec. Any other input is resharded
 * to the pool's rectangle first (p->cores, or the machine grid).
 * With `fallback`, a sharded plan that does not fit gives way to the DRAM layout (as
 * ResNet-50 places its pool). Bad parameters are TG_ERR_USAGE; no fit TG_ERR_RUNTIME
 * with the numbers (*out then holds the plan for reports; free it as always). */
tg_status tg_maxpool2d_plan_fit(const tg_maxpool2d_params *p, const tg_machine *m,
                                const tg_l1 *snapshot, const tg_tensor *in, bool fallback,
                                tg_maxpool2d_plan *out);
void tg_maxpool2d_plan_free(tg_maxpool2d_plan *pl);
/* The device's time of a materialised plan (timeline.h); pl->time holds it without
 * spans. */
tg_status tg_maxpool2d_timeline(const tg_maxpool2d_plan *pl, bool spans, tg_timeline *out);
/* The plan on the machine's empty L1 with the input in interleaved DRAM, as the
 * maxpool2d command and `ttgrid plan maxpool2d` see it. */
tg_status tg_maxpool2d_plan_standalone(const tg_maxpool2d_params *p, const tg_machine *m,
                                       tg_maxpool2d_plan *out);

/* One step of a core's pool: a transfer, a padding run of the DRAM window (-inf), or
 * the maxima of output rows [o0, o0 + m) from the haloed shard or the window. */
typedef enum { TG_POOL_STEP_XFER, TG_POOL_STEP_PAD, TG_POOL_STEP_MAX } tg_pool_step_kind;
enum { TG_POOL_BUF_INPUT = 0, TG_POOL_BUF_OUTPUT };
typedef struct tg_pool_step {
    tg_pool_step_kind kind;
    tg_xfer x;
    size_t off;     /* PAD: first stick's L1 offset */
    int64_t len;    /* PAD: sticks */
    int64_t o0, m;  /* MAX */
    int64_t origin; /* MAX: padded index of the source's first stick */
} tg_pool_step;
typedef void (*tg_pool_step_fn)(void *ctx, const tg_pool_step *s);
/* Core `core`'s steps after staging and halo (the plan must be materialised). */
void tg_maxpool2d_schedule(const tg_maxpool2d_plan *pl, int core, tg_pool_step_fn fn, void *ctx);

/* Max pool of `in` (as planned) into `out`, allocated here: L1 sharded on the plan's
 * output spec (pl->out.spec), or DRAM. Collective. */
tg_status tg_maxpool2d_run(const tg_maxpool2d_plan *plan, tg_tensor *in, tg_tensor *out);

#endif
