/* The run moves what the plan says (issue "Plans as data"): for every op and layout,
 * the traffic the NoC counted during the run equals the plan's prediction on every
 * core (NoC read, write and multicast bytes, transactions, hops, DRAM bytes), the
 * bytes over every directed link and served by every DRAM bank summed over the cores
 * equal the plan's, and each core's L1 high-water mark equals the plan's. Plans are
 * made from the live L1 allocator, as ResNet-50 makes them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "add.h"
#include "avgpool.h"
#include "conv2d.h"
#include "maxpool2d.h"
#include "noc_mpi.h"
#include "reshard.h"
#include "resnet50.h"
#include "stats.h"
#include "tg_test.h"

/* Compares a statistics record with the plan; returns mismatches (summed over ranks)
 * and prints the first few on the rank that sees them. Collective. */
static int check_record(const char *what, tg_stats_record rec, const tg_traffic *t,
                        size_t l1_high_water) {
    tg_core *c = tg_core_self();
    const tg_counters *k = rec.k, *want = &t->core[c->rank];
    int bad = 0;
#define FIELD(f)                                                                                   \
    if (k->f != want->f) {                                                                         \
        if (bad++ < 3)                                                                             \
            fprintf(stderr, "rank %d: %s: " #f " counted %llu, planned %llu\n", c->rank, what,     \
                    (unsigned long long)k->f, (unsigned long long)want->f);                        \
    }
    FIELD(noc_read_bytes)
    FIELD(noc_write_bytes)
    FIELD(noc_mcast_bytes)
    FIELD(noc_transactions)
    FIELD(hops)
    FIELD(dram_read_bytes)
    FIELD(dram_write_bytes)
#undef FIELD
    if (k->l1_high_water != l1_high_water && bad++ < 3)
        fprintf(stderr, "rank %d: %s: L1 high water %zu, planned %zu\n", c->rank, what,
                k->l1_high_water, l1_high_water);
    int nl = t->ncores * TG_LINK_DIRS;
    uint64_t *sum = malloc((size_t)(nl + t->nbanks) * sizeof *sum);
    uint64_t *mine = calloc((size_t)(nl + t->nbanks), sizeof *mine);
    if (rec.links) memcpy(mine, rec.links, (size_t)nl * sizeof *mine);
    if (rec.banks) memcpy(mine + nl, rec.banks, (size_t)t->nbanks * sizeof *mine);
    MPI_Allreduce(mine, sum, nl + t->nbanks, MPI_UINT64_T, MPI_SUM, tg_noc_comm());
    if (c->rank == 0) {
        for (int i = 0; i < nl; i++)
            if (sum[i] != t->links[i] && bad++ < 3)
                fprintf(stderr, "%s: link %d of core %d counted %llu B, planned %llu B\n", what,
                        i % TG_LINK_DIRS, i / TG_LINK_DIRS, (unsigned long long)sum[i],
                        (unsigned long long)t->links[i]);
        for (int b = 0; b < t->nbanks; b++)
            if (sum[nl + b] != t->banks[b] && bad++ < 3)
                fprintf(stderr, "%s: DRAM bank %d served %llu B, planned %llu B\n", what, b,
                        (unsigned long long)sum[nl + b], (unsigned long long)t->banks[b]);
    }
    free(sum), free(mine);
    int total = 0;
    MPI_Allreduce(&bad, &total, 1, MPI_INT, MPI_SUM, tg_noc_comm());
    return total;
}

/* The same for the scope closed last. */
static int check(const char *what, const tg_traffic *t, size_t l1_high_water) {
    int n = tg_stats_close();
    return check_record(what, tg_stats_record_at(n - 1), t, l1_high_water);
}

/* Fills a tensor (any placement) with seeded values through the host. */
static void fill(tg_tensor *t, unsigned long long seed) {
    int64_t shape[4] = {t->n, t->h, t->w, t->c}, r0, r1;
    tg_tensor d = {0}, *dst = t;
    if (t->place == TG_PLACE_L1) {
        CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&d, "test:fill", shape, t->fmt), TG_OK);
        dst = &d;
    }
    tg_tensor_host_rows(dst, &r0, &r1);
    float *rows = malloc((size_t)((r1 - r0) * t->c + 1) * sizeof *rows);
    tg_rng rng;
    tg_rng_seed(&rng, seed + (unsigned long long)r0);
    for (int64_t i = 0; i < (r1 - r0) * t->c; i++) rows[i] = tg_rng_float(&rng);
    CU_ASSERT_EQUAL(tg_noc_sync(tg_tensor_write_host_rows(dst, r0, r1, rows)), TG_OK);
    free(rows);
    if (dst != t) {
        CU_ASSERT_EQUAL(tg_tensor_reshard(&d, t), TG_OK);
        tg_tensor_free(&d);
    }
}

