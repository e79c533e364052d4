/* Unit tests of shard specs (src/ops/shard.h) on uneven shapes, all three layouts. */
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "tg_test.h"
#include "unit.h"

/* Every element of the logical matrix is held by exactly one core, inside that core's
 * allocation. */
static void check_cover(const tg_shard_spec *s) {
    int p = tg_shard_ncores(s);
    int64_t cells = 0;
    for (int i = 0; i < p; i++) {
        tg_shard_range r = tg_shard_core_range(s, i);
        if (tg_shard_range_empty(r)) continue;
        CU_ASSERT(r.r1 - r.r0 <= s->shard_h);
        CU_ASSERT(r.c1 - r.c0 <= s->shard_w);
        CU_ASSERT(r.r0 >= 0 && r.r1 <= s->rows && r.c0 >= 0 && r.c1 <= s->cols);
        cells += (r.r1 - r.r0) * (r.c1 - r.c0);
        for (int j = 0; j < i; j++) {
            tg_shard_range q = tg_shard_core_range(s, j);
            if (tg_shard_range_empty(q)) continue;
            bool overlap = r.r0 < q.r1 && q.r0 < r.r1 && r.c0 < q.c1 && q.c0 < r.c1;
            CU_ASSERT(!overlap);
        }
        int rp, cp;
        tg_shard_core_part(s, i, &rp, &cp);
        CU_ASSERT_EQUAL(tg_shard_part_core(s, rp, cp), i);
    }
    CU_ASSERT_EQUAL(cells, s->rows * s->cols);
}

static void shard_height_rounds_to_tiles_and_leaves_cores_empty(void) {
    tg_shard_spec s;
    tg_grid g = {4, 2};
    /* [2, 7, 9, 40]: 126 rows over 8 cores: 16 -> 32 rows each, cores 4..7 empty. */
    CU_ASSERT_EQUAL(tg_shard_spec_make(TG_SHARD_HEIGHT, 126, 40, g, false, true, &s), TG_OK);
    CU_ASSERT_EQUAL(s.shard_h, 32);
    CU_ASSERT_EQUAL(s.shard_w, 64);
    CU_ASSERT_EQUAL(s.cols_padded, 64);
    tg_shard_range r = tg_shard_core_range(&s, 3);
    CU_ASSERT(r.r0 == 96 && r.r1 == 126 && r.c0 == 0 && r.c1 == 40);
    CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, 4)));
    CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, 7)));
    check_cover(&s);
    /* Without snapping, the paper's even split: 24 sticks on 3 cores, 8 each. */
    tg_grid g3 = {3, 1};
    CU_ASSERT_EQUAL(tg_shard_spec_make(TG_SHARD_HEIGHT, 24, 6, g3, false, false, &s), TG_OK);
    CU_ASSERT_EQUAL(s.shard_h, 8);
    CU_ASSERT_EQUAL(s.shard_w, 16); /* 6 channels align to 16 */
    r = tg_shard_core_range(&s, 2);
    CU_ASSERT(r.r0 == 16 && r.r1 == 24);
    check_cover(&s);
}

static void shard_width_splits_channels_by_alignment(void) {
    tg_shard_spec s;
    tg_grid g = {3, 1};
    CU_ASSERT_EQUAL(tg_shard_spec_make(TG_SHARD_WIDTH, 126, 40, g, false, true, &s), TG_OK);
    CU_ASSERT_EQUAL(s.shard_h, 128);
    CU_ASSERT_EQUAL(s.shard_w, 32);
    tg_shard_range r0 = tg_shard_core_range(&s, 0), r1 = tg_shard_core_range(&s, 1);
    CU_ASSERT(r0.c0 == 0 && r0.c1 == 32 && r0.r0 == 0 && r0.r1 == 126);
    CU_ASSERT(r1.c0 == 32 && r1.c1 == 40);
    CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, 2)));
    check_cover(&s);
    /* 8 channels (< 32) align to 16: 2 cores hold 16 each, one of them short. */
    tg_grid g2 = {2, 1};
    CU_ASSERT_EQUAL(tg_shard_spec_make(TG_SHARD_WIDTH, 10, 8, g2, false, true, &s), TG_OK);
    CU_ASSERT_EQUAL(s.shard_w, 16);
    CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, 1)));
    check_cover(&s);
}

