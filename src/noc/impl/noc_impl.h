/* Private to src/noc: the state shared by its files and the table of functions
 * behind which the two transfer mechanisms stand. Only src/noc's sources include
 * it; nothing outside the folder may see MPI through it. */
#ifndef TG_NOC_IMPL_H
#define TG_NOC_IMPL_H

#include <mpi.h>

#include "../noc.h"

enum { WIN_L1 = 0, WIN_DRAM = 1, NWIN = 2 };

/* One transfer mechanism (PETSc's PetscSF is the model: one graph, swappable
 * transports, callers never ask which). The generic code in noc.c checks ranges,
 * counts the traffic and delivers to its own core, then calls through this table;
 * it never asks which mechanism is in use. */
typedef struct noc_transport {
    tg_noc_mode mode;
    /* Called when the mechanism takes over (the windows are locked and every core
     * is between steps) and when it hands over (every transfer completed). */
    void (*start)(void);
    void (*stop)(void);
    /* Moves `count` blocks of `blen` bytes between my memory and window `win` of
     * rank `target` != me (disp + k*tstride there, mem + k*mstride here); `write`
     * pushes. Asynchronous until the matching barrier. Counts nothing. */
    tg_status (*move)(int win, int target, size_t disp, size_t tstride, uint8_t *mem,
                      size_t mstride, size_t blen, int64_t count, bool write);
    /* Complete every outstanding read (the data is in my memory) or write (the data
     * is in the targets' windows). */
    void (*read_barrier)(void);
    void (*write_barrier)(void);
    /* Waits for MPI requests (serving other cores' requests meanwhile, if the
     * mechanism needs it). */
    void (*wait)(int n, MPI_Request *reqs);
    /* tg_noc_barrier and tg_noc_sync for this mechanism. */
    tg_status (*barrier)(tg_core_set set);
    tg_status (*sync)(tg_status st);
    /* tg_noc_mcast_group after the checks and the root's count. */
    tg_status (*mcast_group)(tg_core_set set, tg_rect r, int root, size_t dst_off, size_t src_off,
                             size_t bytes);
    /* mcast_group meets the set before the root's bytes move and after they landed
     * (tg_noc_mcast_group_fenced then adds nothing) */
    bool mcast_group_fenced;
    /* Semaphores: add n to core's word at off; read my word; subtract n from it. */
    void (*sem_add)(int core, size_t off, int32_t n);
    int32_t (*sem_read)(size_t off);
    void (*sem_sub)(size_t off, int32_t n);
} noc_transport;

extern const noc_transport noc_rma; /* one-sided: noc_rma.c */
extern const noc_transport noc_msg; /* two-sided: noc_msg.c */

typedef struct noc_state {
    bool ready;
    const noc_transport *t;
    MPI_Comm world;    /* duplicate of MPI_COMM_WORLD: agreement, reductions, io */
    MPI_Comm comm;     /* NoC traffic (two-sided) and barriers over every core */
    MPI_Comm row, col; /* barriers over my grid row, column */
    MPI_Win win[NWIN];
    uint8_t *base[NWIN];
    size_t size[NWIN]; /* this rank's window bytes */
    int banks;
    tg_l1 dram; /* allocator over one bank's address space */
} noc_state;

extern noc_state tg_noc;

/* ---- generic (noc.c) ---- */

/* Moves blocks as noc_transport.move does, to any target: my own core is served by
 * a copy (loopback). Counts one message. */
tg_status noc_move(int win, int target, size_t disp, size_t tstride, uint8_t *mem, size_t mstride,
                   size_t blen, int64_t count, bool write);
/* Pushes my L1 [src_off, +bytes) to dst_off on every core of r, whose addresses
 * the caller has checked; counts one message per other core, not the multicast. */
tg_status noc_mcast_push(tg_rect r, size_t dst_off, size_t src_off, size_t bytes);
/* This core's open statistics record as a tally (traffic.c). */
void noc_tally(tg_tally *t);
/* MPI_Win_sync on both windows: L1 written directly is seen by RMA and back. */
void noc_win_sync(void);
/* A barrier over `set` through MPI (MPI_Ibarrier, waited through the transport). */
tg_status noc_barrier_mpi(tg_core_set set);

/* ---- waiting and agreeing (sync.c) ---- */

/* Sets up the node-local barriers: when every rank runs on one node and the node is
 * oversubscribed, waiting cores sleep in the kernel (futex) on a shared counter and
 * the last core to arrive wakes them, so a wait costs no processor time and ends
 * as soon as it can. Otherwise waits are MPI calls with back-off. Collective. */
void noc_sync_init(void);
void noc_sync_finalize(void);
/* Whether the node-local barriers are there. */
bool noc_local_sync(void);
/* Barrier over a core set through the node-local path; false (and nothing done)
 * when that path is not available, and the caller uses MPI. No data moves. */
bool noc_barrier_local(tg_core_set set);

/* Exponential back-off for polite waiting: pause() sleeps 1 us, then twice as
 * long each time up to a cap (10 ms, TTGRID_WAIT_CAP_US), when the node is
 * oversubscribed; otherwise it returns at once and the caller spins. */
typedef struct noc_backoff {
    long ns;
} noc_backoff;
void noc_backoff_init(noc_backoff *b);
void noc_backoff_pause(noc_backoff *b);

/* Completes non-blocking MPI requests. When the node is oversubscribed the wait is
 * polite: test, then sleep with exponential back-off (1 us doubling to a cap), so
 * a waiting core leaves the processor to the cores that compute (DESIGN.md section
 * 1, "waiting"). Otherwise it is MPI_Waitall. */
void noc_waitall_polite(int n, MPI_Request *reqs);

#endif