static void alloc_like(tg_tensor *t, const int64_t shape[4], tg_fmt f, int placement,
                       tg_shard_layout l) {
    tg_core *c = tg_core_self();
    tg_status st = placement == TG_PLACE_DRAM
                       ? tg_tensor_alloc_dram(t, "test:tensor", shape, f)
                       : tg_tensor_alloc(t, "test:tensor", shape, f, l, c->grid, false, true);
    CU_ASSERT_EQUAL_FATAL(st, TG_OK);
}

/* ---- conv2d ---- */

typedef struct conv_case {
    int64_t n, h, w, cin, cout;
    int k, s, groups;
    bool bias;
} conv_case;

static const conv_case convs[] = {
    {1, 14, 14, 64, 64, 3, 1, 1, true}, /* a ResNet 3x3 */
    {2, 9, 7, 40, 72, 3, 2, 1, false},  /* stride 2, batch 2, uneven */
    {1, 12, 12, 72, 40, 1, 1, 1, true}, /* the 1x1 matmul path */
    {1, 16, 16, 3, 32, 7, 2, 1, true},  /* a stem */
    {1, 10, 10, 32, 32, 3, 1, 2, true}, /* groups */
};

static void conv_once(const conv_case *k, tg_conv_layout layout, tg_fmt f, bool transpose,
                      bool dealloc, int in_place, tg_halo_mode halo) {
    tg_machine m = tg_machine_self();
    tg_conv2d_params p;
    tg_conv2d_params_default(&p);
    p.n = k->n, p.h = k->h, p.w = k->w, p.cin = k->cin, p.cout = k->cout;
    p.kh = p.kw = k->k, p.sh = p.sw = k->s;
    p.pad_t = p.pad_b = p.pad_l = p.pad_r = k->k / 2;
    p.groups = k->groups, p.has_bias = k->bias, p.relu = true;
    p.layout = layout, p.transpose_shards = transpose, p.deallocate_activation = dealloc;
    p.in_fmt = p.out_fmt = p.w_fmt = f;
    p.halo_mode = halo;
    int64_t shape[4] = {k->n, k->h, k->w, k->cin};
    tg_tensor in = {0}, out = {0};
    alloc_like(&in, shape, f, in_place, TG_SHARD_HEIGHT);
    fill(&in, 7);
    tg_conv2d_plan pl;
    tg_conv2d_site site = {&in, NULL, false};
    tg_status st = tg_conv2d_plan_fit(&p, &m, tg_core_l1(), &site, &pl, NULL);
    if (st == TG_ERR_RUNTIME && layout != TG_CONV_DRAM) { /* as a user would */
        tg_err_clear();
        tg_conv2d_plan_free(&pl);
        p.act_block_h = 32;
        st = tg_conv2d_plan_fit(&p, &m, tg_core_l1(), &site, &pl, NULL);
    }
    if (st == TG_ERR_USAGE) { /* a layout this shape cannot take (e.g. groups over slices) */
        tg_err_clear();
        tg_conv2d_plan_free(&pl);
        tg_tensor_free(&in);
        return;
    }
    CU_ASSERT_EQUAL_FATAL(st, TG_OK);
    float *w = calloc((size_t)(k->cout * (k->cin / k->groups) * k->k * k->k), sizeof *w);
    float *b = calloc((size_t)k->cout, sizeof *b);
    int64_t co0, co1;
    tg_conv2d_weight_cols(k->cout, &co0, &co1);
    tg_conv2d_weights cw;
    CU_ASSERT_EQUAL_FATAL(tg_conv2d_weights_load(&pl, w + co0 * (k->cin / k->groups) * k->k * k->k,
                                                 k->bias ? b + co0 : NULL, &cw),
                          TG_OK);
    tg_stats_begin("test:conv2d");
    st = tg_conv2d_run(&pl, &in, NULL, &cw, &out);
    tg_stats_end();
    CU_ASSERT_EQUAL(st, TG_OK);
    char what[128];
    snprintf(what, sizeof what, "conv2d %lldx%lldx%lld->%lld k%d s%d g%d %s%s%s%s %s",
             (long long)k->h, (long long)k->w, (long long)k->cin, (long long)k->cout, k->k, k->s,
             k->groups, tg_conv_layout_name(pl.p.layout), transpose ? " transposed" : "",
             dealloc ? " dealloc" : "", in_place == TG_PLACE_L1 ? " from L1" : "", tg_fmt_name(f));
    CU_ASSERT_EQUAL(check(what, &pl.traffic, pl.l1.high_water), 0);
    tg_tensor_free(&out);
    tg_tensor_free(&in);
    tg_conv2d_weights_free(&cw);
    tg_conv2d_plan_free(&pl);
    free(w), free(b);
}

