/* The core's matrix multiply: C += A x B with B packed once, in a fixed order.
 *
 * Every element of C is computed the same way wherever its row falls: a register
 * accumulator starts at zero, takes one fused multiply-add per k in increasing k,
 * and is then added to C. Rows past a whole tile of MR rows (read as a row of
 * zeros), and columns past a whole panel (on a zero-padded copy of C), go through the
 * same kernel. The kernel reads A's rows through pointers, so rows that lie apart (a
 * conv's windows, tg_gemm_acc_rows) are summed as if copied together. So a row's result
 * depends on neither the block height nor the number of cores, only on how the
 * caller cuts K — the fixed reduction order that makes float32 outputs of height
 * sharding and DRAM bitwise reproducible across core counts (block and width cut K
 * by channel slices: the README's conv2d section; OpenBLAS's result for a row
 * changes with the call's shape), as the
 * device's matrix engine computes tile by tile. B (the weights) comes in panels of
 * 32 columns, the layout the conv reads its weights into L1 with, so it is never
 * repacked.
 *
 * Every build holds three variants of the kernel, and one is chosen at run time
 * (tg_gemm_select, gemm_select.h): AVX-512 (8 rows x 2 vectors of 16), AVX2 with
 * FMA (3 rows x 4 vectors of 8) and portable (4 rows x 32 scalar fmaf). The kernel
 * and its driver are written once, in gemm_kernel.h, and instantiated below once
 * per variant, each function carrying __attribute__((target(...))), rather than
 * compiled three times from three files with per-file flags: the attribute lets
 * only these functions use the wider instructions, so nothing that runs before the
 * processor is asked (an inline helper from a header, a copy the compiler
 * expands) can pick them up, and the build needs no per-file flags. The binary thus
 * runs on any x86-64 processor (and, with the portable variant alone, on any other).
 *
 * The variants give the same bits: each sums an element in one accumulator, one
 * fused multiply-add per k (the vector FMA instruction, or fmaf, both rounding
 * once) in increasing k, then one add to C; the tile height MR changes which
 * elements share a call, never an element's sum. The build compiles with
 * -ffp-contract=off and never with -ffast-math (CMakeLists.txt), so the compiler
 * neither fuses the final add nor reorders a sum. */
#include "gemm.h"
#include "gemm_select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define TG_GEMM_X86 1
#include <immintrin.h>
#endif

/* Panels are one tile (32 columns) wide whatever the vector unit, so the weights'
 * circular buffer has the same size and layout on every host: K rows of 32 values
 * per panel, as a column of the device's 32x32 weight tiles. */
#define NR 32
/* The tallest tile of any variant: scratch is sized for it, so that buffers made
 * before a variant is chosen (or changed, in the tests) fit every variant. */
#define MR_MAX 8

/* GCC tunes the variants generically whatever -march says: tuned for znver3 (a
 * -march=native build on AMD EPYC) the AVX2 kernel ran about 25 % slower. Clang 14
 * knows no "tune=" in the attribute (the fuzzing build), and tunes generically. */
#if defined(__GNUC__) && !defined(__clang__)
#define GEMM_TUNE ",tune=generic"
#else
#define GEMM_TUNE ""
#endif

/* Portable: one float per "vector", fmaf per element. */
#define GV(name) name##_portable
#define GV_TARGET
#define MR 4
#define vec float
#define VLEN 1
#define vzero() 0.0f
#define vload(p) (*(p))
#define vstore(p, v) (*(p) = (v))
#define vbcast(x) (x)
#define vfma(a, b, c) fmaf(a, b, c)
#define vadd(a, b) ((a) + (b))
#include "gemm_kernel.h"

#ifdef TG_GEMM_X86
#define GV(name) name##_avx2
#define GV_TARGET __attribute__((target("avx2,fma" GEMM_TUNE)))
#define MR 3
#define vec __m256
#define VLEN 8
#define vzero() _mm256_setzero_ps()
#define vload(p) _mm256_loadu_ps(p)
#define vstore(p, v) _mm256_storeu_ps(p, v)
#define vbcast(x) _mm256_set1_ps(x)
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vadd(a, b) _mm256_add_ps(a, b)
#include "gemm_kernel.h"

#define GV(name) name##_avx512
#define GV_TARGET __attribute__((target("avx512f" GEMM_TUNE)))
#define MR 8
#define vec __m512
#define VLEN 16
#define vzero() _mm512_setzero_ps()
#define vload(p) _mm512_loadu_ps(p)
#define vstore(p, v) _mm512_storeu_ps(p, v)
#define vbcast(x) _mm512_set1_ps(x)
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vadd(a, b) _mm512_add_ps(a, b)
#include "gemm_kernel.h"
#endif

