/* MPI tests of conv2d against a naive direct convolution in double precision, for
 * every layout (height, block, width, DRAM) and the device's number formats, and
 * the bitwise reproducibility of float32 height sharding across core counts.
 *
 * Each rank checks the output rows its host share holds: it recomputes them with
 * the direct convolution from the same inputs and compares. float32 must be within
 * a relative error of 1e-5 of the dot product's size (|got - ref| over the sum of
 * |products| and |bias|, the natural bound of a float32 sum); the device formats
 * must reach the PCC thresholds of DESIGN.md section 12. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d.h"
#include "noc_mpi.h"
#include "reshard.h"
#include "tg_test.h"

typedef struct conv_case {
    const char *name;
    int64_t n, h, w, cin, cout;
    int kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, groups;
    bool bias, relu;
} conv_case;

static const conv_case cases[] = {
    {"strided dilated asymmetric", 1, 9, 11, 20, 40, 3, 3, 2, 1, 1, 0, 2, 1, 1, 2, 1, true, true},
    {"groups 2, batch 2", 2, 8, 8, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, false, false},
    {"depthwise", 1, 10, 7, 24, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 24, true, true},
    {"5x5 stride 3, batch 3", 3, 6, 6, 16, 48, 5, 5, 3, 3, 2, 1, 0, 2, 1, 1, 1, true, false},
    {"dilation 3", 1, 13, 13, 8, 16, 3, 3, 1, 1, 3, 3, 3, 3, 3, 3, 1, false, true},
    {"resnet 3x3", 1, 14, 14, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true},
    {"resnet 3x3 stride 2", 1, 14, 14, 64, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true, true},
    {"resnet 1x1 stride 2", 1, 14, 14, 64, 128, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, true, false},
    {"1x1 matmul path", 2, 7, 7, 72, 40, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true},
    {"stem 7x7 stride 2", 1, 32, 32, 3, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1, true, true},
    /* whole tiles of channels: the DRAM layout multiplies the window's sticks in place */
    {"1x1 stride 1, 64 channels", 1, 9, 9, 64, 96, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, true},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

typedef struct conv_data {
    float *x, *w, *b; /* NHWC input, [Cout, Cin/g, Kh, Kw], [Cout] */
} conv_data;

static conv_data make_data(const conv_case *k, unsigned long long seed) {
    conv_data d;
    int64_t nx = k->n * k->h * k->w * k->cin, nw = k->cout * (k->cin / k->groups) * k->kh * k->kw;
    d.x = malloc((size_t)nx * sizeof *d.x);
    d.w = malloc((size_t)nw * sizeof *d.w);
    d.b = malloc((size_t)k->cout * sizeof *d.b);
    tg_rng rng;
    tg_rng_seed(&rng, seed);
    for (int64_t i = 0; i < nx; i++) d.x[i] = tg_rng_float(&rng);
    float scale = 1.0f / sqrtf((float)((k->cin / k->groups) * k->kh * k->kw));
    for (int64_t i = 0; i < nw; i++) d.w[i] = tg_rng_float(&rng) * scale;
    for (int64_t i = 0; i < k->cout; i++) d.b[i] = tg_rng_float(&rng) * scale;
    return d;
}

static void free_data(conv_data *d) {
    free(d->x), free(d->w), free(d->b);
}

/* The direct convolution at output row o (n, oy, ox), channel co, in double; also
 * the sum of |terms| (for the relative error). */
