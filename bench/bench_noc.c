/* bench_noc — what the NoC layer (src/noc) costs over raw MPI, for both of its
 * mechanisms (one-sided RMA, two-sided messages), at payloads from 64 B to 1 MiB.
 * Two patterns are timed. NoC read: every core reads `size` bytes from the L1 of
 * its neighbour (rank + 1) % P and completes the read with tg_noc_read_barrier;
 * the MPI baseline moves the same bytes by MPI_Send/MPI_Recv ping-pong between
 * rank pairs (0,1), (2,3)… and reports one way (round trip / 2). NoC multicast:
 * core 0 multicasts `size` bytes to every core of the grid and completes it with
 * tg_noc_write_barrier while the other cores wait in tg_noc_barrier (which serves
 * two-sided requests); the baseline is MPI_Bcast from rank 0. Each point is a
 * warm-up, a calibration, then several timed batches of ~equal length; a batch's
 * time is the slowest rank's loop time, and the figure is the median over batches
 * of time per iteration. Every read iteration overwrites the two ends of its
 * destination with a sentinel first and checks the real bytes came back; after
 * timing, each point zeroes the destinations, moves the data once and compares
 * every byte (FAIL is printed when any differs). Rank 0 prints a table of µs, MB/s
 * and the ratio NoC/MPI, and the mean ratio at sizes >= 64 KiB per mechanism (the
 * project's target is <= 1.10). L1 is enlarged to 2 MiB + 64 KiB per core because
 * a 1 MiB read needs a 1 MiB source and a 1 MiB destination on every core. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "noc.h"
#include "noc_mpi.h"
#include "rank.h"

#define BENCH_NSIZES 8
#define BENCH_MAX_SIZE ((size_t)1 << 20)
#define BENCH_MAX_BATCHES 32

static const size_t bench_sizes[BENCH_NSIZES] = {64,        256,       1024,       4096,
                                                 16 * 1024, 64 * 1024, 256 * 1024, 1 << 20};

enum { BENCH_READ = 0, BENCH_MCAST = 1, BENCH_NOPS = 2 };
enum { BENCH_NMECH = 2 };

/* What one point times: a NoC pattern or one of its MPI baselines. */
typedef enum {
    BENCH_NOC_READ,   /* tg_noc_read + read barrier from (rank + 1) % P */
    BENCH_NOC_MCAST,  /* tg_noc_mcast from rank 0 to the whole grid + write barrier */
    BENCH_PINGPONG,   /* MPI_Send/MPI_Recv round trips between ranks 2k and 2k+1 */
    BENCH_RING,       /* MPI_Sendrecv: every rank gets `size` bytes from (rank + 1) % P */
    BENCH_BCAST,      /* MPI_Bcast from rank 0 */
    BENCH_BCAST_COPY, /* rank 0 copies its buffer locally, then MPI_Bcast */
    BENCH_NKINDS
} bench_kind;

typedef struct bench_ctx {
    MPI_Comm comm;
    int rank, nranks;
    tg_grid grid;
    bench_kind kind;
    bool noc; /* NoC body (sync with tg_noc_barrier) or MPI baseline (MPI_Barrier) */
    size_t size;
    size_t src_off, dst_off;
    uint8_t *src, *dst;
    long fails; /* sentinel mismatches and failed calls on this rank */
} bench_ctx;

typedef double (*bench_body)(bench_ctx *c, long iters);

static double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The byte core `r` holds at index `k` of its source buffer. */
static uint8_t bench_pattern(int r, size_t k) {
    return (uint8_t)((unsigned)r * 131u + (unsigned)k * 7u + (unsigned)(k >> 8) * 13u + 1u);
}

static void bench_sync(const bench_ctx *c) {
    if (c->noc)
        tg_noc_barrier(TG_SET_ALL);
    else
        MPI_Barrier(c->comm);
}

static void bench_note(bench_ctx *c, tg_status st) {
    if (st == TG_OK) return;
    if (!c->fails) fprintf(stderr, "bench_noc: rank %d: %s\n", c->rank, tg_err_msg());
    c->fails++;
}

