/* MPI tests of the halo op: every core's haloed shard equals the direct gather of
 * its padded range from the whole padded input, for conv (0) and max-pool (-inf)
 * padding, pull and push, height, block and width shards, several window shapes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "halo.h"
#include "stats.h"
#include "tg_test.h"

/* Value of input row r, channel c: distinct and exactly representable in float32. */
static float value(int64_t r, int64_t c) {
    return (float)((r * 131 + c * 7) % 100003) + 0.5f;
}

/* Fills this core's shard of t from value(). */
static void fill(tg_tensor *t) {
    tg_shard_range r = tg_tensor_my_range(t);
    if (tg_shard_range_empty(r)) return;
    float *row = calloc((size_t)t->spec.shard_w, sizeof *row);
    for (int64_t i = 0; i < r.r1 - r.r0; i++) {
        for (int64_t j = 0; j < r.c1 - r.c0; j++) row[j] = value(r.r0 + i, r.c0 + j);
        tg_fmt_pack(t->fmt, row, t->spec.shard_w, tg_tensor_row(t, i));
    }
    free(row);
}

/* Checks this core's haloed shard against the direct gather; returns mismatches. */
static int64_t check(const tg_window *w, const tg_tensor *t, const tg_haloed *h, float pad) {
    tg_shard_range r = tg_tensor_my_range(t);
    if (h->part < 0 || tg_shard_range_empty(r)) return 0;
    int64_t bad = 0;
    float *row = malloc((size_t)t->spec.shard_w * sizeof *row);
    for (int64_t p = h->bounds.a; p < h->bounds.b; p++) {
        tg_fmt_unpack(t->fmt, tg_l1_ptr(h->l1_off) + (size_t)(p - h->bounds.a) * h->row_bytes,
                      t->spec.shard_w, row);
        /* the padded input at p, computed directly from the window geometry */
        int64_t per = w->hp * w->wp, n = p / per, y = (p % per) / w->wp - w->pad_t;
        int64_t x = p % w->wp - w->pad_l;
        bool is_pad = y < 0 || y >= w->in_h || x < 0 || x >= w->in_w;
        int64_t src = is_pad ? -1 : (n * w->in_h + y) * w->in_w + x;
        for (int64_t j = 0; j < r.c1 - r.c0; j++) {
            float want = is_pad ? pad : value(src, r.c0 + j);
            if (t->fmt == TG_BFLOAT16) want = tg_bf16_round(want);
            if (memcmp(&row[j], &want, sizeof want) != 0) bad++;
        }
    }
    free(row);
    return bad;
}

/* The halo op as its plan and its run. */
static tg_status halo(const tg_window *w, const tg_tensor *t, tg_split out, float pad,
                      tg_halo_mode mode, tg_haloed *h) {
    tg_halo_plan hp;
    TG_CHECK(tg_halo_plan_make(w, &t->spec, t->fmt, out, pad, mode, &hp));
    tg_status st = tg_halo_run(&hp, t, h);
    tg_halo_plan_free(&hp);
    return st;
}

typedef struct halo_case {
    int64_t n, h, w, c;
    int kh, kw, sh, sw, pt, pb, pl, pr, dh, dw;
    bool ceil_mode;
} halo_case;

static const halo_case cases[] = {
    {1, 4, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false},    /* the paper's example */
    {2, 17, 13, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false}, /* stride 2, batch 2 */
    {1, 20, 9, 8, 5, 3, 1, 2, 2, 0, 1, 3, 2, 1, false},   /* asymmetric, dilated */
    {3, 7, 7, 33, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true},    /* max-pool ceil mode */
    {1, 32, 32, 16, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, false}, /* the ResNet stem, smaller */
};

