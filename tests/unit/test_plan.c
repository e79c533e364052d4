/* Unit tests of the planners (pure, one process): conv2d's roles, L1 map, traffic and
 * placement; the halo, reshard, max pool, average pool and add plans. Each expectation
 * is worked out here from the op's definition (which rows a core owns, which bytes
 * must move), not read back from the planner's own helpers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "add.h"
#include "avgpool.h"
#include "conv2d.h"
#include "maxpool2d.h"
#include "reshard.h"
#include "tg_test.h"
#include "unit.h"

/* A Wormhole grid opened as TTNN's conv tests open the device (an L1_SMALL region for
 * the convs' config tensors). */
static tg_machine machine(int w, int h) {
    tg_machine m = tg_machine_of(tg_arch_default(), (tg_grid){w, h});
    m.l1_small = 32768;
    return m;
}

static tg_conv2d_params conv(int64_t n, int64_t hw, int64_t cin, int64_t cout, int k, int s,
                             tg_conv_layout layout) {
    tg_conv2d_params p;
    tg_conv2d_params_default(&p);
    p.n = n, p.h = p.w = hw, p.cin = cin, p.cout = cout;
    p.kh = p.kw = k, p.sh = p.sw = s;
    p.pad_t = p.pad_b = p.pad_l = p.pad_r = k / 2;
    p.has_bias = true;
    p.layout = layout;
    return p;
}

static uint64_t sum_field(const tg_traffic *t, size_t off) {
    uint64_t s = 0;
    for (int i = 0; i < t->ncores; i++) s += *(const uint64_t *)((const char *)&t->core[i] + off);
    return s;
}
#define SUM(t, f) sum_field(t, offsetof(tg_counters, f))

static uint64_t sum_banks(const tg_traffic *t) {
    uint64_t s = 0;
    for (int b = 0; b < t->nbanks; b++) s += t->banks[b];
    return s;
}

/* Height sharding: the cores' output rows tile [0, out_rows) once, in order; one core
 * reads the weights and multicasts them to exactly the busy cores. */
static void conv2d_plan_height_roles_tile_the_output(void) {
    const int grids[][2] = {{1, 1}, {2, 2}, {3, 3}, {8, 8}, {5, 1}};
    for (size_t g = 0; g < sizeof grids / sizeof grids[0]; g++) {
        tg_machine m = machine(grids[g][0], grids[g][1]);
        tg_conv2d_params p = conv(1, 20, 32, 64, 3, 1, TG_CONV_HEIGHT);
        tg_conv2d_plan pl;
        CU_ASSERT_EQUAL_FATAL(tg_conv2d_plan_standalone(&p, &m, &pl, NULL), TG_OK);
        int64_t next = 0, rows = 20 * 20;
        int readers = 0, busy = 0;
        for (int c = 0; c < tg_machine_cores(&m); c++) {
            const tg_conv2d_role *r = &pl.roles[c];
            if (r->o_begin < r->o_end) {
                CU_ASSERT_EQUAL(r->o_begin, next);
                next = r->o_end;
                busy++;
            }
            CU_ASSERT_EQUAL(r->busy, r->o_begin < r->o_end);
            readers += r->reads_weights;
        }
        CU_ASSERT_EQUAL(next, rows);
        CU_ASSERT_EQUAL(readers, 1);
        /* the multicast rectangle holds the busy cores: the first `busy` of the grid */
        tg_rect wr = pl.roles[0].w_rect;
        CU_ASSERT(wr.w * wr.h >= busy && wr.w * wr.h < busy + m.grid.w);
        /* the input (400 rows of 32 bfloat16 channels) read once from DRAM into the
         * shards; weights: K = 9 taps x 32 channels = 288 rows of 64 channels, read once,
         * plus one bias page of 64 values per busy core */
        uint64_t input = 400 * 32 * 2, weights = 288 * 64 * 2, bias = (uint64_t)busy * 64 * 2;
        CU_ASSERT_EQUAL(SUM(&pl.traffic, dram_read_bytes), input + weights + bias);
        CU_ASSERT_EQUAL(pl.traffic.core[0].noc_mcast_bytes, weights); /* panels of 32 */
        CU_ASSERT_EQUAL(sum_banks(&pl.traffic), input + weights + bias);
        tg_conv2d_plan_free(&pl);
    }
}