static void shard_block_rows_over_grid_rows_and_transpose(void) {
    tg_shard_spec s;
    tg_grid g = {2, 3}; /* 2 columns, 3 rows */
    CU_ASSERT_EQUAL(tg_shard_spec_make(TG_SHARD_BLOCK, 100, 70, g, false, true, &s), TG_OK);
    CU_ASSERT_EQUAL(s.row_parts, 3);
    CU_ASSERT_EQUAL(s.col_parts, 2);
    CU_ASSERT_EQUAL(s.shard_h, 64); /* ceil(100/3) = 34 -> 64 */
    CU_ASSERT_EQUAL(s.shard_w, 64); /* 70 -> 96 padded, 48 per column -> 64 */
    /* core 3 is (x=1, y=1): rows [64, 100), channels [64, 70) */
    tg_shard_range r = tg_shard_core_range(&s, 3);
    CU_ASSERT(r.r0 == 64 && r.r1 == 100 && r.c0 == 64 && r.c1 == 70);
    CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, 4))); /* grid row 2: no rows */
    check_cover(&s);
    CU_ASSERT_EQUAL(tg_shard_spec_make(TG_SHARD_BLOCK, 100, 70, g, true, true, &s), TG_OK);
    CU_ASSERT_EQUAL(s.row_parts, 2);
    CU_ASSERT_EQUAL(s.col_parts, 3);
    CU_ASSERT_EQUAL(s.shard_h, 64);
    CU_ASSERT_EQUAL(s.shard_w, 32);
    /* transposed: core (x=1, y=2) = index 5 holds row part 1, column part 2 */
    r = tg_shard_core_range(&s, 5);
    CU_ASSERT(r.r0 == 64 && r.r1 == 100 && r.c0 == 64 && r.c1 == 70);
    check_cover(&s);
}

static void shard_specs_cover_random_shapes(void) {
    tg_rng rng;
    tg_rng_seed(&rng, 7);
    for (int it = 0; it < 500; it++) {
        tg_grid g = {tg_rng_int(&rng, 1, 8), tg_rng_int(&rng, 1, 8)};
        int64_t rows = tg_rng_int(&rng, 0, 3000), cols = tg_rng_int(&rng, 1, 300);
        tg_shard_layout l = (tg_shard_layout)tg_rng_int(&rng, 0, 2);
        bool tr = tg_rng_int(&rng, 0, 1), snap = tg_rng_int(&rng, 0, 1);
        tg_shard_spec s;
        CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make(l, rows, cols, g, tr, snap, &s), TG_OK);
        if (snap) CU_ASSERT_EQUAL(s.shard_h % 32, 0);
        CU_ASSERT_EQUAL(s.shard_w % s.align, 0);
        CU_ASSERT(s.align == (cols < 32 ? 16 : 32));
        check_cover(&s);
    }
}

static void shard_rank_core_maps_machine_ranks(void) {
    tg_shard_spec s;
    tg_grid sub = {2, 2}, machine = {4, 3};
    CU_ASSERT_EQUAL(tg_shard_spec_make(TG_SHARD_HEIGHT, 64, 32, sub, false, true, &s), TG_OK);
    CU_ASSERT_EQUAL(tg_shard_rank_core(&s, machine, 0), 0);
    CU_ASSERT_EQUAL(tg_shard_rank_core(&s, machine, 1), 1);
    CU_ASSERT_EQUAL(tg_shard_rank_core(&s, machine, 2), -1);
    CU_ASSERT_EQUAL(tg_shard_rank_core(&s, machine, 4), 2);
    CU_ASSERT_EQUAL(tg_shard_rank_core(&s, machine, 5), 3);
    CU_ASSERT_EQUAL(tg_shard_rank_core(&s, machine, 8), -1);
    CU_ASSERT_EQUAL(tg_shard_core_rank(&s, machine, 3), 5);
    tg_shard_layout l;
    CU_ASSERT_EQUAL(tg_shard_parse("block", &l), TG_OK);
    CU_ASSERT_EQUAL(l, TG_SHARD_BLOCK);
    CU_ASSERT_EQUAL(tg_shard_parse("diagonal", &l), TG_ERR_USAGE);
}

void unit_register_shard(void) {
    tg_test_suite("shard", "shard_height_rounds_to_tiles_and_leaves_cores_empty",
                  shard_height_rounds_to_tiles_and_leaves_cores_empty,
                  "shard_width_splits_channels_by_alignment",
                  shard_width_splits_channels_by_alignment,
                  "shard_block_rows_over_grid_rows_and_transpose",
                  shard_block_rows_over_grid_rows_and_transpose, "shard_specs_cover_random_shapes",
                  shard_specs_cover_random_shapes, "shard_rank_core_maps_machine_ranks",
                  shard_rank_core_maps_machine_ranks, NULL);
}
