/* Unit tests of explicit shard specs (tg_shard_spec_make_shape: TTNN's parallel configs,
 * which may fill only part of their bounding box, split rows exactly and align channels
 * to 8) and of the spec an op's output takes from its input (tg_shard_spec_like). The
 * expected ranges are written out by hand from the layout rules in shard.h. */
#include <string.h>

#include "shard.h"
#include "tg_test.h"
#include "unit.h"

/* Every element of the logical matrix is held by exactly one core that holds a part,
 * inside its allocation; cores beyond the parts hold nothing. */
static void check_cover(const tg_shard_spec *s) {
    int64_t cells = 0;
    for (int i = 0; i < tg_shard_ncores(s); i++) {
        tg_shard_range r = tg_shard_core_range(s, i);
        if (!tg_shard_core_holds(s, i)) CU_ASSERT(tg_shard_range_empty(r));
        if (tg_shard_range_empty(r)) continue;
        CU_ASSERT(r.r1 - r.r0 <= s->shard_h && r.c1 - r.c0 <= s->shard_w);
        CU_ASSERT(r.r0 >= 0 && r.r1 <= s->rows && r.c0 >= 0 && r.c1 <= s->cols);
        cells += (r.r1 - r.r0) * (r.c1 - r.c0);
        for (int j = 0; j < i; j++) {
            tg_shard_range q = tg_shard_core_range(s, j);
            if (tg_shard_range_empty(q)) continue;
            CU_ASSERT(!(r.r0 < q.r1 && q.r0 < r.r1 && r.c0 < q.c1 && q.c0 < r.c1));
        }
    }
    CU_ASSERT_EQUAL(cells, s->rows * s->cols);
}

static bool range_is(tg_shard_range r, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    return r.r0 == r0 && r.r1 == r1 && r.c0 == c0 && r.c1 == c1;
}

static void shard_shape_rejects_what_does_not_cover_or_fit(void) {
    tg_shard_spec s;
    tg_grid g33 = {3, 3};
    const struct {
        tg_shard_layout l;
        tg_shard_shape sh;
        int64_t rows, cols;
    } bad[] = {
        {TG_SHARD_HEIGHT, {g33, 7, 1, 28, 32, 8}, 200, 20},  /* 7 x 28 rows < 200 */
        {TG_SHARD_HEIGHT, {g33, 7, 1, 29, 16, 8}, 200, 20},  /* 16 < 24 channels */
        {TG_SHARD_HEIGHT, {g33, 7, 1, 29, 28, 8}, 200, 20},  /* 28 not a multiple of 8 */
        {TG_SHARD_HEIGHT, {g33, 7, 1, 29, 24, 12}, 200, 20}, /* alignment 12 */
        {TG_SHARD_HEIGHT, {g33, 10, 1, 20, 24, 8}, 200, 20}, /* 10 parts on 9 cores */
        {TG_SHARD_HEIGHT, {g33, 7, 2, 29, 24, 8}, 200, 20},  /* height with 2 col parts */
        {TG_SHARD_WIDTH, {g33, 2, 3, 200, 8, 8}, 200, 20},   /* width with 2 row parts */
        {TG_SHARD_WIDTH, {g33, 1, 2, 200, 8, 8}, 200, 20},   /* 2 x 8 < 24 channels */
        {TG_SHARD_BLOCK, {g33, 4, 2, 50, 16, 8}, 200, 20},   /* 4 row parts, 3 grid rows */
        {TG_SHARD_BLOCK, {g33, 2, 4, 100, 8, 8}, 200, 32},   /* 4 col parts, 3 grid columns */
        {TG_SHARD_HEIGHT, {{0, 3}, 1, 1, 200, 24, 8}, 200, 20},
        {TG_SHARD_HEIGHT, {g33, 7, 1, 0, 24, 8}, 0, 20},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(
            tg_shard_spec_make_shape(bad[i].l, bad[i].rows, bad[i].cols, &bad[i].sh, false, &s),
            TG_ERR_USAGE);
        tg_err_clear();
    }
    /* transpose turns a block's row parts to grid columns: 4 row parts fit a 4x2 box
     * transposed, not straight */
    tg_shard_shape sh = {{4, 2}, 4, 2, 50, 16, 8};
    CU_ASSERT_EQUAL(tg_shard_spec_make_shape(TG_SHARD_BLOCK, 200, 20, &sh, false, &s),
                    TG_ERR_USAGE);
    tg_err_clear();
    CU_ASSERT_EQUAL(tg_shard_spec_make_shape(TG_SHARD_BLOCK, 200, 20, &sh, true, &s), TG_OK);
}

