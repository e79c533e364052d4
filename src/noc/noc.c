/* NoC transfers between cores' L1, on MPI; see noc.h for the model.
 *
 * One-sided: the L1 and DRAM windows are locked once (MPI_Win_lock_all) for the
 * whole run; reads are MPI_Get, writes and multicasts MPI_Put, the read barrier is
 * MPI_Win_flush_local_all and the write barrier MPI_Win_flush_all.
 * Two-sided: a transfer is a request message to the target, which serves it (a
 * read is answered with the data, a write is received and acknowledged) whenever it
 * waits inside src/noc; the barriers wait for the answers and acknowledgements. */
#include "noc_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

noc_state tg_noc;

/* Tags: requests; answers to the requester (read data, write acknowledgements)
 * with tags the requester picks; payloads to the target with the requester's tag
 * plus TAG_PAYLOAD, so the two directions never match each other's receives. */
enum { TAG_REQ = 1, TAG_FIRST_REPLY = 16, TAG_LAST_REPLY = 1 << 28, TAG_PAYLOAD = 1 << 28 };
enum { REQ_READ = 1, REQ_WRITE = 2, REQ_SEM = 3 };

typedef struct noc_req {
    int32_t kind, win, tag, sem_n;
    uint64_t disp, tstride, blen, count;
} noc_req;

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

static void free_types(void) {
    for (int i = 0; i < ntypes; i++) MPI_Type_free(&types[i].type);
    memset(types, 0, sizeof types);
    ntypes = next_type = 0;
}

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

tg_noc_mode tg_noc_current_mode(void) {
    return tg_noc.mode;
}

tg_status tg_noc_init(tg_noc_mode mode) {
    tg_core *c = tg_core_self();
    memset(&tg_noc, 0, sizeof tg_noc);
    tg_noc.mode = mode;
    tg_noc.next_tag = TAG_FIRST_REPLY;
    tg_noc.banks = c->arch->dram_banks;
    MPI_Comm_dup(c->comm, &tg_noc.comm);
    MPI_Comm_split(c->comm, c->y, c->x, &tg_noc.row);
    MPI_Comm_split(c->comm, c->x, c->y, &tg_noc.col);
    tg_noc.win[WIN_L1] = c->l1_win;
    tg_noc.base[WIN_L1] = c->l1.base;
    tg_noc.size[WIN_L1] = c->l1.size;
    /* This rank hosts banks rank, rank + P, ...: one bank_bytes slab each. */
    int hosted = 0;
    for (int b = c->rank; b < tg_noc.banks; b += c->nranks) hosted++;
    tg_noc.size[WIN_DRAM] = (size_t)hosted * c->dram_bank_bytes;
    void *base = NULL;
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "accumulate_ordering", "none");
    int rc = MPI_Win_allocate((MPI_Aint)tg_noc.size[WIN_DRAM], 1, info, c->comm, &base,
                              &tg_noc.win[WIN_DRAM]);
    MPI_Info_free(&info);
    if (rc != MPI_SUCCESS)
        return tg_err(TG_ERR_RUNTIME, "cannot allocate the DRAM window (%d banks x %zu B here)",
                      hosted, c->dram_bank_bytes);
    tg_noc.base[WIN_DRAM] = base;
    tg_l1_init(&tg_noc.dram, NULL, c->dram_bank_bytes, c->arch->dram_align, 0, 0);
    tg_l1_set_label(&tg_noc.dram, "DRAM (bytes per bank; --dram-size)");
    for (int w = 0; w < NWIN; w++) MPI_Win_lock_all(MPI_MODE_NOCHECK, tg_noc.win[w]);
    tg_noc.ready = true;
    return TG_OK;
}

void tg_noc_finalize(void) {
    if (!tg_noc.ready) return;
    tg_noc_read_barrier();
    tg_noc_write_barrier();
    tg_noc_barrier(TG_SET_ALL);
    for (int w = 0; w < NWIN; w++) MPI_Win_unlock_all(tg_noc.win[w]);
    free_types();
    MPI_Win_free(&tg_noc.win[WIN_DRAM]);
    tg_l1_destroy(&tg_noc.dram);
    free(tg_noc.pend);
    MPI_Comm_free(&tg_noc.row);
    MPI_Comm_free(&tg_noc.col);
    MPI_Comm_free(&tg_noc.comm);
    memset(&tg_noc, 0, sizeof tg_noc);
}

/* ---- two-sided service ---- */

static int next_tag(void) {
    int t = tg_noc.next_tag++;
    if (tg_noc.next_tag >= TAG_LAST_REPLY - 1) tg_noc.next_tag = TAG_FIRST_REPLY;
    return t;
}

