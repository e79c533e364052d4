/* Number formats of the device (DESIGN.md section 6), private to src/ops and io.
 *
 * Data in L1 and DRAM is stored row by row in its format; a row of w values takes
 * tg_fmt_row_bytes(fmt, w) bytes. Compute unpacks rows to float32, as the device's
 * unpacker fills the source registers, and packs results back. */
#ifndef TG_FORMAT_H
#define TG_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"

typedef enum {
    TG_FLOAT32 = 0,
    TG_BFLOAT16 = 1,
    TG_BFLOAT8_B = 2, /* block float: 16 values share one 8-bit exponent */
} tg_fmt;

#define TG_BFP8_BLOCK 16
#define TG_BFP8_BLOCK_BYTES 17 /* 1 exponent byte + 16 sign/mantissa bytes */

tg_status tg_fmt_parse(const char *s, tg_fmt *out);
const char *tg_fmt_name(tg_fmt f);

/* Bytes of one row of w values; w must be a multiple of 16 for bfloat8_b. */
size_t tg_fmt_row_bytes(tg_fmt f, int64_t w);
/* Byte offset of column c within a row (c a multiple of 16 for bfloat8_b). */
size_t tg_fmt_col_offset(tg_fmt f, int64_t c);
/* Width a row must be padded to for the format (16 for bfloat8_b, else 1). */
int tg_fmt_granule(tg_fmt f);

/* float32 -> bfloat16, round to nearest even (NaN stays NaN). Inline so that the
 * conversion loops vectorize. */
static inline uint16_t tg_bf16_from_f32(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float tg_bf16_to_f32(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float v;
    memcpy(&v, &u, 4);
    return v;
}
static inline float tg_bf16_round(float v) {
    return tg_bf16_to_f32(tg_bf16_from_f32(v));
}

/* Packs w floats into one row of the format at dst; unpacks back. For bfloat8_b w
 * must be a multiple of 16. */
void tg_fmt_pack(tg_fmt f, const float *src, int64_t w, void *dst);
void tg_fmt_unpack(tg_fmt f, const void *src, int64_t w, float *dst);
/* Rounds n floats in place to what the format can hold (pack then unpack). */
void tg_fmt_round(tg_fmt f, float *v, int64_t n);

#endif
