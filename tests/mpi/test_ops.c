/* MPI tests of the ops besides conv2d against naive references computed here on the
 * host: max pool (every layout and DRAM, float32 and bfloat16: bitwise), global
 * average pool (float32: bitwise, the same double sums in row order), add with ReLU
 * (bitwise), reshard between every pair of placements (bitwise round trips), and the
 * linear layer (float32 within the dot product's rounding). Each rank checks the rows
 * its host share holds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "add.h"
#include "avgpool.h"
#include "linear.h"
#include "maxpool2d.h"
#include "reshard.h"
#include "tg_test.h"

/* Every nan_every-th element (offset 3) of the tensors made is NaN; 0: none. */
static int64_t nan_every;

/* The same seeded values on every rank: element i of a tensor. */
static float value(unsigned long long seed, int64_t i) {
    if (nan_every && i % nan_every == 3) return NAN;
    tg_rng r;
    tg_rng_seed(&r, seed * 1000003ULL + (unsigned long long)i);
    return tg_rng_float(&r) * 4.0f;
}

/* A tensor [n, h, w, c] of value(seed, .) rounded to f, placed as asked. */
static void make(tg_tensor *t, const int64_t shape[4], tg_fmt f, int place, tg_shard_layout l,
                 unsigned long long seed) {
    tg_core *c = tg_core_self();
    tg_tensor d;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&d, "test:host", shape, f), TG_OK);
    int64_t r0, r1;
    tg_tensor_host_rows(&d, &r0, &r1);
    float *rows = malloc((size_t)((r1 - r0) * shape[3] + 1) * sizeof *rows);
    for (int64_t i = r0 * shape[3]; i < r1 * shape[3]; i++)
        rows[i - r0 * shape[3]] = value(seed, i);
    CU_ASSERT_EQUAL(tg_noc_sync(tg_tensor_write_host_rows(&d, r0, r1, rows)), TG_OK);
    free(rows);
    if (place == TG_PLACE_DRAM) {
        *t = d;
        return;
    }
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc(t, "test:l1", shape, f, l, c->grid, false, true), TG_OK);
    CU_ASSERT_EQUAL(tg_tensor_reshard(&d, t), TG_OK);
    tg_tensor_free(&d);
}

/* This rank's host rows of t (any placement), float32 [(r1 - r0), C]. */
static float *host_rows(const tg_tensor *t, int64_t *r0, int64_t *r1) {
    int64_t shape[4] = {t->n, t->h, t->w, t->c};
    tg_tensor d = {0};
    const tg_tensor *src = t;
    if (t->place == TG_PLACE_L1) {
        CU_ASSERT_EQUAL(tg_tensor_alloc_dram(&d, "test:out", shape, t->fmt), TG_OK);
        CU_ASSERT_EQUAL(tg_tensor_reshard(t, &d), TG_OK);
        src = &d;
    }
    tg_tensor_host_rows(src, r0, r1);
    float *rows = malloc((size_t)((*r1 - *r0) * t->c + 1) * sizeof *rows);
    CU_ASSERT_EQUAL(tg_noc_sync(tg_tensor_read_host_rows(src, *r0, *r1, rows)), TG_OK);
    tg_tensor_free(&d);
    return rows;
}

static float rounded(tg_fmt f, float v) {
    tg_fmt_round(f, &v, 1);
    return v;
}

/* Max pool in every layout against the naive maximum; with NaNs in the input, a window
 * holding one gives NaN (PyTorch's max pool propagates NaN). */
static void maxpool2d_check(void) {
    tg_machine m = tg_machine_self();
    const tg_fmt fmts[] = {TG_FLOAT32, TG_BFLOAT16};
    for (int fi = 0; fi < 2; fi++)
        for (int l = 0; l < 4; l++) {
            tg_fmt f = fmts[fi];
            tg_maxpool2d_params p = {.n = 2,
                                     .h = 11,
                                     .w = 9,
                                     .c = 24,
                                     .kh = 3,
                                     .kw = 2,
                                     .sh = 2,
                                     .sw = 1,
                                     .dh = 1,
                                     .dw = 2,
                                     .pad_t = 1,
                                     .pad_b = 0,
                                     .pad_l = 1,
                                     .pad_r = 1,
                                     .ceil_mode = l == 2,
                                     .snap = true,
                                     .fmt = f,
                                     .layout = l == 3 ? TG_SHARD_HEIGHT : (tg_shard_layout)l,
                                     .dram = l == 3};
            int64_t shape[4] = {2, 11, 9, 24};
            tg_tensor in, out;
            make(&in, shape, f, TG_PLACE_DRAM, TG_SHARD_HEIGHT, 11 + (unsigned long long)l);
            tg_maxpool2d_plan pl;
            CU_ASSERT_EQUAL_FATAL(tg_maxpool2d_plan_fit(&p, &m, tg_core_l1(), &in, false, &pl),
                                  TG_OK);
            CU_ASSERT_EQUAL_FATAL(tg_maxpool2d_run(&pl, &in, &out), TG_OK);
            int64_t r0, r1, ho = pl.win.out_h, wo = pl.win.out_w, bad = 0;
            float *got = host_rows(&out, &r0, &r1);
            for (int64_t o = r0; o < r1; o++)
                for (int64_t ch = 0; ch < p.c; ch++) {
                    int64_t n = o / (ho * wo), oy = o / wo % ho, ox = o % wo;
                    float want = -INFINITY;
                    bool nan = false;
                    for (int ky = 0; ky < p.kh; ky++)
                        for (int kx = 0; kx < p.kw; kx++) {
                            int64_t y = oy * p.sh + ky * p.dh - p.pad_t,
                                    x = ox * p.sw + kx * p.dw - p.pad_l;
                            if (y < 0 || y >= p.h || x < 0 || x >= p.w) continue;
                            float v = rounded(f, value(11 + (unsigned long long)l,
                                                       ((n * p.h + y) * p.w + x) * p.c + ch));
                            nan |= isnan(v);
                            if (v > want) want = v;
                        }
                    float g = got[(o - r0) * p.c + ch];
                    if (nan ? !isnan(g) : memcmp(&want, &g, sizeof want) != 0) bad++;
                }
            CU_ASSERT_EQUAL(bad, 0);
            free(got);
            tg_tensor_free(&out), tg_tensor_free(&in);
            tg_maxpool2d_plan_free(&pl);
        }
}

