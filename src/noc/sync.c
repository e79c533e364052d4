/* Waiting and agreeing without burning the processor (DESIGN.md section 1,
 * "waiting"), part of src/noc: barriers on one node, polite waits on MPI requests,
 * agreement on errors and reductions of statistics.
 *
 * When the grid is oversubscribed (64 ranks on 2 cores), a rank that spins in MPI
 * takes the processor from the ranks that compute. Two remedies:
 *  - Waits on MPI requests test, then sleep with exponential back-off (1 us
 *    doubling to 10 ms): cheap while waiting, but a wait may overshoot its end by
 *    up to the time already waited, which adds up over many short waits.
 *  - Departure from DESIGN.md (which asks for back-off on every wait): barriers
 *    and agreements, when every rank is on one node, go through a small shared
 *    memory segment instead. A waiting rank sleeps in the kernel on a futex and the
 *    last rank to arrive wakes them all: it costs no processor while waiting and
 *    ends within microseconds. Measured with bench/bench_wait (README).
 * Nothing here moves tensor data; agreement exchanges only status codes and the
 * error message, reductions only timings and sizes. */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "noc_impl.h"

/* One barrier: arrivals and a generation number that the last arrival bumps. */
typedef struct barrier_slot {
    _Atomic uint32_t count;
    _Atomic uint32_t gen;
    uint32_t n;
    char pad[52]; /* one cache line each */
} barrier_slot;

typedef struct noc_sync {
    MPI_Win win;
    barrier_slot *slots; /* [0] all, [1 + y] grid row y, [1 + H + x] grid column x */
    /* Two sets of slots, used in turn by successive agreements and reductions: a
     * rank that has read one set can write the next while slower ranks still read
     * the first, so one barrier per call suffices (a rank reaches the call after
     * next only once everyone has passed the next call's barrier). */
    int32_t *status[2]; /* [P] for agreement */
    double *values[2];  /* [P][TG_REDUCE_MAX] for reductions */
    char *msgs[2];      /* [P][TG_ERR_MSG_MAX] */
    int turn;
} noc_sync;

static noc_sync *node_sync; /* NULL: no node-local path */

static long futex(_Atomic uint32_t *addr, int op, uint32_t val) {
    return syscall(SYS_futex, (uint32_t *)addr, op, val, NULL, NULL, 0);
}

static void slot_wait(barrier_slot *s) {
    uint32_t gen = atomic_load(&s->gen);
    if (atomic_fetch_add(&s->count, 1) + 1 == s->n) {
        atomic_store(&s->count, 0);
        atomic_fetch_add(&s->gen, 1);
        futex(&s->gen, FUTEX_WAKE, INT_MAX);
        return;
    }
    while (atomic_load(&s->gen) == gen) futex(&s->gen, FUTEX_WAIT, gen);
}

void noc_sync_init(void) {
    tg_core *c = tg_core_self();
    node_sync = NULL;
    const char *env = getenv("TTGRID_FUTEX");
    bool want = env && *env ? atoi(env) != 0 : c->oversubscribed;
    MPI_Comm node;
    MPI_Comm_split_type(tg_noc.world, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int local, all_local;
    MPI_Comm_size(node, &local);
    all_local = local == c->nranks;
    if (!want || !all_local) {
        MPI_Comm_free(&node);
        return;
    }
    int P = c->nranks, nslots = 1 + c->grid.h + c->grid.w;
    /* each set: P status words padded to 8 bytes, P x TG_REDUCE_MAX doubles, P
     * messages; a set spans whole cache lines, so the doubles of both sets align */
    size_t status_bytes = (size_t)(P + (P & 1)) * sizeof(int32_t);
    size_t per =
        status_bytes + (size_t)P * TG_REDUCE_MAX * sizeof(double) + (size_t)P * TG_ERR_MSG_MAX;
    per = (per + 63) / 64 * 64;
    size_t bytes = (size_t)nslots * sizeof(barrier_slot) + 2 * per;
    noc_sync *s = calloc(1, sizeof *s);
    void *base = NULL;
    int ok =
        s != NULL && MPI_Win_allocate_shared(c->rank == 0 ? (MPI_Aint)bytes : 0, 1, MPI_INFO_NULL,
                                             node, &base, &s->win) == MPI_SUCCESS;
    int all_ok;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, tg_noc.world);
    if (!all_ok) {
        if (ok) MPI_Win_free(&s->win);
        free(s);
        MPI_Comm_free(&node);
        return;
    }
    MPI_Aint size;
    int disp;
    MPI_Win_shared_query(s->win, 0, &size, &disp, &base);
    s->slots = base;
    char *at = (char *)(s->slots + nslots);
    for (int t = 0; t < 2; t++) {
        s->status[t] = (int32_t *)at;
        s->values[t] = (double *)(at + status_bytes);
        s->msgs[t] = (char *)(s->values[t] + (size_t)P * TG_REDUCE_MAX);
        at += per;
    }
    if (c->rank == 0) {
        memset(base, 0, bytes);
        s->slots[0].n = (uint32_t)P;
        for (int y = 0; y < c->grid.h; y++) s->slots[1 + y].n = (uint32_t)c->grid.w;
        for (int x = 0; x < c->grid.w; x++) s->slots[1 + c->grid.h + x].n = (uint32_t)c->grid.h;
    }
    MPI_Barrier(tg_noc.world);
    MPI_Comm_free(&node);
    node_sync = s;
}

