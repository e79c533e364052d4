/* src/noc — the NoC and DRAM of the emulated chip, on MPI (DESIGN.md sections 1, 9).
 *
 * This is the only code that talks to other ranks: it starts and stops MPI, owns
 * the communicators and both RMA windows (every core's L1, the DRAM banks), the
 * barriers, agreement and reduction, the gather of the statistics, and every
 * transfer of bytes between cores, so it is also where every transfer is counted:
 * bytes, transactions, source and destination core, the NoC it travels on, the
 * hops and the directed links of its route, DRAM bytes per bank. The counting is
 * pure (tallies, traffic.c) so that op plans can predict the same figures. This
 * header never exposes MPI (noc_mpi.h does, for io and tests).
 *
 * Model. Cores address each other's L1 as (core, offset), like the device's NoC
 * addresses (x, y, local address). Reads pull from another core's L1 into mine,
 * writes push from my L1 into another core's, multicasts push one buffer to the
 * same offset on every core of a rectangle. All three are asynchronous; the
 * matching barrier (tg_noc_read_barrier / tg_noc_write_barrier) completes every
 * outstanding transfer of that kind, as noc_async_read_barrier does on the device.
 * Core-to-core synchronisation is a barrier over a core set or a semaphore in L1.
 *
 * Two mechanisms stand behind the same calls (tg_noc_mode), chosen at tg_noc_init:
 * one-sided MPI RMA on the L1 and DRAM windows (passive target, one lock_all epoch
 * for the whole run), and two-sided messages, where a core serves the requests of
 * others whenever it waits inside src/noc. Callers never ask which one is in use;
 * they follow the contract both keep: an op follows its reads and writes with a
 * barrier over a set that contains their targets (which the device's programs do
 * anyway, to know the data is there).
 *
 * Waiting is polite when the node is oversubscribed: idle cores sleep (a futex on
 * one node, exponential back-off on MPI requests) instead of spinning. */
#ifndef TG_NOC_H
#define TG_NOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rank.h"
#include "stats.h"

typedef enum {
    TG_NOC_ONE_SIDED = 0, /* MPI RMA: MPI_Get / MPI_Put on the windows */
    TG_NOC_TWO_SIDED = 1, /* MPI point-to-point requests served by the target */
} tg_noc_mode;

tg_status tg_noc_mode_parse(const char *s, tg_noc_mode *out);
const char *tg_noc_mode_name(tg_noc_mode m);

/* ---- the machine ---- */

/* Starts MPI in this process (every program's first call) and stops it (its last:
 * after tg_noc_finalize). */
void tg_noc_start(int *argc, char ***argv);
void tg_noc_stop(void);
/* This process's rank and the number of ranks started, known before any core
 * exists (to print on rank 0 only, or to refuse a rank count). */
int tg_noc_world_rank(void);
int tg_noc_world_size(void);

/* Makes this core (tg_core_init with its rank), its L1 window of exactly l1_size
 * bytes, the communicators, the node-local barriers, the DRAM window (the banks this
 * rank hosts) and the transfers of `mode`. Collective. A grid that does not match
 * the rank count is a usage error on every rank, no hang; any other failure is
 * agreed (tg_noc_agree), so every rank returns the same status. */
tg_status tg_noc_init(const tg_core_opts *opts, tg_noc_mode mode);
/* Completes every transfer, then undoes tg_noc_init. Collective. */
void tg_noc_finalize(void);
/* Switches the transfer mechanism between steps (tests and benchmarks run the same
 * work with each): completes every transfer under the old one first. L1 and DRAM
 * keep their contents and allocations. Collective. */
tg_status tg_noc_set_mode(tg_noc_mode mode);

/* Files this process removes if the job is ended from outside: the launcher's
 * SIGTERM (or SIGINT, SIGHUP) after another rank died, or the watchdog's MPI_Abort
 * (io registers its temporary outputs on every rank, so that a killed job leaves no
 * partial file). Not for a SIGKILL of this process, which runs nothing. Up to 16
 * files at once; tg_noc_keep_on_kill forgets one (after it was renamed or removed). */
tg_status tg_noc_remove_on_kill(const char *path);
void tg_noc_keep_on_kill(const char *path);

