/* The matrix engine of one core; see kernel.h. */
#include "kernel.h"
#include "multiversion.h"

#include <stdlib.h>
#include <string.h>

TG_MULTIVERSION void tg_trunc_mantissa(float *v, int64_t n, int bits) {
    if (bits >= 23) return;
    uint32_t mask = ~((1u << (23 - bits)) - 1u);
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        u &= mask;
        memcpy(&v[i], &u, 4);
    }
}

/* dst[i] = the bfloat16 src[i] as float32 with `mask` over its bits: one pass that
 * the compiler vectorizes (restrict, and no pointer read from the weights' struct
 * inside the loop, where it stayed scalar, reloading mw->own on every value). */
TG_MULTIVERSION static void bf16_to_f32_masked(float *restrict dst, const uint16_t *restrict src,
                                               size_t n, uint32_t mask) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = ((uint32_t)src[i] << 16) & mask;
        memcpy(&dst[i], &u, 4);
    }
}

/* Explicit mantissa bits a value of the format can have once unpacked. */
static int fmt_bits(tg_fmt f) {
    return f == TG_FLOAT32 ? 23 : f == TG_BFLOAT16 ? 7 : 6; /* bfloat8_b: 7-bit magnitude */
}

tg_status tg_mm_weights_from_panels(tg_mm_weights *mw, const uint8_t *panels, tg_fmt fmt,
                                    int64_t rows, int64_t cols, tg_fidelity fid, bool exact,
                                    tg_fmt act_fmt) {
    tg_mm_weights_free(mw);
    mw->rows = rows, mw->cols = cols, mw->fid = fid, mw->exact = exact;
    mw->act_bits = fmt_bits(act_fmt);
    int64_t npanels = (cols + TG_GEMM_PANEL - 1) / TG_GEMM_PANEL;
    size_t n = (size_t)(rows * npanels * TG_GEMM_PANEL);
    mw->scratch = malloc(tg_gemm_scratch_floats(rows) * sizeof *mw->scratch);
    if (!mw->scratch) return tg_err(TG_ERR_RUNTIME, "matmul: out of host memory for weights");
    if (fmt == TG_FLOAT32 && exact) {
        mw->hi = (const float *)panels; /* the L1 buffer itself */
        return TG_OK;
    }
    mw->own = malloc(n * sizeof *mw->own);
    if (!mw->own) return tg_err(TG_ERR_RUNTIME, "matmul: out of host memory for weights");
    int keep = exact ? 23 : fid == TG_LOFI ? 4 : 8; /* SrcA bits of the fidelity */
    if (fmt == TG_BFLOAT16 && fid != TG_HIFI3) {
        /* one pass: bfloat16 to float32 with the truncation folded into the mask */
        uint32_t mask = keep >= 7 ? 0xffffffffu : ~((1u << (23 - keep)) - 1u);
        bf16_to_f32_masked(mw->own, (const uint16_t *)(const void *)panels, n, mask);
        mw->hi = mw->own;
        return TG_OK;
    }
    /* a panel row of 32 values is whole blocks of every format */
    tg_fmt_unpack(fmt, panels, (int64_t)n, mw->own);
    if (!exact && fid == TG_HIFI3) {
        mw->lo = malloc(n * sizeof *mw->lo);
        if (!mw->lo) return tg_err(TG_ERR_RUNTIME, "matmul: out of host memory for weights");
        memcpy(mw->lo, mw->own, n * sizeof *mw->lo);
        tg_trunc_mantissa(mw->lo, (int64_t)n, 4);
    }
    if (keep < fmt_bits(fmt)) tg_trunc_mantissa(mw->own, (int64_t)n, keep);
    mw->hi = mw->own;
    return TG_OK;
}

void tg_mm_weights_free(tg_mm_weights *mw) {
    free(mw->own);
    free(mw->lo);
    free(mw->scratch);
    memset(mw, 0, sizeof *mw);
}

static float *compact_panels(const float *src, int64_t rows, int64_t panels, int64_t stride,
                             int64_t keep, int64_t limit, int64_t out_rows) {
    float *dst = malloc((size_t)(out_rows * panels * TG_GEMM_PANEL) * sizeof *dst);
    if (!dst) return NULL;
    for (int64_t p = 0; p < panels; p++) {
        float *d = dst + (size_t)p * out_rows * TG_GEMM_PANEL;
        for (int64_t k = 0; k < limit; k++)
            if (k % stride < keep) {
                memcpy(d, src + ((size_t)p * rows + k) * TG_GEMM_PANEL, TG_GEMM_PANEL * sizeof *d);
                d += TG_GEMM_PANEL;
            }
    }
    return dst;
}

tg_status tg_mm_weights_compact(tg_mm_weights *mw, int64_t stride, int64_t keep, int64_t limit) {
    int64_t panels = (mw->cols + TG_GEMM_PANEL - 1) / TG_GEMM_PANEL;
    int64_t out_rows = limit / stride * keep + (limit % stride < keep ? limit % stride : keep);
    float *hi = compact_panels(mw->hi, mw->rows, panels, stride, keep, limit, out_rows);
    float *lo =
        mw->lo ? compact_panels(mw->lo, mw->rows, panels, stride, keep, limit, out_rows) : NULL;
    if (!hi || (mw->lo && !lo)) {
        free(hi), free(lo);
        return tg_err(TG_ERR_RUNTIME, "matmul: out of host memory for weights");
    }
    free(mw->own);
    free(mw->lo);
    mw->own = hi, mw->hi = hi, mw->lo = lo, mw->rows = out_rows;
    return TG_OK;
}

void tg_mm_acc(float *C, int64_t ldc, float *A, int64_t lda, int64_t m, int64_t k,
               const tg_mm_weights *w, int64_t k0, int64_t c0, int64_t n, float *tmp) {
    if (m <= 0 || n <= 0 || k <= 0) return;
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
            tg_gemm_acc(C, ldc, tmp, k, m, k, w->lo, w->rows, k0, c0, n, w->scratch);
        } else {
            int bits = w->fid == TG_HIFI4 ? 10 : 6; /* SrcB bits of the fidelity */
            if (bits < w->act_bits)
                for (int64_t i = 0; i < m; i++) tg_trunc_mantissa(A + i * lda, k, bits);
        }
    }
    tg_gemm_acc(C, ldc, A, lda, m, k, w->hi, w->rows, k0, c0, n, w->scratch);
}

void tg_mm_acc_rows(float *C, int64_t ldc, const float *const *rows, int64_t m, int64_t k,
                    const tg_mm_weights *w, int64_t k0, int64_t c0, int64_t n) {
    tg_gemm_acc_rows(C, ldc, rows, m, k, w->hi, w->rows, k0, c0, n, w->scratch);
}

double tg_mm_cycles(double macs, int flop_per_cycle, tg_fidelity fid) {
    return 2.0 * macs / flop_per_cycle * (double)fid;
}
