/* The device's time (issue 11; DESIGN.md section 9): a timeline of one op on every core
 * of the grid, modelled from the op's plan. Pure: no MPI, no data.
 *
 * A Tensix core runs three kernels at once: a reader (NoC and DRAM reads, multicasts,
 * into circular buffers), compute (unpack, math, pack) and a writer (NoC and DRAM
 * writes), which hand blocks to each other through circular buffers of a planned
 * depth. An op's schedule (the same step stream its run performs and its plan tallies)
 * is fed to the model core by core as tg_tl_step values; the model places every step
 * on its kernel's time axis:
 *   - the reader works through its steps in order; a compute step waits for the reader
 *     steps before it (its block), and the reader may run at most `depth` blocks ahead
 *     of compute (the CB's slots); writer steps wait for the compute step before them,
 *     and compute may run at most `depth` blocks ahead of the writer;
 *   - a collective step (barrier, sync, a multicast's fences) waits for every core of
 *     its set to reach it; a multicast's receivers get the bytes after the root has
 *     sent them;
 *   - every transfer pays its latency (hops x hop cycles plus the issue and start-up
 *     costs) and its bytes at the link rate with the packet-size efficiency of the
 *     NoC estimator; between two syncs of all cores no directed link may carry more
 *     than its bandwidth allows, and no DRAM bank nor the chip more than theirs, so the
 *     phase stretches to its busiest resource;
 *   - an op pays a fixed launch cost.
 * Constants are per arch, each from a published component figure cited beside it
 * (timeline.c; docs/device-model-sources.md). */
#ifndef TG_TIMELINE_H
#define TG_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

typedef enum { TG_TL_READER = 0, TG_TL_COMPUTE = 1, TG_TL_WRITER = 2 } tg_tl_kernel;
#define TG_TL_KERNELS 3

/* What bounds a core's (or an op's) time. */
typedef enum {
    TG_TL_BOUND_COMPUTE = 0,
    TG_TL_BOUND_NOC,     /* a NoC link's bandwidth */
    TG_TL_BOUND_DRAM,    /* a DRAM bank's or the chip's bandwidth */
    TG_TL_BOUND_LATENCY, /* transfer latencies and issue costs */
    TG_TL_BOUND_WAITING, /* waiting for other cores (barriers, multicast turns) */
} tg_tl_bound;
const char *tg_tl_bound_name(tg_tl_bound b);

/* The constants of one arch (timeline.c cites each). */
typedef struct tg_tl_costs {
    double clock_ghz;
    double noc_bytes_per_cycle; /* one directed link, raw */
    double hop_cycles;          /* per router hop */
    double noc_startup_cycles;  /* a transfer's fixed latency besides its hops */
    double issue_cycles;        /* a kernel's cost to issue one transaction */
    double dram_bank_bytes_per_cycle, dram_chip_bytes_per_cycle;
    double matmul_flop_per_cycle; /* LoFi, one core; fidelity phases multiply the time */
    double tilize_cycles_per_tile, untilize_cycles_per_tile;
    double eltwise_cycles_per_tile;       /* an element-wise binary op on one 32x32 tile */
    double launch_cycles;                 /* an op's fixed cost on the device */
    double noc_link_bytes_per_cycle;      /* one directed link as the NoC estimator models it: what
                                           * a phase's busiest link carries per cycle */
    double noc_niu_bytes_per_cycle;       /* what one core's NoC interface injects or absorbs */
    double noc_max_packet_bytes;          /* the largest packet; longer transactions are split */
    double dram_latency_cycles;           /* a DRAM read's or write's first access */
    double pack_untilize_cycles_per_tile; /* untilize in the packer (rows of <= 8 tiles) */
} tg_tl_costs;
tg_tl_costs tg_tl_costs_of(const tg_arch *arch);
/* The fraction of a link's raw rate a transfer of `bytes` achieves (the NoC estimator's
 * packet-size efficiency): one transaction, split into packets of at most
 * noc_max_packet_bytes, capped by the core's NoC interface. */
double tg_tl_noc_efficiency(const tg_tl_costs *c, const tg_arch *arch, uint64_t bytes);