/* Host name of every rank, for `ttgrid info`: on rank 0 a malloc'd array of
 * nranks names of TG_NOC_HOST_MAX bytes each (the caller frees it); NULL on the
 * other ranks, or when rank 0 is out of host memory or MPI failed. Collective. */
#define TG_NOC_HOST_MAX 64
char *tg_noc_host_names(void);

/* ---- agreement, reduction, statistics ---- */

/* Makes every rank agree on the outcome of a step: if any rank failed, all return
 * the status and message of the lowest failing rank. Collective; call it before a
 * step that needs all ranks, so that a failure on one core never leaves the others
 * waiting for it. Moves no tensor data. */
tg_status tg_noc_agree(tg_status st);

/* Reduces n <= TG_REDUCE_MAX values over every core, each by ops[i]: 's' sum or
 * 'm' max; every core gets the result. Collective; the node-local path when
 * available. For statistics and progress lines, never for tensor data. */
#define TG_REDUCE_MAX 16
void tg_noc_reduce(const double *in, double *out, int n, const char *ops);

/* Gathers every core's statistics records into one table on rank 0 (tg_stats_table;
 * link and bank counts summed over the cores that moved them). Collective. */
tg_status tg_noc_stats_gather(tg_stats_table *t);

/* ---- routes (pure) ---- */

/* Directions of the links leaving a core: NoC0 uses east and south, NoC1 north and
 * west (DESIGN.md section 1). */
enum { TG_LINK_E = 0, TG_LINK_S = 1, TG_LINK_N = 2, TG_LINK_W = 3, TG_LINK_DIRS = 4 };

typedef struct tg_link {
    int x, y; /* the core the link leaves */
    int dir;  /* TG_LINK_* */
} tg_link;

/* A rectangle of cores [x0, x0+w) x [y0, y0+h) of the grid (no wrap-around). */
typedef struct tg_rect {
    int x0, y0, w, h;
} tg_rect;

/* Whether core (x, y) is in r. */
static inline bool tg_rect_has(tg_rect r, int x, int y) {
    return x >= r.x0 && x < r.x0 + r.w && y >= r.y0 && y < r.y0 + r.h;
}

/* Called once per link of a route, in order. */
typedef void (*tg_link_visit)(void *ctx, tg_link link);

/* Lists the links a unicast from (sx, sy) to (dx, dy) crosses on `noc` (0 or 1) of a
 * W x H torus, in order, into `links` (room for w + h entries); returns the hop
 * count. NoC0 goes east then south, NoC1 north then west, wrapping around. */
int tg_route_unicast(tg_grid g, int noc, int sx, int sy, int dx, int dy, tg_link *links);
/* The same route, each link handed to `visit` (may be NULL) instead of listed. */
int tg_route_unicast_visit(tg_grid g, int noc, int sx, int sy, int dx, int dy, tg_link_visit visit,
                           void *ctx);
/* Lists the links of a multicast from (sx, sy) to every core of `r` on `noc`: the
 * packet runs along the first dimension of the NoC's route (NoC0: east along the
 * source row; NoC1: north along the source column) as far as the rectangle's
 * farthest column (row), and branches at each of the rectangle's columns (rows)
 * along the second dimension as far as its farthest row (column). Each link is
 * listed once, however many destinations lie beyond it (the router replicates).
 * `links` needs room for w + w*h + h entries; returns the number of links. */
int tg_route_mcast(tg_grid g, int noc, int sx, int sy, tg_rect r, tg_link *links);
int tg_route_mcast_visit(tg_grid g, int noc, int sx, int sy, tg_rect r, tg_link_visit visit,
                         void *ctx);
/* The NoC a transfer takes: the one with fewer links, NoC0 on a tie. */
int tg_route_pick_unicast(tg_grid g, int sx, int sy, int dx, int dy);
int tg_route_pick_mcast(tg_grid g, int sx, int sy, tg_rect r);

/* ---- traffic accounting (pure, traffic.c) ---- */

