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
    tg_status (*read_barrier)(void);
    tg_status (*write_barrier)(void);
    /* Waits for MPI requests (serving other cores' requests meanwhile, if the
     * mechanism needs it). */
    tg_status (*wait)(int n, MPI_Request *reqs);
    /* tg_noc_barrier and tg_noc_sync for this mechanism. */
    tg_status (*barrier)(tg_core_set set);
    tg_status (*sync)(tg_status st);
    /* tg_noc_mcast_group after the checks and the root's count. */
    tg_status (*mcast_group)(tg_core_set set, tg_rect r, int root, size_t dst_off, size_t src_off,
                             size_t bytes);
    /* mcast_group meets the set before the root's bytes move and after they landed
     * (tg_noc_mcast_group_fenced then adds nothing) */
    bool mcast_group_fenced;
    /* tg_noc_mcast_group_fenced of one root, when the set is held by this node: the
     * root and its receivers hand over through the node's words (node.c) instead of
     * barriers over the set; NULL: the barriers. */
    tg_status (*mcast_group_handover)(tg_core_set set, tg_rect r, int root, size_t dst_off,
                                      size_t src_off, size_t bytes, bool before, bool after);
    /* Semaphores: add n to core's word at off; read my word; subtract n from it. */
    tg_status (*sem_add)(int core, size_t off, int32_t n);
    tg_status (*sem_read)(size_t off, int32_t *now);
    tg_status (*sem_sub)(size_t off, int32_t n);
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

/* ---- MPI errors ---- */

/* Records a failed MPI call (its return code rc, MPI's own text for it, and what
 * ttgrid was doing) and returns TG_ERR_RUNTIME. Every MPI object ttgrid makes
 * returns its errors (MPI_ERRORS_RETURN) instead of aborting the job. */
tg_status noc_mpi_err(int rc, const char *what);

/* ---- the node (node.c) ---- */

/* Finds my node (MPI_COMM_TYPE_SHARED, cut into groups of TTGRID_NODE_SIZE
 * consecutive ranks when set), the leaders of my sets on every node, and the node's
 * shared segment with the barriers and the watchdog's board. The two-level path is
 * used when a node is oversubscribed (TTGRID_FUTEX=0|1 forces it) and every node
 * has its segment. Collective; fails only on a bad TTGRID_NODE_SIZE (the same on
 * every rank) or when MPI cannot split the ranks. */
tg_status noc_node_init(void);
void noc_node_finalize(void);
/* Whether the two-level path is in use. */
bool noc_local_sync(void);
/* Whether the windows' one-sided component needs the target core inside MPI to
 * complete a transfer (osc pt2pt; ucx or rdma over TCP): then a core asleep in a
 * node barrier wakes now and then to let MPI progress, or a core flushing its
 * writes to it would wait for ever. */
void noc_node_progress(bool on);
/* How many nodes the job spans. */
int noc_node_count(void);
/* Barrier over a core set through the two-level path (*st: an MPI failure between
 * nodes); false (and nothing done) when that path is not in use and the caller
 * uses MPI. No data moves. */
bool noc_barrier_local(tg_core_set set, tg_status *st);
/* Agreement over every core through the two-level path: *first is the lowest
 * failing rank (nranks: none) and, when there is one, *code and msg
 * [TG_ERR_MSG_MAX] its status and message. False when the path is not in use. */
bool noc_agree_local(tg_status st, int *first, int *code, char *msg);
/* tg_noc_reduce through the two-level path; false when it is not in use. */
bool noc_reduce_local(const double *in, double *out, int n, const char *ops);

/* A fenced group multicast's handover on this node (TTNN's multicast semaphores, as
 * the device's readers run them): the root says its source is ready, each receiver
 * waits for that, fetches, and says it is done, and the root waits for its
 * receivers before it changes its source. Nobody else waits. Every member of the set
 * calls one of publish (the root), await + done (a receiver) or skip, in the same
 * order of handovers on that set, so the calls number them alike everywhere. A
 * root's done count runs on over its handovers on the set: collect waits until every
 * receiver of every handover it has published there is done (before publish: the
 * earlier ones; after: this one too). noc_mcast_local: whether the path is in use and the set's
 * members are all on this node (the same answer on every member). */
