/* Unit tests of the sliding-window planner (src/ops/window.h): the paper's halo
 * example, and a property test over random configurations against a direct gather
 * from the padded input. */
#include <stdlib.h>
#include <string.h>

#include "tg_test.h"
#include "unit.h"
#include "window.h"

/* Sticks of a part's halo config as sets of 1-based padded indices (the paper's
 * numbering), listed in order. */
typedef struct halo_sets {
    int64_t pad[64], local[64], remote[64];
    int npad, nlocal, nremote;
} halo_sets;

static halo_sets sets_of(const tg_window *w, tg_split in, tg_split out, int q) {
    halo_sets s;
    memset(&s, 0, sizeof s);
    tg_window_bounds b = tg_window_part(w, out, q);
    tg_stick_run runs[64];
    int64_t n = tg_window_runs(w, in, b.a, b.b, runs);
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < runs[i].len; k++) {
            int64_t stick = b.a + runs[i].dst + k + 1;
            if (runs[i].owner < 0)
                s.pad[s.npad++] = stick;
            else if (runs[i].owner == q)
                s.local[s.nlocal++] = stick;
            else
                s.remote[s.nremote++] = stick;
        }
    return s;
}

static bool same_set(const int64_t *got, int n, const int64_t *want, int m) {
    if (n != m) return false;
    for (int i = 0; i < n; i++)
        if (got[i] != want[i]) return false;
    return true;
}

static void halo_plan_matches_paper_example(void) {
    /* DESIGN.md section 4: N=1, H=4, W=6, 3x3, stride 1, padding 1, 3 cores, 8 input
     * and 8 output sticks per core; the padded input is 6x8. */
    tg_window w;
    CU_ASSERT_EQUAL_FATAL(tg_window_make(1, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, &w), TG_OK);
    CU_ASSERT(w.out_h == 4 && w.out_w == 6 && w.hp == 6 && w.wp == 8);
    tg_split in = {3, 8, 24}, out = {3, 8, 24};
    halo_sets s0 = sets_of(&w, in, out, 0);
    const int64_t pad0[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 24, 25};
    const int64_t local0[] = {10, 11, 12, 13, 14, 15, 18, 19};
    const int64_t remote0[] = {20, 21, 22, 23, 26, 27, 28};
    CU_ASSERT(same_set(s0.pad, s0.npad, pad0, 13));
    CU_ASSERT(same_set(s0.local, s0.nlocal, local0, 8));
    CU_ASSERT(same_set(s0.remote, s0.nremote, remote0, 7));
    /* Core 1: outputs 8..15 touch sticks 11..38 (derived by hand). */
    halo_sets s1 = sets_of(&w, in, out, 1);
    const int64_t pad1[] = {16, 17, 24, 25, 32, 33};
    const int64_t local1[] = {20, 21, 22, 23, 26, 27, 28, 29};
    const int64_t remote1[] = {11, 12, 13, 14, 15, 18, 19, 30, 31, 34, 35, 36, 37, 38};
    CU_ASSERT(same_set(s1.pad, s1.npad, pad1, 6));
    CU_ASSERT(same_set(s1.local, s1.nlocal, local1, 8));
    CU_ASSERT(same_set(s1.remote, s1.nremote, remote1, 14));
    /* Core 2: outputs 16..23 touch sticks 21..48. */
    halo_sets s2 = sets_of(&w, in, out, 2);
    const int64_t pad2[] = {24, 25, 32, 33, 40, 41, 42, 43, 44, 45, 46, 47, 48};
    const int64_t local2[] = {30, 31, 34, 35, 36, 37, 38, 39};
    const int64_t remote2[] = {21, 22, 23, 26, 27, 28, 29};
    CU_ASSERT(same_set(s2.pad, s2.npad, pad2, 13));
    CU_ASSERT(same_set(s2.local, s2.nlocal, local2, 8));
    CU_ASSERT(same_set(s2.remote, s2.nremote, remote2, 7));
    /* The counts agree, and core 0 reads from one other core. */
    tg_window_bounds b = tg_window_part(&w, out, 0);
    tg_stick_run runs[64];
    int64_t n = tg_window_runs(&w, in, b.a, b.b, runs);
    tg_halo_counts c = tg_halo_count(runs, n, 0);
    CU_ASSERT(c.pad == 13 && c.local == 8 && c.remote == 7 && c.sources == 1);
    CU_ASSERT_EQUAL(c.remote_runs, 2); /* 20..23 and 26..28 */
}

