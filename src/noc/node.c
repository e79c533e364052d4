/* The node: the ranks that share one machine's memory, and the barriers,
 * agreements and reductions they run through a segment of it (DESIGN.md sections 1,
 * "waiting", and 9, "on a cluster"), part of src/noc.
 *
 * Two levels. Inside a node, waiting cores sleep on a futex in the shared segment
 * and the last one to arrive wakes them (no processor time while waiting, no
 * overshoot: the departure from DESIGN.md described in sync.c). Between nodes, one
 * leader per node and per core set (the node's lowest rank in the set) meets the
 * other nodes' leaders in MPI, then releases its node. A set held by one node (every
 * set, on a workstation) takes the first level only, as before there were two.
 *
 * A node is the ranks MPI_COMM_TYPE_SHARED puts together; TTGRID_NODE_SIZE=k cuts it
 * into groups of k consecutive ranks that behave as separate nodes: each group has
 * its own segment and futexes and nothing of one group is seen by another, so one
 * machine runs the cluster code paths (the MPI tests run that way at 2 and 4 nodes).
 *
 * The segment is a memfd: anonymous memory that disappears with the last process
 * mapping it, so a killed job leaves nothing in /dev/shm; the node's first rank
 * makes it and the others open it through /proc/PID/fd. It is made whatever the
 * transport (Open MPI's shared windows need its osc sm component, which a cluster
 * running osc pt2pt or ucx does not load). It also holds the watchdog's board
 * (watch.c), which is why it exists even when the futex path is not in use. Nothing
 * here moves tensor data. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "noc_impl.h"

/* One barrier of one core set on this node; one cache line. */
typedef struct barrier_slot {
    _Atomic uint32_t count;   /* local arrivals of this round */
    _Atomic uint32_t gen;     /* bumped by the last local arrival */
    _Atomic uint32_t release; /* bumped by the leader once every node has arrived */
    uint32_t n;               /* members of the set on this node */
    uint32_t multi;           /* the set has members on other nodes */
    char pad[44];
} barrier_slot;

/* One core's words of the fenced group multicasts (noc_mcast_*); one cache line. */
typedef struct mcast_words {
    _Atomic uint32_t ready[3]; /* per set kind: the number of the handover whose source
                                  this core (as root) has ready */
    _Atomic uint32_t done[3];  /* per set kind: fetches done from this root, all told */
    _Atomic uint32_t want[3];  /* per set kind: the done count this root sleeps for */
    char pad[28];
} mcast_words;

/* What a node's leader brings back from the other nodes for its node. */
typedef struct node_result {
    int32_t first, code; /* agreement: lowest failing rank (P: none) and its status */
    double values[TG_REDUCE_MAX];
    char msg[TG_ERR_MSG_MAX];
} node_result;

enum { SET_KINDS = 3 }; /* TG_SET_ALL, TG_SET_ROW, TG_SET_COL */

static struct {
    MPI_Comm comm; /* my node, in rank order */
    int local, nlocal, index, nnodes;
    int *ranks;                  /* [nlocal] the world ranks of my node, in order */
    bool lead[SET_KINDS];        /* I lead my set's members on this node */
    MPI_Comm leaders[SET_KINDS]; /* the leaders of my set, one per node (if I lead) */
    int slot[SET_KINDS];         /* my slot for all cores, my row, my column */
    uint8_t *seg;                /* the segment, or NULL */
    void *board;                 /* the watchdog's, in the segment */
    size_t bytes;
    barrier_slot *slots;              /* [0] all, [1 + y] grid row y, [1 + H + x] column x */
    mcast_words *mcast;               /* [nlocal] */
    uint32_t mcast_calls[SET_KINDS];  /* handovers I took part in, per set */
    uint32_t mcast_expect[SET_KINDS]; /* receivers of my handovers as root, all told */
    /* Two sets of per-core areas, used in turn by successive agreements and
     * reductions: a core that has read one set can write the next while slower cores
     * still read the first, so one barrier per call suffices (a core reaches the call
     * after next only once everyone has passed the next call's barrier). */
    int32_t *status[2]; /* [nlocal] for agreement */
    double *values[2];  /* [nlocal][TG_REDUCE_MAX] for reductions */
    char *msgs[2];      /* [nlocal][TG_ERR_MSG_MAX] */
    node_result *result[2];
    int turn;
    bool on;       /* the two-level path is in use */
    bool progress; /* a sleeping core must let MPI progress (noc_node_progress) */
} nd = {.comm = MPI_COMM_NULL};

