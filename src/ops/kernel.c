/* The matrix engine of one core; see kernel.h. */
#include "kernel.h"

#include <stdlib.h>
#include <string.h>

#include <cblas.h>

void tg_trunc_mantissa(float *v, int64_t n, int bits) {
    if (bits >= 23) return;
    uint32_t mask = ~((1u << (23 - bits)) - 1u);
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        u &= mask;
        memcpy(&v[i], &u, 4);
    }
}

tg_status tg_mm_weights_make(tg_mm_weights *mw, float *w, int64_t rows, int64_t cols,
                             tg_fidelity fid, bool exact) {
    memset(mw, 0, sizeof *mw);
    mw->hi = w;
    mw->rows = rows, mw->cols = cols, mw->fid = fid, mw->exact = exact;
    if (exact) return TG_OK;
    size_t n = (size_t)(rows * cols);
    if (fid == TG_HIFI3) {
        mw->lo = malloc(n * sizeof *mw->lo);
        if (!mw->lo) return tg_err(TG_ERR_RUNTIME, "matmul: out of host memory for weights");
        memcpy(mw->lo, w, n * sizeof *w);
        tg_trunc_mantissa(mw->lo, (int64_t)n, 4);
    }
    tg_trunc_mantissa(mw->hi, (int64_t)n, fid == TG_LOFI ? 4 : 8);
    return TG_OK;
}

void tg_mm_weights_free(tg_mm_weights *mw) {
    free(mw->hi);
    free(mw->lo);
    memset(mw, 0, sizeof *mw);
}

/* One tile row (32 rows of C) per BLAS call, as the matrix engine works tile by
 * tile: a row's result then depends only on its position within its tile row, not
 * on how many rows a block has, so the same conv gives bitwise the same output on
 * any number of cores (blocks start at multiples of 32). */
static void gemm(float *C, int64_t ldc, const float *A, int64_t lda, int64_t m, int64_t k,
                 const float *W, int64_t ldw, int64_t n) {
    for (int64_t i = 0; i < m; i += 32) {
        int64_t rows = m - i < 32 ? m - i : 32;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)n, (int)k, 1.0f,
                    A + i * lda, (int)lda, W, (int)ldw, 1.0f, C + i * ldc, (int)ldc);
    }
}

void tg_mm_acc(float *C, int64_t ldc, float *A, int64_t lda, int64_t m, int64_t k,
               const tg_mm_weights *w, int64_t k0, int64_t c0, int64_t n, float *tmp) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    const float *Whi = w->hi + k0 * w->cols + c0;
    if (!w->exact) {
        if (w->fid == TG_HIFI3) {
            /* A[10] - A[6]: the bits of SrcB's second phase */
            for (int64_t i = 0; i < m; i++) {
                memcpy(tmp + i * k, A + i * lda, (size_t)k * sizeof *A);
                tg_trunc_mantissa(tmp + i * k, k, 10);
            }
            for (int64_t i = 0; i < m; i++) tg_trunc_mantissa(A + i * lda, k, 6);
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < k; j++) tmp[i * k + j] -= A[i * lda + j];
            gemm(C, ldc, tmp, k, m, k, w->lo + k0 * w->cols + c0, w->cols, n);
        } else {
            for (int64_t i = 0; i < m; i++) tg_trunc_mantissa(A + i * lda, k, w->fid == TG_HIFI4 ? 10 : 6);
        }
    }
    gemm(C, ldc, A, lda, m, k, Whi, w->cols, n);
}

double tg_mm_cycles(double macs, int flop_per_cycle, tg_fidelity fid) {
    return 2.0 * macs / flop_per_cycle * (double)fid;
}
