/* The halo op (DESIGN.md section 4; the paper, "Haloing"): builds each core's haloed
 * shard of a sharded input for a sliding window.
 *
 * Plan (pure, halo_plan.c): for every row part of the input, the padded-input range
 * its outputs' windows touch, split into runs of padding, local and remote sticks
 * (window.h), and the haloed shard's size, which every core allocates (the largest
 * part's range, so the offset agrees everywhere). Block-sharded inputs share the row
 * plan over grid columns: a core exchanges only with the cores of its channel slice.
 * Run (halo_run.c): padding runs are filled with the op's pad value, local runs
 * copied within the core's L1, remote runs moved by the NoC, each as one transfer:
 * pulled by the core that needs them, or pushed by the core that holds them. */
#ifndef TG_HALO_H
#define TG_HALO_H

#include "plan.h"
#include "tensor.h"
#include "window.h"

typedef enum {
    TG_HALO_PULL = 0, /* each core reads the remote runs it needs */
    TG_HALO_PUSH = 1, /* each owner writes its sticks into the cores that need them */
} tg_halo_mode;

tg_status tg_halo_mode_parse(const char *s, tg_halo_mode *out);
const char *tg_halo_mode_name(tg_halo_mode m);

/* The row split of a sharded tensor's rows (input) and of the op's output rows
 * with the same number of parts and the same rounding. */
tg_split tg_split_of(const tg_shard_spec *s);
tg_split tg_split_out(const tg_shard_spec *in, int64_t out_rows);

/* One row part of the input. */
typedef struct tg_halo_part {
    tg_window_bounds bounds; /* its outputs [o0, o1) and padded range [a, b) */
    int64_t run0, nruns;     /* its runs: runs[run0 .. run0 + nruns) */
    tg_halo_counts counts;   /* padding, local and remote sticks, cores read from */
} tg_halo_part;

typedef struct tg_halo_plan {
    tg_window win;
    tg_shard_spec spec; /* the input's shards */
    tg_fmt fmt;
    tg_split in, out; /* row splits of the input and of the op's outputs */
    tg_halo_mode mode;
    float pad_value;     /* 0 for conv, -inf for max pool */
    int64_t cap;         /* haloed sticks every core allocates */
    size_t alloc_bytes;  /* the haloed shard's allocation when an op sizes it (TTNN's halo
                          * output for conv2d), at least cap sticks; 0: cap sticks */
    size_t row_bytes;    /* of one stick: the shard's channel slice in the format */
    tg_halo_part *parts; /* [in.parts] */
    tg_stick_run *runs;
    int64_t nruns;
} tg_halo_plan;

/* Plans the halo of window w over an input sharded by `spec` (L1, any layout), whose
 * outputs are split by `out`. Pure; TG_ERR_RUNTIME only when the host is out of
 * memory. */
tg_status tg_halo_plan_make(const tg_window *w, const tg_shard_spec *spec, tg_fmt fmt, tg_split out,
                            float pad_value, tg_halo_mode mode, tg_halo_plan *out_plan);
void tg_halo_plan_free(tg_halo_plan *h);
/* Bytes of the haloed shard every core allocates. */
static inline size_t tg_halo_bytes(const tg_halo_plan *h) {
    return h->alloc_bytes ? h->alloc_bytes : (size_t)h->cap * h->row_bytes;
}
/* The row part machine core `core` builds, and its column part; -1 when it holds no
 * part of the input. */
int tg_halo_core_part(const tg_halo_plan *h, const tg_machine *m, int core, int *col_part);

/* One step of a core's halo: a padding run, a local copy, or a transfer. */
typedef enum { TG_HALO_STEP_PAD, TG_HALO_STEP_LOCAL, TG_HALO_STEP_XFER } tg_halo_step_kind;
typedef struct tg_halo_step {
    tg_halo_step_kind kind;
    int64_t dst, len; /* sticks of the haloed shard */
    int64_t src;      /* LOCAL: row of my input shard */
    tg_xfer x;        /* XFER (offsets relative to the input shard and the haloed shard) */
} tg_halo_step;
typedef void (*tg_halo_step_fn)(void *ctx, const tg_halo_step *s);
/* Emits core `core`'s steps in order, ending with the final sync every core takes:
 * offsets of the input shard and the haloed shard are in_off and h_off. */
void tg_halo_schedule(const tg_halo_plan *h, const tg_machine *m, int core, size_t in_off,
                      size_t h_off, tg_halo_step_fn fn, void *ctx);
/* Adds the halo's transfers to `t`. */
void tg_halo_traffic(const tg_halo_plan *h, const tg_machine *m, tg_traffic *t);

/* A haloed shard of this core: padded-input sticks [bounds.a, bounds.b) of its part. */
typedef struct tg_haloed {
    size_t l1_off;
    int64_t cap; /* sticks allocated */
    size_t row_bytes;
    int part; /* this core's row part, -1 when it holds none */
    tg_window_bounds bounds;
    bool allocated;
} tg_haloed;

/* Runs the plan on `in` (L1, sharded by the plan's spec): allocates the haloed shard
 * (check its offset against the caller's L1 map) and builds it. Counts the halo
 * sticks in the open op's statistics. Collective. */
tg_status tg_halo_run(const tg_halo_plan *h, const tg_tensor *in, tg_haloed *out);
/* The same in two steps, for an op that runs the halo inside its own allocation
 * sequence: the haloed shard allocated under `name`, then built (collective). */
tg_status tg_halo_alloc(const tg_halo_plan *h, const char *name, tg_haloed *out);
tg_status tg_halo_build(const tg_halo_plan *h, const tg_tensor *in, tg_haloed *out);
void tg_haloed_free(tg_haloed *h);

#endif
