/* One variant of the matrix kernel and its driver, written once and instantiated by
 * gemm.c for each vector unit; included only there, never by another file.
 *
 * The includer defines, before each inclusion:
 *   GV(name)   the variant's name for a function (kernel_avx2, acc_avx2, ...)
 *   GV_TARGET  the function attribute that lets the compiler use the variant's
 *              instructions (__attribute__((target("avx2,fma")))), or nothing
 *   MR         rows of A per tile
 *   vec, VLEN  the vector type and its floats
 *   vzero, vload, vstore, vbcast, vfma, vadd   the vector operations
 * and this file undefines them at its end. vfma must round once (a fused
 * multiply-add): that is what makes every variant's sums the same bits. */

#define NV (NR / VLEN) /* vectors per panel row */
_Static_assert(MR <= MR_MAX, "scratch is sized for MR_MAX rows");

/* C[MR x NR] (ldc) += A[MR x K] x panel[K x NR], row i of A at a[i]. */
static GV_TARGET void GV(kernel)(int64_t K, const float *const *a, const float *P, float *C,
                                 int64_t ldc) {
    const float *ar[MR];
    for (int i = 0; i < MR; i++) ar[i] = a[i];
    vec acc[MR][NV];
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) acc[i][v] = vzero();
    for (int64_t k = 0; k < K; k++) {
        vec b[NV];
        for (int v = 0; v < NV; v++) b[v] = vload(P + k * NR + v * VLEN);
        for (int i = 0; i < MR; i++) {
            vec x = vbcast(ar[i][k]);
            for (int v = 0; v < NV; v++) acc[i][v] = vfma(x, b[v], acc[i][v]);
        }
    }
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) {
            float *c = C + i * ldc + v * VLEN;
            vstore(c, vadd(vload(c), acc[i][v]));
        }
}

/* tg_gemm_acc and tg_gemm_acc_rows for this variant (see gemm.h): A's row i at
 * rows[i] when rows is given, else at A + i * lda; scratch holds at least
 * MR x (k + NR). A short tile's missing rows read a row of zeros (their results are
 * dropped), so every row is summed by the same kernel. */
static GV_TARGET void GV(acc)(float *C, int64_t ldc, const float *A, int64_t lda,
                              const float *const *rows, int64_t m, int64_t k, const float *packed,
                              int64_t packed_rows, int64_t k0, int64_t c0, int64_t n,
                              float *scratch) {
    /* scratch: a row of k zeros, then MR x NR for a short tile of C */
    float *zero = scratch, *Cpad = scratch + (size_t)MR * k;
    if (m % MR) memset(zero, 0, (size_t)k * sizeof *zero);
    int64_t p0 = c0 / NR;
    for (int64_t j = 0; j < n; j += NR) {
        const float *P = packed + ((size_t)(p0 + j / NR) * packed_rows + k0) * NR;
        int64_t w = n - j < NR ? n - j : NR;
        for (int64_t i = 0; i < m; i += MR) {
            int64_t h = m - i < MR ? m - i : MR;
            const float *a[MR];
            for (int64_t r = 0; r < MR; r++)
                a[r] = r >= h ? zero : rows ? rows[i + r] : A + (i + r) * lda;
            if (h == MR && w == NR) {
                GV(kernel)(k, a, P, C + i * ldc + j, ldc);
            } else {
                memset(Cpad, 0, (size_t)MR * NR * sizeof *Cpad);
                for (int64_t r = 0; r < h; r++)
                    memcpy(Cpad + r * NR, C + (i + r) * ldc + j, (size_t)w * sizeof *C);
                GV(kernel)(k, a, P, Cpad, NR);
                for (int64_t r = 0; r < h; r++)
                    memcpy(C + (i + r) * ldc + j, Cpad + r * NR, (size_t)w * sizeof *C);
            }
        }
    }
}

#undef NV
#undef GV
#undef GV_TARGET
#undef MR
#undef vec
#undef VLEN
#undef vzero
#undef vload
#undef vstore
#undef vbcast
#undef vfma
#undef vadd