static void maxpool2d_matches_naive_max(void) {
    nan_every = 0;
    maxpool2d_check();
}

static void maxpool2d_propagates_nan(void) {
    nan_every = 41;
    maxpool2d_check();
    nan_every = 0;
}

static void avgpool_matches_naive_mean(void) {
    tg_machine m = tg_machine_self();
    for (int place = 0; place < 2; place++) {
        int64_t shape[4] = {3, 5, 7, 50};
        tg_tensor in, out;
        make(&in, shape, TG_FLOAT32, place, TG_SHARD_HEIGHT, 21);
        tg_avgpool_plan pl;
        CU_ASSERT_EQUAL_FATAL(tg_avgpool_plan_fit(&in, &m, tg_core_l1(), &pl), TG_OK);
        CU_ASSERT_EQUAL_FATAL(tg_avgpool_run(&pl, &in, &out), TG_OK);
        int64_t r0, r1, bad = 0;
        float *got = host_rows(&out, &r0, &r1);
        for (int64_t n = r0; n < r1; n++)
            for (int64_t ch = 0; ch < 50; ch++) {
                double s = 0;
                for (int64_t i = 0; i < 35; i++) s += (double)value(21, (n * 35 + i) * 50 + ch);
                float want = (float)(s / 35.0);
                if (memcmp(&want, &got[(n - r0) * 50 + ch], sizeof want)) bad++;
            }
        CU_ASSERT_EQUAL(bad, 0);
        free(got);
        tg_tensor_free(&out), tg_tensor_free(&in);
        tg_avgpool_plan_free(&pl);
    }
}

static void add_matches_naive_sum(void) {
    tg_machine m = tg_machine_self();
    const int cases[][4] = {{TG_PLACE_L1, TG_SHARD_HEIGHT, TG_PLACE_L1, TG_SHARD_BLOCK},
                            {TG_PLACE_DRAM, 0, TG_PLACE_L1, TG_SHARD_WIDTH},
                            {TG_PLACE_L1, TG_SHARD_BLOCK, TG_PLACE_DRAM, 0}};
    const tg_fmt fmts[] = {TG_FLOAT32, TG_BFLOAT16};
    for (int fi = 0; fi < 2; fi++)
        for (int i = 0; i < 3; i++) {
            tg_fmt f = fmts[fi];
            int64_t shape[4] = {2, 6, 5, 70};
            tg_tensor a, b;
            make(&a, shape, f, cases[i][0], (tg_shard_layout)cases[i][1], 31);
            make(&b, shape, f, cases[i][2], (tg_shard_layout)cases[i][3], 32);
            tg_add_plan pl;
            CU_ASSERT_EQUAL_FATAL(tg_add_plan_fit(&a, &b, true, &m, tg_core_l1(), false, &pl),
                                  TG_OK);
            CU_ASSERT_EQUAL_FATAL(tg_add_run(&pl, &a, &b), TG_OK);
            int64_t r0, r1, bad = 0;
            float *got = host_rows(&a, &r0, &r1);
            for (int64_t i2 = r0 * 70; i2 < r1 * 70; i2++) {
                float s = rounded(f, value(31, i2)) + rounded(f, value(32, i2));
                float want = rounded(f, s < 0 ? 0.0f : s);
                if (memcmp(&want, &got[i2 - r0 * 70], sizeof want)) bad++;
            }
            CU_ASSERT_EQUAL(bad, 0);
            free(got);
            tg_tensor_free(&a), tg_tensor_free(&b);
            tg_add_plan_free(&pl);
        }
}