static void shard_shape_height_on_part_of_a_box(void) {
    tg_shard_spec s;
    /* 200 rows on the first 7 cores of a 3x3 box, 29 rows each (not a multiple of 32),
     * 20 channels aligned to 8 */
    tg_shard_shape sh = {{3, 3}, 7, 1, 29, 24, 8};
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_HEIGHT, 200, 20, &sh, false, &s),
                          TG_OK);
    CU_ASSERT_EQUAL(s.cols_padded, 24);
    CU_ASSERT_EQUAL(s.align, 8);
    CU_ASSERT(!s.snap);
    for (int i = 0; i < 6; i++)
        CU_ASSERT(range_is(tg_shard_core_range(&s, i), 29 * i, 29 * i + 29, 0, 20));
    CU_ASSERT(range_is(tg_shard_core_range(&s, 6), 174, 200, 0, 20));
    for (int i = 0; i < 9; i++) CU_ASSERT_EQUAL(tg_shard_core_holds(&s, i), i < 7);
    CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, 7)));
    CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, 8)));
    check_cover(&s);
    /* TTNN's 49 cores of an 8x8 machine: 6 rows of 8 and one core, box 8x7; 56*56 rows
     * of 64; the machine core (0, 6) holds the last part, (1..7, 6) hold nothing */
    tg_shard_shape s49 = {{8, 7}, 49, 1, 64, 8, 8};
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_HEIGHT, 3136, 3, &s49, false, &s),
                          TG_OK);
    CU_ASSERT(s.snap);
    CU_ASSERT(range_is(tg_shard_core_range(&s, 48), 3072, 3136, 0, 3));
    for (int i = 49; i < 56; i++) {
        CU_ASSERT(!tg_shard_core_holds(&s, i));
        CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, i)));
    }
    tg_grid machine = {8, 8};
    CU_ASSERT_EQUAL(tg_shard_core_rank(&s, machine, 48), 48);
    CU_ASSERT_EQUAL(tg_shard_rank_core(&s, machine, 56), -1);
    check_cover(&s);
    /* alignment 8 for 3, 5 and 8 channels; 16 and 32 as asked */
    const int64_t chans[] = {3, 5, 8};
    for (int k = 0; k < 3; k++) {
        tg_shard_shape one = {{2, 2}, 3, 1, 11, 8, 8};
        CU_ASSERT_EQUAL(tg_shard_spec_make_shape(TG_SHARD_HEIGHT, 33, chans[k], &one, false, &s),
                        TG_OK);
        CU_ASSERT_EQUAL(s.cols_padded, 8);
        CU_ASSERT(range_is(tg_shard_core_range(&s, 2), 22, 33, 0, chans[k]));
        CU_ASSERT(!tg_shard_core_holds(&s, 3));
        check_cover(&s);
    }
    tg_shard_shape a32 = {{2, 2}, 4, 1, 32, 32, 32};
    CU_ASSERT_EQUAL(tg_shard_spec_make_shape(TG_SHARD_HEIGHT, 100, 5, &a32, false, &s), TG_OK);
    CU_ASSERT_EQUAL(s.cols_padded, 32);
    CU_ASSERT(range_is(tg_shard_core_range(&s, 3), 96, 100, 0, 5));
}