static void conv_body(void) {
    const tg_conv_layout layouts[] = {TG_CONV_HEIGHT, TG_CONV_BLOCK, TG_CONV_WIDTH, TG_CONV_DRAM,
                                      TG_CONV_AUTO};
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++)
        for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++)
            conv_once(&convs[i], layouts[l], TG_BFLOAT16, false, false, TG_PLACE_DRAM,
                      TG_HALO_PULL);
}

static void conv2d_traffic_and_l1_equal_the_plan(void) {
    tg_test_each_noc_mode(conv_body);
}

static void conv2d_variants_traffic_and_l1_equal_the_plan(void) {
    /* transposed block shards, an L1 input freed after the halo, pushed halos, float32
     * and bfloat8_b */
    conv_once(&convs[0], TG_CONV_BLOCK, TG_BFLOAT16, true, false, TG_PLACE_DRAM, TG_HALO_PULL);
    conv_once(&convs[0], TG_CONV_HEIGHT, TG_BFLOAT16, false, true, TG_PLACE_L1, TG_HALO_PULL);
    conv_once(&convs[1], TG_CONV_BLOCK, TG_FLOAT32, false, true, TG_PLACE_L1, TG_HALO_PUSH);
    conv_once(&convs[2], TG_CONV_HEIGHT, TG_BFLOAT8_B, false, false, TG_PLACE_L1, TG_HALO_PULL);
    conv_once(&convs[3], TG_CONV_HEIGHT, TG_FLOAT32, false, false, TG_PLACE_L1, TG_HALO_PUSH);
}

/* ---- max pool, average pool, add, reshard, halo ---- */

static void maxpool2d_traffic_and_l1_equal_the_plan(void) {
    tg_machine m = tg_machine_self();
    for (int l = 0; l < 4; l++) {
        tg_maxpool2d_params p = {.n = 2,
                                 .h = 13,
                                 .w = 11,
                                 .c = 40,
                                 .kh = 3,
                                 .kw = 3,
                                 .sh = 2,
                                 .sw = 2,
                                 .dh = 1,
                                 .dw = 1,
                                 .pad_t = 1,
                                 .pad_b = 1,
                                 .pad_l = 1,
                                 .pad_r = 1,
                                 .snap = true,
                                 .fmt = TG_BFLOAT16,
                                 .layout = l == 3 ? TG_SHARD_HEIGHT : (tg_shard_layout)l,
                                 .dram = l == 3};
        int64_t shape[4] = {2, 13, 11, 40};
        tg_tensor in = {0}, out = {0};
        alloc_like(&in, shape, TG_BFLOAT16, l == 1 ? TG_PLACE_L1 : TG_PLACE_DRAM, TG_SHARD_HEIGHT);
        fill(&in, 3);
        tg_maxpool2d_plan pl;
        CU_ASSERT_EQUAL_FATAL(tg_maxpool2d_plan_fit(&p, &m, tg_core_l1(), &in, false, &pl), TG_OK);
        tg_stats_begin("test:maxpool2d");
        CU_ASSERT_EQUAL(tg_maxpool2d_run(&pl, &in, &out), TG_OK);
        tg_stats_end();
        char what[64];
        snprintf(what, sizeof what, "maxpool2d %s", l == 3 ? "none" : tg_shard_name(p.layout));
        CU_ASSERT_EQUAL(check(what, &pl.traffic, pl.l1.high_water), 0);
        tg_tensor_free(&out);
        tg_tensor_free(&in);
        tg_maxpool2d_plan_free(&pl);
    }
}

