/* Unit tests of the number formats (src/ops/format.h). */
#include <math.h>
#include <string.h>

#include "format.h"
#include "tg_test.h"
#include "unit.h"

static void bf16_rounds_to_nearest_even(void) {
    CU_ASSERT_EQUAL(tg_bf16_from_f32(1.0f), 0x3f80);
    CU_ASSERT_EQUAL(tg_bf16_from_f32(-2.0f), 0xc000);
    /* 1 + 2^-8 is half an ulp above 1: ties to the even mantissa, 1.0 */
    CU_ASSERT_EQUAL(tg_bf16_round(1.0f + ldexpf(1, -8)), 1.0f);
    /* 1 + 2^-7 + 2^-8 ties between mantissas 1 and 2: goes to 2 */
    CU_ASSERT_EQUAL(tg_bf16_round(1.0f + ldexpf(1, -7) + ldexpf(1, -8)), 1.0f + ldexpf(1, -6));
    /* just above the tie rounds up */
    CU_ASSERT_EQUAL(tg_bf16_round(1.0f + ldexpf(1, -8) + ldexpf(1, -20)), 1.0f + ldexpf(1, -7));
    CU_ASSERT(isinf(tg_bf16_round(INFINITY)));
    CU_ASSERT(isnan(tg_bf16_round(NAN)));
    CU_ASSERT(isinf(tg_bf16_round(3.4028235e38f))); /* rounds past the largest bf16 */
    CU_ASSERT_EQUAL(tg_bf16_round(0.0f), 0.0f);
    /* every bf16 value is a fixed point of rounding */
    for (uint32_t b = 0; b < 0x7f80; b += 7) {
        float v = tg_bf16_to_f32((uint16_t)b);
        CU_ASSERT_EQUAL(tg_bf16_from_f32(v), b);
    }
}

/* Independent reference for one bfloat8_b value: magnitude round(|v| / 2^(E-6)) to
 * nearest even, at most 127, where E is the block's largest unbiased exponent. */
static double bfp8_reference(float v, int shared_biased) {
    double step = ldexp(1.0, shared_biased - 127 - 6);
    double q = nearbyint(fabs((double)v) / step);
    if (q > 127) q = 127;
    return copysign(q * step, (double)v);
}

static void bfp8_blocks_share_the_largest_exponent(void) {
    float in[16] = {1.0f,
                    -1.5f,
                    0.75f,
                    0.5f + 0.25f + 0.125f,
                    ldexpf(1, -6),
                    ldexpf(1, -7),
                    ldexpf(3, -7),
                    -0.0f,
                    1.984375f,
                    1.9921875f,
                    0.1f,
                    -0.3f,
                    0,
                    0,
                    0,
                    0};
    uint8_t packed[17];
    float out[16];
    tg_fmt_pack(TG_BFLOAT8_B, in, 16, packed);
    tg_fmt_unpack(TG_BFLOAT8_B, packed, 16, out);
    CU_ASSERT_EQUAL(packed[0], 127); /* exponent of 1.9921875 */
    CU_ASSERT_EQUAL(out[0], 1.0f);
    CU_ASSERT_EQUAL(out[1], -1.5f);
    CU_ASSERT_EQUAL(out[2], 0.75f);
    CU_ASSERT_EQUAL(out[3], 0.875f);
    CU_ASSERT_EQUAL(out[4], ldexpf(1, -6)); /* the smallest step */
    CU_ASSERT_EQUAL(out[5], 0.0f);          /* half a step ties to even: 0 */
    CU_ASSERT_EQUAL(out[6], ldexpf(1, -5)); /* 1.5 steps ties to 2 steps */
    CU_ASSERT_EQUAL(out[8], 1.984375f);     /* 127 steps */
    CU_ASSERT_EQUAL(out[9], 1.984375f);     /* 127.5 steps saturates at 127 */
    for (int i = 0; i < 16; i++) CU_ASSERT_EQUAL(out[i], (float)bfp8_reference(in[i], 127));
    CU_ASSERT_EQUAL(tg_fmt_row_bytes(TG_BFLOAT8_B, 64), 68);
    CU_ASSERT_EQUAL(tg_fmt_row_bytes(TG_BFLOAT8_B, 32) * 32, 1088); /* one tile */
    CU_ASSERT_EQUAL(tg_fmt_col_offset(TG_BFLOAT8_B, 32), 34);
}

static void bfp8_matches_reference_on_random_blocks(void) {
    tg_rng rng;
    tg_rng_seed(&rng, 11);
    for (int it = 0; it < 2000; it++) {
        float in[16], out[16];
        int scale = tg_rng_int(&rng, -20, 20);
        for (int i = 0; i < 16; i++)
            in[i] = ldexpf(tg_rng_float(&rng), scale - tg_rng_int(&rng, 0, 10));
        int shared = 0;
        for (int i = 0; i < 16; i++) {
            int e;
            if (in[i] != 0) {
                frexpf(in[i], &e);
                if (e - 1 + 127 > shared) shared = e - 1 + 127;
            }
        }
        memcpy(out, in, sizeof in);
        tg_fmt_round(TG_BFLOAT8_B, out, 16);
        for (int i = 0; i < 16; i++) CU_ASSERT_EQUAL(out[i], (float)bfp8_reference(in[i], shared));
    }
}

static uint32_t bits_of(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    return u;
}

