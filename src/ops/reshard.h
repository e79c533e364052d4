/* Reshard: a tensor moved between two placements or shard specs of the same shape and
 * format, through the NoC (TTNN's interleaved_to_sharded, sharded_to_interleaved and
 * reshard). Every core moves its own part:
 *   DRAM -> L1   each core reads its shard's rows from the DRAM pages;
 *   L1 -> DRAM   each core writes them;
 *   L1 -> L1     each core reads, from every core holding part of its new shard, one
 *                strided block per source row part and column part;
 *   DRAM -> DRAM each rank copies its even share of the pages through host memory.
 * A move carries the channels both sides hold: an L1 spec may align channels to 8
 * (tg_shard_spec_make_shape) while a DRAM tensor pads them to 16 or 32, so the padding
 * one side has beyond the other's is zeroed in a shard, and written as zeros in DRAM
 * pages by the core holding the last channels. Cores of a spec that hold no part move
 * nothing.
 * Plan (reshard_plan.c) and run (reshard_run.c) read the same schedule. */
#ifndef TG_RESHARD_H
#define TG_RESHARD_H

#include "plan.h"
#include "tensor.h"

typedef enum {
    TG_RESHARD_TO_L1 = 0, /* DRAM -> L1 */
    TG_RESHARD_TO_DRAM,   /* L1 -> DRAM */
    TG_RESHARD_L1,        /* L1 -> L1 */
    TG_RESHARD_DRAM,      /* DRAM -> DRAM */
} tg_reshard_kind;

typedef struct tg_reshard_plan {
    tg_reshard_kind kind;
    tg_tensor src, dst; /* descriptions (placement, spec, shape, format) */
} tg_reshard_plan;

/* Plans moving `src` into `dst` (both described; their L1 offsets are not needed).
 * Shapes or formats that differ are TG_ERR_RUNTIME. Pure. */
tg_status tg_reshard_plan_make(const tg_tensor *src, const tg_tensor *dst, tg_reshard_plan *out);

/* One step of a core's reshard: a transfer, a zeroed shard, (DRAM -> DRAM) a copy of
 * pages [first, first + count) through host memory, or (L1 -> DRAM) zeros written to
 * bytes [off, off + bytes) of destination pages [first, first + count): the padding
 * channels a page has beyond the shard's (the writer sends zeros it holds in no L1
 * buffer; counted as a DRAM write). DRAM buffer 0 is the source's, 1 the
 * destination's. */
typedef enum {
    TG_RESHARD_STEP_XFER,
    TG_RESHARD_STEP_ZERO,
    TG_RESHARD_STEP_HOST,
    TG_RESHARD_STEP_ZERO_DRAM
} tg_reshard_step_kind;
typedef struct tg_reshard_step {
    tg_reshard_step_kind kind;
    tg_xfer x;            /* XFER */
    size_t off, bytes;    /* ZERO: L1 range; ZERO_DRAM: byte range of each page */
    int64_t first, count; /* HOST, ZERO_DRAM */
} tg_reshard_step;
typedef void (*tg_reshard_step_fn)(void *ctx, const tg_reshard_step *s);
/* Emits machine core `core`'s steps, ending with the sync every core takes; src_off
 * and dst_off are the L1 offsets of the shards (ignored for DRAM). */
void tg_reshard_schedule(const tg_reshard_plan *p, const tg_machine *m, int core, size_t src_off,
                         size_t dst_off, tg_reshard_step_fn fn, void *ctx);
void tg_reshard_traffic(const tg_reshard_plan *p, const tg_machine *m, tg_traffic *t);

/* Runs the plan: src and dst allocated as planned. Collective. */
tg_status tg_reshard_run(const tg_reshard_plan *p, const tg_tensor *src, tg_tensor *dst);
/* Plans and runs in one call (both tensors allocated). Collective. */
tg_status tg_tensor_reshard(const tg_tensor *src, tg_tensor *dst);

#endif