bool noc_mcast_local(tg_core_set set);
void noc_mcast_publish(tg_core_set set, int receivers);
void noc_mcast_await(tg_core_set set, int root);
void noc_mcast_done(tg_core_set set, int root);
void noc_mcast_collect(tg_core_set set);
void noc_mcast_skip(tg_core_set set);

/* ---- watchdog and faults (watch.c) ---- */

typedef enum {
    NOC_WAIT_BARRIER_ALL,
    NOC_WAIT_BARRIER_ROW,
    NOC_WAIT_BARRIER_COL,
    NOC_WAIT_AGREE,
    NOC_WAIT_REDUCE,
    NOC_WAIT_REQUESTS,
    NOC_WAIT_SEMAPHORE,
    NOC_WAIT_MCAST,
} noc_wait_kind;

/* Reads TTGRID_TIMEOUT and TTGRID_FAULT (usage errors, the same on every rank). */
tg_status noc_watch_init(void);
/* The board of the node's waits lives in the node's segment (`board`, of
 * noc_watch_board_bytes(nlocal) bytes, zeroed); NULL: this core keeps its own.
 * `index` of `nnodes`: the node's turn to report. */
size_t noc_watch_board_bytes(int nlocal);
void noc_watch_attach(void *board, int nlocal, int local, int index, int nnodes);
void noc_watch_detach(void);
/* Whether the watchdog is on (a wait then polls instead of blocking in MPI). */
bool noc_watch_on(void);
/* Brackets a wait of this core (nested waits count as the outermost). */
void noc_watch_begin(noc_wait_kind what);
void noc_watch_end(void);
/* Called while waiting: ends the job (one line, MPI_Abort) when this core has waited
 * longer than TTGRID_TIMEOUT; otherwise returns the nanoseconds until it would
 * (-1: no watchdog, sleep as long as you like). */
int64_t noc_watch_poll(void);
/* At the entry of every call of src/noc: the armed fault fires when this is its
 * rank and its op's scope is open. `transfer`: the call may fail alone (it returns
 * the error); otherwise the error waits for the next agreement. */
tg_status noc_fault(const char *call, bool transfer);
/* At every agreement: a fault that fired enters it as this core's failure. */
tg_status noc_fault_agree(tg_status st);

/* ---- the job's end (kill.c) ---- */

/* The folder where Open MPI's osc sm backs its windows with files
 * (OMPI_MCA_osc_sm_backing_directory, else /dev/shm); init.c. */
const char *noc_osc_sm_dir(void);

/* Installs the handlers of SIGTERM, SIGINT and SIGHUP that remove the registered
 * files (tg_noc_remove_on_kill) and die of the signal. */
void noc_kill_init(void);
/* Removes the registered files now (the watchdog, before its MPI_Abort). */
void noc_kill_remove_files(void);

/* ---- waiting (sync.c) ---- */

/* Exponential back-off for polite waiting: pause() sleeps 1 us, then twice as
 * long each time up to a cap (10 ms, TTGRID_WAIT_CAP_US), when the node is
 * oversubscribed; otherwise it returns at once and the caller spins. */
typedef struct noc_backoff {
    long ns, cap;
} noc_backoff;
void noc_backoff_init(noc_backoff *b);
void noc_backoff_pause(noc_backoff *b);

/* Completes non-blocking MPI requests. When the node is oversubscribed the wait is
 * polite: test, then sleep with exponential back-off (1 us doubling to a cap), so
 * a waiting core leaves the processor to the cores that compute (DESIGN.md section
 * 1, "waiting"). Otherwise it tests in a loop (MPI_Waitall when the watchdog is
 * off). */
tg_status noc_waitall_polite(int n, MPI_Request *reqs);
/* The same with the back-off capped at cap_ns (or the usual cap if lower). */
tg_status noc_wait_requests(int n, MPI_Request *reqs, long cap_ns);

#endif
