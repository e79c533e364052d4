/* One-sided transfers: MPI RMA on the L1 and DRAM windows (one implementation of
 * src/noc's transport table; noc_msg.c is the other).
 *
 * The windows are locked once (MPI_Win_lock_all, in init.c) for the whole run;
 * reads are MPI_Get, writes and multicast pushes MPI_Put, the read barrier is
 * MPI_Win_flush_local_all and the write barrier MPI_Win_flush_all; semaphores are
 * MPI atomics. A group multicast is fetched by its receivers, so nobody writes into
 * a receiver's L1 outside its own call and the group needs no barrier. Barriers take
 * the node-local futex path when there is one. It never counts traffic: noc.c does,
 * before calling in. */
#include "noc_impl.h"

#include <stdio.h>
#include <string.h>

static bool reads_open, writes_open; /* something to flush */

/* Committed hvector types, kept: the same shapes come back op after op, and making
 * and committing a type costs more than the transfer of a few pages. */
#define TYPE_CACHE 64
static struct {
    int64_t count;
    size_t blen, stride;
    MPI_Datatype type;
} types[TYPE_CACHE];
static int ntypes, next_type;

static MPI_Datatype strided_type(int64_t count, size_t blen, size_t stride) {
    for (int i = 0; i < ntypes; i++)
        if (types[i].count == count && types[i].blen == blen && types[i].stride == stride)
            return types[i].type;
    int at = ntypes < TYPE_CACHE ? ntypes++ : next_type++ % TYPE_CACHE;
    if (types[at].count) MPI_Type_free(&types[at].type); /* evicted */
    MPI_Type_create_hvector((int)count, (int)blen, (MPI_Aint)stride, MPI_BYTE, &types[at].type);
    MPI_Type_commit(&types[at].type);
    types[at].count = count, types[at].blen = blen, types[at].stride = stride;
    return types[at].type;
}

static void rma_start(void) {
    reads_open = writes_open = false;
}

static void rma_stop(void) {
    for (int i = 0; i < ntypes; i++) MPI_Type_free(&types[i].type);
    memset(types, 0, sizeof types);
    ntypes = next_type = 0;
}

static tg_status rma_move(int win, int target, size_t disp, size_t tstride, uint8_t *mem,
                          size_t mstride, size_t blen, int64_t count, bool write) {
    int rc = MPI_SUCCESS;
    if (count <= 64) {
        /* a few blocks: one contiguous operation each (cheaper than a datatype) */
        for (int64_t i = 0; i < count && rc == MPI_SUCCESS; i++) {
            uint8_t *m = mem + (size_t)i * mstride;
            MPI_Aint d = (MPI_Aint)(disp + (size_t)i * tstride);
            rc = write ? MPI_Put(m, (int)blen, MPI_BYTE, target, d, (int)blen, MPI_BYTE,
                                 tg_noc.win[win])
                       : MPI_Get(m, (int)blen, MPI_BYTE, target, d, (int)blen, MPI_BYTE,
                                 tg_noc.win[win]);
        }
    } else {
        MPI_Datatype tt = strided_type(count, blen, tstride),
                     mt = strided_type(count, blen, mstride);
        rc = write ? MPI_Put(mem, 1, mt, target, (MPI_Aint)disp, 1, tt, tg_noc.win[win])
                   : MPI_Get(mem, 1, mt, target, (MPI_Aint)disp, 1, tt, tg_noc.win[win]);
    }
    if (rc != MPI_SUCCESS) {
        char what[96];
        snprintf(what, sizeof what, "in a NoC %s of %zu B with core %d", write ? "write" : "read",
                 blen * (size_t)count, target);
        return noc_mpi_err(rc, what);
    }
    if (write)
        writes_open = true;
    else
        reads_open = true;
    return TG_OK;
}

static tg_status rma_read_barrier(void) {
    int rc = MPI_SUCCESS;
    if (reads_open)
        for (int w = 0; w < NWIN && rc == MPI_SUCCESS; w++)
            rc = MPI_Win_flush_local_all(tg_noc.win[w]);
    reads_open = false;
    return rc == MPI_SUCCESS ? TG_OK : noc_mpi_err(rc, "completing NoC reads");
}

static tg_status rma_write_barrier(void) {
    int rc = MPI_SUCCESS;
    if (writes_open)
        for (int w = 0; w < NWIN && rc == MPI_SUCCESS; w++) rc = MPI_Win_flush_all(tg_noc.win[w]);
    writes_open = false;
    return rc == MPI_SUCCESS ? TG_OK : noc_mpi_err(rc, "completing NoC writes");
}

static tg_status rma_barrier(tg_core_set set) {
    noc_win_sync();
    tg_status st;
    if (noc_barrier_local(set, &st)) {
        noc_win_sync();
        return st;
    }
    return noc_barrier_mpi(set);
}

static tg_status rma_sync(tg_status st) {
    if (!noc_local_sync()) {
        tg_status bst = rma_barrier(TG_SET_ALL);
        return tg_noc_agree(st != TG_OK ? st : bst);
    }
    /* The node-local agreement is itself a barrier over every core. */
    noc_win_sync();
    st = tg_noc_agree(st);
    noc_win_sync();
    return st;
}