/* The core whose source bytes land in my destination for this op (-1: none). */
static int bench_origin(const bench_ctx *c) {
    switch (c->kind) {
    case BENCH_NOC_READ:
    case BENCH_RING:
        return (c->rank + 1) % c->nranks;
    case BENCH_PINGPONG:
        return (c->rank ^ 1) < c->nranks ? c->rank ^ 1 : -1;
    case BENCH_BCAST:
        return c->rank == 0 ? -1 : 0;
    default:
        return 0; /* multicast and copy-then-broadcast: rank 0's copy lands on it too */
    }
}

/* Writes a sentinel at both ends of my destination (values the transfer must
 * replace). */
static void bench_arm(const bench_ctx *c, int origin) {
    volatile uint8_t *d = c->dst;
    d[0] = (uint8_t)~bench_pattern(origin, 0);
    d[c->size - 1] = (uint8_t)~bench_pattern(origin, c->size - 1);
}

static void bench_check(bench_ctx *c, int origin) {
    volatile uint8_t *d = c->dst;
    if (d[0] != bench_pattern(origin, 0) || d[c->size - 1] != bench_pattern(origin, c->size - 1))
        c->fails++;
}

static double bench_noc_read(bench_ctx *c, long iters) {
    int nb = (c->rank + 1) % c->nranks;
    double t0 = bench_now();
    for (long i = 0; i < iters; i++) {
        bench_arm(c, nb);
        bench_note(c, tg_noc_read(nb, c->src_off, c->dst_off, c->size));
        bench_note(c, tg_noc_read_barrier());
        bench_check(c, nb);
    }
    return bench_now() - t0;
}

/* Core 0 multicasts; the others have nothing to do in the loop: they wait in the
 * batch's closing tg_noc_barrier, where two-sided mode serves the writes. */
static double bench_noc_mcast(bench_ctx *c, long iters) {
    if (c->rank != 0) return 0.0;
    tg_rect all = {0, 0, c->grid.w, c->grid.h};
    double t0 = bench_now();
    for (long i = 0; i < iters; i++) {
        bench_note(c, tg_noc_mcast(all, c->dst_off, c->src_off, c->size));
        bench_note(c, tg_noc_write_barrier());
    }
    return bench_now() - t0;
}

/* Ping-pong between ranks 2k and 2k+1; one iteration is a round trip. */
static double bench_mpi_pingpong(bench_ctx *c, long iters) {
    int partner = c->rank ^ 1;
    if (partner >= c->nranks) return 0.0;
    int n = (int)c->size;
    double t0 = bench_now();
    for (long i = 0; i < iters; i++) {
        bench_arm(c, partner);
        if (c->rank % 2 == 0) {
            MPI_Send(c->src, n, MPI_BYTE, partner, 7, c->comm);
            MPI_Recv(c->dst, n, MPI_BYTE, partner, 7, c->comm, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(c->dst, n, MPI_BYTE, partner, 7, c->comm, MPI_STATUS_IGNORE);
            MPI_Send(c->src, n, MPI_BYTE, partner, 7, c->comm);
        }
        bench_check(c, partner);
    }
    return bench_now() - t0;
}

/* The same data movement as the NoC read ring, in one MPI call per rank. */
static double bench_mpi_ring(bench_ctx *c, long iters) {
    int from = (c->rank + 1) % c->nranks, to = (c->rank + c->nranks - 1) % c->nranks;
    int n = (int)c->size;
    double t0 = bench_now();
    for (long i = 0; i < iters; i++) {
        bench_arm(c, from);
        MPI_Sendrecv(c->src, n, MPI_BYTE, to, 8, c->dst, n, MPI_BYTE, from, 8, c->comm,
                     MPI_STATUS_IGNORE);
        bench_check(c, from);
    }
    return bench_now() - t0;
}

/* MPI_Bcast; with BENCH_BCAST_COPY rank 0 first copies its source to its own
 * destination, as a multicast to a rectangle holding the sender does. */
static double bench_mpi_bcast(bench_ctx *c, long iters) {
    bool root = c->rank == 0, copy = c->kind == BENCH_BCAST_COPY;
    double t0 = bench_now();
    for (long i = 0; i < iters; i++) {
        if (!root || copy) bench_arm(c, 0);
        if (root && copy) memmove(c->dst, c->src, c->size);
        MPI_Bcast(root ? c->src : c->dst, (int)c->size, MPI_BYTE, 0, c->comm);
        if (!root || copy) bench_check(c, 0);
    }
    return bench_now() - t0;
}

/* One batch: every rank runs the body `iters` times between two synchronisations;
 * returns the slowest rank's loop time (the same on every rank). Collective. */
static double bench_batch(bench_ctx *c, bench_body body, long iters) {
    bench_sync(c);
    double t = body(c, iters), tmax = 0.0;
    /* Two-sided: every rank leaves its NoC waits before the plain MPI collective. */
    bench_sync(c);
    MPI_Allreduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, c->comm);
    return tmax;
}