/* One step of a core's schedule, as the model sees it. */
typedef enum {
    TG_TL_XFER, /* a transfer or synchronisation (plan.h): reads, DRAM reads, multicasts,
                 * read barriers and barriers run on the reader; writes, DRAM writes and
                 * write barriers on the writer; a sync drains all three kernels of the
                 * core, meets every core and ends a phase */
    TG_TL_WORK, /* `cycles` of work on `kernel` (compute: matrix tiles, tilize, element-wise
                 * or pool work; reader or writer: address generation, local copies) */
} tg_tl_step_kind;

typedef struct tg_tl_step {
    tg_tl_step_kind kind;
    tg_xfer x;           /* XFER */
    tg_tl_kernel kernel; /* WORK */
    double cycles;       /* WORK */
    double ideal;        /* WORK on compute: the cycles TTNN's performance model gives it */
    const char *what;    /* WORK: what it does, for the trace ("matmul", "tilize", ...; a
                          * string that outlives the timeline; NULL: "work") */
    bool writer_input;   /* XFER: an input of the next compute step that the writer kernel
                          * brings in (TTNN's conv weights: the writer RISC reads and
                          * multicasts them while the reader gathers activations); compute
                          * waits for it, and it waits for the CB slot as a reader step */
} tg_tl_step;

typedef void (*tg_tl_emit_fn)(void *ectx, const tg_tl_step *s);
/* An op's schedule for the model: emits core `core`'s steps in program order. */
typedef void (*tg_tl_gen_fn)(void *ctx, int core, tg_tl_emit_fn emit, void *ectx);

/* One busy interval of a kernel, for the trace. */
typedef struct tg_tl_span {
    int core;
    tg_tl_kernel kernel;
    double start, end; /* cycles from the op's start */
    const char *what;  /* "read", "dram read", "mcast", "matmul", "wait", ... */
} tg_tl_span;

/* A core's part of the op. */
typedef struct tg_tl_core {
    double start, end;              /* cycles from the op's start */
    double busy[TG_TL_KERNELS];     /* cycles each kernel worked (not waiting) */
    double noc_cycles, dram_cycles; /* ... of the reader and writer on transfers */
    double latency_cycles;          /* ... of them on latencies and issue costs */
    double wait_cycles;             /* at barriers and multicast turns */
    double ideal_cycles;            /* TTNN's ideal compute cycles of its work */
    tg_tl_bound bound;
} tg_tl_core;

typedef struct tg_timeline {
    int ncores;
    tg_tl_core *core; /* [ncores] */
    double cycles;    /* the op's time: launch + the last core's end, stretched by its
                       * busiest link or DRAM resource */
    double ideal_cycles;
    tg_tl_bound bound;
    tg_tl_span *spans; /* every busy interval, when asked for */
    int64_t nspans, capspans;
} tg_timeline;

/* Models the op whose schedule `gen` emits, with CBs of `depth` slots between the
 * kernels (1: single buffering, 2: double). With `spans`, records every interval, sorted
 * by core, kernel and start. Blocks are counted in compute WORK steps: one compute step
 * consumes the reader steps since the previous one and feeds the writer steps up to the
 * next, so emit one compute step per CB block (a 0-cycle one makes the writer wait for
 * the reader where no compute lies between them). Collectives must match across the
 * members of their sets, as the run's do; a schedule whose collectives cannot all meet
 * is TG_ERR_RUNTIME. */
tg_status tg_timeline_model(const tg_machine *m, const tg_tl_costs *c, int depth, bool spans,
                            tg_tl_gen_fn gen, void *ctx, tg_timeline *out);
void tg_timeline_free(tg_timeline *t);

/* Records core `core`'s part of the op in the open statistics scope (stats.h: modelled
 * start, end, kernels' busy cycles, waiting, ideal cycles, bound, the op's cycles), and,
 * when tracing is on (trace.h), `with_spans`'s intervals (may be NULL: none). */
void tg_timeline_record(const tg_timeline *t, int core);
void tg_timeline_trace(const char *op, const tg_timeline *with_spans);

/* The cycles of matrix work: M x K x N multiply-accumulates on one core at fidelity
 * `phases` (1 LoFi .. 4 HiFi4), in whole 32x32 tiles, as the matrix engine does them. */
double tg_tl_matmul_cycles(const tg_tl_costs *c, int64_t m, int64_t k, int64_t n, int phases);

#endif
