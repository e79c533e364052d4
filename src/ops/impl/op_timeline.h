/* Private to src/ops: the pieces every op's device-time model shares (timeline.h). An
 * op's model feeds its schedule to tg_timeline_model through these: transfers as they
 * are, local copies and fills as reader work, and the reshard and halo phases an op
 * runs before its own work. */
#ifndef TG_OP_TIMELINE_H
#define TG_OP_TIMELINE_H

#include "halo.h"
#include "reshard.h"
#include "timeline.h"

/* Where steps go: the engine's sink and the constants. */
typedef struct tl_sink {
    const tg_tl_costs *c;
    tg_tl_emit_fn emit;
    void *ectx;
} tl_sink;

void tl_xfer(const tl_sink *s, const tg_xfer *x);
/* `cycles` of work on a kernel, with TTNN's ideal cycles for compute (else 0), labelled
 * `what` for the trace. A compute step is one circular-buffer block to the model. */
void tl_work(const tl_sink *s, tg_tl_kernel k, double cycles, double ideal, const char *what);
/* A copy or fill of `bytes` within a core's L1, by its reader. */
void tl_local(const tl_sink *s, uint64_t bytes);
/* Tiles of a [rows x cols] block (each rounded up to 32). */
double tl_tiles(int64_t rows, int64_t cols);

/* A reshard's and a halo's steps on core `core`, for the model. */
void tl_reshard(const tl_sink *s, const tg_reshard_plan *rp, const tg_machine *m, int core);
void tl_halo(const tl_sink *s, const tg_halo_plan *h, const tg_machine *m, int core);

#endif