/* Block sharding: in every act block and K block each sender of a grid row sends its
 * channel slice once to its row; the weights of a channel column come from the column's
 * first core, a K block at a time when TTNN's weights CB holds one. */
static void conv2d_plan_block_turns_send_each_slice_once(void) {
    for (int transpose = 0; transpose < 2; transpose++) {
        tg_machine m = machine(3, 2);
        tg_conv2d_params p = conv(2, 12, 96, 96, 3, 1, TG_CONV_BLOCK);
        p.transpose_shards = transpose;
        tg_conv2d_plan pl;
        CU_ASSERT_EQUAL_FATAL(tg_conv2d_plan_standalone(&p, &m, &pl, NULL), TG_OK);
        /* TTNN's choice on this grid: 2 row parts of 160 outputs and 3 channel columns of
         * 32; transposed (its rules on the 2x3 grid): 3 row parts of 96 and 2 of 48/64 */
        int rows = transpose ? 3 : 2, cols = transpose ? 2 : 3;
        CU_ASSERT_EQUAL(pl.row_parts, rows);
        CU_ASSERT_EQUAL(pl.col_parts, cols);
        CU_ASSERT_EQUAL(pl.out_parts, cols);
        CU_ASSERT_EQUAL(pl.kblocks_per_turn, 3); /* one kernel row of the slice each */
        int64_t shard = pl.out_split.shard, blocks = shard / pl.act_block_h;
        size_t arow = tg_fmt_row_bytes(TG_BFLOAT16, pl.act_cols);
        size_t wrow = (size_t)((pl.cout_slice + 31) / 32) * tg_fmt_row_bytes(TG_BFLOAT16, 32);
        for (int c = 0; c < 6; c++) {
            const tg_conv2d_role *r = &pl.roles[c];
            int x = c % 3, y = c / 3;
            CU_ASSERT_EQUAL(r->rp, transpose ? x : y);
            CU_ASSERT_EQUAL(r->cp, transpose ? y : x);
            /* the row of cores sharing my rows */
            CU_ASSERT_EQUAL(r->a_rect.w * r->a_rect.h, cols);
            uint64_t act = r->sends ? (uint64_t)(blocks * pl.kblocks_per_turn) *
                                          (uint64_t)pl.act_block_h * arow
                                    : 0;
            /* the column's weights: all K once (resident), or every K block per act
             * block (streamed) */
            uint64_t w = r->w_root != c        ? 0
                         : pl.weights_resident ? r->w_bytes
                                               : (uint64_t)blocks * (uint64_t)pl.k_rows * wrow;
            CU_ASSERT_EQUAL(pl.traffic.core[c].noc_mcast_bytes, act + w);
            CU_ASSERT_EQUAL(r->reads_weights, r->rp == 0);
        }
        tg_conv2d_plan_free(&pl);
    }
}

/* The L1 map lists the run's allocations in TTNN's order, as the device places them: on
 * an empty L1 the buffers pack downward from the top (below L1_SMALL), each rounded to
 * the 16-byte alignment; the reader indices go to L1_SMALL; each program's circular
 * buffers pack upward from the unreserved base, each at the 32-byte DRAM alignment (the
 * CBs that sit on a buffer take no room); after the run only the output shard is left. */