static void avgpool_traffic_and_l1_equal_the_plan(void) {
    tg_machine m = tg_machine_self();
    for (int place = 0; place < 2; place++) {
        int64_t shape[4] = {2, 7, 5, 200};
        tg_tensor in = {0}, out = {0};
        alloc_like(&in, shape, TG_BFLOAT16, place, TG_SHARD_BLOCK);
        fill(&in, 5);
        tg_avgpool_plan pl;
        CU_ASSERT_EQUAL_FATAL(tg_avgpool_plan_fit(&in, &m, tg_core_l1(), &pl), TG_OK);
        tg_stats_begin("test:avgpool");
        CU_ASSERT_EQUAL(tg_avgpool_run(&pl, &in, &out), TG_OK);
        tg_stats_end();
        CU_ASSERT_EQUAL(
            check(place ? "avgpool from DRAM" : "avgpool from L1", &pl.traffic, pl.l1.high_water),
            0);
        tg_tensor_free(&out);
        tg_tensor_free(&in);
        tg_avgpool_plan_free(&pl);
    }
}

static void add_traffic_and_l1_equal_the_plan(void) {
    tg_machine m = tg_machine_self();
    /* a and b placed alike, sharded differently, both in DRAM, and an L1 a that must go
     * to DRAM for a DRAM b (L1 filled so no copy of b fits) */
    const int cases[][4] = {{TG_PLACE_L1, TG_SHARD_HEIGHT, TG_PLACE_L1, TG_SHARD_HEIGHT},
                            {TG_PLACE_L1, TG_SHARD_HEIGHT, TG_PLACE_L1, TG_SHARD_BLOCK},
                            {TG_PLACE_DRAM, 0, TG_PLACE_DRAM, 0},
                            {TG_PLACE_L1, TG_SHARD_HEIGHT, TG_PLACE_DRAM, 0}};
    for (int i = 0; i < 4; i++) {
        /* case 3: a's shard S (6336 rows: even on 9 cores 704 rows, 135168 B) sits just below
         * a filler at the top of L1, with 130960 B free below it, too little for a copy of
         * b; once a moves to DRAM, the S + 130960 B from the base take the sum's two chunks
         * of 682 rows (130944 B each) as circular buffers */
        int64_t shape[4] = {1, i == 3 ? 66 : 9, i == 3 ? 96 : 9, 96};
        tg_tensor a = {0}, b = {0};
        size_t filler = (size_t)-1;
        if (i == 3) {
            tg_tensor like;
            CU_ASSERT_EQUAL_FATAL(tg_tensor_describe(&like, "a", shape, TG_BFLOAT16,
                                                     TG_SHARD_HEIGHT, tg_core_self()->grid, false,
                                                     true),
                                  TG_OK);
            const tg_l1 *l1 = tg_core_l1();
            size_t keep = tg_tensor_shard_bytes(&like) + 130960;
            CU_ASSERT_EQUAL_FATAL(
                tg_core_alloc("test:filler", l1->hi - l1->lo - l1->in_use - keep, &filler), TG_OK);
        }
        alloc_like(&a, shape, TG_BFLOAT16, cases[i][0], (tg_shard_layout)cases[i][1]);
        alloc_like(&b, shape, TG_BFLOAT16, cases[i][2], (tg_shard_layout)cases[i][3]);
        fill(&a, 1), fill(&b, 2);
        tg_add_plan pl;
        CU_ASSERT_EQUAL_FATAL(tg_add_plan_fit(&a, &b, true, &m, tg_core_l1(), i == 3, &pl), TG_OK);
        CU_ASSERT_EQUAL(pl.evict_a, i == 3);
        tg_stats_begin("test:add");
        CU_ASSERT_EQUAL(tg_add_run(&pl, &a, &b), TG_OK);
        tg_stats_end();
        char what[32];
        snprintf(what, sizeof what, "add case %d", i);
        CU_ASSERT_EQUAL(check(what, &pl.traffic, pl.l1.high_water), 0);
        if (filler != (size_t)-1) tg_core_free(filler);
        tg_tensor_free(&a), tg_tensor_free(&b);
        tg_add_plan_free(&pl);
    }
}