static int bench_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Seconds per iteration: warm-up, calibration to ~target_s in total, then the
 * median over `batches` timed batches. Collective. */
static double bench_measure(bench_ctx *c, bench_body body, double target_s, int batches) {
    bench_batch(c, body, 2);
    double per = bench_batch(c, body, 3) / 3.0;
    double want = target_s / batches / (per > 1e-9 ? per : 1e-9);
    long iters = want < 3.0 ? 3 : want > 1e7 ? 10000000L : (long)want;
    double v[BENCH_MAX_BATCHES];
    for (int b = 0; b < batches; b++) v[b] = bench_batch(c, body, iters) / (double)iters;
    qsort(v, (size_t)batches, sizeof v[0], bench_cmp);
    return batches % 2 ? v[batches / 2] : 0.5 * (v[batches / 2 - 1] + v[batches / 2]);
}

/* Zeroes every destination, moves the data once, compares every byte with the
 * origin's pattern; returns the mismatches summed over ranks. Collective. */
static long bench_verify(bench_ctx *c, bench_body body) {
    memset(c->dst, 0, c->size);
    long fails_before = c->fails;
    bench_batch(c, body, 1);
    long bad = c->fails - fails_before;
    int origin = bench_origin(c);
    if (origin >= 0)
        for (size_t k = 0; k < c->size; k++) bad += c->dst[k] != bench_pattern(origin, k);
    long total = 0;
    MPI_Allreduce(&bad, &total, 1, MPI_LONG, MPI_SUM, c->comm);
    return total;
}

typedef struct bench_point {
    double sec;  /* per iteration (one way for ping-pong) */
    long errors; /* summed over ranks: sentinels, failed calls, verify mismatches */
} bench_point;

static bench_point bench_run(bench_ctx *c, bench_kind kind, size_t size, double target_s,
                             int batches) {
    static const bench_body bodies[BENCH_NKINDS] = {bench_noc_read,     bench_noc_mcast,
                                                    bench_mpi_pingpong, bench_mpi_ring,
                                                    bench_mpi_bcast,    bench_mpi_bcast};
    c->kind = kind;
    c->noc = kind == BENCH_NOC_READ || kind == BENCH_NOC_MCAST;
    c->size = size;
    c->fails = 0;
    bench_body body = bodies[kind];
    bench_point p;
    p.sec = bench_measure(c, body, target_s, batches);
    if (kind == BENCH_PINGPONG) p.sec /= 2.0;
    long timed = 0;
    MPI_Allreduce(&c->fails, &timed, 1, MPI_LONG, MPI_SUM, c->comm);
    p.errors = timed + bench_verify(c, body);
    return p;
}

static void bench_usage(void) {
    fprintf(stderr, "usage: bench_noc [--time SECONDS per point (0.2)] [--batches N (5)]\n"
                    "                 [--max-size BYTES (1048576)] [--mode one-sided|two-sided]\n");
}

