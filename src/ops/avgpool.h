/* Global average pool [N, H, W, C] -> [N, 1, 1, C] in interleaved DRAM (DRAM.md section
 * 7): each core averages a slice of the channels over every row, reading the rows from
 * DRAM through a buffer in its L1 (an L1 input is moved to DRAM first). Sums run in
 * double precision in row order. Plan (avgpool_plan.c, pure) and run (avgpool_run.c)
 * read the same schedule. */
#ifndef TG_AVGPOOL_H
#define TG_AVGPOOL_H

#include "plan.h"
#include "tensor.h"
#include "timeline.h"

typedef struct tg_avgpool_plan {
    tg_machine m;
    tg_tensor in;     /* the input as the run finds it */
    bool staged;      /* moved to DRAM first */
    tg_tensor stage;  /* ... as this tensor */
    tg_tensor out;    /* [N, 1, 1, C] in DRAM */
    int64_t per;      /* 16-channel granules per core */
    int64_t chunk;    /* rows per read */
    size_t buf_bytes; /* the rows buffer every core allocates */
    tg_l1_map l1;
    int ev_prog, cb_rows; /* the program and its rows buffer */
    tg_traffic traffic;
    tg_timeline time; /* the device's time (pool_timeline.c) */
    bool materialised;
} tg_avgpool_plan;

/* Plans the pool of `in` (any placement) from a snapshot of the L1 allocator. No room
 * for the buffer is TG_ERR_RUNTIME with the allocator's numbers. */
tg_status tg_avgpool_plan_fit(const tg_tensor *in, const tg_machine *m, const tg_l1 *snapshot,
                              tg_avgpool_plan *out);
void tg_avgpool_plan_free(tg_avgpool_plan *pl);
tg_status tg_avgpool_timeline(const tg_avgpool_plan *pl, bool spans, tg_timeline *out);
/* The channels [*c0, *c1) core `core` averages. */
void tg_avgpool_core_channels(const tg_avgpool_plan *pl, int core, int64_t *c0, int64_t *c1);

/* One step: a transfer, the sum of k rows just read (SUM), or image n's mean packed into
 * the buffer (MEAN). */
typedef enum { TG_AVG_STEP_XFER, TG_AVG_STEP_SUM, TG_AVG_STEP_MEAN } tg_avg_step_kind;
enum { TG_AVG_BUF_INPUT = 0, TG_AVG_BUF_OUTPUT };
typedef struct tg_avg_step {
    tg_avg_step_kind kind;
    tg_xfer x;
    int64_t n, rows; /* MEAN: the image; SUM: rows in the buffer */
} tg_avg_step;
typedef void (*tg_avg_step_fn)(void *ctx, const tg_avg_step *s);
void tg_avgpool_schedule(const tg_avgpool_plan *pl, int core, tg_avg_step_fn fn, void *ctx);

/* Runs the plan: `out` is allocated here (DRAM). Collective. */
tg_status tg_avgpool_run(const tg_avgpool_plan *pl, tg_tensor *in, tg_tensor *out);

#endif
