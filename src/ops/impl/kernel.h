/* The matrix engine of one core, private to src/ops: C += A x W on float32 blocks
 * through gemm.c's kernel, with the device's math fidelity (tt-metal report "Matrix
 * Engine": multipliers are 5b x 7b; in0 (activations) is unpacked to SrcB and in1
 * (weights) to SrcA — tt-llk llk_unpack_AB_matmul: "In0 -> srcB, In1 -> srcA").
 * Per phase SrcA contributes 1 hidden + 4 mantissa bits and SrcB 1 hidden + 6:
 *   LoFi   W[4] x A[6]
 *   HiFi2  W[8] x A[6]                    (SrcA's next 4 bits added)
 *   HiFi3  W[8] x A[6] + W[4] x (A[12] - A[6])
 *   HiFi4  W[8] x A[12]
 * where X[n] keeps n mantissa bits (truncated). The source registers hold 10
 * mantissa bits, so A[12] is A[10]. In float32 mode ttgrid multiplies in IEEE
 * float32 instead (the device would use TF32 source registers): float32 is the
 * emulator's exact reference. */
#ifndef TG_KERNEL_H
#define TG_KERNEL_H

#include "gemm.h"

#include <stdbool.h>
#include <stdint.h>

#include "conv2d.h"

/* Keeps `bits` mantissa bits of each value (truncation toward zero). */
void tg_trunc_mantissa(float *v, int64_t n, int bits);

/* Weights of a matmul as SrcA operands, in gemm.c's panels: `hi` is W[8] (W[4] for
 * LoFi), `lo` is W[4] for HiFi3's second product (else NULL). */
typedef struct tg_mm_weights {
    const float *hi;
    float *own, *lo, *scratch; /* own: hi when it is a host copy */
    int64_t rows, cols;
    tg_fidelity fid;
    bool exact;
    int act_bits; /* explicit mantissa bits of the activations' format (23, 7, 6) */
} tg_mm_weights;

/* Takes the weights from panels in L1 ([cols / 32 panels][rows][32] values of
 * `fmt`): float32 used in place when no truncation applies, else unpacked and
 * truncated into host memory. */
tg_status tg_mm_weights_from_panels(tg_mm_weights *mw, const uint8_t *panels, tg_fmt fmt,
                                    int64_t rows, int64_t cols, tg_fidelity fid, bool exact,
                                    tg_fmt act_fmt);
void tg_mm_weights_free(tg_mm_weights *mw);
/* Keeps the weight rows k < limit with k % stride < keep, in order, dropping the
 * rows of padded input channels: their products are exactly 0, so the sums (and
 * their order over the remaining rows) are unchanged while the multiplies shrink. */
tg_status tg_mm_weights_compact(tg_mm_weights *mw, int64_t stride, int64_t keep, int64_t limit);

/* C[m x n] (ldc) += A[m x k] (lda) x W[k0 .. k0+k, c0 .. c0+n] in gemm.c's fixed
 * order. A is truncated in place as SrcB; `tmp` holds m*k floats for HiFi3. */
void tg_mm_acc(float *C, int64_t ldc, float *A, int64_t lda, int64_t m, int64_t k,
               const tg_mm_weights *w, int64_t k0, int64_t c0, int64_t n, float *tmp);

/* The same in float32 (w->exact: no operand is truncated) with A's row i at rows[i],
 * read where it lies. */
void tg_mm_acc_rows(float *C, int64_t ldc, const float *const *rows, int64_t m, int64_t k,
                    const tg_mm_weights *w, int64_t k0, int64_t c0, int64_t n);

/* Modelled device cycles of m x k x n MACs on one core (DESIGN.md section 1:
 * 2*MACs / 4096 per cycle, times the fidelity's phases). */
double tg_mm_cycles(double macs, int flop_per_cycle, tg_fidelity fid);

#endif