int main(int argc, char **argv) {
    tg_noc_start(&argc, &argv);
    double target_s = 0.2;
    int batches = 5;
    size_t max_size = BENCH_MAX_SIZE;
    int only_mode = -1;
    bool bad_args = false;
    for (int i = 1; i < argc; i++) {
        bool has = i + 1 < argc;
        if (!strcmp(argv[i], "--time") && has)
            target_s = atof(argv[++i]);
        else if (!strcmp(argv[i], "--batches") && has)
            batches = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-size") && has)
            max_size = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--mode") && has) {
            tg_noc_mode m;
            if (tg_noc_mode_parse(argv[++i], &m) != TG_OK) bad_args = true;
            only_mode = (int)m;
        } else
            bad_args = true;
    }
    if (batches < 1 || batches > BENCH_MAX_BATCHES || target_s <= 0.0 || max_size < 64 ||
        max_size > BENCH_MAX_SIZE)
        bad_args = true;
    int nranks = tg_noc_world_size(), rank = tg_noc_world_rank();
    if (bad_args || nranks < 2) {
        if (rank == 0) {
            if (nranks < 2) fprintf(stderr, "bench_noc: needs at least 2 ranks\n");
            bench_usage();
        }
        tg_noc_stop();
        return 2;
    }

    /* Room for a 1 MiB source and a 1 MiB destination; DRAM is not used. */
    tg_core_opts co = {0};
    co.l1_size = 2 * BENCH_MAX_SIZE + 64 * 1024;
    co.dram_bank_size = 64 * 1024;
    /* MPI baselines first (their mechanism does not matter), then each mechanism
     * over every size and both patterns. */
    tg_noc_mode mode = TG_NOC_ONE_SIDED;
    if (tg_noc_init(&co, mode) != TG_OK) {
        fprintf(stderr, "bench_noc: %s\n", tg_err_msg());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    tg_core *me = tg_core_self();
    bench_ctx c = {.comm = tg_noc_comm(), .rank = me->rank, .nranks = me->nranks, .grid = me->grid};
    if (tg_core_alloc("bench:src", BENCH_MAX_SIZE, &c.src_off) != TG_OK ||
        tg_core_alloc("bench:dst", BENCH_MAX_SIZE, &c.dst_off) != TG_OK) {
        fprintf(stderr, "bench_noc: %s\n", tg_err_msg());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    c.src = tg_l1_ptr(c.src_off);
    c.dst = tg_l1_ptr(c.dst_off);
    for (size_t k = 0; k < BENCH_MAX_SIZE; k++) c.src[k] = bench_pattern(c.rank, k);
    memset(c.dst, 0, BENCH_MAX_SIZE);

    int nsizes = 0;
    while (nsizes < BENCH_NSIZES && bench_sizes[nsizes] <= max_size) nsizes++;
    /* mpi[op][0]: the baseline the ratio is taken to (ping-pong one way, MPI_Bcast);
     * mpi[op][1]: the same data movement as the NoC pattern (ring MPI_Sendrecv,
     * MPI_Bcast after rank 0's local copy). */
    static const bench_kind mpi_kinds[BENCH_NOPS][2] = {{BENCH_PINGPONG, BENCH_RING},
                                                        {BENCH_BCAST, BENCH_BCAST_COPY}};
    static const bench_kind noc_kinds[BENCH_NOPS] = {BENCH_NOC_READ, BENCH_NOC_MCAST};
    static bench_point noc[BENCH_NOPS][BENCH_NMECH][BENCH_NSIZES];
    static bench_point mpi[BENCH_NOPS][2][BENCH_NSIZES];
    bool ran[BENCH_NMECH] = {false, false};

    bench_run(&c, BENCH_PINGPONG, bench_sizes[0], target_s / 4, batches); /* start-up */
    for (int op = 0; op < BENCH_NOPS; op++)
        for (int v = 0; v < 2; v++)
            for (int s = 0; s < nsizes; s++)
                mpi[op][v][s] = bench_run(&c, mpi_kinds[op][v], bench_sizes[s], target_s, batches);
    for (int m = 0; m < BENCH_NMECH; m++) {
        if (only_mode >= 0 && m != only_mode) continue;
        if (m != (int)mode) {
            mode = (tg_noc_mode)m;
            if (tg_noc_set_mode(mode) != TG_OK) {
                fprintf(stderr, "bench_noc: %s\n", tg_err_msg());
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
        }
        ran[m] = true;
        for (int op = 0; op < BENCH_NOPS; op++)
            for (int s = 0; s < nsizes; s++)
                noc[op][m][s] = bench_run(&c, noc_kinds[op], bench_sizes[s], target_s, batches);
    }

    if (rank == 0) {
        const char *cma = getenv("OMPI_MCA_btl_vader_single_copy_mechanism");
        const char *cap = getenv("TTGRID_WAIT_CAP_US");
        printf("bench_noc: %d ranks, grid %dx%d, oversubscribed %s, wait cap %s us, "
               "vader single copy %s, %.2f s per point, median of %d batches\n",
               nranks, me->grid.w, me->grid.h, me->oversubscribed ? "yes" : "no",
               cap ? cap : "10000", cma ? cma : "(unset: default)", target_s, batches);
        printf("read:  NoC = tg_noc_read + read barrier from (rank+1)%%P on every rank; "
               "MPI = ping-pong one way; MPI2 = ring MPI_Sendrecv; MB/s per reading core\n");
        printf("mcast: NoC = tg_noc_mcast to the %dx%d grid + write barrier; MPI = MPI_Bcast; "
               "MPI2 = root memcpy + MPI_Bcast; MB/s = payload x %d destinations\n",
               me->grid.w, me->grid.h, nranks - 1);
        printf("%-5s %8s %-9s %9s %9s %7s %9s %9s %9s %8s %s\n", "op", "size", "mechanism",
               "NoC_us", "MPI_us", "NoC/MPI", "NoC_MB/s", "MPI_MB/s", "MPI2_us", "NoC/MPI2",
               "check");
        static const char *op_names[BENCH_NOPS] = {"read", "mcast"};
        for (int op = 0; op < BENCH_NOPS; op++)
            for (int s = 0; s < nsizes; s++)
                for (int m = 0; m < BENCH_NMECH; m++) {
                    if (!ran[m]) continue;
                    double dests = op == BENCH_MCAST ? nranks - 1 : 1;
                    double bytes = (double)bench_sizes[s] * dests;
                    bench_point n = noc[op][m][s], b = mpi[op][0][s], b2 = mpi[op][1][s];
                    long errors = n.errors + b.errors + b2.errors;
                    printf("%-5s %8zu %-9s %9.2f %9.2f %7.2f %9.0f %9.0f %9.2f %8.2f %s\n",
                           op_names[op], bench_sizes[s], tg_noc_mode_name((tg_noc_mode)m),
                           n.sec * 1e6, b.sec * 1e6, n.sec / b.sec, bytes / n.sec / 1e6,
                           bytes / b.sec / 1e6, b2.sec * 1e6, n.sec / b2.sec,
                           errors ? "FAIL" : "ok");
                    if (errors)
                        printf("FAIL: %s %zu B %s: %ld NoC, %ld MPI, %ld MPI2 errors\n",
                               op_names[op], bench_sizes[s], tg_noc_mode_name((tg_noc_mode)m),
                               n.errors, b.errors, b2.errors);
                }
        for (int m = 0; m < BENCH_NMECH; m++) {
            if (!ran[m]) continue;
            double sum[BENCH_NOPS][2] = {{0.0, 0.0}, {0.0, 0.0}};
            int cnt = 0;
            for (int s = 0; s < nsizes; s++) {
                if (bench_sizes[s] < 64 * 1024) continue;
                for (int op = 0; op < BENCH_NOPS; op++)
                    for (int v = 0; v < 2; v++) sum[op][v] += noc[op][m][s].sec / mpi[op][v][s].sec;
                cnt++;
            }
            if (!cnt) continue;
            printf("mean NoC/MPI at >= 64 KiB, %d ranks, %-9s: read %.2f, mcast %.2f, both %.2f "
                   "(target <= 1.10); NoC/MPI2: read %.2f, mcast %.2f\n",
                   nranks, tg_noc_mode_name((tg_noc_mode)m), sum[0][0] / cnt, sum[1][0] / cnt,
                   (sum[0][0] + sum[1][0]) / (2 * cnt), sum[0][1] / cnt, sum[1][1] / cnt);
        }
        fflush(stdout);
    }

    tg_noc_finalize();
    tg_noc_stop();
    return 0;
}
