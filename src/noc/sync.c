/* Waiting and agreeing without burning the processor (DESIGN.md section 1,
 * "waiting"), part of src/noc: polite waits on MPI requests, agreement on errors
 * and reductions of statistics, and MPI's errors turned into ttgrid's.
 *
 * When the grid is oversubscribed (64 ranks on 2 cores), a rank that spins in MPI
 * takes the processor from the ranks that compute. Two remedies:
 *  - Waits on MPI requests test, then sleep with exponential back-off (1 us
 *    doubling to 10 ms): cheap while waiting, but a wait may overshoot its end by
 *    up to the time already waited, which adds up over many short waits.
 *  - Departure from DESIGN.md (which asks for back-off on every wait): barriers,
 *    agreements and reductions go through the node's shared segment (node.c)
 *    instead: a waiting rank sleeps in the kernel on a futex and the last rank to
 *    arrive wakes them all; it costs no processor while waiting and ends within
 *    microseconds; between nodes, one leader per node takes the MPI path. Measured
 *    with bench/bench_wait (README).
 * Every wait here is watched (watch.c). Nothing here moves tensor data; agreement
 * exchanges only status codes and the error message, reductions only timings and
 * sizes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "noc_impl.h"

tg_status noc_mpi_err(int rc, const char *what) {
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "code %d", rc);
    return tg_err(TG_ERR_RUNTIME, "MPI failed %s: %s", what, text);
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
    b->cap = wait_cap_ns();
}

void noc_backoff_pause(noc_backoff *b) {
    if (!tg_core_self()->oversubscribed) return;
    struct timespec ts = {b->ns / 1000000000L, b->ns % 1000000000L};
    nanosleep(&ts, NULL);
    b->ns = b->ns * 2 < b->cap ? b->ns * 2 : b->cap;
}

tg_status noc_waitall_polite(int n, MPI_Request *reqs) {
    return noc_wait_requests(n, reqs, wait_cap_ns());
}

tg_status noc_wait_requests(int n, MPI_Request *reqs, long cap_ns) {
    int rc;
    if (!tg_core_self()->oversubscribed && !noc_watch_on()) {
        rc = MPI_Waitall(n, reqs, MPI_STATUSES_IGNORE);
    } else {
        noc_watch_begin(NOC_WAIT_REQUESTS);
        noc_backoff b;
        noc_backoff_init(&b);
        if (cap_ns < b.cap) b.cap = cap_ns;
        for (;;) {
            int done = 0;
            rc = MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE);
            if (rc != MPI_SUCCESS || done) break;
            noc_watch_poll();
            noc_backoff_pause(&b);
        }
        noc_watch_end();
    }
    return rc == MPI_SUCCESS ? TG_OK : noc_mpi_err(rc, "waiting for its requests");
}

/* ---- agreement ---- */

/* Agreement through MPI over every core: *first the lowest failing rank (nranks:
 * none), and its status and message. */
static tg_status agree_mpi(tg_status st, int *first, int *code, char *msg) {
    tg_core *c = tg_core_self();
    int mine = st != TG_OK ? c->rank : c->nranks;
    MPI_Request req;
    int rc = MPI_Iallreduce(&mine, first, 1, MPI_INT, MPI_MIN, tg_noc.world, &req);
    if (rc != MPI_SUCCESS) return noc_mpi_err(rc, "in an agreement");
    TG_CHECK(noc_waitall_polite(1, &req));
    if (*first == c->nranks) return TG_OK;
    struct {
        int code;
        char msg[TG_ERR_MSG_MAX];
    } m;
    memset(&m, 0, sizeof m);
    if (c->rank == *first) {
        m.code = (int)st;
        snprintf(m.msg, sizeof m.msg, "%s", tg_err_msg());
    }
    rc = MPI_Ibcast(&m, (int)sizeof m, MPI_BYTE, *first, tg_noc.world, &req);
    if (rc != MPI_SUCCESS) return noc_mpi_err(rc, "in an agreement");
    TG_CHECK(noc_waitall_polite(1, &req));
    *code = m.code;
    memcpy(msg, m.msg, TG_ERR_MSG_MAX);
    return TG_OK;
}

tg_status tg_noc_agree(tg_status st) {
    tg_core *c = tg_core_self();
    (void)noc_fault("agreement", false);
    st = noc_fault_agree(st);
    int first = c->nranks, code = TG_OK;
    char msg[TG_ERR_MSG_MAX] = "";
    if (!noc_agree_local(st, &first, &code, msg)) {
        noc_watch_begin(NOC_WAIT_AGREE);
        tg_status mst = agree_mpi(st, &first, &code, msg);
        noc_watch_end();
        if (mst != TG_OK) return mst; /* MPI itself failed: the ranks cannot agree */
    }
    if (first == c->nranks) return TG_OK;
    if (c->rank != first) tg_err((tg_status)code, "%s", msg);
    return (tg_status)code;
}

/* ---- reductions ---- */

void tg_noc_reduce(const double *in, double *out, int n, const char *ops) {
    (void)noc_fault("reduction", false);
    if (noc_reduce_local(in, out, n, ops)) return;
    double sum[TG_REDUCE_MAX] = {0}, max[TG_REDUCE_MAX] = {0};
    MPI_Request req[2];
    noc_watch_begin(NOC_WAIT_REDUCE);
    int rc = MPI_Iallreduce(in, sum, n, MPI_DOUBLE, MPI_SUM, tg_noc.world, &req[0]);
    if (rc == MPI_SUCCESS)
        rc = MPI_Iallreduce(in, max, n, MPI_DOUBLE, MPI_MAX, tg_noc.world, &req[1]);
    bool ok = rc == MPI_SUCCESS && noc_waitall_polite(2, req) == TG_OK;
    noc_watch_end();
    /* statistics only: a failure of MPI shows as NaN rather than as a wrong figure */
    for (int i = 0; i < n; i++) out[i] = !ok ? NAN : ops[i] == 'm' ? max[i] : sum[i];
}
