/* The test runner; see tg_test.h. */
#include "tg_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <cblas.h>

#include "gemm_select.h"
#include "noc.h"
#include "rank.h"

void tg_test_suite(const char *name, ...) {
    CU_pSuite s = CU_add_suite(name, NULL, NULL);
    va_list ap;
    va_start(ap, name);
    for (;;) {
        const char *tname = va_arg(ap, const char *);
        if (!tname) break;
        CU_TestFunc fn = va_arg(ap, CU_TestFunc);
        /* TTGRID_TEST_ONLY=SUBSTRING runs only the tests whose names hold it (by hand) */
        const char *only = getenv("TTGRID_TEST_ONLY");
        if (!only || strstr(tname, only)) CU_add_test(s, tname, fn);
    }
    va_end(ap);
}

void tg_test_each_noc_mode(void (*body)(void)) {
    for (int m = 0; m < 2; m++) {
        CU_ASSERT_EQUAL_FATAL(tg_noc_set_mode((tg_noc_mode)m), TG_OK);
        body();
    }
    /* the tests after it run in the default mode again */
    CU_ASSERT_EQUAL(tg_noc_set_mode(TG_NOC_ONE_SIDED), TG_OK);
}

void tg_rng_seed(tg_rng *r, unsigned long long seed) {
    r->s = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    if (!r->s) r->s = 1;
}

unsigned long long tg_rng_next(tg_rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

int tg_rng_int(tg_rng *r, int lo, int hi) {
    return lo + (int)(tg_rng_next(r) % (unsigned long long)(hi - lo + 1));
}

float tg_rng_float(tg_rng *r) {
    return (float)((double)(tg_rng_next(r) >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
}

/* Chooses the matrix kernel TTGRID_KERNEL names (the widest this processor runs when
 * it is unset): 0, TG_TEST_SKIP for a variant this processor cannot run, 1 for an
 * unknown name. Under MPI the ranks agree on the worst answer. */
static int select_kernel(bool mpi, int rank) {
    const char *want = getenv("TTGRID_KERNEL");
    int rc = 0;
    if (tg_gemm_select(want) != TG_OK) {
        rc = 1;
        for (int v = 0; v < TG_GEMM_VARIANTS; v++)
            if (!strcmp(want, tg_gemm_variant_name((tg_gemm_variant)v))) rc = TG_TEST_SKIP;
        fprintf(stderr, "rank %d: %s%s\n", rank, rc == TG_TEST_SKIP ? "skipped: " : "",
                tg_err_msg());
    }
    if (mpi) {
        double mine = rc, worst;
        tg_noc_reduce(&mine, &worst, 1, "m");
        rc = (int)worst;
    }
    return rc;
}

int tg_test_main(int argc, char **argv, tg_test_register reg, bool mpi) {
    int rank = 0, size = 1;
    if (mpi) {
        setenv("OMPI_MCA_io", "romio321", 0);
        tg_noc_start(&argc, &argv);
        rank = tg_noc_world_rank();
        size = tg_noc_world_size();
        /* the device opened as TTNN's conv tests open it: an L1_SMALL region for the
         * convs' config tensors (TTNN's default is none) */
        tg_core_opts co = {.l1_small_size = 32768};
        tg_noc_mode mode = TG_NOC_ONE_SIDED;
        const char *m = getenv("TTGRID_NOC_MODE");
        tg_status st = m ? tg_noc_mode_parse(m, &mode) : TG_OK;
        if (st == TG_OK) st = tg_noc_init(&co, mode);
        if (st != TG_OK) { /* the same on every rank: all stop */
            if (rank == 0) fprintf(stderr, "%s\n", tg_err_msg());
            tg_noc_stop();
            return 1;
        }
    }
    int rc = select_kernel(mpi, rank);
    if (rc != 0) {
        if (mpi) {
            tg_noc_finalize();
            tg_noc_stop();
        }
        return rc;
    }
    openblas_set_num_threads(1);
    (void)argv;
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    reg();
    if (mpi) {
        CU_run_all_tests(); /* no output: rank 0 prints the summary over all ranks */
    } else {
        CU_basic_set_mode(CU_BRM_NORMAL);
        CU_basic_run_tests();
    }
    unsigned long long local[5] = {CU_get_number_of_suites_run(), CU_get_number_of_tests_run(),
                                   CU_get_number_of_tests_failed(), CU_get_number_of_asserts(),
                                   CU_get_number_of_failures()};
    unsigned long long total[5];
    memcpy(total, local, sizeof local);
    if (mpi) {
        for (CU_pFailureRecord f = CU_get_failure_list(); f; f = f->pNext)
            fprintf(stderr, "rank %d: %s: %s:%u: %s\n", rank, f->pTest ? f->pTest->pName : "?",
                    f->strFileName ? f->strFileName : "?", f->uiLineNumber,
                    f->strCondition ? f->strCondition : "");
        fflush(stderr);
        /* counts far below 2^53: exact as doubles */
        double in[5], sum[5];
        for (int i = 0; i < 5; i++) in[i] = (double)local[i];
        tg_noc_reduce(in, sum, 5, "sssss");
        for (int i = 0; i < 5; i++) total[i] = (unsigned long long)sum[i];
        if (rank == 0)
            printf("\nRun Summary over %d ranks, matrix kernel %s: suites %llu, tests %llu "
                   "(failed %llu), asserts %llu (failed %llu)\n",
                   size, tg_gemm_variant_name(tg_gemm_variant_in_use()),
                   total[0] / (unsigned long long)size, total[1] / (unsigned long long)size,
                   total[2], total[3], total[4]);
    }
    CU_cleanup_registry();
    if (mpi) {
        tg_noc_finalize();
        tg_noc_stop();
    }
    return total[4] > 0 || total[2] > 0 ? 1 : 0;
}