static void shard_shape_width_with_fewer_parts_than_cores(void) {
    tg_shard_spec s;
    /* 50 rows kept whole (not a multiple of 32), 20 channels in 3 slices of 8 on a 4x1
     * box: the fourth core holds nothing */
    tg_shard_shape sh = {{4, 1}, 1, 3, 50, 8, 8};
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_WIDTH, 50, 20, &sh, false, &s), TG_OK);
    CU_ASSERT(range_is(tg_shard_core_range(&s, 0), 0, 50, 0, 8));
    CU_ASSERT(range_is(tg_shard_core_range(&s, 1), 0, 50, 8, 16));
    CU_ASSERT(range_is(tg_shard_core_range(&s, 2), 0, 50, 16, 20));
    CU_ASSERT(!tg_shard_core_holds(&s, 3));
    CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, 3)));
    check_cover(&s);
}

static void shard_shape_block_in_a_bigger_box_and_transposed(void) {
    tg_shard_spec s;
    /* 70 rows over 2 grid rows (40 each), 20 channels over 2 grid columns (16 each) of a
     * 3x3 box: column 2 and row 2 hold nothing */
    tg_shard_shape sh = {{3, 3}, 2, 2, 40, 16, 8};
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_BLOCK, 70, 20, &sh, false, &s), TG_OK);
    CU_ASSERT(range_is(tg_shard_core_range(&s, 0), 0, 40, 0, 16));
    CU_ASSERT(range_is(tg_shard_core_range(&s, 1), 0, 40, 16, 20));
    CU_ASSERT(range_is(tg_shard_core_range(&s, 3), 40, 70, 0, 16));
    CU_ASSERT(range_is(tg_shard_core_range(&s, 4), 40, 70, 16, 20));
    const int none[] = {2, 5, 6, 7, 8};
    for (int k = 0; k < 5; k++) {
        CU_ASSERT(!tg_shard_core_holds(&s, none[k]));
        CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&s, none[k])));
    }
    check_cover(&s);
    /* transposed: row parts over grid columns, channel parts over grid rows */
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_BLOCK, 70, 20, &sh, true, &s), TG_OK);
    CU_ASSERT(s.transpose);
    CU_ASSERT(range_is(tg_shard_core_range(&s, 1), 40, 70, 0, 16)); /* (1, 0) */
    CU_ASSERT(range_is(tg_shard_core_range(&s, 3), 0, 40, 16, 20)); /* (0, 1) */
    CU_ASSERT(range_is(tg_shard_core_range(&s, 4), 40, 70, 16, 20));
    CU_ASSERT_EQUAL(tg_shard_part_core(&s, 1, 1), 4);
    for (int k = 0; k < 5; k++) CU_ASSERT(!tg_shard_core_holds(&s, none[k]));
    check_cover(&s);
    /* transpose means nothing to height sharding */
    tg_shard_shape h = {{3, 3}, 7, 1, 29, 24, 8};
    CU_ASSERT_EQUAL(tg_shard_spec_make_shape(TG_SHARD_HEIGHT, 200, 20, &h, true, &s), TG_OK);
    CU_ASSERT(!s.transpose);
    CU_ASSERT(range_is(tg_shard_core_range(&s, 1), 29, 58, 0, 20));
}

static bool same_spec(const tg_shard_spec *a, const tg_shard_spec *b) {
    return a->layout == b->layout && a->grid.w == b->grid.w && a->grid.h == b->grid.h &&
           a->transpose == b->transpose && a->snap == b->snap && a->rows == b->rows &&
           a->cols == b->cols && a->align == b->align && a->cols_padded == b->cols_padded &&
           a->row_parts == b->row_parts && a->col_parts == b->col_parts &&
           a->shard_h == b->shard_h && a->shard_w == b->shard_w;
}

