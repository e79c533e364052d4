/* The watchdog (TTGRID_TIMEOUT) and the fault injector (TTGRID_FAULT), part of
 * src/noc: no failure of one core may leave the others waiting for ever (DESIGN.md
 * section 10), and the tests make such failures on purpose.
 *
 * Watchdog. Every wait in src/noc (barriers, agreements, reductions, MPI requests,
 * semaphores) is bracketed by noc_watch_begin / noc_watch_end and polls
 * noc_watch_poll while it sleeps. A core that has waited longer than the limit
 * ends the job: one line naming the cores of its node that wait (and in which op
 * and which wait) and those that do not, then MPI_Abort, because the cores it
 * waits for cannot take part in an agreement any more. Each node's cores publish
 * their waits on a board in the node's segment (node.c), so one core per node
 * reports (the first to claim the board), and the nodes report in turn (node i
 * half a second after node i-1), so that the first line is normally the only one.
 * Waits inside MPI calls that block without a loop of ours (an RMA flush under
 * osc pt2pt towards a core that stopped) are not seen.
 *
 * Faults. TTGRID_FAULT=RANK:OP[:error|crash|hang][:N] arms one fault: rank RANK
 * fails at its N-th (first) call into src/noc while the statistics scope OP is open
 * (the op name tg_stats_begin received: load, conv2d, store, layer1.0.conv2, ...). `error`: a
 * transfer (read, write, multicast, DRAM, semaphore increment) returns the error
 * without moving anything; any other call (a barrier, a group multicast, an
 * agreement: steps every core must take together) goes on, and the error enters
 * the core's next agreement, so every core reports it. `crash`: the process kills
 * itself (SIGKILL) after one line. `hang`: the process stops taking part (sleeps);
 * the others' watchdog ends the job, or its own after twice the limit when nobody
 * waits for it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "noc_impl.h"

/* An hour: far above any wait of a run (the longest over the whole Release test
 * suite, 753 runs of a core, was 1.2 s; io's rank 0 may wait up to 10 minutes for
 * another run's lock on an output while the others wait in an agreement), while a
 * hung job on a cluster would otherwise hold its nodes until the scheduler's time
 * limit. TTGRID_TIMEOUT=0 turns the watchdog off (a debugger stopping one rank). */
#define WATCH_DEFAULT_S 3600.0
/* Node i reports this much after node i - 1 (at most WATCH_STAGGER_MAX turns). */
#define WATCH_STAGGER_NS 500000000LL
#define WATCH_STAGGER_MAX 16

/* One core's wait, as the other cores of its node see it. */
typedef struct watch_entry {
    _Atomic int64_t since; /* CLOCK_MONOTONIC ns when the wait began; 0: not waiting */
    int32_t what;          /* noc_wait_kind */
    int32_t rank;          /* the core */
    char op[48];           /* the statistics scope it waits in */
} watch_entry;

typedef struct watch_board {
    _Atomic uint32_t reported; /* a core of this node has claimed the report */
    char pad[60];
    watch_entry e[];
} watch_board;

static struct {
    int64_t limit; /* ns; 0: off */
    char limit_text[32];
    watch_board *board;
    bool own_board; /* malloc'd: no segment */
    int n, local, index, nnodes;
    int depth; /* nested waits: the outermost is the one on the board */
    int64_t deadline;
} w;

static struct {
    bool armed, held;
    int rank;
    long nth, seen; /* the call that fails, the calls seen in the op */
    enum { FAULT_ERROR, FAULT_CRASH, FAULT_HANG } kind;
    char op[64];
    char spec[160];
    char msg[TG_ERR_MSG_MAX];
} f;

static int64_t clock_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t stagger_ns(void) {
    return (w.index < WATCH_STAGGER_MAX ? w.index : WATCH_STAGGER_MAX) * WATCH_STAGGER_NS;
}

/* ---- set-up ---- */

static tg_status parse_timeout(void) {
    const char *env = getenv("TTGRID_TIMEOUT");
    double s = WATCH_DEFAULT_S;
    if (env && *env) {
        char *end;
        s = strtod(env, &end);
        if (*end || !(s >= 0) || s > 1e9)
            return tg_err(TG_ERR_USAGE, "TTGRID_TIMEOUT='%s' is not a number of seconds", env);
    }
    w.limit = (int64_t)(s * 1e9);
    snprintf(w.limit_text, sizeof w.limit_text, "%g s", s);
    return TG_OK;
}