/* ---- futexes, watched ---- */

static long futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t ns) {
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    return syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT, val, ns >= 0 ? &ts : NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr) {
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Sleeps until *addr moves on from `val`; the watchdog sees the wait. When the
 * windows need their target's help (nd.progress), the sleeper wakes now and then to
 * let MPI progress: after 50 us, then twice as long each time up to 1 ms (measured
 * with osc pt2pt, ResNet-50 64x64 at 4 ranks on 2 processors: 12.4 s with a 10 ms
 * cap, 1.8 s with 1 ms, 0.9 s with 0.2 ms; the cap bounds the wake-ups of a long
 * wait to 1000 a second per core). */
static void wait_change(_Atomic uint32_t *addr, uint32_t val) {
    int64_t step = 50000;
    while (atomic_load(addr) == val) {
        int64_t ns = noc_watch_poll();
        if (nd.progress && (ns < 0 || ns > step)) ns = step;
        futex_wait(addr, val, ns);
        if (nd.progress) {
            int flag;
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, tg_noc.world, &flag, MPI_STATUS_IGNORE);
            step = step * 2 < 1000000 ? step * 2 : 1000000;
        }
    }
}

/* The first level: the set's members on this node meet. */
static void slot_meet(barrier_slot *s) {
    uint32_t gen = atomic_load(&s->gen);
    if (atomic_fetch_add(&s->count, 1) + 1 == s->n) {
        atomic_store(&s->count, 0);
        atomic_fetch_add(&s->gen, 1);
        futex_wake(&s->gen);
        return;
    }
    wait_change(&s->gen, gen);
}

/* The second level, after slot_meet: the leader has done its MPI step with the
 * other nodes' leaders; it releases the node. `rel` is the release count read
 * before slot_meet. */
static void slot_release(barrier_slot *s, bool lead, uint32_t rel) {
    if (lead) {
        atomic_fetch_add(&s->release, 1);
        futex_wake(&s->release);
    } else {
        wait_change(&s->release, rel);
    }
}

/* A leader's wait for the other nodes. Only one core per node polls MPI (the
 * others sleep on the futex), so it may poll often: its back-off is capped at
 * 200 us instead of 10 ms. Measured with mpi_plan at 8 ranks as 2 nodes of 4 on 2
 * processors: 22.0 s with the 10 ms cap, 7.6 s with 200 us (8.3 s as one node). */
#define LEADER_CAP_NS 200000L

static tg_status mpi_wait(int n, MPI_Request *req, int rc, const char *what) {
    if (rc != MPI_SUCCESS) return noc_mpi_err(rc, what);
    return noc_wait_requests(n, req, LEADER_CAP_NS);
}

/* ---- set-up ---- */

/* TTGRID_NODE_SIZE: 0 when unset (or 0: the machine is one node). */
static tg_status node_size(int *k) {
    const char *env = getenv("TTGRID_NODE_SIZE");
    *k = 0;
    if (!env || !*env) return TG_OK;
    char *end;
    long v = strtol(env, &end, 10);
    if (*end || v < 0 || v > INT_MAX)
        return tg_err(TG_ERR_USAGE, "TTGRID_NODE_SIZE='%s' is not a number of ranks", env);
    *k = (int)v;
    return TG_OK;
}

static size_t round64(size_t n) {
    return (n + 63) / 64 * 64;
}

/* Makes the segment on the node's first rank and maps it on the others; false (on
 * every rank of the node) when any of them could not. */