static void window_rejects_impossible_parameters(void) {
    tg_window w;
    CU_ASSERT_EQUAL(tg_window_make(1, 8, 8, 3, 3, 0, 1, 1, 1, 1, 1, 1, 1, false, &w), TG_ERR_USAGE);
    CU_ASSERT_EQUAL(tg_window_make(1, 8, 8, 3, 3, 1, 1, -1, 1, 1, 1, 1, 1, false, &w),
                    TG_ERR_USAGE);
    CU_ASSERT_EQUAL(tg_window_make(1, 4, 4, 7, 7, 1, 1, 1, 1, 1, 1, 1, 1, false, &w), TG_ERR_USAGE);
    CU_ASSERT_EQUAL(tg_window_make(1, 4, 4, 3, 3, 1, 1, 0, 0, 0, 0, 2, 2, false, &w), TG_ERR_USAGE);
    CU_ASSERT_EQUAL(tg_window_make(1, 4, 4, 3, 3, 1, 1, 0, 0, 0, 0, 1, 0, false, &w), TG_ERR_USAGE);
    CU_ASSERT_EQUAL(tg_window_make(1, 4, 4, 0, 3, 1, 1, 0, 0, 0, 0, 1, 1, false, &w), TG_ERR_USAGE);
    /* max pool 3x3/2 with padding 1 on 112x112, the ResNet stem: 56x56 */
    CU_ASSERT_EQUAL(tg_window_make(1, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, &w), TG_OK);
    CU_ASSERT(w.out_h == 56 && w.out_w == 56);
    /* ceil mode: 6 wide, kernel 2, stride 2... and 5 wide gives 3, padded by one */
    CU_ASSERT_EQUAL(tg_window_make(1, 5, 5, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true, &w), TG_OK);
    CU_ASSERT(w.out_h == 3 && w.pad_b_eff == 1 && w.wp == 6);
    /* ceil mode drops a window that would start in the right padding */
    CU_ASSERT_EQUAL(tg_window_make(1, 4, 4, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, true, &w), TG_OK);
    CU_ASSERT_EQUAL(w.out_h, 3);
}

/* Sizes no int64_t index counts, and tensors no machine holds, are usage errors found
 * before any loop walks them (issue 12: --padding 1048576,1048576 ran for hours). */
static void window_sizes_are_checked_before_any_loop(void) {
    tg_window w;
    const int64_t big = INT64_C(1) << 30;
    CU_ASSERT_EQUAL(tg_window_make(big, big, big, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, &w),
                    TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "64-bit"));
    CU_ASSERT_EQUAL(tg_window_make(1, INT64_C(1) << 41, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, &w),
                    TG_ERR_USAGE);
    /* the case: 8x8 padded by 2^20 on every side */
    CU_ASSERT_EQUAL(
        tg_window_make(1, 8, 8, 3, 3, 1, 1, 1 << 20, 1 << 20, 1 << 20, 1 << 20, 1, 1, false, &w),
        TG_OK);
    size_t l1 = 1499136, dram = (size_t)12 * 96 * 1024 * 1024;
    CU_ASSERT_EQUAL(tg_window_fits(&w, "conv2d", 16, TG_BFLOAT16, 16, TG_BFLOAT16, l1, dram),
                    TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "[1, 2097158, 2097158, 16]"));
    /* padded in width only: the output fits in DRAM, one window does not fit in L1 */
    CU_ASSERT_EQUAL(tg_window_make(1, 8, 8, 3, 3, 1, 1, 0, 0, 1 << 20, 1 << 20, 1, 1, false, &w),
                    TG_OK);
    CU_ASSERT_EQUAL(tg_window_fits(&w, "maxpool2d", 16, TG_BFLOAT16, 16, TG_BFLOAT16, l1, dram),
                    TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "window spans"));
    /* the ResNet stem fits */
    CU_ASSERT_EQUAL(tg_window_make(1, 224, 224, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, false, &w), TG_OK);
    CU_ASSERT_EQUAL(tg_window_fits(&w, "conv2d", 3, TG_BFLOAT16, 64, TG_BFLOAT16, l1, dram), TG_OK);
    /* an input larger than the DRAM given */
    CU_ASSERT_EQUAL(tg_window_fits(&w, "conv2d", 3, TG_FLOAT32, 64, TG_FLOAT32, l1, 1 << 20),
                    TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "the input [1, 224, 224, 3]"));
}

/* Independent reference: PyTorch's output size, with ceil mode's rule. */
static int64_t ref_out(int64_t in, int pb, int pa, int k, int s, int d, bool ceil_mode) {
    int64_t num = in + pb + pa - (int64_t)d * (k - 1) - 1;
    int64_t o = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + pb) o--;
    return o;
}

