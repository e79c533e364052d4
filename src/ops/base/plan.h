/* What every op's plan holds besides its own decisions (the FFTW model of STYLE.md:
 * a plan is complete, printable, and executed by code that decides nothing):
 *   the machine   it is planned for (arch and grid);
 *   the L1 map    every L1 allocation and free of the op, in the order its run makes
 *                 them, replayed on a snapshot of the allocator: the offset of each
 *                 buffer, the high-water mark, and the first allocation that finds no
 *                 room, with the allocator's own words;
 *   the traffic   what each core will move (NoC and DRAM bytes and transactions, hops,
 *                 bytes per directed link and per DRAM bank), tallied with the same
 *                 functions the NoC counts live transfers with.
 * Planning is pure: these functions never call MPI, touch a tensor's data or read
 * global state; the snapshot is a copy, never the live allocator. */
#ifndef TG_PLAN_H
#define TG_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "noc.h"

/* The machine a plan is made for: every rank of the grid is one core. */
typedef struct tg_machine {
    const tg_arch *arch;
    tg_grid grid;
    size_t l1_size;  /* bytes of L1 per core (the arch's unless --l1-size) */
    size_t l1_small; /* the L1_SMALL region at its top (--l1-small-size) */
} tg_machine;

static inline int tg_machine_cores(const tg_machine *m) {
    return m->grid.w * m->grid.h;
}
/* The machine this process runs on; and a machine of `arch` on `grid` with the arch's L1
 * and no L1_SMALL. */
tg_machine tg_machine_self(void);
tg_machine tg_machine_of(const tg_arch *arch, tg_grid grid);
/* An empty L1 of the machine's cores, in the device's model (rank.h). */
void tg_machine_empty_l1(const tg_machine *m, tg_l1 *l1);
/* A rectangle of cores [(0,0), (w-1,h-1)] as TTNN prints a core range in its errors. */
void tg_core_range_name(tg_grid cores, char out[48]);

/* ---- the L1 map ---- */

#define TG_L1_EVENT_NAME 48

typedef enum {
    TG_L1_ALLOC = 0,       /* an L1 buffer of `bytes` (top-down, as the device allocates) */
    TG_L1_FREE = 1,        /* frees the map's allocation `of` */
    TG_L1_FREE_OLD = 2,    /* frees a block that existed before the op, at `off` */
    TG_L1_PROGRAM = 3,     /* a program starts: its circular buffers cbs[cb0, cb0 + ncbs) are
                            * placed from the unreserved base upward (`bytes` in all) and must
                            * end below the lowest buffer */
    TG_L1_PROGRAM_END = 4, /* the program ends: its circular buffers are gone */
    TG_L1_ALLOC_SMALL = 5, /* a buffer in the L1_SMALL region (top-down there) */
} tg_l1_event_kind;

typedef struct tg_l1_event {
    tg_l1_event_kind kind;
    char name[TG_L1_EVENT_NAME];
    size_t bytes;   /* ALLOC: bytes asked per core (the allocator rounds to its
                     * alignment); PROGRAM: the circular-buffer region */
    int banks;      /* ALLOC: the cores the buffer spreads over (TTNN's banks, for its
                     * out-of-memory words; 0: the machine's) */
    int of;         /* FREE: index of the event that allocated the block */
    size_t off;     /* ALLOC: offset the replay gave; FREE_OLD: the block's */
    int cb0, ncbs;  /* PROGRAM */
    char range[48]; /* PROGRAM: its core range, as TTNN prints it */
} tg_l1_event;

/* One circular buffer of a program: in the program's region, or globally allocated on
 * an L1 buffer (an alias: TTNN's CBs on a sharded tensor take no region space). */
typedef struct tg_l1_cb {
    char name[40];
    size_t bytes;
    size_t off; /* where the replay put it (aligned to the DRAM alignment, as the device) */
    int alias;  /* -1: in the region; else the ALLOC event of the buffer it sits on */
} tg_l1_cb;

typedef struct tg_l1_map {
    tg_l1_event *ev;
    int n, cap;
    tg_l1_cb *cbs;
    int ncbs, capcbs;
    size_t size;         /* L1 bytes per core of the snapshot */
    size_t lo, hi;       /* where buffers may live (the unreserved base, below L1_SMALL) */
    size_t start_in_use; /* bytes in use before the op */
    size_t high_water;   /* bytes in use at the op's peak (buffers and circular buffers) */
    size_t end_in_use;   /* after the op */
    int banks;           /* the cores its buffers spread over, by default (0: 1) */
    int failed;          /* index of the first event that found no room, or -1 */
    char why[TG_ERR_MSG_MAX];
    bool oom; /* host memory ran out while planning */
} tg_l1_map;

void tg_l1_map_init(tg_l1_map *m);
void tg_l1_map_destroy(tg_l1_map *m);
/* Appends an L1 buffer and returns its index (or -1 when the host is out of memory,
 * which the replay then reports). */
int tg_l1_map_alloc(tg_l1_map *m, const char *name, size_t bytes);
/* The same, naming the banks (cores) the buffer spreads over; and in L1_SMALL. */
int tg_l1_map_alloc_banks(tg_l1_map *m, const char *name, size_t bytes, int banks);
int tg_l1_map_alloc_small(tg_l1_map *m, const char *name, size_t bytes, int banks);
void tg_l1_map_free(tg_l1_map *m, int of);
void tg_l1_map_free_old(tg_l1_map *m, const char *name, size_t off);
/* Starts a program (the event's index is returned); the circular buffers added until
 * tg_l1_map_program_end belong to it: tg_l1_map_cb returns a circular buffer's index in
 * m->cbs (0-byte ones take no space). */