/* Where a transfer's counts go: the counters of the core that starts it, bytes per
 * directed link (indexed core * TG_LINK_DIRS + dir, over every core of the grid)
 * and bytes served per DRAM bank. The NoC counts its live transfers into this
 * core's open statistics record (tg_stats_sink) through these functions; op plans
 * use them to predict the same figures. Only traffic fields of `k` change
 * (messages, the MPI operations, are the transport's to count); `links` or `banks`
 * may be NULL (not counted). A zero-byte transfer counts nothing, as on the NoC. */
typedef struct tg_tally {
    tg_grid grid;    /* the machine grid; DRAM bank b is hosted by core b % (grid.w*grid.h) */
    int nbanks;      /* DRAM banks of the interleaving */
    tg_counters *k;  /* counters of the starting core */
    uint64_t *links; /* [grid.w*grid.h][TG_LINK_DIRS] */
    uint64_t *banks; /* [nbanks] */
} tg_tally;

/* Core `me` reads `bytes` from core `src`'s L1 in `ntrans` transactions (one route:
 * the NoC with fewer hops, NoC0 on a tie; every link carries all the bytes). */
void tg_tally_read(const tg_tally *t, int me, int src, uint64_t bytes, uint64_t ntrans);
/* Core `me` writes `bytes` into core `dst`'s L1 in `ntrans` transactions. */
void tg_tally_write(const tg_tally *t, int me, int dst, uint64_t bytes, uint64_t ntrans);
/* Core `me` multicasts `bytes` to every core of `r`: one transaction along the
 * multicast route of the NoC with fewer links. */
void tg_tally_mcast(const tg_tally *t, int me, tg_rect r, uint64_t bytes);
/* Core `me` reads (write = false) or writes `blen` bytes of each of the pages
 * first..first+count-1 of an interleaved DRAM buffer: per bank, the pages it holds
 * as one route between the bank's host and `me`, one transaction per page, split
 * exactly as tg_dram_read and tg_dram_write move them. */
void tg_tally_dram(const tg_tally *t, int me, int64_t first, int64_t count, uint64_t blen,
                   bool write);

/* ---- L1 to L1 ---- */

/* Reads `bytes` from core `src`'s L1 at src_off into my L1 at dst_off. */
tg_status tg_noc_read(int src, size_t src_off, size_t dst_off, size_t bytes);
/* Strided read: `count` blocks of `blen` bytes, the k-th from src_off + k*src_stride
 * of core `src` into dst_off + k*dst_stride of mine; one transaction per block. */
tg_status tg_noc_read_strided(int src, size_t src_off, size_t src_stride, size_t dst_off,
                              size_t dst_stride, size_t blen, int64_t count);
/* Writes `bytes` from my L1 at src_off into core `dst`'s L1 at dst_off. */
tg_status tg_noc_write(int dst, size_t dst_off, size_t src_off, size_t bytes);
/* Writes my L1 [src_off, +bytes) to dst_off on every core of rectangle r (mine
 * included when I am in it): one multicast transaction. */
tg_status tg_noc_mcast(tg_rect r, size_t dst_off, size_t src_off, size_t bytes);
/* A multicast that the group takes part in: every core of `set` calls it, and when it
 * returns, root's L1 [src_off, +bytes) is at dst_off on every core of rectangle r.
 * The root must keep its source unchanged until the set's next barrier; a
 * receiver's dst buffer is written only inside this call (so a receiver may still
 * read it until it calls, and several roots may hold their blocks ready at once).
 * Counted as the root's one multicast transaction along its route, as
 * tg_noc_mcast. (One-sided, the receivers fetch the bytes themselves, so the copies
 * run on every core in parallel; two-sided, the set meets in a barrier, the root
 * pushes, and the set meets again.) */
tg_status tg_noc_mcast_group(tg_core_set set, tg_rect r, int root, size_t dst_off, size_t src_off,
                             size_t bytes);

/* tg_noc_mcast_group that also meets the set `before` the bytes move (the root's
 * source is ready and every receiver is done with its dst buffer) and `after` they
 * landed (the root may change its source): one barrier each where the mechanism's
 * multicast does not meet the set itself. `one_root`: the fences guard only this
 * root's source and the receivers' dst, so that where the set is held by one node
 * they may be kept as a handover instead of barriers (TTNN's multicast semaphores):
 * the receivers wait for the root's word that its source is ready; `before`, the root
 * first waits until every earlier fetch from it on this set is done; `after`, until
 * this one's is. The set's other cores do not wait. */