static noc_pending *pend_add(void) {
    if (tg_noc.npend == tg_noc.cappend) {
        int cap = tg_noc.cappend ? 2 * tg_noc.cappend : 64;
        noc_pending *p = realloc(tg_noc.pend, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        tg_noc.pend = p;
        tg_noc.cappend = cap;
    }
    noc_pending *p = &tg_noc.pend[tg_noc.npend++];
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

/* Serves one request from `src`; the request header is already received. */
static void serve(const noc_req *q, int src) {
    uint8_t *at = tg_noc.base[q->win] + q->disp;
    size_t total = (size_t)(q->blen * q->count);
    if (q->kind == REQ_SEM) {
        __atomic_add_fetch((int32_t *)at, q->sem_n, __ATOMIC_SEQ_CST);
        return;
    }
    bool contiguous = q->count == 1 || q->tstride == q->blen;
    uint8_t *tmp = contiguous ? NULL : malloc(total ? total : 1);
    if (q->kind == REQ_READ) {
        if (tmp) pack_blocks(tmp, at, q->tstride, q->blen, (int64_t)q->count);
        MPI_Send(tmp ? tmp : at, (int)total, MPI_BYTE, src, q->tag, tg_noc.comm);
    } else {
        MPI_Recv(tmp ? tmp : at, (int)total, MPI_BYTE, src, q->tag + TAG_PAYLOAD, tg_noc.comm,
                 MPI_STATUS_IGNORE);
        if (tmp) unpack_blocks(at, q->tstride, tmp, q->blen, (int64_t)q->count);
        MPI_Send(NULL, 0, MPI_BYTE, src, q->tag + 1, tg_noc.comm);
    }
    free(tmp);
}

/* Serves every request that has arrived; true when there was one. */
static bool serve_pending(void) {
    bool served = false;
    for (;;) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQ, tg_noc.comm, &flag, &status);
        if (!flag) return served;
        served = true;
        noc_req q;
        MPI_Recv(&q, (int)sizeof q, MPI_BYTE, status.MPI_SOURCE, TAG_REQ, tg_noc.comm,
                 MPI_STATUS_IGNORE);
        serve(&q, status.MPI_SOURCE);
    }
}

void noc_wait(int n, MPI_Request *reqs) {
    if (tg_noc.mode == TG_NOC_ONE_SIDED) {
        tg_core_waitall(n, reqs);
        return;
    }
    tg_backoff b;
    tg_backoff_init(&b);
    for (;;) {
        /* a core that has just served is likely to be asked again: wait briefly */
        if (serve_pending()) tg_backoff_init(&b);
        int done = 0;
        MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE);
        if (done) return;
        tg_backoff_pause(&b);
    }
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
    tg_counters *k = tg_stats_now();
    k->messages++;
    if (target == tg_core_self()->rank) {
        /* Loopback: the NoC delivers to its own core without a message (in one-sided
         * mode too: my own window is my memory, so an MPI call would only add cost). */
        uint8_t *at = tg_noc.base[win] + disp;
        for (int64_t i = 0; i < count; i++) {
            if (write)
                memmove(at + i * tstride, mem + i * mstride, blen);
            else
                memmove(mem + i * mstride, at + i * tstride, blen);
        }
        return TG_OK;
    }
    if (tg_noc.mode == TG_NOC_ONE_SIDED) {
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
        if (rc != MPI_SUCCESS)
            return tg_err(TG_ERR_RUNTIME, "NoC %s of %zu B with core %d failed in MPI",
                          write ? "write" : "read", blen * (size_t)count, target);
        if (write)
            tg_noc.writes_open = true;
        else
            tg_noc.reads_open = true;
        return TG_OK;
    }
    noc_req q = {.kind = write ? REQ_WRITE : REQ_READ,
                 .win = win,
                 .tag = next_tag(),
                 .disp = disp,
                 .tstride = tstride,
                 .blen = blen,
                 .count = (uint64_t)count};
    if (write) next_tag(); /* the acknowledgement uses tag + 1 */
    size_t total = blen * (size_t)count;
    noc_pending *p = pend_add();
    if (!p) return tg_err(TG_ERR_RUNTIME, "NoC: out of host memory for requests");
    bool contiguous = count == 1 || mstride == blen;
    MPI_Send(&q, (int)sizeof q, MPI_BYTE, target, TAG_REQ, tg_noc.comm);
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
        noc_pending *payload = p;
        MPI_Isend(src, (int)total, MPI_BYTE, target, q.tag + TAG_PAYLOAD, tg_noc.comm,
                  &payload->req);
        payload->pack = tmp; /* freed when the send completes */
        noc_pending *ack = pend_add();
        if (!ack) return tg_err(TG_ERR_RUNTIME, "NoC: out of host memory for requests");
        MPI_Irecv(NULL, 0, MPI_BYTE, target, q.tag + 1, tg_noc.comm, &ack->req);
        tg_noc.writes_open = true;
    } else {
        if (contiguous) {
            MPI_Irecv(mem, (int)total, MPI_BYTE, target, q.tag, tg_noc.comm, &p->req);
        } else {
            p->pack = malloc(total);
            if (!p->pack) return tg_err(TG_ERR_RUNTIME, "NoC: out of host memory for %zu B", total);
            p->dst = mem, p->blen = blen, p->dst_stride = mstride, p->count = count;
            MPI_Irecv(p->pack, (int)total, MPI_BYTE, target, q.tag, tg_noc.comm, &p->req);
        }
        tg_noc.reads_open = true;
    }
    return TG_OK;
}