static void window_halo_property_random_configs(void) {
    tg_rng rng;
    tg_rng_seed(&rng, 2024);
    int checked = 0;
    while (checked < 10000) {
        int64_t N = tg_rng_int(&rng, 1, 4), H = tg_rng_int(&rng, 1, 64),
                W = tg_rng_int(&rng, 1, 64);
        if (N * H * W > 6000) H = tg_rng_int(&rng, 1, 16); /* keep the run time modest */
        int kh = tg_rng_int(&rng, 1, 7), kw = tg_rng_int(&rng, 1, 7);
        int sh = tg_rng_int(&rng, 1, 4), sw = tg_rng_int(&rng, 1, 4);
        int dh = tg_rng_int(&rng, 1, 3), dw = tg_rng_int(&rng, 1, 3);
        int pt = tg_rng_int(&rng, 0, 3), pb = tg_rng_int(&rng, 0, 3);
        int pl = tg_rng_int(&rng, 0, 3), pr = tg_rng_int(&rng, 0, 3);
        bool ceil_mode = tg_rng_int(&rng, 0, 3) == 0;
        tg_window w;
        tg_status st =
            tg_window_make(N, H, W, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, ceil_mode, &w);
        bool fits =
            (int64_t)dh * (kh - 1) + 1 <= H + pt + pb && (int64_t)dw * (kw - 1) + 1 <= W + pl + pr;
        CU_ASSERT_EQUAL(st, fits ? TG_OK : TG_ERR_USAGE);
        if (!fits) continue;
        CU_ASSERT_EQUAL(w.out_h, ref_out(H, pt, pb, kh, sh, dh, ceil_mode));
        CU_ASSERT_EQUAL(w.out_w, ref_out(W, pl, pr, kw, sw, dw, ceil_mode));
        /* Shard layouts: height over p cores, block over the grid's rows, width over
         * one piece; shard heights snapped to 32 or split evenly. */
        int gw = tg_rng_int(&rng, 1, 8), gh = tg_rng_int(&rng, 1, 8), layout = checked % 3;
        int parts = layout == 0 ? gw * gh : layout == 1 ? gh : 1;
        bool snap = tg_rng_int(&rng, 0, 1);
        int64_t in_rows = N * H * W, out_rows = N * w.out_h * w.out_w;
        int64_t ish = (in_rows + parts - 1) / parts, osh = (out_rows + parts - 1) / parts;
        if (snap) ish = (ish + 31) / 32 * 32, osh = (osh + 31) / 32 * 32;
        tg_split in = {parts, ish, in_rows}, out = {parts, osh, out_rows};
        int64_t Hp = H + pt + w.pad_b_eff, Wp = W + pl + w.pad_r_eff;
        CU_ASSERT(w.hp == Hp && w.wp == Wp);
        int64_t maxh = tg_window_max_halo(&w, out);
        int64_t *haloed = malloc((size_t)(maxh + 1) * sizeof *haloed);
        for (int q = 0; q < parts; q++) {
            tg_window_bounds b = tg_window_part(&w, out, q);
            CU_ASSERT(b.b - b.a <= maxh);
            if (b.o0 >= b.o1) continue;
            int64_t cap = tg_window_runs_bound(&w, in, b.a, b.b);
            tg_stick_run *runs = malloc((size_t)cap * sizeof *runs);
            int64_t nr = tg_window_runs(&w, in, b.a, b.b, runs);
            CU_ASSERT(nr <= cap);
            /* runs tile the haloed shard; data runs lie inside their owner's rows */
            int64_t at = 0;
            for (int64_t i = 0; i < nr; i++) {
                CU_ASSERT(runs[i].dst == at && runs[i].len > 0);
                if (runs[i].owner >= 0) {
                    CU_ASSERT(runs[i].owner < parts);
                    CU_ASSERT(runs[i].src >= tg_split_start(in, runs[i].owner));
                    CU_ASSERT(runs[i].src + runs[i].len <= tg_split_end(in, runs[i].owner));
                }
                for (int64_t k = 0; k < runs[i].len; k++)
                    haloed[at + k] = runs[i].owner < 0 ? -1 : runs[i].src + k;
                at += runs[i].len;
            }
            CU_ASSERT_EQUAL(at, b.b - b.a);
            free(runs);
            /* every window of every output of q, read from the haloed shard alone,
             * equals the window gathered directly from the padded input */
            int64_t bad = 0;
            for (int64_t o = b.o0; o < b.o1; o++) {
                int64_t n = o / (w.out_h * w.out_w), r = o % (w.out_h * w.out_w);
                int64_t oy = r / w.out_w, ox = r % w.out_w;
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        int64_t y = oy * sh + (int64_t)ky * dh, x = ox * sw + (int64_t)kx * dw;
                        int64_t p = (n * Hp + y) * Wp + x;
                        int64_t iy = y - pt, ix = x - pl;
                        int64_t direct =
                            (iy >= 0 && iy < H && ix >= 0 && ix < W) ? (n * H + iy) * W + ix : -1;
                        if (p < b.a || p >= b.b || haloed[p - b.a] != direct) bad++;
                    }
            }
            CU_ASSERT_EQUAL(bad, 0);
        }
        free(haloed);
        checked++;
    }
}

void unit_register_window(void) {
    tg_test_suite("window", "halo_plan_matches_paper_example", halo_plan_matches_paper_example,
                  "window_rejects_impossible_parameters", window_rejects_impossible_parameters,
                  "window_sizes_are_checked_before_any_loop",
                  window_sizes_are_checked_before_any_loop, "window_halo_property_random_configs",
                  window_halo_property_random_configs, NULL);
}