tg_status tg_noc_mcast_group_fenced(tg_core_set set, tg_rect r, int root, size_t dst_off,
                                    size_t src_off, size_t bytes, bool before, bool after,
                                    bool one_root);

/* Completes all my outstanding reads (the data is in my L1). */
tg_status tg_noc_read_barrier(void);
/* Completes all my outstanding writes and multicasts (the data is in the targets'
 * L1). */
tg_status tg_noc_write_barrier(void);

/* ---- synchronisation ---- */

/* Barrier over every core, the cores of my grid row, or of my grid column. Makes
 * L1 written before it by any member visible to every member after it. */
tg_status tg_noc_barrier(tg_core_set set);

/* Ends a step of an op: a barrier over every core (serving two-sided requests while
 * it waits, so no core is left waiting for a transfer), then every core agrees on
 * the outcome (tg_noc_agree): if any core failed, all return its status and
 * message. Use it instead of a bare tg_noc_agree whenever transfers may be in
 * flight. */
tg_status tg_noc_sync(tg_status st);

/* Semaphores are 32-bit counters in L1 at the same offset on every core (allocate
 * them with tg_noc_sem_alloc, which zeroes them). */
tg_status tg_noc_sem_alloc(const char *name, size_t *off);
/* Adds `n` to core `core`'s semaphore at `off` (after my earlier writes to that
 * core have landed: call tg_noc_write_barrier first when they must). */
tg_status tg_noc_sem_inc(int core, size_t off, int n);
/* Waits until my semaphore at `off` reaches `value`, then subtracts `value`. */
tg_status tg_noc_sem_wait(size_t off, int value);

/* ---- DRAM ---- */

/* An interleaved DRAM buffer: page i lives in bank i % banks, at bank offset
 * `base + (i / banks) * page_stride`. Every rank runs the same allocation sequence,
 * so a buffer has the same address on every rank without a message. */
typedef struct tg_dram_buf {
    size_t page_size;   /* bytes of one page */
    size_t page_stride; /* page_size rounded to the DRAM alignment */
    int64_t npages;
    size_t base; /* offset in every bank */
    bool allocated;
} tg_dram_buf;

/* Of the pages first..first+count-1 interleaved over `nbanks` banks, those in bank
 * `bank`: returns how many and sets *i0 to the first (none: 0). Pure. */
int64_t tg_dram_bank_pages(int64_t first, int64_t count, int nbanks, int bank, int64_t *i0);

tg_status tg_dram_alloc(const char *name, size_t page_size, int64_t npages, tg_dram_buf *out);
void tg_dram_free(tg_dram_buf *b);
int tg_dram_banks(void);
int tg_dram_bank_host(int bank); /* the rank hosting a bank */

/* Reads, from each of the `count` pages first..first+count-1, the bytes
 * [page_off, page_off + blen) into my L1 at dst_off + k*dst_stride. One transaction
 * per page; pages of one bank travel in one MPI operation. */
tg_status tg_dram_read(const tg_dram_buf *b, int64_t first, int64_t count, size_t page_off,
                       size_t blen, size_t dst_off, size_t dst_stride);
/* Writes the same way from my L1 into the pages. */
tg_status tg_dram_write(const tg_dram_buf *b, int64_t first, int64_t count, size_t page_off,
                        size_t blen, size_t src_off, size_t src_stride);
/* Host access (like the host's PCIe writes and reads): the same transfers from or
 * to host memory instead of L1; counted as DRAM traffic of this core. */
tg_status tg_dram_write_host(const tg_dram_buf *b, int64_t first, int64_t count, const void *src,
                             size_t src_stride);
/* Writes bytes [page_off, page_off + blen) of each page from host memory. */
tg_status tg_dram_write_host_part(const tg_dram_buf *b, int64_t first, int64_t count,
                                  size_t page_off, size_t blen, const void *src, size_t src_stride);
tg_status tg_dram_read_host(const tg_dram_buf *b, int64_t first, int64_t count, void *dst,
                            size_t dst_stride);

#endif