/* Completes every two-sided request: reads land (and strided ones are scattered),
 * write payloads are sent and acknowledged. */
static void complete_two_sided(void) {
    int n = tg_noc.npend;
    if (!n) return;
    MPI_Request *reqs = malloc((size_t)n * sizeof *reqs);
    if (!reqs) {
        for (int i = 0; i < n; i++) noc_wait(1, &tg_noc.pend[i].req);
    } else {
        for (int i = 0; i < n; i++) reqs[i] = tg_noc.pend[i].req;
        noc_wait(n, reqs);
        free(reqs);
    }
    for (int i = 0; i < n; i++) {
        noc_pending *p = &tg_noc.pend[i];
        if (p->dst) unpack_blocks(p->dst, p->dst_stride, p->pack, p->blen, p->count);
        free(p->pack);
    }
    tg_noc.npend = 0;
}

tg_status tg_noc_read_barrier(void) {
    if (tg_noc.mode == TG_NOC_TWO_SIDED) {
        complete_two_sided();
    } else if (tg_noc.reads_open) {
        for (int w = 0; w < NWIN; w++) MPI_Win_flush_local_all(tg_noc.win[w]);
    }
    tg_noc.reads_open = false;
    return TG_OK;
}

tg_status tg_noc_write_barrier(void) {
    if (tg_noc.mode == TG_NOC_TWO_SIDED) {
        complete_two_sided();
    } else if (tg_noc.writes_open) {
        for (int w = 0; w < NWIN; w++) MPI_Win_flush_all(tg_noc.win[w]);
    }
    tg_noc.writes_open = false;
    return TG_OK;
}

/* ---- accounting ---- */

void noc_count_unicast(int from, int to, uint64_t bytes, uint64_t ntrans) {
    tg_core *c = tg_core_self();
    tg_grid g = c->grid;
    int fx = tg_core_x(g, from), fy = tg_core_y(g, from);
    int tx = tg_core_x(g, to), ty = tg_core_y(g, to);
    int noc = tg_route_pick_unicast(g, fx, fy, tx, ty);
    static tg_link *links; /* room for the longest route of this grid */
    static int cap;
    if (cap < g.w + g.h) {
        tg_link *l = realloc(links, (size_t)(g.w + g.h) * sizeof *l);
        if (l) links = l, cap = g.w + g.h;
    }
    int hops = tg_route_unicast(g, noc, fx, fy, tx, ty, cap >= g.w + g.h ? links : NULL);
    tg_counters *k = tg_stats_now();
    k->noc_transactions += ntrans;
    k->hops += (uint64_t)hops * ntrans;
    for (int i = 0; i < hops && cap >= g.w + g.h; i++)
        tg_stats_link(tg_core_rank(g, links[i].x, links[i].y), links[i].dir, bytes);
}

/* ---- public L1 transfers ---- */

tg_status tg_noc_read_strided(int src, size_t src_off, size_t src_stride, size_t dst_off,
                              size_t dst_stride, size_t blen, int64_t count) {
    TG_CHECK(check_range("read", WIN_L1, src, src_off, src_stride, blen, count, dst_off, dst_stride,
                         true));
    if (count <= 0 || blen == 0) return TG_OK;
    uint64_t bytes = (uint64_t)blen * (uint64_t)count;
    tg_stats_now()->noc_read_bytes += bytes;
    noc_count_unicast(src, tg_core_self()->rank, bytes, (uint64_t)count);
    return noc_move(WIN_L1, src, src_off, src_stride, tg_noc.base[WIN_L1] + dst_off, dst_stride,
                    blen, count, false);
}

