/* bench_wait — how much waiting cores slow the cores that compute (DESIGN.md
 * section 1, "waiting"). Ranks 0 and 1 run the same fixed compute loop (a
 * single-threaded cblas_sgemm of N x N matrices, REPS times) and time it with
 * clock_gettime; every other rank waits until they finish, in tg_noc_barrier
 * (polite when the node is oversubscribed) or, with --mpi-barrier, in plain
 * MPI_Barrier (Open MPI's waiting ranks poll). --mode picks the NoC mechanism, which
 * decides how tg_noc_barrier waits: two-sided always takes MPI_Ibarrier tested with
 * exponential back-off sleeps (TTGRID_WAIT_CAP_US); one-sided may take a faster
 * node-local path where src/noc has one. Run at 64 ranks and at 2 ranks alone on the same machine,
 * the compute-loop times give the slow-down the waiting ranks cause; the project's
 * target is a polite 64-rank time <= 1.25x the 2-rank time. Rank 0 prints the
 * time of rank 0's and rank 1's loop and `compute_s=` (the slower of the two) for
 * drivers to pick up. */
#include <cblas.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "noc.h"
#include "noc_mpi.h"
#include "rank.h"

static double bench_clock(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The fixed work of a computing rank; returns its wall seconds and sets *cpu to the
 * processor seconds it got. `sink` keeps a value depending on every product. */
static double bench_compute(int n, int reps, double *cpu, float *sink) {
    size_t nn = (size_t)n * (size_t)n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = calloc(nn, sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "bench_wait: out of memory for %d x %d matrices\n", n, n);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
        b[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
    }
    double t0 = bench_clock(CLOCK_MONOTONIC), c0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
    for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.5f, c,
                    n);
    double t = bench_clock(CLOCK_MONOTONIC) - t0;
    *cpu = bench_clock(CLOCK_PROCESS_CPUTIME_ID) - c0;
    *sink = c[0] + c[nn - 1];
    free(a);
    free(b);
    free(c);
    return t;
}

int main(int argc, char **argv) {
    tg_noc_start(&argc, &argv);
    bool mpi_barrier = false, bad_args = false;
    int n = 256, reps = 4000;
    tg_noc_mode mode = TG_NOC_ONE_SIDED;
    for (int i = 1; i < argc; i++) {
        bool has = i + 1 < argc;
        if (!strcmp(argv[i], "--mpi-barrier"))
            mpi_barrier = true;
        else if (!strcmp(argv[i], "--n") && has)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && has)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mode") && has) {
            if (tg_noc_mode_parse(argv[++i], &mode) != TG_OK) bad_args = true;
        } else
            bad_args = true;
    }
    int rank = tg_noc_world_rank();
    if (bad_args || n < 1 || reps < 1) {
        if (rank == 0)
            fprintf(stderr, "usage: bench_wait [--mpi-barrier] [--mode one-sided|two-sided]\n"
                            "                  [--n N (256)] [--reps R (4000)]\n");
        tg_noc_stop();
        return 2;
    }

    tg_core_opts co = {0};
    co.dram_bank_size = 64 * 1024; /* DRAM is not used; keep 64 ranks small */
    if (tg_noc_init(&co, mode) != TG_OK) {
        fprintf(stderr, "bench_wait: %s\n", tg_err_msg());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    tg_core *me = tg_core_self();
    MPI_Comm comm = tg_noc_comm();

    /* Start together, then rank 0 and 1 compute while the others wait. */
    if (mpi_barrier)
        MPI_Barrier(comm);
    else
        tg_noc_barrier(TG_SET_ALL);
    double t[2] = {0.0, 0.0}; /* wall, processor */
    float sink = 0.0f;
    if (me->rank < 2) t[0] = bench_compute(n, reps, &t[1], &sink);
    if (mpi_barrier)
        MPI_Barrier(comm);
    else
        tg_noc_barrier(TG_SET_ALL);

    double r1[2] = {0.0, 0.0};
    if (me->nranks > 1) {
        if (me->rank == 1) MPI_Send(t, 2, MPI_DOUBLE, 0, 3, comm);
        if (me->rank == 0) MPI_Recv(r1, 2, MPI_DOUBLE, 1, 3, comm, MPI_STATUS_IGNORE);
    }
    if (me->rank == 0) {
        const char *cap = getenv("TTGRID_WAIT_CAP_US");
        double slow = r1[0] > t[0] ? r1[0] : t[0];
        printf("bench_wait: %d ranks, grid %dx%d, oversubscribed %s, waiting in %s (%s), wait "
               "cap %s us, sgemm %d^3 x %d: wall (processor) rank 0 %.3f (%.3f) s, rank 1 "
               "%.3f (%.3f) s; compute_s=%.3f (sink %g)\n",
               me->nranks, me->grid.w, me->grid.h, me->oversubscribed ? "yes" : "no",
               mpi_barrier ? "MPI_Barrier" : "tg_noc_barrier", tg_noc_mode_name(mode),
               cap ? cap : "10000", n, reps, t[0], t[1], r1[0], r1[1], slow, (double)sink);
        fflush(stdout);
    }
    tg_noc_finalize();
    tg_noc_stop();
    return 0;
}
