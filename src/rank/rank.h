/* src/rank — this core: what one MPI rank is in the emulated Tensix grid.
 *
 * It owns the arch presets, the grid identity (rank <-> core), the L1 arena with
 * its allocator, the per-core counters that statistics are built from (stats.h)
 * and errors (error.h). All of it is pure C, unit-tested in one process: this
 * folder never includes mpi.h, never talks to another rank and never waits.
 * src/noc starts MPI, makes the L1 window and hands its memory to this core's
 * allocator (tg_core_attach_l1); moving bytes between cores is its job alone
 * (DESIGN.md section 2). */
#ifndef TG_RANK_H
#define TG_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* ---- arch presets (DESIGN.md section 1) ---- */

typedef struct tg_arch {
    const char *name;
    int grid_w, grid_h;        /* compute grid of Tensix cores */
    size_t l1_size;            /* bytes of L1 per core (MEM_L1_SIZE) */
    size_t l1_unreserved;      /* where circular buffers and the allocator start: below it,
                                * firmware, mailboxes and the kernel configuration */
    size_t l1_align;           /* L1 buffer alignment, bytes */
    int dram_banks;            /* DRAM banks (channels) */
    size_t dram_bank_size;     /* bytes per bank on the device */
    size_t dram_align;         /* DRAM page alignment, bytes */
    double dram_gbps;          /* total DRAM bandwidth, GB/s */
    double clock_ghz;          /* AI clock */
    int noc_bytes_per_cycle;   /* NoC link width */
    int noc_hop_cycles;        /* latency per router hop */
    int matmul_flop_per_cycle; /* per core, at LoFi */
} tg_arch;

const tg_arch *tg_arch_find(const char *name); /* NULL when unknown */
const tg_arch *tg_arch_default(void);          /* wormhole_b0 */
int tg_arch_count(void);
const tg_arch *tg_arch_at(int i);

/* ---- grid identity ---- */

/* A W x H grid of cores; rank r is core (r % W, r / W). */
typedef struct tg_grid {
    int w, h;
} tg_grid;

/* Chooses the grid for `ranks` ranks: `req` when given (w, h > 0), which must
 * multiply to `ranks`; else the arch's grid when it matches; else the most square
 * factorisation with w >= h. A mismatch is TG_ERR_USAGE with the numbers. */
tg_status tg_grid_choose(const tg_arch *arch, int ranks, tg_grid req, tg_grid *out);

/* Parses "WxH" (also "W,H"); TG_ERR_USAGE on anything else. */
tg_status tg_grid_parse(const char *s, tg_grid *out);

static inline int tg_grid_size(tg_grid g) {
    return g.w * g.h;
}
static inline int tg_core_x(tg_grid g, int rank) {
    return rank % g.w;
}
static inline int tg_core_y(tg_grid g, int rank) {
    return rank / g.w;
}
static inline int tg_core_rank(tg_grid g, int x, int y) {
    return y * g.w + x;
}

/* The sets of cores a core belongs to: every core, its grid row, its grid column
 * (src/noc's barriers and group multicasts run over them). */
typedef enum { TG_SET_ALL = 0, TG_SET_ROW = 1, TG_SET_COL = 2 } tg_core_set;

/* ---- L1 allocator (pure: works on any arena) ---- */

#define TG_L1_NAME_MAX 64
#define TG_L1_SMALL_MAX 8 /* live L1_SMALL buffers at once */

typedef struct tg_l1_block {
    size_t off, size;
    char name[TG_L1_NAME_MAX];
} tg_l1_block;

/* An allocator over one arena, with named live blocks so that an out-of-memory error
 * and the L1 report can say what holds the memory. Two models:
 *   first fit from the bottom of [0, size) (tg_l1_init: DRAM banks, tests);
 *   the device's L1 (tg_l1_init_device; DESIGN.md section 1): firmware and kernel
 *   configuration below the unreserved base `lo`, the L1_SMALL region above `hi`; L1
 *   buffers (shards, haloed shards) top-down in [lo, hi), each in the highest free block
 *   that fits, at its top; and, while a program runs, its circular buffers from `lo`
 *   upward, which must end below the lowest buffer (tg_l1_cb_open). */
typedef struct tg_l1 {
    uint8_t *base;   /* arena start (the MPI window's memory); may be NULL in tests */
    size_t size;     /* bytes of the arena */
    size_t lo, hi;   /* buffers live in [lo, hi) */
    size_t align;    /* buffer sizes round up to this */
    size_t cb_align; /* circular buffers start at multiples of this (the DRAM alignment) */
    bool top_down;
    tg_l1_block *blocks; /* live allocations sorted by offset */
    int n, cap;
    size_t in_use, high_water; /* buffers, plus the open circular-buffer region */
    size_t cb_bytes;           /* the open region [lo, lo + cb_bytes); 0 when none */
    char what[48];             /* for messages: "L1 on core (x,y)" or "DRAM bank" */
    /* the L1_SMALL region [hi, size): its own top-down allocator (TTNN's L1_SMALL bank
     * manager), for ops' small config tensors */
    tg_l1_block small[TG_L1_SMALL_MAX];
    int nsmall; /* sorted by offset */
} tg_l1;

void tg_l1_init(tg_l1 *l1, uint8_t *base, size_t size, size_t align, int core_x, int core_y);
/* The device's L1 of `size` bytes: buffers in [unreserved, size - l1_small). */
void tg_l1_init_device(tg_l1 *l1, uint8_t *base, size_t size, size_t unreserved, size_t l1_small,
                       size_t align, size_t cb_align, int core_x, int core_y);