static tg_status parse_fault(int nranks) {
    const char *env = getenv("TTGRID_FAULT");
    memset(&f, 0, sizeof f);
    if (!env || !*env) return TG_OK;
    snprintf(f.spec, sizeof f.spec, "%s", env);
    char *end;
    long r = strtol(env, &end, 10);
    if (end == env || *end != ':' || !end[1])
        return tg_err(TG_ERR_USAGE, "TTGRID_FAULT='%s': expected RANK:OP[:error|crash|hang][:N]",
                      env);
    if (r < 0 || r >= nranks)
        return tg_err(TG_ERR_USAGE, "TTGRID_FAULT='%s': rank %ld does not exist (%d ranks)", env, r,
                      nranks);
    const char *op = end + 1, *last = strrchr(op, ':');
    size_t oplen = strlen(op);
    f.kind = FAULT_ERROR;
    f.nth = 1;
    if (last && last[1] >= '0' && last[1] <= '9') { /* :N, the call that fails */
        char *e;
        f.nth = strtol(last + 1, &e, 10);
        if (*e || f.nth < 1)
            return tg_err(TG_ERR_USAGE, "TTGRID_FAULT='%s': the call number must be 1 or more",
                          env);
        oplen = (size_t)(last - op);
        last = memrchr(op, ':', oplen);
    }
    if (last) {
        static const char *const kinds[] = {"error", "crash", "hang"};
        size_t len = (size_t)(op + oplen - (last + 1));
        for (int k = 0; k < 3; k++)
            if (strlen(kinds[k]) == len && !strncmp(last + 1, kinds[k], len)) {
                f.kind = k;
                oplen = (size_t)(last - op);
            }
    }
    if (oplen == 0 || oplen >= sizeof f.op)
        return tg_err(TG_ERR_USAGE, "TTGRID_FAULT='%s': the op name has %zu characters (1 to %zu)",
                      env, oplen, sizeof f.op - 1);
    memcpy(f.op, op, oplen);
    f.rank = (int)r;
    f.armed = true;
    return TG_OK;
}

tg_status noc_watch_init(void) {
    memset(&w, 0, sizeof w);
    TG_CHECK(parse_timeout());
    return parse_fault(tg_core_self()->nranks);
}

size_t noc_watch_board_bytes(int nlocal) {
    return sizeof(watch_board) + (size_t)nlocal * sizeof(watch_entry);
}

void noc_watch_attach(void *board, int nlocal, int local, int index, int nnodes) {
    w.own_board = board == NULL;
    w.board = board ? board : calloc(1, noc_watch_board_bytes(1));
    w.n = nlocal, w.local = local, w.index = index, w.nnodes = nnodes;
    if (w.board) w.board->e[local].rank = tg_core_self()->rank;
}

void noc_watch_detach(void) {
    if (w.own_board) free(w.board);
    w.board = NULL;
    w.own_board = false;
}

/* ---- the report ---- */

static const char *wait_name(int what) {
    switch (what) {
    case NOC_WAIT_BARRIER_ALL:
        return "a barrier over all cores";
    case NOC_WAIT_BARRIER_ROW:
        return "a barrier over its grid row";
    case NOC_WAIT_BARRIER_COL:
        return "a barrier over its grid column";
    case NOC_WAIT_AGREE:
        return "an agreement";
    case NOC_WAIT_REDUCE:
        return "a reduction";
    case NOC_WAIT_SEMAPHORE:
        return "a semaphore";
    case NOC_WAIT_MCAST:
        return "a group multicast's handover";
    default:
        return "NoC transfers";
    }
}

static size_t add(char *line, size_t len, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t add(char *line, size_t len, size_t cap, const char *fmt, ...) {
    if (len >= cap) return len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + len, cap - len, fmt, ap);
    va_end(ap);
    return n < 0 ? len : len + (size_t)n;
}

static void core_xy(int rank, int *x, int *y) {
    tg_grid g = tg_core_self()->grid;
    *x = tg_core_x(g, rank), *y = tg_core_y(g, rank);
}

/* Ends the job with one line (`line` without the "ttgrid: error: " prefix), unless
 * another core of this node has claimed the report: then returns, and the caller
 * waits for the end that core brings. */
static void end_job(const char *line) {
    if (w.board && atomic_exchange(&w.board->reported, 1)) return;
    fprintf(stderr, "ttgrid: error: %s\n", line);
    fflush(stderr);
    noc_kill_remove_files();
    /* The one exit from library code (DESIGN.md section 10: MPI_Abort only where the
     * ranks cannot agree): the core this one waits for no longer answers, so no
     * agreement can carry the error; MPI_Abort ends every rank of the job. */
    MPI_Abort(MPI_COMM_WORLD, TG_ERR_RUNTIME);
}

/* The watchdog's line: the waiting cores of this node, grouped by op and wait, and
 * the cores of this node that are not waiting. */