static void conv2d_plan_l1_map_packs_the_run_in_order(void) {
    tg_machine m = machine(2, 2);
    tg_conv2d_params p = conv(1, 16, 32, 32, 3, 1, TG_CONV_HEIGHT);
    p.reallocate_halo_output = false;
    tg_conv2d_plan pl;
    CU_ASSERT_EQUAL_FATAL(tg_conv2d_plan_standalone(&p, &m, &pl, NULL), TG_OK);
    const tg_l1_map *l1 = &pl.l1;
    CU_ASSERT_EQUAL(l1->hi, m.l1_size - 32768);
    CU_ASSERT_EQUAL(l1->lo, 102784); /* Wormhole's unreserved base */
    size_t top = l1->hi, buffers = 0, out_bytes = 0, peak_region = 0;
    int allocs = 0, programs = 0, small = 0;
    const char *order[3] = {"input shard", "halo output", "conv output shard"};
    for (int i = 0; i < l1->n; i++) {
        const tg_l1_event *e = &l1->ev[i];
        if (e->kind == TG_L1_ALLOC) {
            size_t sz = (e->bytes + 15) / 16 * 16;
            CU_ASSERT_EQUAL(e->off, top - sz);
            top -= sz;
            buffers += sz;
            if (allocs < 3) CU_ASSERT_STRING_EQUAL(e->name, order[allocs]);
            if (!strcmp(e->name, "conv output shard")) out_bytes = sz;
            allocs++;
        } else if (e->kind == TG_L1_ALLOC_SMALL) {
            CU_ASSERT_EQUAL(e->off, m.l1_size - (e->bytes + 15) / 16 * 16);
            small++;
        } else if (e->kind == TG_L1_PROGRAM) {
            size_t at = l1->lo;
            for (int k = e->cb0; k < e->cb0 + e->ncbs; k++) {
                if (l1->cbs[k].alias != -1) continue;
                at = (at + 31) / 32 * 32;
                CU_ASSERT_EQUAL(l1->cbs[k].off, at);
                at += l1->cbs[k].bytes;
            }
            CU_ASSERT_EQUAL(e->bytes, at - l1->lo);
            if (e->bytes > peak_region) peak_region = e->bytes;
            programs++;
        }
    }
    CU_ASSERT_EQUAL(allocs, 3);
    CU_ASSERT_EQUAL(small, 1);
    CU_ASSERT_EQUAL(programs, 2); /* the halo's, the conv's */
    CU_ASSERT_EQUAL(l1->high_water, buffers + peak_region);
    CU_ASSERT_EQUAL(l1->end_in_use, out_bytes);
    /* 256 output rows: TTNN takes 4 cores of 64 rows (2 tiles), 32 bfloat16 channels */
    CU_ASSERT_EQUAL(out_bytes, 64 * 32 * 2);
    tg_conv2d_plan_free(&pl);
}

/* Placement: with ResNet's fallbacks a conv that does not fit at its default act block
 * takes a smaller one, then the DRAM layout; without them it is TTNN's out-of-L1 error. */
static void conv2d_plan_fit_falls_back_when_l1_is_short(void) {
    tg_machine m = machine(1, 1);
    tg_conv2d_params p = conv(1, 56, 64, 64, 3, 1, TG_CONV_HEIGHT);
    tg_l1 snap;
    tg_machine_empty_l1(&m, &snap);
    tg_tensor in;
    int64_t shape[4] = {1, 56, 56, 64};
    CU_ASSERT_EQUAL_FATAL(tg_tensor_describe_dram(&in, "in", shape, TG_BFLOAT16), TG_OK);
    tg_conv2d_plan pl;
    tg_explain why = {0};
    tg_conv2d_site strict = {&in, NULL, false}, loose = {&in, NULL, true};
    CU_ASSERT_EQUAL(tg_conv2d_plan_fit(&p, &m, &snap, &strict, &pl, &why), TG_ERR_RUNTIME);
    CU_ASSERT(strstr(tg_err_msg(), "[TTNN: Statically allocated circular buffers") != NULL);
    tg_err_clear();
    tg_conv2d_plan_free(&pl);
    memset(&why, 0, sizeof why);
    CU_ASSERT_EQUAL_FATAL(tg_conv2d_plan_fit(&p, &m, &snap, &loose, &pl, &why), TG_OK);
    CU_ASSERT_EQUAL(pl.p.layout, TG_CONV_HEIGHT);
    CU_ASSERT(pl.act_block_h < 3136 && pl.act_block_h % 32 == 0);
    CU_ASSERT(why.n >= 2 && why.c[why.n - 1].chosen && !why.c[0].chosen);
    CU_ASSERT(tg_l1_map_fits(&pl.l1) && pl.l1.high_water <= snap.hi - snap.lo);
    tg_conv2d_plan_free(&pl);
    /* most of L1 taken: only the DRAM layout's blocks fit beside it */
    size_t off, taken = snap.hi - snap.lo - 100000;
    CU_ASSERT_EQUAL_FATAL(tg_l1_alloc(&snap, "other", taken, &off), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_conv2d_plan_fit(&p, &m, &snap, &loose, &pl, NULL), TG_OK);
    CU_ASSERT_EQUAL(pl.p.layout, TG_CONV_DRAM);
    CU_ASSERT(pl.l1.high_water <= snap.hi - snap.lo && pl.l1.start_in_use == taken);
    tg_conv2d_plan_free(&pl);
    tg_l1_destroy(&snap);
}