static bool segment_map(size_t bytes) {
    int fd = -1, ok = 1;
    long where[2] = {(long)getpid(), -1};
    if (nd.local == 0) {
        fd = memfd_create("ttgrid-node", MFD_CLOEXEC);
        ok = fd >= 0 && ftruncate(fd, (off_t)bytes) == 0;
        where[1] = ok ? fd : -1;
    }
    if (MPI_Bcast(where, 2, MPI_LONG, 0, nd.comm) != MPI_SUCCESS) where[1] = -1;
    if (nd.local != 0 && where[1] >= 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/fd/%ld", where[0], where[1]);
        fd = open(path, O_RDWR | O_CLOEXEC);
    }
    void *p = fd >= 0 ? mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    int mine = p != MAP_FAILED, all = 0;
    /* the first rank's descriptor stays open until every rank has opened it */
    if (MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_LAND, nd.comm) != MPI_SUCCESS) all = 0;
    if (fd >= 0) close(fd);
    if (!all || !ok) {
        if (mine) munmap(p, bytes);
        return false;
    }
    nd.seg = p;
    nd.bytes = bytes;
    return true;
}

/* Lays out the segment: slots, the watchdog's board, then two turns of per-core
 * areas and results. Returns its size (seg NULL: only measures). */
static size_t layout(uint8_t *seg, int nslots) {
    size_t mcast = round64((size_t)nslots * sizeof(barrier_slot));
    size_t at = round64(mcast + (size_t)nd.nlocal * sizeof(mcast_words));
    size_t board = at;
    at += round64(noc_watch_board_bytes(nd.nlocal));
    int L = nd.nlocal;
    for (int t = 0; t < 2; t++) {
        size_t status = at, values = at + round64((size_t)L * sizeof(int32_t));
        size_t msgs = values + (size_t)L * TG_REDUCE_MAX * sizeof(double);
        size_t result = round64(msgs + (size_t)L * TG_ERR_MSG_MAX);
        at = round64(result + sizeof(node_result));
        if (seg) {
            nd.status[t] = (int32_t *)(seg + status);
            nd.values[t] = (double *)(seg + values);
            nd.msgs[t] = (char *)(seg + msgs);
            nd.result[t] = (node_result *)(seg + result);
        }
    }
    if (seg) {
        nd.slots = (barrier_slot *)seg;
        nd.mcast = (mcast_words *)(seg + mcast);
        nd.board = seg + board;
    }
    return at;
}

/* The slot of set `kind` for core (x, y). */
static int slot_of(tg_grid g, int kind, int x, int y) {
    return kind == TG_SET_ROW ? 1 + y : kind == TG_SET_COL ? 1 + g.h + x : 0;
}

static void node_reset(void) {
    memset(&nd, 0, sizeof nd);
    nd.comm = MPI_COMM_NULL;
    for (int kind = 0; kind < SET_KINDS; kind++) nd.leaders[kind] = MPI_COMM_NULL;
}

/* My node's communicator, its ranks, the leaders of my sets and the node's number;
 * MPI's return code. */
static int node_find(int k) {
    tg_core *c = tg_core_self();
    MPI_Comm machine;
    int rc = MPI_Comm_split_type(tg_noc.world, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &machine);
    if (rc != MPI_SUCCESS) return rc;
    rc = MPI_Comm_split(machine, k ? c->rank / k : 0, c->rank, &nd.comm);
    MPI_Comm_free(&machine);
    if (rc != MPI_SUCCESS) return rc;
    MPI_Comm_rank(nd.comm, &nd.local);
    MPI_Comm_size(nd.comm, &nd.nlocal);
    /* The world ranks of my node, in order: who leads each set here. */
    nd.ranks = malloc((size_t)nd.nlocal * sizeof *nd.ranks);
    int have = nd.ranks != NULL, all_have = 0;
    rc = MPI_Allreduce(&have, &all_have, 1, MPI_INT, MPI_LAND, tg_noc.world);
    if (rc != MPI_SUCCESS || !all_have) return rc != MPI_SUCCESS ? rc : MPI_ERR_NO_MEM;
    rc = MPI_Allgather(&c->rank, 1, MPI_INT, nd.ranks, 1, MPI_INT, nd.comm);
    for (int kind = 0; kind < SET_KINDS && rc == MPI_SUCCESS; kind++) {
        nd.slot[kind] = slot_of(c->grid, kind, c->x, c->y);
        int first = -1;
        for (int i = 0; i < nd.nlocal && first < 0; i++)
            if (slot_of(c->grid, kind, tg_core_x(c->grid, nd.ranks[i]),
                        tg_core_y(c->grid, nd.ranks[i])) == nd.slot[kind])
                first = nd.ranks[i];
        nd.lead[kind] = first == c->rank;
        rc = MPI_Comm_split(tg_noc.world, nd.lead[kind] ? nd.slot[kind] : MPI_UNDEFINED, c->rank,
                            &nd.leaders[kind]);
    }
    /* nodes are numbered by their first rank; the node's first rank leads "all" */
    int index_nodes[2] = {0, 1};
    if (rc == MPI_SUCCESS && nd.lead[TG_SET_ALL]) {
        MPI_Comm_rank(nd.leaders[TG_SET_ALL], &index_nodes[0]);
        MPI_Comm_size(nd.leaders[TG_SET_ALL], &index_nodes[1]);
    }
    if (rc == MPI_SUCCESS) rc = MPI_Bcast(index_nodes, 2, MPI_INT, 0, nd.comm);
    nd.index = index_nodes[0], nd.nnodes = index_nodes[1];
    return rc;
}