tg_status tg_noc_read(int src, size_t src_off, size_t dst_off, size_t bytes) {
    return tg_noc_read_strided(src, src_off, bytes, dst_off, bytes, bytes, 1);
}

tg_status tg_noc_write(int dst, size_t dst_off, size_t src_off, size_t bytes) {
    TG_CHECK(check_range("write", WIN_L1, dst, dst_off, bytes, bytes, 1, src_off, bytes, true));
    if (bytes == 0) return TG_OK;
    tg_stats_now()->noc_write_bytes += bytes;
    noc_count_unicast(tg_core_self()->rank, dst, bytes, 1);
    return noc_move(WIN_L1, dst, dst_off, bytes, tg_noc.base[WIN_L1] + src_off, bytes, bytes, 1,
                    true);
}

/* Counts one multicast by this core of `bytes` to rectangle r along its route. */
static tg_status count_mcast(tg_rect r, size_t bytes) {
    tg_core *c = tg_core_self();
    tg_counters *k = tg_stats_now();
    k->noc_mcast_bytes += bytes;
    k->noc_transactions++;
    int noc = tg_route_pick_mcast(c->grid, c->x, c->y, r);
    int cap = r.w + r.w * r.h + r.h;
    tg_link *links = malloc((size_t)cap * sizeof *links);
    if (!links) return tg_err(TG_ERR_RUNTIME, "NoC multicast: out of host memory");
    int n = tg_route_mcast(c->grid, noc, c->x, c->y, r, links);
    k->hops += (uint64_t)n;
    for (int i = 0; i < n; i++)
        tg_stats_link(tg_core_rank(c->grid, links[i].x, links[i].y), links[i].dir, bytes);
    free(links);
    return TG_OK;
}

static bool rect_ok(tg_rect r) {
    tg_core *c = tg_core_self();
    return r.w > 0 && r.h > 0 && r.x0 >= 0 && r.y0 >= 0 && r.x0 + r.w <= c->grid.w &&
           r.y0 + r.h <= c->grid.h;
}

tg_status tg_noc_mcast_group(tg_core_set set, tg_rect r, int root, size_t dst_off, size_t src_off,
                             size_t bytes) {
    tg_core *c = tg_core_self();
    if (!rect_ok(r))
        return tg_err(TG_ERR_RUNTIME,
                      "NoC multicast: rectangle (%d,%d)+%dx%d is outside the %dx%d grid", r.x0,
                      r.y0, r.w, r.h, c->grid.w, c->grid.h);
    if (tg_noc.mode == TG_NOC_TWO_SIDED) {
        tg_status st = TG_OK;
        if (c->rank == root && bytes > 0) {
            st = tg_noc_mcast(r, dst_off, src_off, bytes);
            if (st == TG_OK) st = tg_noc_write_barrier();
        }
        tg_noc_barrier(set);
        return st;
    }
    TG_CHECK(
        check_range("multicast", WIN_L1, root, src_off, bytes, bytes, 1, dst_off, bytes, true));
    bool member = c->x >= r.x0 && c->x < r.x0 + r.w && c->y >= r.y0 && c->y < r.y0 + r.h;
    if (bytes == 0) return TG_OK;
    if (c->rank == root) {
        TG_CHECK(count_mcast(r, bytes));
        if (member && dst_off != src_off)
            memmove(tg_noc.base[WIN_L1] + dst_off, tg_noc.base[WIN_L1] + src_off, bytes);
        return TG_OK;
    }
    if (!member) return TG_OK;
    TG_CHECK(noc_move(WIN_L1, root, src_off, bytes, tg_noc.base[WIN_L1] + dst_off, bytes, bytes, 1,
                      false));
    tg_stats_now()->messages--; /* the root's multicast is the transaction; this is its delivery */
    return tg_noc_read_barrier();
}

bool tg_noc_group_receivers_fetch(void) {
    return tg_noc.mode == TG_NOC_ONE_SIDED;
}