/* The halo of the paper's example on 3 cores: core 0 pulls its 7 remote sticks from
 * core 1; pushed, the owners write the same bytes. */
static void halo_plan_traffic_is_the_remote_sticks(void) {
    tg_machine m = machine(3, 1);
    tg_window w;
    CU_ASSERT_EQUAL_FATAL(tg_window_make(1, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, &w), TG_OK);
    tg_shard_spec spec;
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make(TG_SHARD_HEIGHT, 24, 6, m.grid, false, false, &spec),
                          TG_OK);
    size_t rb = 16 * 2; /* 6 channels pad to 16, bfloat16 */
    uint64_t remote_total = 0;
    for (int mode = 0; mode < 2; mode++) {
        tg_halo_plan h;
        CU_ASSERT_EQUAL_FATAL(tg_halo_plan_make(&w, &spec, TG_BFLOAT16, tg_split_out(&spec, 24),
                                                0.0f, (tg_halo_mode)mode, &h),
                              TG_OK);
        CU_ASSERT_EQUAL(h.parts[0].counts.pad, 13);
        CU_ASSERT_EQUAL(h.parts[0].counts.local, 8);
        CU_ASSERT_EQUAL(h.parts[0].counts.remote, 7);
        tg_traffic t;
        CU_ASSERT_EQUAL_FATAL(tg_traffic_init(&t, &m), TG_OK);
        tg_halo_traffic(&h, &m, &t);
        uint64_t remote = 0;
        for (int q = 0; q < 3; q++) remote += (uint64_t)h.parts[q].counts.remote * rb;
        if (mode == TG_HALO_PULL) {
            CU_ASSERT_EQUAL(t.core[0].noc_read_bytes, 7 * rb);
            CU_ASSERT_EQUAL(SUM(&t, noc_read_bytes), remote);
            CU_ASSERT_EQUAL(SUM(&t, noc_write_bytes), 0);
            remote_total = remote;
        } else {
            CU_ASSERT_EQUAL(SUM(&t, noc_write_bytes), remote_total);
            CU_ASSERT_EQUAL(SUM(&t, noc_read_bytes), 0);
        }
        tg_traffic_destroy(&t);
        tg_halo_plan_free(&h);
    }
}

/* Reshard: DRAM to L1 reads every element once into its shard; L1 to L1 moves, per
 * core, exactly the bytes of its new shard it did not hold. */
static void reshard_plan_moves_each_element_once(void) {
    tg_machine m = machine(4, 2);
    int64_t shape[4] = {2, 9, 7, 80};
    tg_tensor dram, height, block;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_describe_dram(&dram, "d", shape, TG_BFLOAT16), TG_OK);
    CU_ASSERT_EQUAL_FATAL(
        tg_tensor_describe(&height, "h", shape, TG_BFLOAT16, TG_SHARD_HEIGHT, m.grid, false, true),
        TG_OK);
    CU_ASSERT_EQUAL_FATAL(
        tg_tensor_describe(&block, "b", shape, TG_BFLOAT16, TG_SHARD_BLOCK, m.grid, false, true),
        TG_OK);
    tg_reshard_plan rp;
    tg_traffic t;
    CU_ASSERT_EQUAL_FATAL(tg_traffic_init(&t, &m), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_reshard_plan_make(&dram, &height, &rp), TG_OK);
    tg_reshard_traffic(&rp, &m, &t);
    uint64_t all = 2 * 9 * 7 * 96 * 2; /* rows x padded channels x bfloat16 */
    CU_ASSERT_EQUAL(SUM(&t, dram_read_bytes), all);
    CU_ASSERT_EQUAL(sum_banks(&t), all);
    tg_traffic_clear(&t);
    CU_ASSERT_EQUAL_FATAL(tg_reshard_plan_make(&height, &block, &rp), TG_OK);
    tg_reshard_traffic(&rp, &m, &t);
    /* block 4x2: 2 row parts of 64 rows x 4 channel parts of 32 (the last: 0 real);
     * every element of the real 96 channels is read once, local ones too */
    CU_ASSERT_EQUAL(SUM(&t, noc_read_bytes), 2 * 9 * 7 * 96 * 2);
    tg_traffic_destroy(&t);
}

