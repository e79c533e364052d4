/* The core's matrix multiply: C += A x B with B packed once, in a fixed order.
 *
 * Every element of C is computed the same way wherever its row falls: a register
 * accumulator starts at zero, takes one fused multiply-add per k in increasing k,
 * and is then added to C. Rows past a whole tile of MR rows, and columns past a
 * whole panel, go through the same kernel on zero-padded copies. So a row's result
 * depends on neither the block height nor the number of cores — the fixed
 * reduction order that makes float32 outputs bitwise reproducible across core
 * counts (OpenBLAS's result for a row changes with the call's shape), as the
 * device's matrix engine computes tile by tile. B (the weights) comes in panels of
 * 32 columns, the layout the conv reads its weights into L1 with, so it is never
 * repacked. */
#include "gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Panels are one tile (32 columns) wide whatever the vector unit, so the weights'
 * circular buffer has the same size and layout on every host: K rows of 32 values
 * per panel, as a column of the device's 32x32 weight tiles. */
#define NR 32

#if defined(__AVX512F__)
#include <immintrin.h>
#define MR 8
typedef __m512 vec;
#define VLEN 16
#define vzero() _mm512_setzero_ps()
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_storeu_ps(p, v)
#define vbcast(x) _mm512_set1_ps(x)
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vadd(a, b) _mm512_add_ps(a, b)
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define MR 3
typedef __m256 vec;
#define VLEN 8
#define vzero() _mm256_setzero_ps()
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_storeu_ps(p, v)
#define vbcast(x) _mm256_set1_ps(x)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vadd(a, b) _mm256_add_ps(a, b)
#else
/* Portable fallback: one float per "vector", fmaf per element. */
#define MR 4
typedef float vec;
#define VLEN 1
#define vzero() 0.0f
#define vload(p) (*(p))
#define vstore(p, v) (*(p) = (v))
#define vbcast(x) (x)
#define vfma(a, b, c) fmaf(a, b, c)
#define vadd(a, b) ((a) + (b))
#endif

#define NV (NR / VLEN) /* vectors per panel row */

/* C[MR x NR] (ldc) += A[MR x K] (lda) x panel[K x NR]. */
static void kernel(int64_t K, const float *A, int64_t lda, const float *P, float *C, int64_t ldc) {
    vec acc[MR][NV];
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) acc[i][v] = vzero();
    for (int64_t k = 0; k < K; k++) {
        vec b[NV];
        for (int v = 0; v < NV; v++) b[v] = vload(P + k * NR + v * VLEN);
        for (int i = 0; i < MR; i++) {
            vec a = vbcast(A[i * lda + k]);
            for (int v = 0; v < NV; v++) acc[i][v] = vfma(a, b[v], acc[i][v]);
        }
    }
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) {
            float *c = C + i * ldc + v * VLEN;
            vstore(c, vadd(vload(c), acc[i][v]));
        }
}

void tg_gemm_acc(float *C, int64_t ldc, const float *A, int64_t lda, int64_t m, int64_t k,
                 const float *packed, int64_t packed_rows, int64_t k0, int64_t c0, int64_t n,
                 float *scratch) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    /* scratch: MR x k for a short tile of A, then MR x NR for a short tile of C */
    float *Apad = scratch, *Cpad = scratch + (size_t)MR * k;
    int64_t p0 = c0 / NR;
    for (int64_t j = 0; j < n; j += NR) {
        const float *P = packed + ((size_t)(p0 + j / NR) * packed_rows + k0) * NR;
        int64_t w = n - j < NR ? n - j : NR;
        for (int64_t i = 0; i < m; i += MR) {
            int64_t h = m - i < MR ? m - i : MR;
            const float *a = A + i * lda;
            int64_t la = lda;
            if (h < MR) {
                memset(Apad, 0, (size_t)MR * k * sizeof *Apad);
                for (int64_t r = 0; r < h; r++)
                    memcpy(Apad + r * k, A + (i + r) * lda, (size_t)k * sizeof *A);
                a = Apad, la = k;
            }
            if (h == MR && w == NR) {
                kernel(k, a, la, P, C + i * ldc + j, ldc);
            } else {
                memset(Cpad, 0, (size_t)MR * NR * sizeof *Cpad);
                for (int64_t r = 0; r < h; r++)
                    memcpy(Cpad + r * NR, C + (i + r) * ldc + j, (size_t)w * sizeof *C);
                kernel(k, a, la, P, Cpad, NR);
                for (int64_t r = 0; r < h; r++)
                    memcpy(C + (i + r) * ldc + j, Cpad + r * NR, (size_t)w * sizeof *C);
            }
        }
    }
}

size_t tg_gemm_scratch_floats(int64_t k) {
    return (size_t)MR * (size_t)k + (size_t)MR * NR;
}
