/* NoC transfers between cores' L1, the mechanism-independent part; see noc.h for
 * the model.
 *
 * Every public transfer checks its addresses, counts its traffic (tallies,
 * traffic.c) and delivers to its own core by a copy; everything else goes through
 * the table of the mechanism chosen at tg_noc_init (noc_rma.c, noc_msg.c). This file
 * must never ask which mechanism is in use: a difference between them belongs in
 * their table. */
#include "noc_impl.h"

#include <string.h>

noc_state tg_noc;

tg_status tg_noc_mode_parse(const char *s, tg_noc_mode *out) {
    if (!strcmp(s, "one-sided") || !strcmp(s, "rma"))
        *out = TG_NOC_ONE_SIDED;
    else if (!strcmp(s, "two-sided") || !strcmp(s, "p2p"))
        *out = TG_NOC_TWO_SIDED;
    else
        return tg_err(TG_ERR_USAGE, "unknown NoC mode '%s' (one-sided, two-sided)", s);
    return TG_OK;
}

const char *tg_noc_mode_name(tg_noc_mode m) {
    return m == TG_NOC_ONE_SIDED ? "one-sided" : "two-sided";
}

void noc_tally(tg_tally *t) {
    t->grid = tg_core_self()->grid;
    t->nbanks = tg_noc.banks;
    t->k = tg_stats_sink(&t->links, &t->banks);
}

void noc_win_sync(void) {
    for (int w = 0; w < NWIN; w++) MPI_Win_sync(tg_noc.win[w]);
}

/* ---- transfers ---- */

static tg_status check_range(const char *what, int win, int target, size_t disp, size_t tstride,
                             size_t blen, int64_t count, size_t local_off, size_t mstride,
                             bool local_in_l1) {
    tg_core *c = tg_core_self();
    if (target < 0 || target >= c->nranks)
        return tg_err(TG_ERR_RUNTIME, "NoC %s: core %d does not exist (grid of %d cores)", what,
                      target, c->nranks);
    if (count <= 0 || blen == 0) return TG_OK;
    size_t last = (size_t)(count - 1);
    size_t tend = disp + last * tstride + blen;
    size_t limit = win == WIN_L1
                       ? c->l1.size
                       : c->dram_bank_bytes * (size_t)((tg_noc.banks + c->nranks - 1) / c->nranks);
    if (tend > limit || tend < disp)
        return tg_err(TG_ERR_RUNTIME, "NoC %s: %s address %zu..%zu of core %d is beyond its %zu B",
                      what, win == WIN_L1 ? "L1" : "DRAM", disp, tend, target, limit);
    size_t lend = local_off + last * mstride + blen;
    if (local_in_l1 && (lend > c->l1.size || lend < local_off))
        return tg_err(TG_ERR_RUNTIME, "NoC %s: local L1 address %zu..%zu is beyond its %zu B", what,
                      local_off, lend, c->l1.size);
    return TG_OK;
}

tg_status noc_move(int win, int target, size_t disp, size_t tstride, uint8_t *mem, size_t mstride,
                   size_t blen, int64_t count, bool write) {
    if (count <= 0 || blen == 0) return TG_OK;
    TG_CHECK(noc_fault(win == WIN_DRAM ? write ? "DRAM write" : "DRAM read"
                       : write         ? "NoC write"
                                       : "NoC read",
                       true));
    tg_stats_now()->messages++;
    if (target == tg_core_self()->rank) {
        /* Loopback: the NoC delivers to its own core without a message (one-sided
         * too: my own window is my memory, so an MPI call would only add cost). */
        uint8_t *at = tg_noc.base[win] + disp;
        for (int64_t i = 0; i < count; i++) {
            if (write)
                memmove(at + i * tstride, mem + i * mstride, blen);
            else
                memmove(mem + i * mstride, at + i * tstride, blen);
        }
        return TG_OK;
    }
    return tg_noc.t->move(win, target, disp, tstride, mem, mstride, blen, count, write);
}