/* Max pool in DRAM: every output row is written once; the windows read each input row
 * at least once. Average pool: every element is read once, every mean written once. */
static void pool_plans_read_and_write_every_row(void) {
    tg_machine m = machine(3, 1);
    tg_maxpool2d_params p = {.n = 1,
                             .h = 10,
                             .w = 10,
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
                             .layout = TG_SHARD_HEIGHT,
                             .snap = true,
                             .fmt = TG_BFLOAT16,
                             .dram = true};
    tg_maxpool2d_plan pl;
    CU_ASSERT_EQUAL_FATAL(tg_maxpool2d_plan_standalone(&p, &m, &pl), TG_OK);
    uint64_t rb = 64 * 2;
    CU_ASSERT_EQUAL(SUM(&pl.traffic, dram_write_bytes), 5 * 5 * rb);
    CU_ASSERT(SUM(&pl.traffic, dram_read_bytes) >= 10 * 10 * rb);
    tg_maxpool2d_plan_free(&pl);

    int64_t shape[4] = {2, 5, 6, 200};
    tg_tensor in;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_describe_dram(&in, "in", shape, TG_BFLOAT16), TG_OK);
    tg_l1 snap;
    tg_machine_empty_l1(&m, &snap);
    tg_avgpool_plan ap;
    CU_ASSERT_EQUAL_FATAL(tg_avgpool_plan_fit(&in, &m, &snap, &ap), TG_OK);
    CU_ASSERT_EQUAL(SUM(&ap.traffic, dram_read_bytes), 2 * 5 * 6 * 224 * 2);
    CU_ASSERT_EQUAL(SUM(&ap.traffic, dram_write_bytes), 2 * 224 * 2);
    tg_avgpool_plan_free(&ap);
    tg_l1_destroy(&snap);
}

/* PyTorch's rule: max pool padding at most half the effective kernel
 * ((k - 1) * d + 1) / 2, on every side; more is a usage error before any planning. */
static void maxpool2d_padding_at_most_half_the_effective_kernel(void) {
    tg_machine m = machine(2, 1);
    tg_maxpool2d_params p = {.n = 1,
                             .h = 9,
                             .w = 9,
                             .c = 16,
                             .kh = 3,
                             .kw = 3,
                             .sh = 1,
                             .sw = 1,
                             .dh = 1,
                             .dw = 1,
                             .pad_t = 1,
                             .pad_b = 1,
                             .pad_l = 1,
                             .pad_r = 1,
                             .layout = TG_SHARD_HEIGHT,
                             .snap = true,
                             .fmt = TG_BFLOAT16};
    tg_maxpool2d_plan pl;
    CU_ASSERT_EQUAL(tg_maxpool2d_params_check(&p), TG_OK);
    CU_ASSERT_EQUAL(tg_maxpool2d_plan_standalone(&p, &m, &pl), TG_OK);
    tg_maxpool2d_plan_free(&pl);
    const int sides[4][4] = {{2, 1, 1, 1}, {1, 2, 1, 1}, {1, 1, 2, 1}, {1, 1, 1, 2}};
    for (int i = 0; i < 4; i++) {
        p.pad_t = sides[i][0], p.pad_b = sides[i][1], p.pad_l = sides[i][2], p.pad_r = sides[i][3];
        CU_ASSERT_EQUAL(tg_maxpool2d_params_check(&p), TG_ERR_USAGE);
        CU_ASSERT_EQUAL(tg_maxpool2d_plan_standalone(&p, &m, &pl), TG_ERR_USAGE);
        CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "half"));
        tg_maxpool2d_plan_free(&pl);
    }
    /* dilation widens the window: kernel 3 at dilation 2 spans 5, so padding 2 is fine */
    p.pad_t = p.pad_b = p.pad_l = p.pad_r = 2;
    p.dh = p.dw = 2;
    CU_ASSERT_EQUAL(tg_maxpool2d_params_check(&p), TG_OK);
    /* kernel 2 allows padding 1; kernel 1 none */
    p.dh = p.dw = 1, p.kh = p.kw = 2, p.pad_t = p.pad_b = p.pad_l = p.pad_r = 1;
    CU_ASSERT_EQUAL(tg_maxpool2d_params_check(&p), TG_OK);
    p.kh = 1;
    CU_ASSERT_EQUAL(tg_maxpool2d_params_check(&p), TG_ERR_USAGE);
}

