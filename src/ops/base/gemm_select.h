/* Which variant of the matrix kernel (gemm.c) this process runs: the part of the
 * kernel that programs see. Every build holds all three variants; one is chosen at
 * run time, from the processor's features or from the TTGRID_KERNEL environment
 * variable (read by the program's main and passed here, so the library reads no
 * environment). The variants give bitwise identical results; they differ only in
 * speed. */
#ifndef TG_GEMM_SELECT_H
#define TG_GEMM_SELECT_H

#include <stdbool.h>

#include "error.h"

typedef enum {
    TG_GEMM_PORTABLE = 0, /* scalar fmaf: any processor */
    TG_GEMM_AVX2 = 1,     /* AVX2 and FMA (x86-64 since 2013) */
    TG_GEMM_AVX512 = 2,   /* AVX-512F */
    TG_GEMM_VARIANTS = 3,
} tg_gemm_variant;

/* "portable", "avx2", "avx512". */
const char *tg_gemm_variant_name(tg_gemm_variant v);
/* Whether this processor (and its operating system) can run the variant. */
bool tg_gemm_variant_supported(tg_gemm_variant v);

/* Chooses the variant for the rest of the run: `request` NULL or "" takes the widest
 * this processor supports; else it names one ("avx512", "avx2" or "portable"), and a
 * name that is unknown or that this processor cannot run is a TG_ERR_USAGE error
 * naming what it has. A program that never calls it gets the widest supported. */
tg_status tg_gemm_select(const char *request);
tg_gemm_variant tg_gemm_variant_in_use(void);

#endif