tg_status noc_node_init(void) {
    tg_core *c = tg_core_self();
    int k;
    node_reset();
    tg_status st = node_size(&k); /* the same environment on every rank */
    if (st != TG_OK) return st;
    int rc = node_find(k);
    if (rc != MPI_SUCCESS) {
        noc_node_finalize();
        return noc_mpi_err(rc, "finding the nodes");
    }
    int *ranks = nd.ranks;
    int nslots = 1 + c->grid.h + c->grid.w;
    size_t bytes = layout(NULL, nslots);
    bool mapped = segment_map(bytes);
    if (mapped) {
        layout(nd.seg, nslots);
        if (nd.local == 0) {
            memset(nd.seg, 0, nd.bytes);
            for (int i = 0; i < nd.nlocal; i++)
                for (int kind = 0; kind < SET_KINDS; kind++)
                    nd.slots[slot_of(c->grid, kind, tg_core_x(c->grid, ranks[i]),
                                     tg_core_y(c->grid, ranks[i]))]
                        .n++;
        }
        rc = MPI_Barrier(nd.comm);
        for (int kind = 0; kind < SET_KINDS; kind++) {
            int size = 1;
            if (nd.lead[kind]) MPI_Comm_size(nd.leaders[kind], &size);
            if (nd.lead[kind]) nd.slots[nd.slot[kind]].multi = size > 1;
        }
        noc_watch_attach(nd.board, nd.nlocal, nd.local, nd.index, nd.nnodes);
        if (rc == MPI_SUCCESS) rc = MPI_Barrier(nd.comm);
    } else {
        /* no segment: the watchdog sees this core alone, as if it were a node */
        noc_watch_attach(NULL, 1, 0, c->rank, c->nranks);
    }
    /* The futex path when a node is oversubscribed (or TTGRID_FUTEX=1), on every
     * node at once: a barrier is either two-level everywhere or MPI everywhere. */
    const char *env = getenv("TTGRID_FUTEX");
    int want = env && *env ? atoi(env) != 0 : c->oversubscribed, any_want, all_mapped;
    int m = mapped;
    if (rc == MPI_SUCCESS) rc = MPI_Allreduce(&want, &any_want, 1, MPI_INT, MPI_LOR, tg_noc.world);
    if (rc == MPI_SUCCESS) rc = MPI_Allreduce(&m, &all_mapped, 1, MPI_INT, MPI_LAND, tg_noc.world);
    if (rc != MPI_SUCCESS) {
        noc_node_finalize();
        return noc_mpi_err(rc, "setting up the node");
    }
    nd.on = any_want && all_mapped;
    return TG_OK;
}

void noc_node_finalize(void) {
    noc_watch_detach();
    if (nd.seg) munmap(nd.seg, nd.bytes);
    for (int kind = 0; kind < SET_KINDS; kind++)
        if (nd.leaders[kind] != MPI_COMM_NULL) MPI_Comm_free(&nd.leaders[kind]);
    if (nd.comm != MPI_COMM_NULL) MPI_Comm_free(&nd.comm);
    free(nd.ranks);
    node_reset();
}

bool noc_local_sync(void) {
    return nd.on;
}

void noc_node_progress(bool on) {
    nd.progress = on;
}

int noc_node_count(void) {
    return nd.nnodes;
}

/* ---- barrier, agreement, reduction ---- */

static const noc_wait_kind barrier_kind[SET_KINDS] = {NOC_WAIT_BARRIER_ALL, NOC_WAIT_BARRIER_ROW,
                                                      NOC_WAIT_BARRIER_COL};