tg_status tg_noc_read_barrier(void) {
    (void)noc_fault("read barrier", false);
    return tg_noc.t->read_barrier();
}

tg_status tg_noc_write_barrier(void) {
    (void)noc_fault("write barrier", false);
    return tg_noc.t->write_barrier();
}

tg_status tg_noc_read_strided(int src, size_t src_off, size_t src_stride, size_t dst_off,
                              size_t dst_stride, size_t blen, int64_t count) {
    TG_CHECK(check_range("read", WIN_L1, src, src_off, src_stride, blen, count, dst_off, dst_stride,
                         true));
    if (count <= 0 || blen == 0) return TG_OK;
    tg_tally t;
    noc_tally(&t);
    tg_tally_read(&t, tg_core_self()->rank, src, (uint64_t)blen * (uint64_t)count, (uint64_t)count);
    return noc_move(WIN_L1, src, src_off, src_stride, tg_noc.base[WIN_L1] + dst_off, dst_stride,
                    blen, count, false);
}

tg_status tg_noc_read(int src, size_t src_off, size_t dst_off, size_t bytes) {
    return tg_noc_read_strided(src, src_off, bytes, dst_off, bytes, bytes, 1);
}

tg_status tg_noc_write(int dst, size_t dst_off, size_t src_off, size_t bytes) {
    TG_CHECK(check_range("write", WIN_L1, dst, dst_off, bytes, bytes, 1, src_off, bytes, true));
    if (bytes == 0) return TG_OK;
    tg_tally t;
    noc_tally(&t);
    tg_tally_write(&t, tg_core_self()->rank, dst, bytes, 1);
    return noc_move(WIN_L1, dst, dst_off, bytes, tg_noc.base[WIN_L1] + src_off, bytes, bytes, 1,
                    true);
}

static tg_status check_rect(tg_rect r) {
    tg_core *c = tg_core_self();
    if (r.w > 0 && r.h > 0 && r.x0 >= 0 && r.y0 >= 0 && r.x0 + r.w <= c->grid.w &&
        r.y0 + r.h <= c->grid.h)
        return TG_OK;
    return tg_err(TG_ERR_RUNTIME,
                  "NoC multicast: rectangle (%d,%d)+%dx%d is outside the %dx%d grid", r.x0, r.y0,
                  r.w, r.h, c->grid.w, c->grid.h);
}

/* Counts one multicast by this core of `bytes` to rectangle r along its route. */
static void count_mcast(tg_rect r, size_t bytes) {
    tg_tally t;
    noc_tally(&t);
    tg_tally_mcast(&t, tg_core_self()->rank, r, bytes);
}

tg_status noc_mcast_push(tg_rect r, size_t dst_off, size_t src_off, size_t bytes) {
    tg_core *c = tg_core_self();
    uint8_t *src = tg_noc.base[WIN_L1] + src_off;
    for (int y = r.y0; y < r.y0 + r.h; y++)
        for (int x = r.x0; x < r.x0 + r.w; x++) {
            int dst = tg_core_rank(c->grid, x, y);
            if (dst == c->rank) {
                if (dst_off != src_off) memmove(tg_noc.base[WIN_L1] + dst_off, src, bytes);
                continue;
            }
            TG_CHECK(noc_move(WIN_L1, dst, dst_off, bytes, src, bytes, bytes, 1, true));
        }
    return TG_OK;
}

tg_status tg_noc_mcast(tg_rect r, size_t dst_off, size_t src_off, size_t bytes) {
    TG_CHECK(check_rect(r));
    TG_CHECK(check_range("multicast", WIN_L1, tg_core_self()->rank, dst_off, bytes, bytes, 1,
                         src_off, bytes, true));
    if (bytes == 0) return TG_OK;
    count_mcast(r, bytes);
    return noc_mcast_push(r, dst_off, src_off, bytes);
}