static void reshard_traffic_and_l1_equal_the_plan(void) {
    tg_machine m = tg_machine_self();
    const int cases[][4] = {{TG_PLACE_DRAM, 0, TG_PLACE_L1, TG_SHARD_HEIGHT},
                            {TG_PLACE_DRAM, 0, TG_PLACE_L1, TG_SHARD_BLOCK},
                            {TG_PLACE_DRAM, 0, TG_PLACE_L1, TG_SHARD_WIDTH},
                            {TG_PLACE_L1, TG_SHARD_BLOCK, TG_PLACE_DRAM, 0},
                            {TG_PLACE_L1, TG_SHARD_HEIGHT, TG_PLACE_L1, TG_SHARD_BLOCK},
                            {TG_PLACE_L1, TG_SHARD_BLOCK, TG_PLACE_L1, TG_SHARD_WIDTH},
                            {TG_PLACE_DRAM, 0, TG_PLACE_DRAM, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t shape[4] = {2, 9, 7, 80};
        tg_tensor a = {0}, b = {0};
        alloc_like(&a, shape, TG_BFLOAT16, cases[i][0], (tg_shard_layout)cases[i][1]);
        alloc_like(&b, shape, TG_BFLOAT16, cases[i][2], (tg_shard_layout)cases[i][3]);
        fill(&a, 9);
        tg_reshard_plan rp;
        tg_traffic t;
        CU_ASSERT_EQUAL_FATAL(tg_reshard_plan_make(&a, &b, &rp), TG_OK);
        CU_ASSERT_EQUAL_FATAL(tg_traffic_init(&t, &m), TG_OK);
        tg_reshard_traffic(&rp, &m, &t);
        size_t in_use = tg_core_l1()->in_use;
        tg_stats_begin("test:reshard");
        CU_ASSERT_EQUAL(tg_reshard_run(&rp, &a, &b), TG_OK);
        tg_stats_end();
        char what[32];
        snprintf(what, sizeof what, "reshard case %zu", i);
        CU_ASSERT_EQUAL(check(what, &t, in_use), 0); /* a reshard allocates nothing */
        tg_traffic_destroy(&t);
        tg_tensor_free(&a), tg_tensor_free(&b);
    }
}

static void halo_body(void) {
    tg_core *c = tg_core_self();
    tg_machine m = tg_machine_self();
    tg_window w;
    CU_ASSERT_EQUAL_FATAL(tg_window_make(2, 11, 9, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, false, &w), TG_OK);
    for (int l = 0; l < 3; l++)
        for (int mode = 0; mode < 2; mode++) {
            int64_t shape[4] = {2, 11, 9, 48};
            tg_tensor t;
            CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc(&t, "test:input", shape, TG_BFLOAT16,
                                                  (tg_shard_layout)l, c->grid, false, true),
                                  TG_OK);
            tg_halo_plan hp;
            CU_ASSERT_EQUAL_FATAL(tg_halo_plan_make(&w, &t.spec, t.fmt,
                                                    tg_split_out(&t.spec, tg_window_out_rows(&w)),
                                                    0.0f, (tg_halo_mode)mode, &hp),
                                  TG_OK);
            tg_traffic tr;
            CU_ASSERT_EQUAL_FATAL(tg_traffic_init(&tr, &m), TG_OK);
            tg_halo_traffic(&hp, &m, &tr);
            tg_l1_map map;
            tg_l1_map_init(&map);
            tg_l1_map_alloc(&map, "halo:haloed_shard", tg_halo_bytes(&hp));
            CU_ASSERT_EQUAL_FATAL(tg_l1_map_replay(&map, tg_core_l1()), TG_OK);
            tg_haloed h;
            tg_stats_begin("test:halo");
            CU_ASSERT_EQUAL(tg_halo_run(&hp, &t, &h), TG_OK);
            tg_stats_end();
            CU_ASSERT_EQUAL(tg_l1_map_check(&map, 0, h.l1_off), TG_OK);
            char what[48];
            snprintf(what, sizeof what, "halo %s %s", tg_shard_name((tg_shard_layout)l),
                     tg_halo_mode_name((tg_halo_mode)mode));
            CU_ASSERT_EQUAL(check(what, &tr, map.high_water), 0);
            tg_haloed_free(&h);
            tg_l1_map_destroy(&map);
            tg_traffic_destroy(&tr);
            tg_halo_plan_free(&hp);
            tg_tensor_free(&t);
        }
}

