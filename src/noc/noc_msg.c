/* Two-sided transfers: MPI messages served by the target (one implementation of
 * src/noc's transport table; noc_rma.c is the other).
 *
 * A transfer is a request message to the target, which serves it (a read is
 * answered with the data, a write is received and acknowledged) whenever it waits
 * inside src/noc; the barriers wait for the answers and acknowledgements. So every
 * wait here serves: barriers always take MPI (a core asleep on a futex could not
 * answer), and a group multicast is pushed by its root between two barriers of the
 * set. It never counts traffic: noc.c does, before calling in. */
#include "noc_impl.h"

#include <stdlib.h>
#include <string.h>

/* Tags: requests; answers to the requester (read data, write acknowledgements)
 * with tags the requester picks; payloads to the target with the requester's tag
 * plus TAG_PAYLOAD, so the two directions never match each other's receives. */
enum { TAG_REQ = 1, TAG_FIRST_REPLY = 16, TAG_LAST_REPLY = 1 << 28, TAG_PAYLOAD = 1 << 28 };
enum { REQ_READ = 1, REQ_WRITE = 2, REQ_SEM = 3 };

typedef struct msg_req {
    int32_t kind, win, tag, sem_n;
    uint64_t disp, tstride, blen, count;
} msg_req;

/* An outstanding request of mine: a read's answer, a write's payload or its
 * acknowledgement. */
typedef struct msg_pending {
    MPI_Request req;
    uint8_t *pack; /* strided read: packed reply to scatter, then free; write: packed payload */
    uint8_t *dst;  /* where the packed blocks go */
    size_t blen, dst_stride;
    int64_t count;
} msg_pending;

static msg_pending *pend;
static int npend, cappend;
static int next_tag_;

static void msg_start(void) {
    next_tag_ = TAG_FIRST_REPLY;
    npend = 0;
}

static void msg_stop(void) {
    free(pend);
    pend = NULL;
    npend = cappend = 0;
}

static int next_tag(void) {
    int t = next_tag_++;
    if (next_tag_ >= TAG_LAST_REPLY - 1) next_tag_ = TAG_FIRST_REPLY;
    return t;
}

static msg_pending *pend_add(void) {
    if (npend == cappend) {
        int cap = cappend ? 2 * cappend : 64;
        msg_pending *p = realloc(pend, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        pend = p;
        cappend = cap;
    }
    msg_pending *p = &pend[npend++];
    memset(p, 0, sizeof *p);
    return p;
}

static void pack_blocks(uint8_t *dst, const uint8_t *src, size_t stride, size_t blen,
                        int64_t count) {
    for (int64_t k = 0; k < count; k++) memcpy(dst + k * blen, src + k * stride, blen);
}

static void unpack_blocks(uint8_t *dst, size_t stride, const uint8_t *src, size_t blen,
                          int64_t count) {
    for (int64_t k = 0; k < count; k++) memcpy(dst + k * stride, src + k * blen, blen);
}

/* ---- serving ---- */

/* Serves one request from `src`; the request header is already received. */
static tg_status serve(const msg_req *q, int src) {
    uint8_t *at = tg_noc.base[q->win] + q->disp;
    size_t total = (size_t)(q->blen * q->count);
    if (q->kind == REQ_SEM) {
        __atomic_add_fetch((int32_t *)at, q->sem_n, __ATOMIC_SEQ_CST);
        return TG_OK;
    }
    bool contiguous = q->count == 1 || q->tstride == q->blen;
    uint8_t *tmp = contiguous ? NULL : malloc(total ? total : 1);
    if (!contiguous && !tmp)
        return tg_err(TG_ERR_RUNTIME, "NoC: out of host memory serving %zu B to core %d", total,
                      src);
    int rc;
    if (q->kind == REQ_READ) {
        if (tmp) pack_blocks(tmp, at, q->tstride, q->blen, (int64_t)q->count);
        rc = MPI_Send(tmp ? tmp : at, (int)total, MPI_BYTE, src, q->tag, tg_noc.comm);
    } else {
        rc = MPI_Recv(tmp ? tmp : at, (int)total, MPI_BYTE, src, q->tag + TAG_PAYLOAD, tg_noc.comm,
                      MPI_STATUS_IGNORE);
        if (tmp && rc == MPI_SUCCESS)
            unpack_blocks(at, q->tstride, tmp, q->blen, (int64_t)q->count);
        if (rc == MPI_SUCCESS) rc = MPI_Send(NULL, 0, MPI_BYTE, src, q->tag + 1, tg_noc.comm);
    }
    free(tmp);
    return rc == MPI_SUCCESS ? TG_OK : noc_mpi_err(rc, "serving another core's request");
}

/* Serves every request that has arrived; *served tells whether there was one. */
static tg_status serve_pending(bool *served) {
    *served = false;
    for (;;) {
        int flag = 0;
        MPI_Status status;
        int rc = MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQ, tg_noc.comm, &flag, &status);
        if (rc != MPI_SUCCESS) return noc_mpi_err(rc, "probing for requests");
        if (!flag) return TG_OK;
        *served = true;
        msg_req q;
        rc = MPI_Recv(&q, (int)sizeof q, MPI_BYTE, status.MPI_SOURCE, TAG_REQ, tg_noc.comm,
                      MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) return noc_mpi_err(rc, "receiving a request");
        TG_CHECK(serve(&q, status.MPI_SOURCE));
    }
}