int tg_l1_map_program(tg_l1_map *m, const char *name, const char *range);
int tg_l1_map_cb(tg_l1_map *m, const char *name, size_t bytes);
/* A circular buffer on the buffer of ALLOC event `of` (takes no region space). */
int tg_l1_map_cb_alias(tg_l1_map *m, const char *name, size_t bytes, int of);
/* ... on a buffer that existed before the op, at `off`. */
int tg_l1_map_cb_alias_at(tg_l1_map *m, const char *name, size_t bytes, size_t off);
void tg_l1_map_program_end(tg_l1_map *m);
/* Replays the events on a copy of `snapshot`: fills every offset, the high-water mark
 * and `failed`. The snapshot is not changed. TG_ERR_RUNTIME only when the host runs
 * out of memory. */
tg_status tg_l1_map_replay(tg_l1_map *m, const tg_l1 *snapshot);
static inline bool tg_l1_map_fits(const tg_l1_map *m) {
    return m->failed < 0 && !m->oom;
}
/* The run's side: the allocation it just made for event i landed where the plan put
 * it (a difference is a bug in the op, reported with both offsets). */
tg_status tg_l1_map_check(const tg_l1_map *m, int i, size_t off);
/* The run's side: opens program event i's circular-buffer region in this core's L1. */
tg_status tg_l1_map_open(const tg_l1_map *m, int i);
/* Applies the events to a live or simulated allocator (every allocation must fit). */
tg_status tg_l1_map_apply(const tg_l1_map *m, tg_l1 *l1);

/* ---- the traffic ---- */

typedef struct tg_traffic {
    tg_grid grid;
    int ncores, nbanks;
    tg_counters *core; /* [ncores]: what each core starts (traffic fields only) */
    uint64_t *links;   /* [ncores][TG_LINK_DIRS]: bytes over the link leaving each core */
    uint64_t *banks;   /* [nbanks]: bytes each DRAM bank serves */
} tg_traffic;

tg_status tg_traffic_init(tg_traffic *t, const tg_machine *m);
void tg_traffic_destroy(tg_traffic *t);
void tg_traffic_clear(tg_traffic *t);
/* The sink for transfers that core `core` starts. */
tg_tally tg_traffic_tally(tg_traffic *t, int core);
/* dst += src (same machine). */
void tg_traffic_add(tg_traffic *dst, const tg_traffic *src);

/* ---- transfers, as plans list them ---- */

/* One step of data movement or synchronisation in an op's schedule. An op's schedule
 * generator emits these (beside its compute steps) for one core at a time; the same
 * stream is tallied into the plan's traffic and performed by the op's run, so the run
 * moves exactly what the plan says. Offsets are L1 offsets of this core; `buf`
 * names one of the op's DRAM buffers (the run maps it to the tensor). */
typedef enum {
    TG_XF_READ = 1,      /* count blocks of blen: core peer's L1 at peer_off + k*peer_stride
                          * into mine at off + k*stride */
    TG_XF_WRITE,         /* the other way: mine at off + k*stride to peer's */
    TG_XF_MCAST,         /* collective over `set`: root `peer`'s L1 at peer_off (bytes) to off
                          * on every core of `rect` (tg_noc_mcast_group) */
    TG_XF_DRAM_READ,     /* pages first..first+count-1 of DRAM buffer `buf`, bytes
                          * [peer_off, +blen) of each, into my L1 at off + k*stride */
    TG_XF_DRAM_WRITE,    /* the other way */
    TG_XF_READ_BARRIER,  /* my reads have landed */
    TG_XF_WRITE_BARRIER, /* my writes have landed */
    TG_XF_BARRIER,       /* collective barrier over `set` */
    TG_XF_SYNC,          /* collective over all cores: barrier, then agree on the outcome */
} tg_xfer_kind;

typedef struct tg_xfer {
    tg_xfer_kind kind;
    int peer; /* READ, WRITE: the other core; MCAST: the root */
    int buf;  /* DRAM_*: the op's buffer */
    tg_core_set set;
    tg_rect rect;
    int64_t first, count;
    size_t peer_off, peer_stride, off, stride, blen;
    bool fence_before, fence_after; /* MCAST: the set meets before the bytes move (the
                                     * source is ready, the receivers' dst free) and after
                                     * they landed (the source may change) */
    bool one_root; /* MCAST: the fences guard this root's source and the receivers' dst
                    * only (no other root's block relies on them): the emulation may keep
                    * them as a handover between the root and its receivers (noc.h) */
} tg_xfer;

/* Whether every core of a set must take the step together (barriers, multicasts). */
static inline bool tg_xfer_collective(const tg_xfer *x) {
    return x->kind == TG_XF_MCAST || x->kind == TG_XF_BARRIER || x->kind == TG_XF_SYNC;
}
/* Adds what core `me` moves in step x to the traffic. */
void tg_xfer_tally(tg_traffic *t, int me, const tg_xfer *x);
/* The run's side (xfer.c): performs step x through src/noc, `bufs` mapping the op's DRAM
 * buffer numbers. Once `st` is a failure, only collective steps still run (so no core
 * is left waiting); SYNC agrees on the outcome. Returns the status after the step. */
tg_status tg_xfer_run(const tg_xfer *x, const tg_dram_buf *const *bufs, tg_status st);

#endif