/* Add in DRAM reads both operands once and writes the sum once; with the same spec in
 * L1 it moves nothing; a differently sharded b moves once. */
static void add_plan_moves_only_what_it_must(void) {
    tg_machine m = machine(2, 2);
    int64_t shape[4] = {1, 8, 8, 64};
    tg_tensor a, b, bd;
    CU_ASSERT_EQUAL_FATAL(tg_tensor_describe_dram(&a, "a", shape, TG_BFLOAT16), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_tensor_describe_dram(&bd, "b", shape, TG_BFLOAT16), TG_OK);
    tg_l1 snap;
    tg_machine_empty_l1(&m, &snap);
    tg_add_plan pl;
    CU_ASSERT_EQUAL_FATAL(tg_add_plan_fit(&a, &bd, true, &m, &snap, false, &pl), TG_OK);
    uint64_t all = 64 * 64 * 2;
    CU_ASSERT_EQUAL(SUM(&pl.traffic, dram_read_bytes), 2 * all);
    CU_ASSERT_EQUAL(SUM(&pl.traffic, dram_write_bytes), all);
    tg_add_plan_free(&pl);
    CU_ASSERT_EQUAL_FATAL(
        tg_tensor_describe(&a, "a", shape, TG_BFLOAT16, TG_SHARD_HEIGHT, m.grid, false, true),
        TG_OK);
    CU_ASSERT_EQUAL_FATAL(
        tg_tensor_describe(&b, "b", shape, TG_BFLOAT16, TG_SHARD_HEIGHT, m.grid, false, true),
        TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_add_plan_fit(&a, &b, true, &m, &snap, false, &pl), TG_OK);
    CU_ASSERT_EQUAL(SUM(&pl.traffic, noc_read_bytes) + SUM(&pl.traffic, dram_read_bytes), 0);
    CU_ASSERT(!pl.moved);
    tg_add_plan_free(&pl);
    CU_ASSERT_EQUAL_FATAL(tg_add_plan_fit(&a, &bd, true, &m, &snap, false, &pl), TG_OK);
    CU_ASSERT(pl.moved);
    CU_ASSERT_EQUAL(SUM(&pl.traffic, dram_read_bytes), all);
    tg_add_plan_free(&pl);
    /* b sharded otherwise (block) with no room for its copy in a's shards: without
     * fallbacks TTNN's out of memory; with them, the sum in DRAM (a moved there) */
    CU_ASSERT_EQUAL_FATAL(
        tg_tensor_describe(&b, "b", shape, TG_BFLOAT16, TG_SHARD_BLOCK, m.grid, false, true),
        TG_OK);
    size_t off, room = tg_tensor_shard_bytes(&a) / 2;
    CU_ASSERT_EQUAL_FATAL(tg_l1_alloc(&snap, "a", tg_tensor_shard_bytes(&a), &a.l1_off), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_l1_alloc(&snap, "b", tg_tensor_shard_bytes(&b), &b.l1_off), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_l1_alloc(&snap, "rest", tg_l1_largest_free(&snap) - room, &off),
                          TG_OK);
    a.allocated = b.allocated = true;
    CU_ASSERT_EQUAL(tg_add_plan_fit(&a, &b, true, &m, &snap, false, &pl), TG_ERR_RUNTIME);
    CU_ASSERT(strstr(tg_err_msg(), "[TTNN: Out of Memory") != NULL);
    tg_err_clear();
    tg_add_plan_free(&pl);
    CU_ASSERT_EQUAL_FATAL(tg_add_plan_fit(&a, &b, true, &m, &snap, true, &pl), TG_OK);
    CU_ASSERT(pl.evict_a && pl.moved && pl.a.place == TG_PLACE_DRAM);
    /* a and b to DRAM, then both read and the sum written */
    CU_ASSERT_EQUAL(SUM(&pl.traffic, dram_write_bytes), 3 * all);
    CU_ASSERT_EQUAL(SUM(&pl.traffic, dram_read_bytes), 2 * all);
    tg_add_plan_free(&pl);
    tg_l1_destroy(&snap);
}