static tg_status msg_wait(int n, MPI_Request *reqs) {
    noc_backoff b;
    noc_backoff_init(&b);
    noc_watch_begin(NOC_WAIT_REQUESTS);
    tg_status st = TG_OK;
    for (;;) {
        /* a core that has just served is likely to be asked again: wait briefly */
        bool served;
        if ((st = serve_pending(&served)) != TG_OK) break;
        if (served) noc_backoff_init(&b);
        int done = 0;
        int rc = MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) {
            st = noc_mpi_err(rc, "waiting for its requests");
            break;
        }
        if (done) break;
        noc_watch_poll();
        noc_backoff_pause(&b);
    }
    noc_watch_end();
    return st;
}

/* ---- requests ---- */

static tg_status msg_move(int win, int target, size_t disp, size_t tstride, uint8_t *mem,
                          size_t mstride, size_t blen, int64_t count, bool write) {
    msg_req q = {.kind = write ? REQ_WRITE : REQ_READ,
                 .win = win,
                 .tag = next_tag(),
                 .disp = disp,
                 .tstride = tstride,
                 .blen = blen,
                 .count = (uint64_t)count};
    if (write) next_tag(); /* the acknowledgement uses tag + 1 */
    size_t total = blen * (size_t)count;
    msg_pending *p = pend_add();
    if (!p) return tg_err(TG_ERR_RUNTIME, "NoC: out of host memory for requests");
    bool contiguous = count == 1 || mstride == blen;
    int rc = MPI_Send(&q, (int)sizeof q, MPI_BYTE, target, TAG_REQ, tg_noc.comm);
    if (rc != MPI_SUCCESS) {
        npend--;
        return noc_mpi_err(rc, "sending a NoC request");
    }
    if (write) {
        uint8_t *src = mem;
        uint8_t *tmp = NULL;
        if (!contiguous) {
            tmp = malloc(total);
            if (!tmp) return tg_err(TG_ERR_RUNTIME, "NoC: out of host memory for %zu B", total);
            pack_blocks(tmp, mem, mstride, blen, count);
            src = tmp;
        }
        /* The target receives the payload while serving; a synchronous send would
         * deadlock if both sides write to each other, so this one is buffered by a
         * non-blocking send completed in the write barrier. */
        rc =
            MPI_Isend(src, (int)total, MPI_BYTE, target, q.tag + TAG_PAYLOAD, tg_noc.comm, &p->req);
        p->pack = tmp; /* freed when the send completes */
        msg_pending *ack = rc == MPI_SUCCESS ? pend_add() : NULL;
        if (rc == MPI_SUCCESS && !ack)
            return tg_err(TG_ERR_RUNTIME, "NoC: out of host memory for requests");
        if (rc == MPI_SUCCESS)
            rc = MPI_Irecv(NULL, 0, MPI_BYTE, target, q.tag + 1, tg_noc.comm, &ack->req);
    } else if (contiguous) {
        rc = MPI_Irecv(mem, (int)total, MPI_BYTE, target, q.tag, tg_noc.comm, &p->req);
    } else {
        p->pack = malloc(total);
        if (!p->pack) return tg_err(TG_ERR_RUNTIME, "NoC: out of host memory for %zu B", total);
        p->dst = mem, p->blen = blen, p->dst_stride = mstride, p->count = count;
        rc = MPI_Irecv(p->pack, (int)total, MPI_BYTE, target, q.tag, tg_noc.comm, &p->req);
    }
    return rc == MPI_SUCCESS ? TG_OK : noc_mpi_err(rc, "posting a NoC transfer");
}