bool noc_barrier_local(tg_core_set set, tg_status *st) {
    if (!nd.on) return false;
    barrier_slot *s = &nd.slots[nd.slot[set]];
    noc_watch_begin(barrier_kind[set]);
    *st = TG_OK;
    if (!s->multi) {
        slot_meet(s);
    } else {
        uint32_t rel = atomic_load(&s->release);
        slot_meet(s);
        if (nd.lead[set]) {
            MPI_Request req;
            *st = mpi_wait(1, &req, MPI_Ibarrier(nd.leaders[set], &req), "barrier between nodes");
        }
        slot_release(s, nd.lead[set], rel);
    }
    noc_watch_end();
    return true;
}

/* ---- fenced group multicasts ---- */

bool noc_mcast_local(tg_core_set set) {
    return nd.on && !nd.slots[nd.slot[set]].multi;
}

/* The words of world rank `rank`, which is on this node (nd.ranks is in rank order). */
static mcast_words *mcast_of(int rank) {
    int lo = 0, hi = nd.nlocal - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (nd.ranks[mid] < rank)
            lo = mid + 1;
        else
            hi = mid;
    }
    return &nd.mcast[lo];
}

/* Sleeps until *addr has reached `want` (counts that only grow, modulo 2^32); the
 * watchdog sees the wait. */
static void wait_reach(_Atomic uint32_t *addr, uint32_t want) {
    uint32_t v = atomic_load(addr);
    if ((int32_t)(v - want) >= 0) return;
    noc_watch_begin(NOC_WAIT_MCAST);
    while ((int32_t)((v = atomic_load(addr)) - want) < 0) wait_change(addr, v);
    noc_watch_end();
}

void noc_mcast_publish(tg_core_set set, int receivers) {
    mcast_words *me = &nd.mcast[nd.local];
    nd.mcast_expect[set] += (uint32_t)receivers;
    atomic_store(&me->ready[set], ++nd.mcast_calls[set]);
    futex_wake(&me->ready[set]);
}

void noc_mcast_await(tg_core_set set, int root) {
    wait_reach(&mcast_of(root)->ready[set], ++nd.mcast_calls[set]);
}

/* The root's `want` is stored before it reads `done`, and a receiver's add comes
 * before its read of `want` (both sequentially consistent): either the root sees
 * the last add and does not sleep, or the receiver sees what it waits for. */
void noc_mcast_done(tg_core_set set, int root) {
    mcast_words *w = mcast_of(root);
    if (atomic_fetch_add(&w->done[set], 1) + 1 == atomic_load(&w->want[set]))
        futex_wake(&w->done[set]);
}

void noc_mcast_collect(tg_core_set set) {
    mcast_words *me = &nd.mcast[nd.local];
    atomic_store(&me->want[set], nd.mcast_expect[set]);
    wait_reach(&me->done[set], nd.mcast_expect[set]);
}

void noc_mcast_skip(tg_core_set set) {
    nd.mcast_calls[set]++;
}

/* The leader's part of an agreement: the lowest failing rank over every node and
 * its status and message, into r; `at` is this node's first failing core (-1: none). */
static tg_status agree_nodes(int at, int t, node_result *r) {
    tg_core *c = tg_core_self();
    struct {
        int first, who;
    } in = {at >= 0 ? nd.ranks[at] : c->nranks, 0}, out;
    MPI_Comm_rank(nd.leaders[TG_SET_ALL], &in.who);
    MPI_Request req;
    int rc = MPI_Iallreduce(&in, &out, 1, MPI_2INT, MPI_MINLOC, nd.leaders[TG_SET_ALL], &req);
    TG_CHECK(mpi_wait(1, &req, rc, "agreement between nodes"));
    r->first = out.first;
    if (out.first == c->nranks) return TG_OK;
    struct {
        int code;
        char msg[TG_ERR_MSG_MAX];
    } m;
    memset(&m, 0, sizeof m);
    if (out.who == in.who) {
        m.code = nd.status[t][at];
        memcpy(m.msg, nd.msgs[t] + (size_t)at * TG_ERR_MSG_MAX, TG_ERR_MSG_MAX);
    }
    rc = MPI_Ibcast(&m, (int)sizeof m, MPI_BYTE, out.who, nd.leaders[TG_SET_ALL], &req);
    TG_CHECK(mpi_wait(1, &req, rc, "agreement between nodes"));
    r->code = m.code;
    memcpy(r->msg, m.msg, sizeof r->msg);
    return TG_OK;
}

