/* The element-wise add of ResNet's residual, with its fused ReLU (DESIGN.md section 7):
 * a = a + b in place, rounded to a's format. Every core adds the rows it holds: its
 * shard, or in DRAM its even share of the rows, read and written through L1 in chunks.
 * When b is placed or sharded differently it is first moved to a's placement and spec
 * (a's own spec, whatever its parallel config: a is the output and keeps it) through
 * the NoC. Plan (add_plan.c, pure) and run (add_run.c) read the same schedule. */
#ifndef TG_ADD_H
#define TG_ADD_H

#include "plan.h"
#include "tensor.h"
#include "timeline.h"

typedef struct tg_add_plan {
    tg_machine m;
    bool relu;
    bool evict_a;   /* a moves to DRAM first (no room for a copy of b next to it) */
    tg_tensor a, b; /* as the run finds them (a after the move) */
    bool moved;     /* b moves to a's placement first */
    tg_tensor b_moved;
    int64_t chunk; /* DRAM: rows per step */
    tg_l1_map l1;
    int ev_moved, ev_prog, cb_a, cb_b; /* DRAM: the program's two row buffers */
    tg_traffic traffic;
    tg_timeline time; /* the device's time (add_timeline.c) */
    bool materialised;
} tg_add_plan;

/* Plans a += b (same shape and format, else TG_ERR_USAGE) from a snapshot of the L1
 * allocator. With `fallback`, an L1 `a` whose shard-sized copy of a DRAM `b` finds no
 * room moves to DRAM and the sum is made there (ResNet-50's placement). */
tg_status tg_add_plan_fit(const tg_tensor *a, const tg_tensor *b, bool relu, const tg_machine *m,
                          const tg_l1 *snapshot, bool fallback, tg_add_plan *out);
void tg_add_plan_free(tg_add_plan *pl);
/* The device's time of a materialised plan whose a was `a` before any move (timeline.h);
 * pl->time holds it without spans. */
tg_status tg_add_timeline(const tg_add_plan *pl, const tg_tensor *a, bool spans, tg_timeline *out);

typedef enum { TG_ADD_STEP_XFER, TG_ADD_STEP_ADD } tg_add_step_kind;
enum { TG_ADD_BUF_A = 0, TG_ADD_BUF_B };
typedef struct tg_add_step {
    tg_add_step_kind kind;
    tg_xfer x;
    int64_t rows; /* ADD: rows of the chunk (DRAM) or of the shard (L1) */
} tg_add_step;
typedef void (*tg_add_step_fn)(void *ctx, const tg_add_step *s);
void tg_add_schedule(const tg_add_plan *pl, int core, tg_add_step_fn fn, void *ctx);

/* Runs the plan on a (moved to DRAM first when the plan says) and b. Collective. */
tg_status tg_add_run(const tg_add_plan *pl, tg_tensor *a, const tg_tensor *b);

#endif