/* The device's modelled time of a compute-bound conv (ResNet-50 layer2.1.conv2's shape at
 * batch 8: 28x28x128 -> 128, 3x3, bfloat16, LoFi, act and weights double buffered as
 * TTNN's ResNet-50 runs it) from 1 to 64 cores, height sharded where it fits in L1 (else
 * without the double buffers, else interleaved in DRAM): it falls at every step, and the
 * parallel efficiency at 64 cores is at least 0.6. */
static void conv2d_modelled_time_scales(void) {
    const int grids[][2] = {{1, 1}, {2, 1}, {2, 2}, {4, 2}, {4, 4}, {8, 4}, {8, 8}};
    double t[7], t1 = 0;
    printf("\n  layer2.1.conv2 at batch 8 (cores, layout, modelled us, speed-up, efficiency):");
    for (int i = 0; i < 7; i++) {
        tg_machine m = machine(grids[i][0], grids[i][1]);
        tg_conv2d_params p = conv(8, 28, 128, 128, 3, 1, TG_CONV_HEIGHT);
        p.fidelity = TG_LOFI;
        p.act_double_buffer = p.weights_double_buffer = true;
        tg_conv2d_plan pl;
        tg_status st = tg_conv2d_plan_standalone(&p, &m, &pl, NULL);
        for (int attempt = 0; st == TG_ERR_RUNTIME && attempt < 2; attempt++) {
            tg_err_clear();
            tg_conv2d_plan_free(&pl);
            if (attempt == 0)
                p.act_double_buffer = p.weights_double_buffer = false;
            else
                p.layout = TG_CONV_DRAM;
            st = tg_conv2d_plan_standalone(&p, &m, &pl, NULL);
        }
        CU_ASSERT_EQUAL_FATAL(st, TG_OK);
        t[i] = pl.time.cycles;
        if (i == 0) t1 = t[0];
        int cores = grids[i][0] * grids[i][1];
        printf("\n    %2d %-6s %9.1f %6.2f %5.2f", cores, tg_conv_layout_name(pl.p.layout),
               t[i] / 1e3, t1 / t[i], t1 / (t[i] * cores));
        CU_ASSERT(t[i] > 0);
        if (i > 0) CU_ASSERT(t[i] < t[i - 1]);
        tg_conv2d_plan_free(&pl);
    }
    printf("\n");
    CU_ASSERT(t1 / (t[6] * 64) >= 0.6);
}

void unit_register_plan(void) {
    tg_test_suite(
        "plan", "conv2d_plan_height_roles_tile_the_output",
        conv2d_plan_height_roles_tile_the_output, "conv2d_plan_block_turns_send_each_slice_once",
        conv2d_plan_block_turns_send_each_slice_once, "conv2d_plan_l1_map_packs_the_run_in_order",
        conv2d_plan_l1_map_packs_the_run_in_order, "conv2d_plan_fit_falls_back_when_l1_is_short",
        conv2d_plan_fit_falls_back_when_l1_is_short, "halo_plan_traffic_is_the_remote_sticks",
        halo_plan_traffic_is_the_remote_sticks, "reshard_plan_moves_each_element_once",
        reshard_plan_moves_each_element_once, "pool_plans_read_and_write_every_row",
        pool_plans_read_and_write_every_row, "add_plan_moves_only_what_it_must",
        add_plan_moves_only_what_it_must, "conv2d_modelled_time_scales",
        conv2d_modelled_time_scales, "maxpool2d_padding_at_most_half_the_effective_kernel",
        maxpool2d_padding_at_most_half_the_effective_kernel, NULL);
}