typedef void (*acc_fn)(float *C, int64_t ldc, const float *A, int64_t lda, const float *const *rows,
                       int64_t m, int64_t k, const float *packed, int64_t packed_rows, int64_t k0,
                       int64_t c0, int64_t n, float *scratch);

static const struct {
    const char *name;
    acc_fn acc; /* NULL: not built for this architecture */
} variants[TG_GEMM_VARIANTS] = {
    [TG_GEMM_PORTABLE] = {"portable", acc_portable},
#ifdef TG_GEMM_X86
    [TG_GEMM_AVX2] = {"avx2", acc_avx2},
    [TG_GEMM_AVX512] = {"avx512", acc_avx512},
#else
    [TG_GEMM_AVX2] = {"avx2", NULL},
    [TG_GEMM_AVX512] = {"avx512", NULL},
#endif
};

/* The chosen variant's driver; NULL until tg_gemm_select (or the first multiply). */
static acc_fn in_use;
static tg_gemm_variant in_use_variant;

const char *tg_gemm_variant_name(tg_gemm_variant v) {
    return v >= 0 && v < TG_GEMM_VARIANTS ? variants[v].name : "?";
}

bool tg_gemm_variant_supported(tg_gemm_variant v) {
    if (v < 0 || v >= TG_GEMM_VARIANTS || !variants[v].acc) return false;
#ifdef TG_GEMM_X86
    /* libgcc's answers include the operating system's support (XCR0): a processor
     * with AVX-512 under a kernel that does not save its registers says no. */
    __builtin_cpu_init();
    if (v == TG_GEMM_AVX512) return __builtin_cpu_supports("avx512f");
    if (v == TG_GEMM_AVX2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return true;
}

static tg_gemm_variant widest_supported(void) {
    tg_gemm_variant v = TG_GEMM_VARIANTS - 1;
    while (v > TG_GEMM_PORTABLE && !tg_gemm_variant_supported(v)) v--;
    return v;
}

tg_status tg_gemm_select(const char *request) {
    tg_gemm_variant v = widest_supported();
    if (request && request[0]) {
        int i = 0;
        while (i < TG_GEMM_VARIANTS && strcmp(request, variants[i].name)) i++;
        if (i == TG_GEMM_VARIANTS)
            return tg_err(TG_ERR_USAGE,
                          "TTGRID_KERNEL=%s: unknown matrix kernel (avx512, avx2, portable)",
                          request);
        if (!tg_gemm_variant_supported((tg_gemm_variant)i)) {
            char have[64] = "";
            for (int j = TG_GEMM_VARIANTS - 1; j >= 0; j--)
                if (tg_gemm_variant_supported((tg_gemm_variant)j))
                    snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s",
                             have[0] ? ", " : "", variants[j].name);
            return tg_err(TG_ERR_USAGE,
                          "TTGRID_KERNEL=%s: this processor cannot run the %s matrix kernel "
                          "(it can run: %s)",
                          request, request, have);
        }
        v = (tg_gemm_variant)i;
    }
    in_use_variant = v;
    in_use = variants[v].acc;
    return TG_OK;
}

tg_gemm_variant tg_gemm_variant_in_use(void) {
    if (!in_use) tg_gemm_select(NULL);
    return in_use_variant;
}

void tg_gemm_acc(float *C, int64_t ldc, const float *A, int64_t lda, int64_t m, int64_t k,
                 const float *packed, int64_t packed_rows, int64_t k0, int64_t c0, int64_t n,
                 float *scratch) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    if (!in_use) tg_gemm_select(NULL);
    in_use(C, ldc, A, lda, NULL, m, k, packed, packed_rows, k0, c0, n, scratch);
}

void tg_gemm_acc_rows(float *C, int64_t ldc, const float *const *rows, int64_t m, int64_t k,
                      const float *packed, int64_t packed_rows, int64_t k0, int64_t c0, int64_t n,
                      float *scratch) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    if (!in_use) tg_gemm_select(NULL);
    in_use(C, ldc, NULL, 0, rows, m, k, packed, packed_rows, k0, c0, n, scratch);
}

size_t tg_gemm_scratch_floats(int64_t k) {
    return (size_t)MR_MAX * (size_t)k + (size_t)MR_MAX * NR;
}