static double direct(const conv_case *k, const conv_data *d, int64_t ho, int64_t wo, int64_t o,
                     int64_t co, double *mag) {
    int64_t n = o / (ho * wo), oy = (o / wo) % ho, ox = o % wo;
    int64_t cg = k->cin / k->groups, g = co / (k->cout / k->groups);
    double s = k->bias ? d->b[co] : 0.0;
    *mag = fabs(s);
    for (int ky = 0; ky < k->kh; ky++)
        for (int kx = 0; kx < k->kw; kx++) {
            int64_t y = oy * k->sh + (int64_t)ky * k->dh - k->pt;
            int64_t x = ox * k->sw + (int64_t)kx * k->dw - k->pl;
            if (y < 0 || y >= k->h || x < 0 || x >= k->w) continue;
            for (int64_t c = 0; c < cg; c++) {
                double t = (double)d->x[((n * k->h + y) * k->w + x) * k->cin + g * cg + c] *
                           d->w[((co * cg + c) * k->kh + ky) * k->kw + kx];
                s += t;
                *mag += fabs(t);
            }
        }
    if (k->relu && s < 0) s = 0;
    return s;
}

/* act_block_w_div for the width runs of run_conv (1: TTNN's default, one K block per
 * turn). */
static int width_k_div = 1;

typedef struct conv_result {
    double max_rel, pcc;
    bool ran;
    bool refused; /* TTNN's rules refuse the config (its TT_FATAL or its L1 words) */
} conv_result;

/* Refusals seen, to bound them: a planner that refused everything must not pass. */
static int refusals, attempts;

/* Runs the case; when `keep` is given, leaves this rank's host rows of the output
 * there (caller frees). */