static void reshard_round_trips_every_placement(void) {
    tg_core *c = tg_core_self();
    const tg_fmt fmts[] = {TG_FLOAT32, TG_BFLOAT16, TG_BFLOAT8_B};
    for (int fi = 0; fi < 3; fi++)
        for (int from = 0; from < 4; from++)
            for (int to = 0; to < 4; to++) {
                tg_fmt f = fmts[fi];
                int64_t shape[4] = {1, 9, 11, 48};
                tg_tensor a, b;
                make(&a, shape, f, from == 3 ? TG_PLACE_DRAM : TG_PLACE_L1, (tg_shard_layout)from,
                     41);
                tg_status st = to == 3 ? tg_tensor_alloc_dram(&b, "test:b", shape, f)
                                       : tg_tensor_alloc(&b, "test:b", shape, f,
                                                         (tg_shard_layout)to, c->grid, false, true);
                CU_ASSERT_EQUAL_FATAL(st, TG_OK);
                CU_ASSERT_EQUAL(tg_tensor_reshard(&a, &b), TG_OK);
                int64_t r0, r1, bad = 0;
                float *got = host_rows(&b, &r0, &r1);
                float *want = malloc((size_t)((r1 - r0) * 48 + 1) * sizeof *want);
                for (int64_t i = r0 * 48; i < r1 * 48; i++) want[i - r0 * 48] = value(41, i);
                /* bfloat8_b shares exponents over 16 values of a row: round the rows */
                for (int64_t r = 0; r < r1 - r0; r++) tg_fmt_round(f, want + r * 48, 48);
                bad = memcmp(want, got, (size_t)((r1 - r0) * 48) * sizeof *want) != 0;
                CU_ASSERT_EQUAL(bad, 0);
                free(got), free(want);
                tg_tensor_free(&a), tg_tensor_free(&b);
            }
}

static void linear_matches_naive_matmul(void) {
    tg_machine m = tg_machine_self();
    const tg_conv_layout layouts[] = {TG_CONV_HEIGHT, TG_CONV_BLOCK, TG_CONV_DRAM};
    for (int l = 0; l < 3; l++) {
        tg_linear_params p = {.n = 5,
                              .in_features = 200,
                              .out_features = 70,
                              .has_bias = true,
                              .layout = layouts[l],
                              .in_fmt = TG_FLOAT32,
                              .w_fmt = TG_FLOAT32,
                              .out_fmt = TG_FLOAT32,
                              .fidelity = TG_HIFI4};
        int64_t shape[4] = {5, 1, 1, 200};
        tg_tensor x, y;
        make(&x, shape, TG_FLOAT32, TG_PLACE_DRAM, TG_SHARD_HEIGHT, 51);
        tg_conv2d_plan pl;
        tg_conv2d_site site = {&x, NULL, false};
        tg_status st = tg_linear_plan_fit(&p, &m, tg_core_l1(), &site, &pl, NULL);
        if (st == TG_ERR_USAGE) { /* a layout this grid cannot take */
            tg_err_clear();
            tg_conv2d_plan_free(&pl);
            tg_tensor_free(&x);
            continue;
        }
        CU_ASSERT_EQUAL_FATAL(st, TG_OK);
        int64_t co0, co1;
        tg_conv2d_weight_cols(70, &co0, &co1);
        float *w = malloc((size_t)(70 * 200) * sizeof *w), *b = malloc(70 * sizeof *b);
        for (int64_t i = 0; i < 70 * 200; i++) w[i] = value(52, i) / 16.0f;
        for (int64_t i = 0; i < 70; i++) b[i] = value(53, i);
        tg_conv2d_weights cw;
        CU_ASSERT_EQUAL_FATAL(tg_conv2d_weights_load(&pl, w + co0 * 200, b + co0, &cw), TG_OK);
        CU_ASSERT_EQUAL_FATAL(tg_conv2d_run(&pl, &x, NULL, &cw, &y), TG_OK);
        int64_t r0, r1;
        double worst = 0;
        float *got = host_rows(&y, &r0, &r1);
        for (int64_t n = r0; n < r1; n++)
            for (int64_t o = 0; o < 70; o++) {
                double s = b[o], mag = fabs(b[o]);
                for (int64_t i = 0; i < 200; i++) {
                    double t = (double)value(51, n * 200 + i) * w[o * 200 + i];
                    s += t, mag += fabs(t);
                }
                double rel = fabs(got[(n - r0) * 70 + o] - s) / (mag > 0 ? mag : 1);
                if (rel > worst) worst = rel;
            }
        CU_ASSERT(worst < 1e-5);
        free(got), free(w), free(b);
        tg_conv2d_weights_free(&cw);
        tg_tensor_free(&y), tg_tensor_free(&x);
        tg_conv2d_plan_free(&pl);
    }
}

static void register_ops(void) {
    tg_test_suite("ops", "maxpool2d_matches_naive_max", maxpool2d_matches_naive_max,
                  "maxpool2d_propagates_nan", maxpool2d_propagates_nan,
                  "avgpool_matches_naive_mean", avgpool_matches_naive_mean, "add_matches_naive_sum",
                  add_matches_naive_sum, "reshard_round_trips_every_placement",
                  reshard_round_trips_every_placement, "linear_matches_naive_matmul",
                  linear_matches_naive_matmul, NULL);
}

int main(int argc, char **argv) {
    return tg_test_main(argc, argv, register_ops, true);
}
