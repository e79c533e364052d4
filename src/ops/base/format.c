/* Number formats: float32, bfloat16 and bfloat8_b (DESIGN.md section 6).
 *
 * bfloat16 is the top half of a float32, rounded to nearest even (as torch does).
 * bfloat8_b is Tenstorrent's block floating point: in each run of 16 consecutive
 * values of a row (one row of a 16x16 tile face) the values share the largest of
 * their 8-bit exponents, and each keeps a sign and a 7-bit magnitude that includes
 * the hidden bit, shifted right by its distance to the shared exponent and rounded
 * to nearest even (tt-metal docs, "Data formats: BFLOAT8_B"). One block of 16 is
 * stored as 17 bytes: the exponent, then 16 sign/magnitude bytes — 1088 B per
 * 32x32 tile, as on the device.
 *
 * Infinities and NaNs as TTNN's packer treats them (tenstorrent/tt-metal at
 * 034fc8c7f283118f8e0cc6f0a603299171199488, tt_metal/impl/data_format/
 * blockfloat_common.cpp, functions get_max_exp, convert_u32_to_bfp<Bfp8_b> and
 * convert_bfp_to_u32):
 * their exponent byte 255 is an exponent like any other, so a block holding one
 * shares exponent 255; the Inf or NaN keeps its sign and its magnitude (hidden bit and
 * top mantissa bits: 64 for an infinity, more for a NaN whose payload survives the
 * rounding), and the block's finite values, shifted 255 - e places, become 0 unless
 * they are within a factor 2^7 of the float32 maximum. Unpacked, magnitude 64 at
 * exponent 255 is ±Inf and a larger one NaN (a NaN whose payload rounds away comes
 * back as Inf, as in TTNN). Subnormal inputs become 0 (TTNN would give them a hidden
 * bit; they only matter in blocks whose largest value is under 2^-103). */
#include "format.h"
#include "multiversion.h"

#include <math.h>
#include <string.h>

tg_status tg_fmt_parse(const char *s, tg_fmt *out) {
    if (!strcmp(s, "float32") || !strcmp(s, "fp32"))
        *out = TG_FLOAT32;
    else if (!strcmp(s, "bfloat16") || !strcmp(s, "bf16"))
        *out = TG_BFLOAT16;
    else if (!strcmp(s, "bfloat8_b") || !strcmp(s, "bfp8"))
        *out = TG_BFLOAT8_B;
    else
        return tg_err(TG_ERR_USAGE, "unknown number format '%s' (float32, bfloat16, bfloat8_b)", s);
    return TG_OK;
}

const char *tg_fmt_name(tg_fmt f) {
    switch (f) {
    case TG_FLOAT32:
        return "float32";
    case TG_BFLOAT16:
        return "bfloat16";
    case TG_BFLOAT8_B:
        return "bfloat8_b";
    }
    return "?";
}

int tg_fmt_granule(tg_fmt f) {
    return f == TG_BFLOAT8_B ? TG_BFP8_BLOCK : 1;
}

size_t tg_fmt_row_bytes(tg_fmt f, int64_t w) {
    switch (f) {
    case TG_FLOAT32:
        return (size_t)w * 4;
    case TG_BFLOAT16:
        return (size_t)w * 2;
    case TG_BFLOAT8_B:
        return (size_t)(w / TG_BFP8_BLOCK) * TG_BFP8_BLOCK_BYTES;
    }
    return 0;
}

size_t tg_fmt_col_offset(tg_fmt f, int64_t c) {
    return tg_fmt_row_bytes(f, c);
}

/* Rounds the 24-bit significand m (hidden bit at bit 23) shifted right by `shift`
 * to a 7-bit magnitude (hidden bit at bit 6), nearest even; saturates at 127. */
static uint32_t bfp8_magnitude(uint32_t m, int shift) {
    int drop = 17 + shift; /* bits below the kept 7 */
    if (drop >= 32) return 0;
    uint32_t kept = m >> drop;
    uint32_t rest = m & ((1u << drop) - 1u);
    uint32_t half = 1u << (drop - 1);
    if (rest > half || (rest == half && (kept & 1u))) kept++;
    return kept > 127u ? 127u : kept;
}