static conv_result run_conv(const conv_case *k, const conv_data *d, tg_conv_layout layout,
                            tg_fmt in_fmt, tg_fmt w_fmt, tg_fidelity fid, bool fp32_acc,
                            tg_grid cores, float **keep) {
    conv_result res = {0, 0, false, false};
    attempts++;
    tg_conv2d_params p;
    tg_conv2d_params_default(&p);
    p.n = k->n, p.h = k->h, p.w = k->w, p.cin = k->cin, p.cout = k->cout;
    p.kh = k->kh, p.kw = k->kw, p.sh = k->sh, p.sw = k->sw, p.dh = k->dh, p.dw = k->dw;
    p.pad_t = k->pt, p.pad_b = k->pb, p.pad_l = k->pl, p.pad_r = k->pr;
    p.groups = k->groups, p.has_bias = k->bias, p.relu = k->relu;
    p.layout = layout, p.cores = cores;
    if (layout == TG_CONV_WIDTH) p.act_block_w_div = width_k_div;
    p.in_fmt = p.out_fmt = in_fmt, p.w_fmt = w_fmt, p.fidelity = fid, p.fp32_acc = fp32_acc;
    tg_conv2d_plan pl;
    tg_machine m = tg_machine_self();
    tg_status st = tg_conv2d_plan_standalone(&p, &m, &pl, NULL);
    if (st == TG_ERR_RUNTIME && layout != TG_CONV_DRAM) {
        /* as a user would: smaller activation blocks when the default does not fit */
        tg_conv2d_plan_free(&pl);
        p.act_block_h = 32;
        st = tg_conv2d_plan_standalone(&p, &m, &pl, NULL);
    }
    /* the device would refuse it too: TTNN's TT_FATAL, or its out-of-L1 words (the
     * planner's refusals equal TTNN's: tests/unit/test_ttnn_conv2d.c) */
    if (st != TG_OK && (strstr(tg_err_msg(), "[TTNN: ") || strstr(tg_err_msg(), "TT_FATAL"))) {
        if (tg_core_self()->rank == 0)
            fprintf(stderr, "%s (%s): refused as on the device: %s\n", k->name,
                    tg_conv_layout_name(layout), tg_err_msg());
        tg_err_clear();
        tg_conv2d_plan_free(&pl);
        res.refused = true;
        refusals++;
        return res;
    }
    CU_ASSERT_EQUAL(st, TG_OK);
    if (st != TG_OK) {
        fprintf(stderr, "%s (%s): %s\n", k->name, tg_conv_layout_name(layout), tg_err_msg());
        tg_conv2d_plan_free(&pl);
        return res;
    }
    int64_t in_shape[4] = {k->n, k->h, k->w, k->cin};
    tg_tensor din, out, dout = {0};
    tg_conv2d_weights cw;
    int64_t r0, r1;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&din, "test:input", in_shape, in_fmt), TG_OK);
    tg_tensor_host_rows(&din, &r0, &r1);
    CU_ASSERT_EQUAL(tg_noc_sync(tg_tensor_write_host_rows(&din, r0, r1, d->x + r0 * k->cin)),
                    TG_OK);
    int64_t co0, co1;
    tg_conv2d_weight_cols(k->cout, &co0, &co1);
    CU_ASSERT_EQUAL_FATAL(tg_conv2d_weights_load(&pl,
                                                 d->w + co0 * (k->cin / k->groups) * k->kh * k->kw,
                                                 k->bias ? d->b + co0 : NULL, &cw),
                          TG_OK);
    st = tg_conv2d_run(&pl, &din, NULL, &cw, &out);
    CU_ASSERT_EQUAL(st, TG_OK);
    if (st != TG_OK)
        fprintf(stderr, "%s (%s): %s\n", k->name, tg_conv_layout_name(layout), tg_err_msg());
    if (st == TG_OK) {
        int64_t oshape[4] = {out.n, out.h, out.w, out.c};
        tg_tensor *src = &out;
        if (out.place == TG_PLACE_L1) {
            CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&dout, "test:output", oshape, in_fmt),
                                  TG_OK);
            CU_ASSERT_EQUAL(tg_tensor_reshard(&out, &dout), TG_OK);
            src = &dout;
        }
        tg_tensor_host_rows(src, &r0, &r1);
        float *got = malloc((size_t)((r1 - r0) * k->cout + 1) * sizeof *got);
        CU_ASSERT_EQUAL(tg_noc_sync(tg_tensor_read_host_rows(src, r0, r1, got)), TG_OK);
        /* compare: max relative error, and the sums of the PCC over all ranks */
        double s[5] = {0, 0, 0, 0, 0}, max_rel = 0;
        for (int64_t o = r0; o < r1; o++)
            for (int64_t co = 0; co < k->cout; co++) {
                double mag, ref = direct(k, d, out.h, out.w, o, co, &mag);
                double g = got[(o - r0) * k->cout + co];
                double rel = fabs(g - ref) / (mag > 1e-30 ? mag : 1e-30);
                if (rel > max_rel) max_rel = rel;
                s[0] += g, s[1] += ref, s[2] += g * g, s[3] += ref * ref, s[4] += g * ref;
            }
        double tot[5], count = (double)(out.n * out.h * out.w * k->cout);
        MPI_Allreduce(s, tot, 5, MPI_DOUBLE, MPI_SUM, tg_noc_comm());
        MPI_Allreduce(&max_rel, &res.max_rel, 1, MPI_DOUBLE, MPI_MAX, tg_noc_comm());
        double cov = tot[4] - tot[0] * tot[1] / count;
        double vg = tot[2] - tot[0] * tot[0] / count, vr = tot[3] - tot[1] * tot[1] / count;
        res.pcc = (vg > 0 && vr > 0) ? cov / sqrt(vg * vr) : (vg == vr ? 1.0 : 0.0);
        res.ran = true;
        if (keep)
            *keep = got;
        else
            free(got);
        tg_tensor_free(&dout);
        tg_tensor_free(&out);
    }
    tg_conv2d_weights_free(&cw);
    tg_tensor_free(&din);
    tg_conv2d_plan_free(&pl);
    return res;
}

static const tg_grid whole = {0, 0};