static void halo_traffic_and_l1_equal_the_plan(void) {
    tg_test_each_noc_mode(halo_body);
}

/* ResNet-50 at 64x64, batch 2, generated weights: every layer of two forward passes
 * (the first plans from the live L1, the second reuses the plans) moves what its plan
 * says. */
static void resnet50_layers_equal_their_plans(void) {
    tg_resnet_opts o = {.batch = 2,
                        .image = 64,
                        .act_fmt = TG_BFLOAT16,
                        .w_fmt = TG_BFLOAT16,
                        .fidelity = TG_LOFI,
                        .layout = TG_CONV_AUTO};
    tg_resnet_source src = {NULL, 0};
    tg_resnet50 net;
    CU_ASSERT_EQUAL_FATAL(tg_resnet50_init(&net, &o, &src, NULL, 0), TG_OK);
    int64_t shape[4] = {2, 64, 64, 3}, r0, r1;
    for (int pass = 0; pass < 2; pass++) {
        tg_tensor in, logits;
        CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&in, "test:image", shape, TG_BFLOAT16), TG_OK);
        tg_tensor_host_rows(&in, &r0, &r1);
        float *rows = malloc((size_t)((r1 - r0) * 3 + 1) * sizeof *rows);
        tg_resnet50_input_rows(0, r0, r1, rows);
        CU_ASSERT_EQUAL(tg_noc_sync(tg_tensor_write_host_rows(&in, r0, r1, rows)), TG_OK);
        free(rows);
        int first = tg_stats_close();
        CU_ASSERT_EQUAL_FATAL(tg_resnet50_forward(&net, &in, &logits, NULL, NULL), TG_OK);
        int n = tg_stats_close(), checked = 0;
        for (int i = first; i < n; i++) {
            tg_stats_record rec = tg_stats_record_at(i);
            const tg_traffic *t;
            size_t hw;
            if (!tg_resnet50_layer_plan(&net, rec.name, &t, &hw)) continue;
            char what[96];
            snprintf(what, sizeof what, "resnet50 pass %d %s", pass + 1, rec.name);
            CU_ASSERT_EQUAL(check_record(what, rec, t, hw), 0);
            checked++;
        }
        CU_ASSERT_EQUAL(checked, 53 + 1 + 1 + 16 + 1); /* convs, fc, max pool, adds, avg pool */
        tg_tensor_free(&logits);
        tg_tensor_free(&in);
    }
    tg_resnet50_free(&net);
}

static bool traffic_equal(const tg_traffic *a, const tg_traffic *b) {
    if (a->ncores != b->ncores || a->nbanks != b->nbanks) return false;
    for (int c = 0; c < a->ncores; c++) {
        const tg_counters *x = &a->core[c], *y = &b->core[c];
        if (x->noc_read_bytes != y->noc_read_bytes || x->noc_write_bytes != y->noc_write_bytes ||
            x->noc_mcast_bytes != y->noc_mcast_bytes ||
            x->noc_transactions != y->noc_transactions || x->hops != y->hops ||
            x->dram_read_bytes != y->dram_read_bytes || x->dram_write_bytes != y->dram_write_bytes)
            return false;
    }
    return !memcmp(a->links, b->links, (size_t)a->ncores * TG_LINK_DIRS * sizeof *a->links) &&
           !memcmp(a->banks, b->banks, (size_t)a->nbanks * sizeof *a->banks);
}

static void sum_time(void *ctx, const tg_resnet_layer_info *l) {
    *(double *)ctx += l->time->cycles;
}

/* The network planned without running (one process's view of the grid) places every
 * layer as the forward pass does: the same layout, blocks, L1 high-water mark and
 * traffic per core, link and bank. */
