/* Unit tests of the matrix kernel (src/ops/gemm.c): every variant this processor
 * runs gives the bits of a scalar fmaf reference summed in the same order, from one
 * matrix or from rows lying apart (tg_gemm_acc_rows), and the
 * choice of variant (tg_gemm_select) reports what it cannot do. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "gemm_select.h"
#include "tg_test.h"
#include "unit.h"

/* One call: C[m x n] (ldc) += A[m x k] (lda) x B[k0 .. k0+k, c0 .. c0+n], B packed in
 * panels of `rows` rows. */
typedef struct gemm_case {
    int64_t m, k, n, lda, ldc, rows, k0, c0, cols;
} gemm_case;

/* Shapes that are not whole tiles of any variant (MR 8, 3 or 4; panels of 32), a
 * K far longer than a tile, and a call inside a larger packed B (k0, c0 > 0). */
static const gemm_case cases[] = {
    {1, 1, 1, 1, 1, 1, 0, 0, 1},
    {5, 37, 45, 40, 50, 37, 0, 0, 45},
    {13, 300, 70, 301, 75, 300, 0, 0, 70},
    {24, 96, 64, 96, 64, 96, 0, 0, 64},
    {7, 4099, 33, 4100, 40, 4099, 0, 0, 33},
    {11, 250, 50, 260, 60, 400, 100, 32, 90},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

typedef struct gemm_data {
    float *A, *packed, *C0; /* [m x lda], [panels][rows][32], [m x ldc] */
} gemm_data;

static gemm_data make(const gemm_case *g, unsigned long long seed) {
    tg_rng rng;
    tg_rng_seed(&rng, seed);
    int64_t panels = (g->cols + TG_GEMM_PANEL - 1) / TG_GEMM_PANEL;
    size_t na = (size_t)(g->m * g->lda), np = (size_t)(panels * g->rows * TG_GEMM_PANEL),
           nc = (size_t)(g->m * g->ldc);
    gemm_data d = {malloc(na * sizeof(float)), malloc(np * sizeof(float)),
                   malloc(nc * sizeof(float))};
    for (size_t i = 0; i < na; i++) d.A[i] = tg_rng_float(&rng);
    for (size_t i = 0; i < np; i++) d.packed[i] = tg_rng_float(&rng);
    for (size_t i = 0; i < nc; i++) d.C0[i] = tg_rng_float(&rng);
    return d;
}

/* B[r][c] of the packed matrix. */
static float packed_at(const gemm_case *g, const float *packed, int64_t r, int64_t c) {
    return packed[((c / TG_GEMM_PANEL) * g->rows + r) * TG_GEMM_PANEL + c % TG_GEMM_PANEL];
}

/* The promise, written out: one accumulator from zero, one fmaf per k in increasing
 * k, then one add to C. */
static float *reference(const gemm_case *g, const gemm_data *d) {
    float *C = malloc((size_t)(g->m * g->ldc) * sizeof *C);
    memcpy(C, d->C0, (size_t)(g->m * g->ldc) * sizeof *C);
    for (int64_t i = 0; i < g->m; i++)
        for (int64_t j = 0; j < g->n; j++) {
            float acc = 0.0f;
            for (int64_t kk = 0; kk < g->k; kk++)
                acc = fmaf(d->A[i * g->lda + kk], packed_at(g, d->packed, g->k0 + kk, g->c0 + j),
                           acc);
            C[i * g->ldc + j] += acc;
        }
    return C;
}

/* tg_gemm_acc on A, or (by_rows) tg_gemm_acc_rows on A's rows copied apart: in
 * reverse order into one buffer with a gap of 3 floats after each, so no row lies at
 * a fixed stride from the last. */
static float *run(const gemm_case *g, const gemm_data *d, bool by_rows) {
    float *C = malloc((size_t)(g->m * g->ldc) * sizeof *C);
    float *scratch = malloc(tg_gemm_scratch_floats(g->k) * sizeof *scratch);
    memcpy(C, d->C0, (size_t)(g->m * g->ldc) * sizeof *C);
    if (!by_rows) {
        tg_gemm_acc(C, g->ldc, d->A, g->lda, g->m, g->k, d->packed, g->rows, g->k0, g->c0, g->n,
                    scratch);
    } else {
        float *apart = malloc((size_t)(g->m * (g->k + 3)) * sizeof *apart);
        const float **rows = malloc((size_t)g->m * sizeof *rows);
        for (int64_t i = 0; i < g->m; i++) {
            float *at = apart + (g->m - 1 - i) * (g->k + 3);
            memcpy(at, d->A + i * g->lda, (size_t)g->k * sizeof *at);
            rows[i] = at;
        }
        tg_gemm_acc_rows(C, g->ldc, rows, g->m, g->k, d->packed, g->rows, g->k0, g->c0, g->n,
                         scratch);
        free(apart), free(rows);
    }
    free(scratch);
    return C;
}

static void gemm_every_variant_matches_fmaf_reference_bitwise(void) {
    tg_gemm_variant before = tg_gemm_variant_in_use();
    int ran = 0;
    for (int v = 0; v < TG_GEMM_VARIANTS; v++) {
        const char *name = tg_gemm_variant_name((tg_gemm_variant)v);
        if (!tg_gemm_variant_supported((tg_gemm_variant)v)) continue; /* e.g. no AVX-512 */
        CU_ASSERT_EQUAL_FATAL(tg_gemm_select(name), TG_OK);
        CU_ASSERT_EQUAL(tg_gemm_variant_in_use(), (tg_gemm_variant)v);
        for (int c = 0; c < NCASES; c++) {
            const gemm_case *g = &cases[c];
            gemm_data d = make(g, 100 + (unsigned long long)c);
            float *want = reference(g, &d), *got = run(g, &d, false), *by_rows = run(g, &d, true);
            /* the whole of C: the elements outside the n columns stay untouched too */
            CU_ASSERT_EQUAL(memcmp(got, want, (size_t)(g->m * g->ldc) * sizeof *got), 0);
            CU_ASSERT_EQUAL(memcmp(by_rows, want, (size_t)(g->m * g->ldc) * sizeof *got), 0);
            free(want), free(got), free(by_rows);
            free(d.A), free(d.packed), free(d.C0);
        }
        ran++;
    }
    CU_ASSERT(ran >= 1 && tg_gemm_variant_supported(TG_GEMM_PORTABLE));
    CU_ASSERT_EQUAL(tg_gemm_select(tg_gemm_variant_name(before)), TG_OK);
}

static void gemm_select_takes_the_widest_and_refuses_what_it_cannot_run(void) {
    tg_gemm_variant before = tg_gemm_variant_in_use();
    CU_ASSERT_EQUAL(tg_gemm_select(NULL), TG_OK);
    tg_gemm_variant widest = tg_gemm_variant_in_use();
    CU_ASSERT(tg_gemm_variant_supported(widest));
    for (int v = widest + 1; v < TG_GEMM_VARIANTS; v++)
        CU_ASSERT(!tg_gemm_variant_supported((tg_gemm_variant)v));
    CU_ASSERT_EQUAL(tg_gemm_select(""), TG_OK);
    CU_ASSERT_EQUAL(tg_gemm_variant_in_use(), widest);
    /* an unknown name, and every variant this processor lacks: usage errors that say
     * what it can run, leaving the choice as it was */
    CU_ASSERT_EQUAL(tg_gemm_select("sse"), TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "unknown matrix kernel"));
    for (int v = widest + 1; v < TG_GEMM_VARIANTS; v++) {
        CU_ASSERT_EQUAL(tg_gemm_select(tg_gemm_variant_name((tg_gemm_variant)v)), TG_ERR_USAGE);
        CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "it can run: "));
        CU_ASSERT_EQUAL(tg_gemm_variant_in_use(), widest);
    }
    tg_err_clear();
    CU_ASSERT_EQUAL(tg_gemm_select(tg_gemm_variant_name(before)), TG_OK);
}

void unit_register_gemm(void) {
    tg_test_suite("gemm", "gemm_every_variant_matches_fmaf_reference_bitwise",
                  gemm_every_variant_matches_fmaf_reference_bitwise,
                  "gemm_select_takes_the_widest_and_refuses_what_it_cannot_run",
                  gemm_select_takes_the_widest_and_refuses_what_it_cannot_run, NULL);
}