/* A group multicast's delivery to me: the root copies its source into its own dst
 * when it is in the rectangle; a receiver fetches the root's source. (The root's
 * multicast is the transaction and its message, counted by noc.c.) */
static tg_status deliver(tg_rect r, int root, size_t dst_off, size_t src_off, size_t bytes) {
    tg_core *c = tg_core_self();
    if (bytes == 0 || !tg_rect_has(r, c->x, c->y)) return TG_OK;
    if (c->rank == root) {
        if (dst_off != src_off)
            memmove(tg_noc.base[WIN_L1] + dst_off, tg_noc.base[WIN_L1] + src_off, bytes);
        return TG_OK;
    }
    TG_CHECK(rma_move(WIN_L1, root, src_off, bytes, tg_noc.base[WIN_L1] + dst_off, bytes, bytes, 1,
                      false));
    return rma_read_barrier();
}

/* Receivers fetch: the copies run on every core in parallel, into the cache of the
 * core that uses them, and the root's source only has to stay put. */
static tg_status rma_mcast_group(tg_core_set set, tg_rect r, int root, size_t dst_off,
                                 size_t src_off, size_t bytes) {
    (void)set;
    return deliver(r, root, dst_off, src_off, bytes);
}

/* The fenced multicast of one root on one node: the receivers fetch as in
 * rma_mcast_group, and the fences become the root's word that its source is ready
 * and the receivers' counts of fetches done (noc_mcast_publish ...). `before`, the
 * root first waits for every earlier fetch from it on the set (its earlier sources
 * may be where it put this one); `after`, for this one's. A receiver counts itself
 * done even when its fetch failed, so that the root does not wait for it; the
 * failure reaches everyone at the next agreement. */
static tg_status rma_mcast_handover(tg_core_set set, tg_rect r, int root, size_t dst_off,
                                    size_t src_off, size_t bytes, bool before, bool after) {
    tg_core *c = tg_core_self();
    if (c->rank == root) {
        bool root_in = tg_rect_has(r, tg_core_x(c->grid, root), tg_core_y(c->grid, root));
        if (before) noc_mcast_collect(set);
        noc_win_sync(); /* the source, ready */
        noc_mcast_publish(set, r.w * r.h - (root_in ? 1 : 0));
        tg_status st = deliver(r, root, dst_off, src_off, bytes);
        if (after) noc_mcast_collect(set);
        noc_win_sync();
        return st;
    }
    if (!tg_rect_has(r, c->x, c->y)) {
        noc_mcast_skip(set);
        return TG_OK;
    }
    noc_mcast_await(set, root);
    noc_win_sync();
    tg_status st = deliver(r, root, dst_off, src_off, bytes);
    noc_mcast_done(set, root);
    return st;
}

static tg_status rma_sem_add(int core, size_t off, int32_t n) {
    int rc = MPI_Accumulate(&n, 1, MPI_INT32_T, core, (MPI_Aint)off, 1, MPI_INT32_T, MPI_SUM,
                            tg_noc.win[WIN_L1]);
    if (rc == MPI_SUCCESS) rc = MPI_Win_flush(core, tg_noc.win[WIN_L1]);
    return rc == MPI_SUCCESS ? TG_OK : noc_mpi_err(rc, "incrementing a semaphore");
}

/* The semaphore word of my L1 at off: `op` MPI_NO_OP reads it into *old, MPI_SUM
 * adds *n to it. */
static tg_status sem_op(size_t off, const int32_t *n, int32_t *old, MPI_Op op) {
    int me = tg_core_self()->rank;
    int rc = MPI_Fetch_and_op(n, old, MPI_INT32_T, me, (MPI_Aint)off, op, tg_noc.win[WIN_L1]);
    if (rc == MPI_SUCCESS) rc = MPI_Win_flush(me, tg_noc.win[WIN_L1]);
    return rc == MPI_SUCCESS ? TG_OK : noc_mpi_err(rc, "on a semaphore");
}

static tg_status rma_sem_read(size_t off, int32_t *now) {
    int32_t zero = 0;
    return sem_op(off, &zero, now, MPI_NO_OP);
}

static tg_status rma_sem_sub(size_t off, int32_t n) {
    int32_t neg = -n, old;
    return sem_op(off, &neg, &old, MPI_SUM);
}

const noc_transport noc_rma = {
    .mode = TG_NOC_ONE_SIDED,
    .start = rma_start,
    .stop = rma_stop,
    .move = rma_move,
    .read_barrier = rma_read_barrier,
    .write_barrier = rma_write_barrier,
    .wait = noc_waitall_polite,
    .barrier = rma_barrier,
    .sync = rma_sync,
    .mcast_group = rma_mcast_group,
    .mcast_group_handover = rma_mcast_handover,
    .sem_add = rma_sem_add,
    .sem_read = rma_sem_read,
    .sem_sub = rma_sem_sub,
};