static void resnet50_plan_only_equals_the_run(void) {
    tg_resnet_opts o = {.batch = 2,
                        .image = 64,
                        .act_fmt = TG_BFLOAT16,
                        .w_fmt = TG_BFLOAT16,
                        .fidelity = TG_LOFI,
                        .layout = TG_CONV_AUTO};
    tg_resnet_source src = {NULL, 0};
    tg_resnet50 run, dry;
    CU_ASSERT_EQUAL_FATAL(tg_resnet50_init(&run, &o, &src, NULL, 0), TG_OK);
    o.plan_only = true;
    CU_ASSERT_EQUAL_FATAL(tg_resnet50_init(&dry, &o, &src, NULL, 0), TG_OK);
    tg_machine m = tg_machine_self();
    CU_ASSERT_EQUAL_FATAL(tg_resnet50_plan_only(&dry, &m), TG_OK);
    int64_t shape[4] = {2, 64, 64, 3}, r0, r1;
    tg_tensor in, logits;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_alloc_dram(&in, "test:image", shape, TG_BFLOAT16), TG_OK);
    tg_tensor_host_rows(&in, &r0, &r1);
    float *rows = malloc((size_t)((r1 - r0) * 3 + 1) * sizeof *rows);
    tg_resnet50_input_rows(0, r0, r1, rows);
    CU_ASSERT_EQUAL(tg_noc_sync(tg_tensor_write_host_rows(&in, r0, r1, rows)), TG_OK);
    free(rows);
    CU_ASSERT_EQUAL_FATAL(tg_resnet50_forward(&run, &in, &logits, NULL, NULL), TG_OK);
    int compared = 0;
    for (int i = 0; i < run.nconvs; i++) {
        const tg_conv2d_plan *a = &run.convs[i].plan, *b = &dry.convs[i].plan;
        CU_ASSERT(dry.convs[i].planned);
        CU_ASSERT_EQUAL(a->p.layout, b->p.layout);
        CU_ASSERT_EQUAL(a->act_block_h, b->act_block_h);
        CU_ASSERT_EQUAL(a->l1.high_water, b->l1.high_water);
        CU_ASSERT_EQUAL(a->l1.start_in_use, b->l1.start_in_use);
        bool same = traffic_equal(&a->traffic, &b->traffic);
        CU_ASSERT(same);
        if (!same && tg_core_self()->rank == 0)
            fprintf(stderr, "plan-only %s: traffic differs from the run's\n", run.convs[i].name);
        compared++;
    }
    CU_ASSERT_EQUAL(compared, 54);
    /* the same modelled device time: each layer's, and the pass's (the run's statistics) */
    double dry_total = 0;
    tg_resnet50_each_layer(&dry, sum_time, &dry_total);
    for (int i = 0; i < run.nconvs; i++)
        CU_ASSERT_EQUAL(run.convs[i].plan.time.cycles, dry.convs[i].plan.time.cycles);
    CU_ASSERT(dry_total > 0 && fabs(run.device_cycles - dry_total) <= 1e-9 * dry_total);
    for (int i = 0; i < 16; i++)
        CU_ASSERT_EQUAL(run.adds[i].l1.high_water, dry.adds[i].l1.high_water);
    CU_ASSERT_EQUAL(run.pool.l1.high_water, dry.pool.l1.high_water);
    tg_tensor_free(&logits);
    tg_tensor_free(&in);
    tg_resnet50_free(&dry);
    tg_resnet50_free(&run);
}

static void register_plan(void) {
    tg_test_suite(
        "plan", "conv2d_traffic_and_l1_equal_the_plan", conv2d_traffic_and_l1_equal_the_plan,
        "conv2d_variants_traffic_and_l1_equal_the_plan",
        conv2d_variants_traffic_and_l1_equal_the_plan, "maxpool2d_traffic_and_l1_equal_the_plan",
        maxpool2d_traffic_and_l1_equal_the_plan, "avgpool_traffic_and_l1_equal_the_plan",
        avgpool_traffic_and_l1_equal_the_plan, "add_traffic_and_l1_equal_the_plan",
        add_traffic_and_l1_equal_the_plan, "reshard_traffic_and_l1_equal_the_plan",
        reshard_traffic_and_l1_equal_the_plan, "halo_traffic_and_l1_equal_the_plan",
        halo_traffic_and_l1_equal_the_plan, "resnet50_layers_equal_their_plans",
        resnet50_layers_equal_their_plans, "resnet50_plan_only_equals_the_run",
        resnet50_plan_only_equals_the_run, NULL);
}

int main(int argc, char **argv) {
    return tg_test_main(argc, argv, register_plan, true);
}