bool noc_agree_local(tg_status st, int *first, int *code, char *msg) {
    if (!nd.on) return false;
    tg_core *c = tg_core_self();
    barrier_slot *s = &nd.slots[0];
    int t = nd.turn;
    nd.turn ^= 1;
    nd.status[t][nd.local] = (int32_t)st;
    if (st != TG_OK)
        snprintf(nd.msgs[t] + (size_t)nd.local * TG_ERR_MSG_MAX, TG_ERR_MSG_MAX, "%s",
                 tg_err_msg());
    noc_watch_begin(NOC_WAIT_AGREE);
    uint32_t rel = atomic_load(&s->release);
    slot_meet(s);
    int at = -1; /* this node's first failing core: its ranks are in order */
    for (int j = 0; j < nd.nlocal && at < 0; j++)
        if (nd.status[t][j] != TG_OK) at = j;
    if (!s->multi) {
        *first = at >= 0 ? nd.ranks[at] : c->nranks;
        if (at >= 0) {
            *code = nd.status[t][at];
            memcpy(msg, nd.msgs[t] + (size_t)at * TG_ERR_MSG_MAX, TG_ERR_MSG_MAX);
        }
    } else {
        node_result *r = nd.result[t];
        if (nd.lead[TG_SET_ALL]) {
            tg_status mst = agree_nodes(at, t, r);
            if (mst != TG_OK) { /* MPI failed between the nodes: this node says so */
                r->first = c->rank;
                r->code = mst;
                snprintf(r->msg, sizeof r->msg, "%s", tg_err_msg());
            }
        }
        slot_release(s, nd.lead[TG_SET_ALL], rel);
        *first = r->first;
        if (r->first < c->nranks) {
            *code = r->code;
            memcpy(msg, r->msg, TG_ERR_MSG_MAX);
        }
    }
    noc_watch_end();
    return true;
}

bool noc_reduce_local(const double *in, double *out, int n, const char *ops) {
    if (!nd.on) return false;
    barrier_slot *s = &nd.slots[0];
    int t = nd.turn;
    nd.turn ^= 1;
    memcpy(nd.values[t] + (size_t)nd.local * TG_REDUCE_MAX, in, (size_t)n * sizeof *in);
    noc_watch_begin(NOC_WAIT_REDUCE);
    uint32_t rel = atomic_load(&s->release);
    slot_meet(s);
    double v[TG_REDUCE_MAX];
    for (int i = 0; i < n; i++) {
        v[i] = nd.values[t][i];
        for (int j = 1; j < nd.nlocal; j++) {
            double x = nd.values[t][(size_t)j * TG_REDUCE_MAX + i];
            v[i] = ops[i] == 'm' ? (x > v[i] ? x : v[i]) : v[i] + x;
        }
    }
    if (s->multi) {
        node_result *r = nd.result[t];
        if (nd.lead[TG_SET_ALL]) {
            double sum[TG_REDUCE_MAX] = {0}, max[TG_REDUCE_MAX] = {0};
            MPI_Request req[2];
            int rc =
                MPI_Iallreduce(v, sum, n, MPI_DOUBLE, MPI_SUM, nd.leaders[TG_SET_ALL], &req[0]);
            if (rc == MPI_SUCCESS)
                rc =
                    MPI_Iallreduce(v, max, n, MPI_DOUBLE, MPI_MAX, nd.leaders[TG_SET_ALL], &req[1]);
            bool ok = mpi_wait(2, req, rc, "reduction between nodes") == TG_OK;
            /* statistics only: a failure shows as NaN rather than as a wrong figure */
            for (int i = 0; i < n; i++) r->values[i] = !ok ? NAN : ops[i] == 'm' ? max[i] : sum[i];
        }
        slot_release(s, nd.lead[TG_SET_ALL], rel);
        memcpy(v, r->values, (size_t)n * sizeof *v);
    }
    memcpy(out, v, (size_t)n * sizeof *out);
    noc_watch_end();
    return true;
}
