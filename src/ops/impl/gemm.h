/* The core's matrix multiply, private to src/ops; see gemm.c for why it is ttgrid's
 * own and not BLAS: every element is summed in one fixed order, whatever the shape
 * of the call, and the weights are packed once. */
#ifndef TG_GEMM_H
#define TG_GEMM_H

#include <stddef.h>
#include <stdint.h>

/* Columns per panel of a packed matrix: panel p holds rows 0..R-1 of columns
 * 32p..32p+31, each row's 32 values contiguous. */
#define TG_GEMM_PANEL 32
/* Floats of scratch tg_gemm_acc needs for k. */
size_t tg_gemm_scratch_floats(int64_t k);
/* C[m x n] (ldc) += A[m x k] (lda) x B[k0 .. k0+k, c0 .. c0+n], B in panels of
 * packed_rows rows; c0 a multiple of the panel width. */
void tg_gemm_acc(float *C, int64_t ldc, const float *A, int64_t lda, int64_t m, int64_t k,
                 const float *packed, int64_t packed_rows, int64_t k0, int64_t c0, int64_t n,
                 float *scratch);
/* The same with A's row i at rows[i] (m pointers to k floats each): a gathered
 * matrix multiplied where its rows lie, without copying them together. The same
 * bits as tg_gemm_acc on those rows copied into one matrix. */
void tg_gemm_acc_rows(float *C, int64_t ldc, const float *const *rows, int64_t m, int64_t k,
                      const float *packed, int64_t packed_rows, int64_t k0, int64_t c0, int64_t n,
                      float *scratch);

#endif