void noc_sync_finalize(void) {
    if (!node_sync) return;
    MPI_Win_free(&node_sync->win);
    free(node_sync);
    node_sync = NULL;
}

bool noc_local_sync(void) {
    return node_sync != NULL;
}

bool noc_barrier_local(tg_core_set set) {
    tg_core *c = tg_core_self();
    if (!node_sync) return false;
    int slot = set == TG_SET_ROW ? 1 + c->y : set == TG_SET_COL ? 1 + c->grid.h + c->x : 0;
    slot_wait(&node_sync->slots[slot]);
    return true;
}

/* ---- back-off for MPI requests ---- */

/* Back-off cap. DESIGN.md section 1 measured 1.13x slow-down of computing ranks at
 * a 10 ms cap against 1.7x at 1 ms; exponential back-off keeps the overshoot below
 * the time already waited. TTGRID_WAIT_CAP_US overrides. */
static long wait_cap_ns(void) {
    static long cap;
    if (!cap) {
        const char *env = getenv("TTGRID_WAIT_CAP_US");
        long us = env ? atol(env) : 10000;
        cap = (us > 0 ? us : 10000) * 1000L;
    }
    return cap;
}

void noc_backoff_init(noc_backoff *b) {
    b->ns = 1000;
}

void noc_backoff_pause(noc_backoff *b) {
    if (!tg_core_self()->oversubscribed) return;
    struct timespec ts = {b->ns / 1000000000L, b->ns % 1000000000L};
    nanosleep(&ts, NULL);
    b->ns = b->ns * 2 < wait_cap_ns() ? b->ns * 2 : wait_cap_ns();
}

void noc_waitall_polite(int n, MPI_Request *reqs) {
    if (!tg_core_self()->oversubscribed) {
        MPI_Waitall(n, reqs, MPI_STATUSES_IGNORE);
        return;
    }
    noc_backoff b;
    noc_backoff_init(&b);
    for (;;) {
        int done = 0;
        MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE);
        if (done) return;
        noc_backoff_pause(&b);
    }
}

/* ---- agreement ---- */

tg_status tg_noc_agree(tg_status st) {
    tg_core *c = tg_core_self();
    int first = c->nranks;
    int code = TG_OK;
    char msg[TG_ERR_MSG_MAX] = "";
    if (node_sync) {
        noc_sync *s = node_sync;
        int t = s->turn;
        s->turn ^= 1;
        s->status[t][c->rank] = (int32_t)st;
        if (st != TG_OK)
            snprintf(s->msgs[t] + (size_t)c->rank * TG_ERR_MSG_MAX, TG_ERR_MSG_MAX, "%s",
                     tg_err_msg());
        noc_barrier_local(TG_SET_ALL);
        for (int r = 0; r < c->nranks && first == c->nranks; r++)
            if (s->status[t][r] != TG_OK) first = r;
        if (first < c->nranks) {
            code = s->status[t][first];
            memcpy(msg, s->msgs[t] + (size_t)first * TG_ERR_MSG_MAX, TG_ERR_MSG_MAX);
        }
    } else {
        int mine = st != TG_OK ? c->rank : c->nranks;
        MPI_Request req;
        MPI_Iallreduce(&mine, &first, 1, MPI_INT, MPI_MIN, tg_noc.world, &req);
        noc_waitall_polite(1, &req);
        if (first == c->nranks) return TG_OK;
        struct {
            int code;
            char msg[TG_ERR_MSG_MAX];
        } m;
        memset(&m, 0, sizeof m);
        if (c->rank == first) {
            m.code = (int)st;
            snprintf(m.msg, sizeof m.msg, "%s", tg_err_msg());
        }
        MPI_Ibcast(&m, (int)sizeof m, MPI_BYTE, first, tg_noc.world, &req);
        noc_waitall_polite(1, &req);
        code = m.code;
        memcpy(msg, m.msg, sizeof msg);
    }
    if (first == c->nranks) return TG_OK;
    if (c->rank != first) tg_err((tg_status)code, "%s", msg);
    return (tg_status)code;
}

/* ---- reductions ---- */

void tg_noc_reduce(const double *in, double *out, int n, const char *ops) {
    tg_core *c = tg_core_self();
    if (node_sync) {
        noc_sync *s = node_sync;
        int t = s->turn;
        s->turn ^= 1;
        memcpy(s->values[t] + (size_t)c->rank * TG_REDUCE_MAX, in, (size_t)n * sizeof *in);
        noc_barrier_local(TG_SET_ALL);
        for (int i = 0; i < n; i++) {
            double v = s->values[t][i];
            for (int r = 1; r < c->nranks; r++) {
                double x = s->values[t][(size_t)r * TG_REDUCE_MAX + i];
                v = ops[i] == 'm' ? (x > v ? x : v) : v + x;
            }
            out[i] = v;
        }
        return;
    }
    double sum[TG_REDUCE_MAX], max[TG_REDUCE_MAX];
    MPI_Request req[2];
    MPI_Iallreduce(in, sum, n, MPI_DOUBLE, MPI_SUM, tg_noc.world, &req[0]);
    MPI_Iallreduce(in, max, n, MPI_DOUBLE, MPI_MAX, tg_noc.world, &req[1]);
    noc_waitall_polite(2, req);
    for (int i = 0; i < n; i++) out[i] = ops[i] == 'm' ? max[i] : sum[i];
}