static float float_of(uint32_t u) {
    float v;
    memcpy(&v, &u, 4);
    return v;
}

/* Infinities and NaNs as TTNN's packer (tt-metal's blockfloat_common.cpp): they share
 * exponent 255 with their block, keep their sign (Inf magnitude 64, NaN more) and come
 * back as themselves; the block's other values are shifted out to 0 unless they are
 * within 2^7 of the float32 maximum. Expected bytes worked by hand from
 * convert_u32_to_bfp<Bfp8_b> and convert_bfp_to_u32. */
static void bfp8_nan_and_inf_as_ttnn_packer(void) {
    float in[16] = {INFINITY,
                    -INFINITY,
                    float_of(0x7fc00000u),
                    float_of(0xffc00000u),
                    1.0f,
                    -2.5f,
                    3.0e38f,
                    -1.0e37f,
                    0.0f,
                    -0.0f,
                    float_of(0x7f800001u),
                    1e-30f,
                    65504.0f,
                    -7.0f,
                    0.5f,
                    2.0f};
    uint8_t packed[17];
    float out[16];
    tg_fmt_pack(TG_BFLOAT8_B, in, 16, packed);
    CU_ASSERT_EQUAL(packed[0], 255);
    CU_ASSERT_EQUAL(packed[1], 0x40);        /* +Inf: the hidden bit alone */
    CU_ASSERT_EQUAL(packed[2], 0x80 | 0x40); /* -Inf keeps its sign */
    CU_ASSERT_EQUAL(packed[3], 0x60);        /* quiet NaN: hidden bit and the quiet bit */
    CU_ASSERT_EQUAL(packed[4], 0x80 | 0x60);
    /* 3e38 = 1.7632 * 2^127, one place below 255: round(1.7632 * 2^5) = 56 */
    CU_ASSERT_EQUAL(packed[7], 56);
    /* 1e37 = 1.8807 * 2^122: six places below, round(1.8807) = 2 */
    CU_ASSERT_EQUAL(packed[8], 0x80 | 2);
    tg_fmt_unpack(TG_BFLOAT8_B, packed, 16, out);
    CU_ASSERT(isinf(out[0]) && out[0] > 0);
    CU_ASSERT(isinf(out[1]) && out[1] < 0);
    CU_ASSERT(isnan(out[2]) && !signbit(out[2]));
    CU_ASSERT(isnan(out[3]) && signbit(out[3]));
    CU_ASSERT_EQUAL(bits_of(out[2]), 0x7fc00000u); /* as convert_bfp_to_u32 builds it */
    CU_ASSERT_EQUAL(out[6], 56.0f * ldexpf(1, 122));
    CU_ASSERT_EQUAL(out[7], -2.0f * ldexpf(1, 122));
    /* a NaN whose payload rounds away is an infinity, as in TTNN */
    CU_ASSERT(isinf(out[10]) && out[10] > 0);
    /* the finite values far below the shared exponent are shifted out */
    const int zero[] = {4, 5, 8, 9, 11, 12, 13, 14, 15};
    for (int i = 0; i < 9; i++) CU_ASSERT_EQUAL(out[zero[i]], 0.0f);
    /* rounding in place gives the same, and a block without specials is untouched */
    float r[16];
    memcpy(r, in, sizeof r);
    tg_fmt_round(TG_BFLOAT8_B, r, 16);
    CU_ASSERT(isinf(r[1]) && r[1] < 0 && isnan(r[2]) && r[4] == 0.0f);
}

static void formats_parse_and_pack_rows(void) {
    tg_fmt f;
    CU_ASSERT_EQUAL(tg_fmt_parse("bfloat16", &f), TG_OK);
    CU_ASSERT_EQUAL(f, TG_BFLOAT16);
    CU_ASSERT_EQUAL(tg_fmt_parse("bfloat8_b", &f), TG_OK);
    CU_ASSERT_EQUAL(f, TG_BFLOAT8_B);
    CU_ASSERT_EQUAL(tg_fmt_parse("float16", &f), TG_ERR_USAGE);
    float in[32], out[32];
    uint8_t buf[128];
    for (int i = 0; i < 32; i++) in[i] = (float)i * 0.1f - 1.3f;
    tg_fmt_pack(TG_BFLOAT16, in, 32, buf);
    tg_fmt_unpack(TG_BFLOAT16, buf, 32, out);
    for (int i = 0; i < 32; i++) CU_ASSERT_EQUAL(out[i], tg_bf16_round(in[i]));
    tg_fmt_pack(TG_FLOAT32, in, 32, buf);
    tg_fmt_unpack(TG_FLOAT32, buf, 32, out);
    CU_ASSERT_EQUAL(memcmp(in, out, sizeof in), 0);
}

void unit_register_format(void) {
    tg_test_suite("format", "bf16_rounds_to_nearest_even", bf16_rounds_to_nearest_even,
                  "bfp8_blocks_share_the_largest_exponent", bfp8_blocks_share_the_largest_exponent,
                  "bfp8_matches_reference_on_random_blocks",
                  bfp8_matches_reference_on_random_blocks, "bfp8_nan_and_inf_as_ttnn_packer",
                  bfp8_nan_and_inf_as_ttnn_packer, "formats_parse_and_pack_rows",
                  formats_parse_and_pack_rows, NULL);
}