static void bfp8_pack_block(const float *src, uint8_t *dst) {
    uint32_t bits[TG_BFP8_BLOCK];
    int shared = 0;
    for (int i = 0; i < TG_BFP8_BLOCK; i++) {
        memcpy(&bits[i], &src[i], 4);
        int e = (int)((bits[i] >> 23) & 0xffu);
        if (e > shared) shared = e;
    }
    dst[0] = (uint8_t)shared;
    for (int i = 0; i < TG_BFP8_BLOCK; i++) {
        uint32_t u = bits[i];
        int e = (int)((u >> 23) & 0xffu);
        uint8_t sign = (uint8_t)((u >> 31) << 7);
        uint32_t mag = 0;
        if (e != 0) mag = bfp8_magnitude((u & 0x7fffffu) | 0x800000u, shared - e);
        dst[1 + i] = (uint8_t)(mag ? (sign | mag) : 0);
    }
}

static void bfp8_unpack_block(const uint8_t *src, float *dst) {
    int shared = src[0];
    /* magnitude m with the hidden bit at bit 6: value = m * 2^(shared - 127 - 6) */
    float scale = ldexpf(1.0f, shared - 127 - 6);
    for (int i = 0; i < TG_BFP8_BLOCK; i++) {
        uint8_t b = src[1 + i];
        uint32_t m = b & 0x7fu;
        if (shared == 0xff && m > 64) {
            /* exponent 255 with mantissa bits: a NaN (64 alone overflows to Inf) */
            uint32_t u = ((uint32_t)(b & 0x80) << 24) | 0x7f800000u | ((m << 1) & 0x7fu) << 16;
            memcpy(&dst[i], &u, 4);
            continue;
        }
        float v = (float)m * scale;
        dst[i] = (b & 0x80) ? -v : v;
    }
}

TG_MULTIVERSION void tg_fmt_pack(tg_fmt f, const float *src, int64_t w, void *dst) {
    switch (f) {
    case TG_FLOAT32:
        memcpy(dst, src, (size_t)w * 4);
        break;
    case TG_BFLOAT16: {
        uint16_t *d = dst;
        for (int64_t i = 0; i < w; i++) d[i] = tg_bf16_from_f32(src[i]);
        break;
    }
    case TG_BFLOAT8_B: {
        uint8_t *d = dst;
        for (int64_t b = 0; b < w / TG_BFP8_BLOCK; b++)
            bfp8_pack_block(src + b * TG_BFP8_BLOCK, d + b * TG_BFP8_BLOCK_BYTES);
        break;
    }
    }
}

TG_MULTIVERSION void tg_fmt_unpack(tg_fmt f, const void *src, int64_t w, float *dst) {
    switch (f) {
    case TG_FLOAT32:
        memcpy(dst, src, (size_t)w * 4);
        break;
    case TG_BFLOAT16: {
        const uint16_t *s = src;
        for (int64_t i = 0; i < w; i++) dst[i] = tg_bf16_to_f32(s[i]);
        break;
    }
    case TG_BFLOAT8_B: {
        const uint8_t *s = src;
        for (int64_t b = 0; b < w / TG_BFP8_BLOCK; b++)
            bfp8_unpack_block(s + b * TG_BFP8_BLOCK_BYTES, dst + b * TG_BFP8_BLOCK);
        break;
    }
    }
}

TG_MULTIVERSION void tg_fmt_round(tg_fmt f, float *v, int64_t n) {
    switch (f) {
    case TG_FLOAT32:
        break;
    case TG_BFLOAT16:
        for (int64_t i = 0; i < n; i++) v[i] = tg_bf16_round(v[i]);
        break;
    case TG_BFLOAT8_B: {
        uint8_t block[TG_BFP8_BLOCK_BYTES];
        float tail[TG_BFP8_BLOCK];
        int64_t i = 0;
        for (; i + TG_BFP8_BLOCK <= n; i += TG_BFP8_BLOCK) {
            bfp8_pack_block(v + i, block);
            bfp8_unpack_block(block, v + i);
        }
        if (i < n) {
            memset(tail, 0, sizeof tail);
            memcpy(tail, v + i, (size_t)(n - i) * 4);
            bfp8_pack_block(tail, block);
            bfp8_unpack_block(block, tail);
            memcpy(v + i, tail, (size_t)(n - i) * 4);
        }
        break;
    }
    }
}