static void conv2d_float32_every_layout_matches_direct(void) {
    const tg_conv_layout layouts[] = {TG_CONV_HEIGHT, TG_CONV_BLOCK, TG_CONV_WIDTH, TG_CONV_DRAM,
                                      TG_CONV_AUTO};
    for (int i = 0; i < NCASES; i++) {
        conv_data d = make_data(&cases[i], 40 + (unsigned long long)i);
        for (int l = 0; l < 5; l++) {
            conv_result r = run_conv(&cases[i], &d, layouts[l], TG_FLOAT32, TG_FLOAT32, TG_HIFI4,
                                     false, whole, NULL);
            /* height and the DRAM layout always run these small convs */
            CU_ASSERT(r.ran ||
                      (r.refused && layouts[l] != TG_CONV_HEIGHT && layouts[l] != TG_CONV_DRAM));
            CU_ASSERT(r.refused || (r.ran && r.max_rel < 1e-5));
            if (r.ran && r.max_rel >= 1e-5 && tg_core_self()->rank == 0)
                fprintf(stderr, "%s (%s): max relative error %.3g\n", cases[i].name,
                        tg_conv_layout_name(layouts[l]), r.max_rel);
        }
        free_data(&d);
    }
}

/* Width sharding with several K blocks per turn (act_block_w_div 2 on the first core,
 * which TTNN allows when the padded channels divide 64: each block splits the turn's
 * taps mid-kernel-row): a sender gathers its next block while the row may still be
 * taking the last one, so the multicast's contract (the source stays put until the
 * set's next barrier) must be kept. */
static void conv2d_width_k_blocks_match_direct(void) {
    const int pick[] = {5, 6};
    width_k_div = 2;
    for (size_t ci = 0; ci < sizeof pick / sizeof pick[0]; ci++) {
        conv_data d = make_data(&cases[pick[ci]], 70 + ci);
        conv_result r = run_conv(&cases[pick[ci]], &d, TG_CONV_WIDTH, TG_FLOAT32, TG_FLOAT32,
                                 TG_HIFI4, false, (tg_grid){1, 1}, NULL);
        CU_ASSERT(r.ran && r.max_rel < 1e-5);
        if (r.ran && r.max_rel >= 1e-5 && tg_core_self()->rank == 0)
            fprintf(stderr, "%s (width, act_block_w_div 2): max relative error %.3g\n",
                    cases[pick[ci]].name, r.max_rel);
        free_data(&d);
    }
    width_k_div = 1;
}

/* The device formats against the float64 reference of the unrounded inputs. */
static void conv2d_device_formats_meet_pcc_thresholds(void) {
    struct {
        tg_fmt in, w;
        tg_fidelity fid;
        bool acc;
        double pcc;
    } f[] = {
        {TG_BFLOAT16, TG_BFLOAT16, TG_HIFI4, true, 0.997},  /* bf16 with fp32 accumulation */
        {TG_BFLOAT16, TG_BFLOAT16, TG_HIFI4, false, 0.985}, /* bf16 without */
        {TG_BFLOAT16, TG_BFLOAT16, TG_LOFI, false, 0.985},  /* LoFi */
        {TG_BFLOAT16, TG_BFLOAT16, TG_HIFI2, true, 0.997},
        {TG_BFLOAT16, TG_BFLOAT16, TG_HIFI3, true, 0.997},
        {TG_BFLOAT16, TG_BFLOAT8_B, TG_LOFI, false, 0.98}, /* bfloat8_b weights */
        {TG_BFLOAT8_B, TG_BFLOAT8_B, TG_LOFI, true, 0.98},
    };
    int nf = (int)(sizeof f / sizeof f[0]);
    const int pick[] = {0, 2, 5, 6, 8, 9};
    const tg_conv_layout layouts[] = {TG_CONV_HEIGHT, TG_CONV_BLOCK, TG_CONV_DRAM};
    for (size_t ci = 0; ci < sizeof pick / sizeof pick[0]; ci++) {
        const conv_case *k = &cases[pick[ci]];
        conv_data d = make_data(k, 90 + ci);
        for (int j = 0; j < nf; j++)
            for (int l = 0; l < 3; l++) {
                conv_result r =
                    run_conv(k, &d, layouts[l], f[j].in, f[j].w, f[j].fid, f[j].acc, whole, NULL);
                CU_ASSERT(r.refused || (r.ran && r.pcc >= f[j].pcc));
                if (r.ran && r.pcc < f[j].pcc && tg_core_self()->rank == 0)
                    fprintf(stderr, "%s (%s, %s/%s %s%s): pcc %.6f < %.3f\n", k->name,
                            tg_conv_layout_name(layouts[l]), tg_fmt_name(f[j].in),
                            tg_fmt_name(f[j].w), tg_fidelity_name(f[j].fid),
                            f[j].acc ? " fp32 acc" : "", r.pcc, f[j].pcc);
            }
        free_data(&d);
    }
}