/* Completes every request: reads land (and strided ones are scattered), write
 * payloads are sent and acknowledged. Reads and writes share one list, so both
 * barriers complete both. */
static tg_status complete(void) {
    int n = npend;
    if (!n) return TG_OK;
    tg_status st = TG_OK;
    MPI_Request *reqs = malloc((size_t)n * sizeof *reqs);
    if (!reqs) {
        for (int i = 0; i < n && st == TG_OK; i++) st = msg_wait(1, &pend[i].req);
    } else {
        for (int i = 0; i < n; i++) reqs[i] = pend[i].req;
        st = msg_wait(n, reqs);
        free(reqs);
    }
    for (int i = 0; i < n; i++) {
        msg_pending *p = &pend[i];
        if (p->dst && st == TG_OK) unpack_blocks(p->dst, p->dst_stride, p->pack, p->blen, p->count);
        free(p->pack);
    }
    npend = 0;
    return st;
}

/* ---- synchronisation ---- */

static tg_status msg_sync(tg_status st) {
    tg_status bst = noc_barrier_mpi(TG_SET_ALL);
    return tg_noc_agree(st != TG_OK ? st : bst);
}

/* The root pushes between two barriers of the set: the first one so that every
 * receiver is done with its dst buffer before it is written, the second one so
 * that the bytes are there when the call returns. */
static tg_status msg_mcast_group(tg_core_set set, tg_rect r, int root, size_t dst_off,
                                 size_t src_off, size_t bytes) {
    tg_status st = noc_barrier_mpi(set);
    if (tg_core_self()->rank == root && bytes > 0) {
        tg_status s = noc_mcast_push(r, dst_off, src_off, bytes);
        tg_status c = complete();
        if (st == TG_OK) st = s != TG_OK ? s : c;
    }
    tg_status b = noc_barrier_mpi(set);
    return st != TG_OK ? st : b;
}

static tg_status msg_sem_add(int core, size_t off, int32_t n) {
    if (core == tg_core_self()->rank) {
        __atomic_add_fetch((int32_t *)(tg_noc.base[WIN_L1] + off), n, __ATOMIC_SEQ_CST);
        return TG_OK;
    }
    msg_req q = {.kind = REQ_SEM, .win = WIN_L1, .sem_n = n, .disp = off, .count = 1};
    int rc = MPI_Send(&q, (int)sizeof q, MPI_BYTE, core, TAG_REQ, tg_noc.comm);
    return rc == MPI_SUCCESS ? TG_OK : noc_mpi_err(rc, "incrementing a semaphore");
}

static tg_status msg_sem_read(size_t off, int32_t *now) {
    bool served;
    TG_CHECK(serve_pending(&served));
    *now = __atomic_load_n((int32_t *)(tg_noc.base[WIN_L1] + off), __ATOMIC_SEQ_CST);
    return TG_OK;
}

static tg_status msg_sem_sub(size_t off, int32_t n) {
    __atomic_add_fetch((int32_t *)(tg_noc.base[WIN_L1] + off), -n, __ATOMIC_SEQ_CST);
    return TG_OK;
}

const noc_transport noc_msg = {
    .mode = TG_NOC_TWO_SIDED,
    .start = msg_start,
    .stop = msg_stop,
    .move = msg_move,
    .read_barrier = complete,
    .write_barrier = complete,
    .wait = msg_wait,
    .barrier = noc_barrier_mpi,
    .sync = msg_sync,
    .mcast_group = msg_mcast_group,
    .mcast_group_fenced = true,
    .sem_add = msg_sem_add,
    .sem_read = msg_sem_read,
    .sem_sub = msg_sem_sub,
};