static void run_cases(float pad) {
    tg_core *c = tg_core_self();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const halo_case *k = &cases[i];
        tg_window w;
        CU_ASSERT_EQUAL_FATAL(tg_window_make(k->n, k->h, k->w, k->kh, k->kw, k->sh, k->sw, k->pt,
                                             k->pb, k->pl, k->pr, k->dh, k->dw, k->ceil_mode, &w),
                              TG_OK);
        int64_t shape[4] = {k->n, k->h, k->w, k->c};
        for (int layout = 0; layout < 3; layout++)
            for (int variant = 0; variant < 4; variant++) {
                bool snap = variant & 1;
                tg_halo_mode mode = (variant & 2) ? TG_HALO_PUSH : TG_HALO_PULL;
                tg_tensor t;
                CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc(&t, "test:input", shape, TG_FLOAT32,
                                                      (tg_shard_layout)layout, c->grid, false,
                                                      snap),
                                      TG_OK);
                fill(&t);
                tg_noc_barrier(TG_SET_ALL);
                tg_haloed h;
                tg_split out = tg_split_out(&t.spec, tg_window_out_rows(&w));
                tg_status st = halo(&w, &t, out, pad, mode, &h);
                CU_ASSERT_EQUAL(st, TG_OK);
                if (st == TG_OK) {
                    int64_t bad = check(&w, &t, &h, pad);
                    CU_ASSERT_EQUAL(bad, 0);
                    tg_haloed_free(&h);
                }
                tg_tensor_free(&t);
            }
    }
}

static void conv_cases(void) {
    run_cases(0.0f);
}

static void maxpool_cases(void) {
    run_cases(-INFINITY);
}

static void halo_matches_direct_gather_conv_padding(void) {
    tg_test_each_noc_mode(conv_cases);
}

static void halo_matches_direct_gather_maxpool_padding(void) {
    tg_test_each_noc_mode(maxpool_cases);
}

/* The halo counters of the paper's example at 3 cores, no snapping: core 0 has 13
 * padding, 8 local and 7 remote sticks. */
static void halo_counts_match_plan(void) {
    tg_core *c = tg_core_self();
    tg_window w;
    CU_ASSERT_EQUAL_FATAL(tg_window_make(1, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, &w), TG_OK);
    int64_t shape[4] = {1, 4, 6, 6};
    tg_tensor t;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc(&t, "test:input", shape, TG_BFLOAT16, TG_SHARD_HEIGHT,
                                          c->grid, false, false),
                          TG_OK);
    fill(&t);
    tg_noc_barrier(TG_SET_ALL); /* every shard filled before anyone reads a neighbour's */
    tg_stats_begin("test:halo");
    tg_haloed h;
    CU_ASSERT_EQUAL_FATAL(halo(&w, &t, tg_split_out(&t.spec, 24), 0.0f, TG_HALO_PULL, &h), TG_OK);
    tg_counters k = *tg_stats_now();
    tg_stats_end();
    if (c->nranks == 3 && c->rank == 0) {
        CU_ASSERT_EQUAL(k.halo_pad_sticks, 13);
        CU_ASSERT_EQUAL(k.halo_local_sticks, 8);
        CU_ASSERT_EQUAL(k.halo_remote_sticks, 7);
        CU_ASSERT_EQUAL(k.halo_cores, 1);
        CU_ASSERT_EQUAL(k.halo_remote_bytes, 7 * 16 * 2); /* 6 channels pad to 16, bf16 */
        CU_ASSERT_EQUAL(k.noc_read_bytes, 7 * 16 * 2);
    }
    CU_ASSERT_EQUAL(check(&w, &t, &h, 0.0f), 0);
    tg_haloed_free(&h);
    tg_tensor_free(&t);
}

static void register_halo(void) {
    tg_test_suite(
        "halo", "halo_matches_direct_gather_conv_padding", halo_matches_direct_gather_conv_padding,
        "halo_matches_direct_gather_maxpool_padding", halo_matches_direct_gather_maxpool_padding,
        "halo_counts_match_plan", halo_counts_match_plan, NULL);
}

int main(int argc, char **argv) {
    return tg_test_main(argc, argv, register_halo, true);
}