static void report_waits(void) {
    char line[TG_ERR_MSG_MAX];
    size_t len = 0, cap = sizeof line;
    len = add(line, len, cap, "watchdog: waited more than %s (TTGRID_TIMEOUT):", w.limit_text);
    int n = w.own_board ? 1 : w.n;
    bool done[n];
    memset(done, 0, sizeof done);
    int groups = 0;
    for (int i = 0; i < n; i++) {
        if (done[i] || !atomic_load(&w.board->e[i].since)) continue;
        const watch_entry *a = &w.board->e[i];
        int count = 0;
        for (int j = i; j < n; j++)
            if (!done[j] && atomic_load(&w.board->e[j].since) && w.board->e[j].what == a->what &&
                !strcmp(w.board->e[j].op, a->op))
                count++;
        len = add(line, len, cap, "%s %s", groups++ ? ";" : "", count > 1 ? "cores" : "core");
        bool first = true;
        for (int j = i; j < n; j++) {
            const watch_entry *b = &w.board->e[j];
            if (done[j] || !atomic_load(&b->since) || b->what != a->what || strcmp(b->op, a->op))
                continue;
            int x, y;
            core_xy(b->rank, &x, &y);
            len = add(line, len, cap, "%s (%d,%d)", first ? "" : ",", x, y);
            first = false;
            done[j] = true;
        }
        len = add(line, len, cap, " in op '%s' (%s)", a->op, wait_name(a->what));
    }
    int idle = 0;
    for (int i = 0; i < n; i++) idle += !atomic_load(&w.board->e[i].since);
    if (idle) {
        len = add(line, len, cap, "; not waiting: %s", idle > 1 ? "cores" : "core");
        bool first = true;
        for (int i = 0; i < n; i++) {
            if (atomic_load(&w.board->e[i].since)) continue;
            int x, y;
            core_xy(w.board->e[i].rank, &x, &y);
            len = add(line, len, cap, "%s (%d,%d)", first ? "" : ",", x, y);
            first = false;
        }
    }
    if (w.own_board)
        add(line, len, cap, "; other cores not seen (no node segment)");
    else if (w.nnodes > 1)
        add(line, len, cap, "; cores of node %d of %d only", w.index, w.nnodes);
    end_job(line);
}

/* ---- waits ---- */

bool noc_watch_on(void) {
    return w.limit > 0;
}

void noc_watch_begin(noc_wait_kind what) {
    if (w.depth++ || !w.limit || !w.board) return;
    watch_entry *e = &w.board->e[w.own_board ? 0 : w.local];
    int64_t now = clock_ns();
    w.deadline = now + w.limit + stagger_ns();
    e->what = (int32_t)what;
    /* the scope changes once per op, the waits thousands of times a pass: the name
     * is copied only when it differs from the one on the board (only this core
     * writes its entry) */
    const char *op = tg_stats_scope();
    if (strncmp(e->op, op, sizeof e->op - 1) != 0) snprintf(e->op, sizeof e->op, "%s", op);
    atomic_store(&e->since, now);
}

void noc_watch_end(void) {
    if (--w.depth || !w.limit || !w.board) return;
    atomic_store(&w.board->e[w.own_board ? 0 : w.local].since, 0);
}

int64_t noc_watch_poll(void) {
    if (!w.limit || !w.depth || !w.board) return -1;
    int64_t now = clock_ns();
    if (now < w.deadline) return w.deadline - now;
    report_waits();
    w.deadline = now + 1000000000LL; /* another core reports: its abort is on the way */
    return 1000000000LL;
}

/* ---- faults ---- */

static void hang(void) {
    int64_t until = clock_ns() + 2 * w.limit + stagger_ns();
    for (;;) {
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
        if (w.limit && clock_ns() > until) {
            char line[TG_ERR_MSG_MAX];
            tg_core *c = tg_core_self();
            snprintf(line, sizeof line,
                     "watchdog: core (%d,%d) hangs on purpose in op '%s' (TTGRID_FAULT=%s) and no "
                     "core waiting for it ended the job within twice %s (TTGRID_TIMEOUT)",
                     c->x, c->y, f.op, f.spec, w.limit_text);
            end_job(line);
            until = clock_ns() + 1000000000LL;
        }
    }
}

/* "first DRAM read", or "call 5 (a barrier)" */
static const char *call_name(const char *call) {
    static char name[96];
    if (f.nth == 1)
        snprintf(name, sizeof name, "first %s", call);
    else
        snprintf(name, sizeof name, "call %ld (a%s %s)", f.nth, strchr("aeiou", call[0]) ? "n" : "",
                 call);
    return name;
}

tg_status noc_fault(const char *call, bool transfer) {
    if (!f.armed) return TG_OK;
    tg_core *c = tg_core_self();
    if (c->rank != f.rank || strcmp(tg_stats_scope(), f.op) || ++f.seen < f.nth) return TG_OK;
    f.armed = false;
    if (f.kind == FAULT_CRASH) {
        fprintf(stderr,
                "ttgrid: error: core (%d,%d) crashes on purpose in op '%s' at its %s "
                "(TTGRID_FAULT=%s)\n",
                c->x, c->y, f.op, call_name(call), f.spec);
        fflush(stderr);
        raise(SIGKILL);
    }
    if (f.kind == FAULT_HANG) hang();
    snprintf(f.msg, sizeof f.msg,
             "core (%d,%d) failed on purpose in op '%s' at its %s (TTGRID_FAULT=%s)", c->x, c->y,
             f.op, call_name(call), f.spec);
    f.held = true;
    return transfer ? tg_err(TG_ERR_RUNTIME, "%s", f.msg) : TG_OK;
}

tg_status noc_fault_agree(tg_status st) {
    if (!f.held) return st;
    f.held = false;
    return st != TG_OK ? st : tg_err(TG_ERR_RUNTIME, "%s", f.msg);
}