static void shard_spec_like_keeps_the_parallel_config(void) {
    tg_shard_spec in, out;
    /* exact rows stay exact: 200 rows on 7 cores -> 50 rows on 7 cores, 8 each */
    tg_shard_shape sh = {{3, 3}, 7, 1, 29, 24, 8};
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_HEIGHT, 200, 20, &sh, false, &in),
                          TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_like(&in, 50, 20, &out), TG_OK);
    CU_ASSERT(out.layout == TG_SHARD_HEIGHT && out.grid.w == 3 && out.grid.h == 3);
    CU_ASSERT(out.row_parts == 7 && out.col_parts == 1 && out.align == 8 && !out.snap);
    CU_ASSERT(out.shard_h == 8 && out.shard_w == 24);
    CU_ASSERT(range_is(tg_shard_core_range(&out, 6), 48, 50, 0, 20));
    check_cover(&out);
    /* rows in tiles stay in tiles: 3136 rows on 49 cores (64) -> 784 rows, 16 -> 32 */
    tg_shard_shape s49 = {{8, 7}, 49, 1, 64, 8, 8};
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_HEIGHT, 3136, 3, &s49, false, &in),
                          TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_like(&in, 784, 3, &out), TG_OK);
    CU_ASSERT(out.shard_h == 32 && out.snap && out.row_parts == 49 && out.shard_w == 8);
    CU_ASSERT(tg_shard_range_empty(tg_shard_core_range(&out, 25))); /* 25 * 32 >= 784 */
    CU_ASSERT(tg_shard_core_holds(&out, 25));
    check_cover(&out);
    /* other channels: the least shard width on the same parts and alignment */
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_like(&in, 784, 20, &out), TG_OK);
    CU_ASSERT(out.shard_w == 24 && out.cols_padded == 24);
    /* as many channels keep a shard width wider than they need */
    tg_shard_shape wide = {{2, 2}, 4, 1, 32, 32, 8};
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_HEIGHT, 100, 20, &wide, false, &in),
                          TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_like(&in, 30, 20, &out), TG_OK);
    CU_ASSERT(out.shard_w == 32 && out.shard_h == 32);
    /* width: the rows stay whole; block and transpose carry over */
    tg_shard_shape w = {{4, 1}, 1, 3, 50, 8, 8};
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_WIDTH, 50, 20, &w, false, &in), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_like(&in, 13, 20, &out), TG_OK);
    CU_ASSERT(out.shard_h == 13 && out.col_parts == 3 && out.shard_w == 8);
    tg_shard_shape b = {{3, 3}, 2, 2, 40, 16, 8};
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make_shape(TG_SHARD_BLOCK, 70, 20, &b, true, &in), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_shard_spec_like(&in, 21, 20, &out), TG_OK);
    CU_ASSERT(out.transpose && out.row_parts == 2 && out.col_parts == 2 && out.shard_h == 11);
    check_cover(&out);
    /* on the rectangles of tg_shard_spec_make (snapped or not) it is tg_shard_spec_make */
    tg_rng rng;
    tg_rng_seed(&rng, 5);
    for (int i = 0; i < 300; i++) {
        tg_shard_layout l = (tg_shard_layout)tg_rng_int(&rng, 0, 2);
        tg_grid g = {tg_rng_int(&rng, 1, 5), tg_rng_int(&rng, 1, 5)};
        bool tr = tg_rng_int(&rng, 0, 1), snap = tg_rng_int(&rng, 0, 1);
        int64_t rows = tg_rng_int(&rng, 1, 900), rows2 = tg_rng_int(&rng, 1, 900);
        int64_t cols = tg_rng_int(&rng, 1, 200);
        tg_shard_spec made;
        CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make(l, rows, cols, g, tr, snap, &in), TG_OK);
        CU_ASSERT_EQUAL_FATAL(tg_shard_spec_make(l, rows2, cols, g, tr, snap, &made), TG_OK);
        CU_ASSERT_EQUAL_FATAL(tg_shard_spec_like(&in, rows2, cols, &out), TG_OK);
        CU_ASSERT(same_spec(&out, &made));
    }
}

void unit_register_shard_shape(void) {
    tg_test_suite("shard_shape", "shard_shape_rejects_what_does_not_cover_or_fit",
                  shard_shape_rejects_what_does_not_cover_or_fit,
                  "shard_shape_height_on_part_of_a_box", shard_shape_height_on_part_of_a_box,
                  "shard_shape_width_with_fewer_parts_than_cores",
                  shard_shape_width_with_fewer_parts_than_cores,
                  "shard_shape_block_in_a_bigger_box_and_transposed",
                  shard_shape_block_in_a_bigger_box_and_transposed,
                  "shard_spec_like_keeps_the_parallel_config",
                  shard_spec_like_keeps_the_parallel_config, NULL);
}