/* Fidelity really truncates: LoFi is further from the reference than HiFi4. */
static void conv2d_lofi_is_less_precise_than_hifi4(void) {
    const conv_case *k = &cases[5];
    conv_data d = make_data(k, 7);
    conv_result lo =
        run_conv(k, &d, TG_CONV_HEIGHT, TG_BFLOAT16, TG_BFLOAT16, TG_LOFI, true, whole, NULL);
    conv_result hi =
        run_conv(k, &d, TG_CONV_HEIGHT, TG_BFLOAT16, TG_BFLOAT16, TG_HIFI4, true, whole, NULL);
    CU_ASSERT(lo.ran && hi.ran && lo.pcc < hi.pcc && lo.max_rel > hi.max_rel);
    free_data(&d);
}

/* float32 height sharding on one core and on the whole grid: the same bits. */
static void conv2d_float32_bitwise_on_one_and_all_cores(void) {
    const conv_case *k = &cases[5];
    conv_data d = make_data(k, 11);
    tg_grid one = {1, 1};
    float *a = NULL, *b = NULL;
    conv_result r1 =
        run_conv(k, &d, TG_CONV_HEIGHT, TG_FLOAT32, TG_FLOAT32, TG_HIFI4, false, one, &a);
    conv_result rp =
        run_conv(k, &d, TG_CONV_HEIGHT, TG_FLOAT32, TG_FLOAT32, TG_HIFI4, false, whole, &b);
    CU_ASSERT(r1.ran && rp.ran);
    if (a && b) {
        int64_t r0, r1r, rows = k->n * k->h * k->w; /* stride 1, same size */
        int64_t per = (rows + tg_core_self()->nranks - 1) / tg_core_self()->nranks;
        r0 = per * tg_core_self()->rank < rows ? per * tg_core_self()->rank : rows;
        r1r = r0 + per < rows ? r0 + per : rows;
        CU_ASSERT_EQUAL(memcmp(a, b, (size_t)((r1r - r0) * k->cout) * sizeof *a), 0);
    }
    free(a), free(b);
    free_data(&d);
}

/* TTNN refuses few of these configs (its L1 words, its TT_FATALs): a planner that
 * refused everything would not pass the tests above silently. */
static void conv2d_refusals_are_few(void) {
    if (tg_core_self()->rank == 0)
        printf("\n  conv2d configs run %d, refused as on the device %d\n", attempts, refusals);
    CU_ASSERT(attempts > 100 && refusals * 10 <= attempts);
}

static void register_conv2d(void) {
    tg_test_suite("conv2d", "conv2d_float32_every_layout_matches_direct",
                  conv2d_float32_every_layout_matches_direct, "conv2d_width_k_blocks_match_direct",
                  conv2d_width_k_blocks_match_direct, "conv2d_device_formats_meet_pcc_thresholds",
                  conv2d_device_formats_meet_pcc_thresholds,
                  "conv2d_lofi_is_less_precise_than_hifi4", conv2d_lofi_is_less_precise_than_hifi4,
                  "conv2d_float32_bitwise_on_one_and_all_cores",
                  conv2d_float32_bitwise_on_one_and_all_cores, "conv2d_refusals_are_few",
                  conv2d_refusals_are_few, NULL);
}

int main(int argc, char **argv) {
    return tg_test_main(argc, argv, register_conv2d, true);
}