/* Names the arena in messages instead of "L1 on core (x,y)" (DRAM banks use it). */
void tg_l1_set_label(tg_l1 *l1, const char *what);
void tg_l1_destroy(tg_l1 *l1);
/* A copy of an allocator's state (to try an allocation sequence without doing it). */
tg_status tg_l1_clone(tg_l1 *dst, const tg_l1 *src);
/* Allocates `bytes` (rounded up to the alignment) and sets *off. Out of memory is
 * TG_ERR_RUNTIME naming the allocation, core, bytes asked and bytes free, then TTNN's
 * own words for a buffer spread over `banks` cores (its banks). A zero-byte allocation
 * takes one alignment unit so that offsets stay distinct. */
tg_status tg_l1_alloc(tg_l1 *l1, const char *name, size_t bytes, size_t *off);
tg_status tg_l1_alloc_banks(tg_l1 *l1, const char *name, size_t bytes, int banks, size_t *off);
/* The same in the L1_SMALL region [hi, size) (top-down; TTNN's "L1_SMALL" out of
 * memory, which with the default L1_SMALL of 0 B is every allocation there). */
tg_status tg_l1_alloc_small(tg_l1 *l1, const char *name, size_t bytes, int banks, size_t *off);
/* TTNN's own words (tt_metal/impl/allocator/bank_manager.cpp BankManager::allocate_buffer;
 * tt_metal/impl/program/program.cpp ProgramImpl::validate_circular_buffer_region; both
 * cited in src/ops/impl/conv2d_ttnn_impl.h) for an allocation of `bank_bytes` per bank
 * over `banks` banks of `bank_size` B in `region` ("L1" or "L1_SMALL"), and for a
 * circular-buffer region of `program` on `range` ending at `cb_end` (false: it fits
 * below `lowest`, SIZE_MAX when no buffer, and within `l1_size`). */
void tg_l1_ttnn_oom_text(char *msg, size_t cap, const char *region, size_t bank_bytes, int banks,
                         size_t bank_size, size_t allocated, size_t free, size_t largest);
bool tg_l1_ttnn_cb_text(char *msg, size_t cap, const char *program, const char *range,
                        size_t cb_end, size_t l1_size, size_t lowest);
/* Frees the allocation at `off` (in either region); freeing an offset that is not allocated is
 * TG_ERR_RUNTIME (a bug in the caller, reported instead of corrupting the arena). */
tg_status tg_l1_free(tg_l1 *l1, size_t off);
size_t tg_l1_free_bytes(const tg_l1 *l1);
size_t tg_l1_largest_free(const tg_l1 *l1);
/* The lowest address a buffer holds, or hi when none does. */
size_t tg_l1_lowest(const tg_l1 *l1);
/* Starts a new high-water measurement from what is in use now. */
void tg_l1_reset_high_water(tg_l1 *l1);

/* A program's circular buffers: the region [lo, lo + bytes). It must end within the
 * arena and at or below the lowest buffer; otherwise TG_ERR_RUNTIME with TTNN's words
 * ("Statically allocated circular buffers on core range R grow to N B which is beyond
 * max L1 size of M B", "... clash with L1 buffers on core range R. L1 buffer allocated
 * at A and static circular buffer region ends at B"); `range` is the program's core
 * range as TTNN prints it. One region is open at a time. */
tg_status tg_l1_cb_open(tg_l1 *l1, size_t bytes, const char *program, const char *range);
void tg_l1_cb_close(tg_l1 *l1);

/* ---- this core ---- */

typedef struct tg_core {
    const tg_arch *arch;
    tg_grid grid;
    int rank, nranks; /* in MPI_COMM_WORLD order; rank == core index */
    int x, y;
    bool oversubscribed;    /* more ranks than processors on this node */
    tg_l1 l1;               /* base: src/noc's L1 window, exactly l1.size bytes */
    size_t dram_bank_bytes; /* emulated bytes per DRAM bank (--dram-size) */
} tg_core;

typedef struct tg_core_opts {
    const char *arch;      /* NULL: default */
    tg_grid grid;          /* 0x0: choose */
    size_t l1_size;        /* 0: the arch's */
    size_t l1_small_size;  /* the L1_SMALL region (TTNN's l1_small_size; default 0) */
    size_t dram_bank_size; /* 0: default emulated size */
} tg_core_opts;

/* Makes this core, rank `rank` of `nranks`: the arch, the grid (one that does not
 * match the rank count is TG_ERR_USAGE, the same on every rank), the L1 size and
 * the emulated DRAM bank size, from the options. Pure: the L1 allocator has its
 * size but no memory until tg_core_attach_l1 (src/noc's tg_noc_init does both). */
tg_status tg_core_init(const tg_core_opts *opts, int rank, int nranks, bool oversubscribed);
/* Gives this core's L1 its memory: `base` holds exactly l1.size bytes. */
void tg_core_attach_l1(uint8_t *base);
void tg_core_finalize(void);
tg_core *tg_core_self(void); /* NULL before tg_core_init */
tg_l1 *tg_core_l1(void);
/* This core's L1 byte at `off` (only this core's; other cores go through src/noc). */
static inline uint8_t *tg_l1_ptr(size_t off) {
    return tg_core_l1()->base + off;
}
/* Allocates in this core's L1. */
tg_status tg_core_alloc(const char *name, size_t bytes, size_t *off);
void tg_core_free(size_t off);
/* Opens and closes a program's circular-buffer region in this core's L1. */
tg_status tg_core_cb_open(size_t bytes, const char *program, const char *range);
/* A buffer in this core's L1_SMALL region (freed by tg_core_free). */
tg_status tg_core_alloc_small(const char *name, size_t bytes, size_t *off);
void tg_core_cb_close(void);

#endif