tg_status tg_noc_mcast(tg_rect r, size_t dst_off, size_t src_off, size_t bytes) {
    tg_core *c = tg_core_self();
    if (!rect_ok(r))
        return tg_err(TG_ERR_RUNTIME,
                      "NoC multicast: rectangle (%d,%d)+%dx%d is outside the %dx%d grid", r.x0,
                      r.y0, r.w, r.h, c->grid.w, c->grid.h);
    TG_CHECK(
        check_range("multicast", WIN_L1, c->rank, dst_off, bytes, bytes, 1, src_off, bytes, true));
    if (bytes == 0) return TG_OK;
    TG_CHECK(count_mcast(r, bytes));
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

/* ---- synchronisation ---- */

tg_status tg_noc_barrier(tg_core_set set) {
    /* Two-sided transfers need waiting cores to serve, so they take the MPI path. */
    if (tg_noc.mode == TG_NOC_ONE_SIDED) {
        for (int w = 0; w < NWIN; w++) MPI_Win_sync(tg_noc.win[w]);
        if (tg_core_barrier_local(set)) {
            for (int w = 0; w < NWIN; w++) MPI_Win_sync(tg_noc.win[w]);
            return TG_OK;
        }
    }
    MPI_Comm comm = set == TG_SET_ROW ? tg_noc.row : set == TG_SET_COL ? tg_noc.col : tg_noc.comm;
    for (int w = 0; w < NWIN; w++) MPI_Win_sync(tg_noc.win[w]);
    MPI_Request req;
    MPI_Ibarrier(comm, &req);
    noc_wait(1, &req);
    for (int w = 0; w < NWIN; w++) MPI_Win_sync(tg_noc.win[w]);
    return TG_OK;
}

tg_status tg_noc_sync(tg_status st) {
    if (tg_noc.mode == TG_NOC_TWO_SIDED || !tg_core_self()->sync) {
        tg_noc_barrier(TG_SET_ALL);
        return tg_core_agree(st);
    }
    /* The node-local agreement is itself a barrier over every core. */
    for (int w = 0; w < NWIN; w++) MPI_Win_sync(tg_noc.win[w]);
    st = tg_core_agree(st);
    for (int w = 0; w < NWIN; w++) MPI_Win_sync(tg_noc.win[w]);
    return st;
}

tg_status tg_noc_sem_alloc(const char *name, size_t *off) {
    TG_CHECK(tg_core_alloc(name, sizeof(int32_t), off));
    memset(tg_noc.base[WIN_L1] + *off, 0, sizeof(int32_t));
    MPI_Win_sync(tg_noc.win[WIN_L1]);
    return TG_OK;
}

tg_status tg_noc_sem_inc(int core, size_t off, int n) {
    TG_CHECK(check_range("semaphore", WIN_L1, core, off, 4, 4, 1, 0, 4, false));
    tg_counters *k = tg_stats_now();
    k->noc_transactions++;
    k->messages++;
    int32_t v = n;
    if (tg_noc.mode == TG_NOC_ONE_SIDED) {
        MPI_Accumulate(&v, 1, MPI_INT32_T, core, (MPI_Aint)off, 1, MPI_INT32_T, MPI_SUM,
                       tg_noc.win[WIN_L1]);
        MPI_Win_flush(core, tg_noc.win[WIN_L1]);
    } else if (core == tg_core_self()->rank) {
        __atomic_add_fetch((int32_t *)(tg_noc.base[WIN_L1] + off), v, __ATOMIC_SEQ_CST);
    } else {
        noc_req q = {.kind = REQ_SEM, .win = WIN_L1, .sem_n = v, .disp = off, .count = 1};
        MPI_Send(&q, (int)sizeof q, MPI_BYTE, core, TAG_REQ, tg_noc.comm);
    }
    return TG_OK;
}

tg_status tg_noc_sem_wait(size_t off, int value) {
    tg_core *c = tg_core_self();
    tg_backoff b;
    tg_backoff_init(&b);
    int32_t *word = (int32_t *)(tg_noc.base[WIN_L1] + off);
    for (;;) {
        int32_t now;
        if (tg_noc.mode == TG_NOC_ONE_SIDED) {
            int32_t zero = 0;
            MPI_Fetch_and_op(&zero, &now, MPI_INT32_T, c->rank, (MPI_Aint)off, MPI_NO_OP,
                             tg_noc.win[WIN_L1]);
            MPI_Win_flush(c->rank, tg_noc.win[WIN_L1]);
        } else {
            serve_pending();
            now = __atomic_load_n(word, __ATOMIC_SEQ_CST);
        }
        if (now >= value) break;
        tg_backoff_pause(&b);
    }
    int32_t neg = -value, old;
    if (tg_noc.mode == TG_NOC_ONE_SIDED) {
        MPI_Fetch_and_op(&neg, &old, MPI_INT32_T, c->rank, (MPI_Aint)off, MPI_SUM,
                         tg_noc.win[WIN_L1]);
        MPI_Win_flush(c->rank, tg_noc.win[WIN_L1]);
    } else {
        __atomic_add_fetch(word, neg, __ATOMIC_SEQ_CST);
    }
    MPI_Win_sync(tg_noc.win[WIN_L1]);
    return TG_OK;
}