/* A group multicast's checks, fault point and the root's count. */
static tg_status mcast_group_begin(tg_rect r, int root, size_t dst_off, size_t src_off,
                                   size_t bytes) {
    TG_CHECK(check_rect(r));
    TG_CHECK(
        check_range("multicast", WIN_L1, root, src_off, bytes, bytes, 1, dst_off, bytes, true));
    (void)noc_fault("group multicast", false);
    if (tg_core_self()->rank == root && bytes > 0) count_mcast(r, bytes);
    return TG_OK;
}

tg_status tg_noc_mcast_group(tg_core_set set, tg_rect r, int root, size_t dst_off, size_t src_off,
                             size_t bytes) {
    TG_CHECK(mcast_group_begin(r, root, dst_off, src_off, bytes));
    return tg_noc.t->mcast_group(set, r, root, dst_off, src_off, bytes);
}

tg_status tg_noc_mcast_group_fenced(tg_core_set set, tg_rect r, int root, size_t dst_off,
                                    size_t src_off, size_t bytes, bool before, bool after,
                                    bool one_root) {
    bool own = tg_noc.t->mcast_group_fenced;
    if (one_root && !own && tg_noc.t->mcast_group_handover && noc_mcast_local(set)) {
        TG_CHECK(mcast_group_begin(r, root, dst_off, src_off, bytes));
        return tg_noc.t->mcast_group_handover(set, r, root, dst_off, src_off, bytes, before, after);
    }
    if (before && !own) TG_CHECK(tg_noc_barrier(set));
    TG_CHECK(tg_noc_mcast_group(set, r, root, dst_off, src_off, bytes));
    if (after && !own) TG_CHECK(tg_noc_barrier(set));
    return TG_OK;
}

/* ---- synchronisation ---- */

tg_status noc_barrier_mpi(tg_core_set set) {
    static const noc_wait_kind kind[] = {NOC_WAIT_BARRIER_ALL, NOC_WAIT_BARRIER_ROW,
                                         NOC_WAIT_BARRIER_COL};
    MPI_Comm comm = set == TG_SET_ROW ? tg_noc.row : set == TG_SET_COL ? tg_noc.col : tg_noc.comm;
    noc_win_sync();
    MPI_Request req;
    int rc = MPI_Ibarrier(comm, &req);
    if (rc != MPI_SUCCESS) return noc_mpi_err(rc, "in a barrier");
    noc_watch_begin(kind[set]);
    tg_status st = tg_noc.t->wait(1, &req);
    noc_watch_end();
    noc_win_sync();
    return st;
}

tg_status tg_noc_barrier(tg_core_set set) {
    (void)noc_fault("barrier", false);
    return tg_noc.t->barrier(set);
}

tg_status tg_noc_sync(tg_status st) {
    return tg_noc.t->sync(st);
}

tg_status tg_noc_sem_alloc(const char *name, size_t *off) {
    TG_CHECK(tg_core_alloc(name, sizeof(int32_t), off));
    memset(tg_noc.base[WIN_L1] + *off, 0, sizeof(int32_t));
    MPI_Win_sync(tg_noc.win[WIN_L1]);
    return TG_OK;
}

tg_status tg_noc_sem_inc(int core, size_t off, int n) {
    TG_CHECK(check_range("semaphore", WIN_L1, core, off, 4, 4, 1, 0, 4, false));
    TG_CHECK(noc_fault("semaphore increment", true));
    tg_counters *k = tg_stats_now();
    k->noc_transactions++;
    k->messages++;
    return tg_noc.t->sem_add(core, off, (int32_t)n);
}

tg_status tg_noc_sem_wait(size_t off, int value) {
    (void)noc_fault("semaphore wait", false);
    noc_backoff b;
    noc_backoff_init(&b);
    noc_watch_begin(NOC_WAIT_SEMAPHORE);
    tg_status st;
    int32_t now;
    while ((st = tg_noc.t->sem_read(off, &now)) == TG_OK && now < value) {
        noc_watch_poll();
        noc_backoff_pause(&b);
    }
    noc_watch_end();
    TG_CHECK(st);
    TG_CHECK(tg_noc.t->sem_sub(off, (int32_t)value));
    MPI_Win_sync(tg_noc.win[WIN_L1]);
    return TG_OK;
}
