/* Unit tests of src/rank: arch presets, grid identity, the L1 allocator. */
#include <string.h>

#include "rank.h"
#include "tg_test.h"
#include "unit.h"

static void arch_presets_match_design_table(void) {
    const tg_arch *wh = tg_arch_find("wormhole_b0");
    CU_ASSERT_PTR_NOT_NULL_FATAL(wh);
    CU_ASSERT_EQUAL(wh->grid_w, 8);
    CU_ASSERT_EQUAL(wh->grid_h, 8);
    CU_ASSERT_EQUAL(wh->l1_size, 1499136);
    CU_ASSERT_EQUAL(wh->dram_banks, 12);
    const tg_arch *gs = tg_arch_find("grayskull");
    CU_ASSERT_PTR_NOT_NULL_FATAL(gs);
    CU_ASSERT_EQUAL(gs->grid_w * gs->grid_h, 108);
    CU_ASSERT_EQUAL(gs->l1_size, 1 << 20);
    CU_ASSERT_EQUAL(gs->dram_banks, 8);
    const tg_arch *bh = tg_arch_find("blackhole");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bh);
    CU_ASSERT_EQUAL(bh->grid_w, 13);
    CU_ASSERT_EQUAL(bh->grid_h, 10);
    CU_ASSERT_EQUAL(bh->noc_bytes_per_cycle, 64);
    CU_ASSERT_PTR_NULL(tg_arch_find("wormhole"));
    CU_ASSERT_PTR_EQUAL(tg_arch_default(), wh);
    CU_ASSERT_EQUAL(tg_arch_count(), 3);
}

static void grid_choose_defaults_and_mismatch(void) {
    const tg_arch *wh = tg_arch_default();
    tg_grid g, none = {0, 0};
    CU_ASSERT_EQUAL(tg_grid_choose(wh, 64, none, &g), TG_OK);
    CU_ASSERT(g.w == 8 && g.h == 8);
    CU_ASSERT_EQUAL(tg_grid_choose(wh, 12, none, &g), TG_OK);
    CU_ASSERT(g.w == 4 && g.h == 3);
    CU_ASSERT_EQUAL(tg_grid_choose(wh, 7, none, &g), TG_OK);
    CU_ASSERT(g.w == 7 && g.h == 1);
    CU_ASSERT_EQUAL(tg_grid_choose(wh, 8, none, &g), TG_OK);
    CU_ASSERT(g.w == 4 && g.h == 2);
    CU_ASSERT_EQUAL(tg_grid_choose(wh, 1, none, &g), TG_OK);
    CU_ASSERT(g.w == 1 && g.h == 1);
    CU_ASSERT_EQUAL(tg_grid_choose(tg_arch_find("grayskull"), 108, none, &g), TG_OK);
    CU_ASSERT(g.w == 12 && g.h == 9);
    tg_grid req = {2, 4};
    CU_ASSERT_EQUAL(tg_grid_choose(wh, 8, req, &g), TG_OK);
    CU_ASSERT(g.w == 2 && g.h == 4);
    CU_ASSERT_EQUAL(tg_grid_choose(wh, 6, req, &g), TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "6 ranks"));
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "8 cores"));
}

static void grid_parse_and_core_map(void) {
    tg_grid g;
    CU_ASSERT_EQUAL(tg_grid_parse("8x8", &g), TG_OK);
    CU_ASSERT(g.w == 8 && g.h == 8);
    CU_ASSERT_EQUAL(tg_grid_parse("3,2", &g), TG_OK);
    CU_ASSERT(g.w == 3 && g.h == 2);
    CU_ASSERT_EQUAL(tg_grid_parse("8", &g), TG_ERR_USAGE);
    CU_ASSERT_EQUAL(tg_grid_parse("0x4", &g), TG_ERR_USAGE);
    CU_ASSERT_EQUAL(tg_grid_parse("4x", &g), TG_ERR_USAGE);
    CU_ASSERT_EQUAL(tg_grid_parse("4x2y", &g), TG_ERR_USAGE);
    g.w = 3, g.h = 2;
    for (int r = 0; r < 6; r++) {
        CU_ASSERT_EQUAL(tg_core_x(g, r), r % 3);
        CU_ASSERT_EQUAL(tg_core_y(g, r), r / 3);
        CU_ASSERT_EQUAL(tg_core_rank(g, tg_core_x(g, r), tg_core_y(g, r)), r);
    }
}

static void l1_alloc_first_fit_align_and_free(void) {
    tg_l1 l1;
    tg_l1_init(&l1, NULL, 1024, 16, 1, 2);
    size_t a, b, c, d;
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "a", 100, &a), TG_OK);
    CU_ASSERT_EQUAL(a, 0);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "b", 1, &b), TG_OK);
    CU_ASSERT_EQUAL(b, 112); /* 100 rounds up to 112 */
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "c", 200, &c), TG_OK);
    CU_ASSERT_EQUAL(c, 128);
    CU_ASSERT_EQUAL(l1.in_use, 112 + 16 + 208);
    CU_ASSERT_EQUAL(tg_l1_free(&l1, b), TG_OK);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "d", 16, &d), TG_OK);
    CU_ASSERT_EQUAL(d, 112); /* first fit reuses the hole */
    CU_ASSERT_EQUAL(tg_l1_free(&l1, a), TG_OK);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "e", 120, &a), TG_OK);
    CU_ASSERT_EQUAL(a, 336); /* 120 does not fit the 112 B hole at 0 */
    CU_ASSERT_EQUAL(tg_l1_free(&l1, 5), TG_ERR_RUNTIME);
    CU_ASSERT_EQUAL(l1.high_water, 16 + 208 + 128); /* d + c + e, the peak */
    tg_l1_reset_high_water(&l1);
    CU_ASSERT_EQUAL(l1.high_water, l1.in_use);
    for (int i = 0; i < l1.n; i++) CU_ASSERT_EQUAL(l1.blocks[i].off % 16, 0);
    tg_l1_destroy(&l1);
}

static void l1_out_of_memory_names_allocation_core_and_bytes(void) {
    tg_l1 l1;
    tg_l1_init(&l1, NULL, 4096, 16, 3, 5);
    size_t a, b;
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "halo", 1000, &a), TG_OK);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "cb_weights", 3000, &b), TG_OK);
    CU_ASSERT_EQUAL(tg_l1_free(&l1, a), TG_OK);
    size_t free_bytes = tg_l1_free_bytes(&l1);
    CU_ASSERT_EQUAL(free_bytes, 4096 - 3008);
    CU_ASSERT_EQUAL(tg_l1_largest_free(&l1), 1008);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "conv2d:act_cb", 1050, &a), TG_ERR_RUNTIME);
    const char *m = tg_err_msg();
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "conv2d:act_cb"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "(3,5)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "1050 B"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "1088 B free"));
    CU_ASSERT_EQUAL(l1.n, 1); /* the failed allocation left the arena as it was */
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "huge", (size_t)1 << 40, &a), TG_ERR_RUNTIME);
    /* The whole arena can be allocated exactly. */
    CU_ASSERT_EQUAL(tg_l1_free(&l1, b), TG_OK);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "all", 4096, &a), TG_OK);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "one more", 1, &b), TG_ERR_RUNTIME);
    tg_l1_destroy(&l1);
}

/* The device's L1 (rank.h): buffers top-down between the unreserved base and L1_SMALL,
 * each in the highest gap that fits, at its top; a program's circular buffers from the
 * base upward, refused in TTNN's words when they pass the lowest buffer or the arena. */
static void l1_device_model_places_buffers_top_down_and_checks_circular_buffers(void) {
    tg_l1 l1;
    /* 64 KiB: reserved below 8 KiB, L1_SMALL the top 4 KiB */
    tg_l1_init_device(&l1, NULL, 65536, 8192, 4096, 16, 32, 2, 3);
    CU_ASSERT(l1.lo == 8192 && l1.hi == 61440 && l1.top_down);
    size_t a, b, c, d;
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "a", 1000, &a), TG_OK);
    CU_ASSERT_EQUAL(a, 61440 - 1008);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "b", 20000, &b), TG_OK);
    CU_ASSERT_EQUAL(b, a - 20000);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "c", 100, &c), TG_OK);
    CU_ASSERT_EQUAL(c, b - 112);
    CU_ASSERT_EQUAL(tg_l1_lowest(&l1), c);
    /* freeing b leaves a 20000 B gap high up: the next buffer that fits goes there, at its
     * top, not into the lower free space */
    CU_ASSERT_EQUAL(tg_l1_free(&l1, b), TG_OK);
    CU_ASSERT_EQUAL(tg_l1_alloc(&l1, "d", 5000, &d), TG_OK);
    CU_ASSERT_EQUAL(d, a - 5008);
    /* circular buffers: up to the lowest buffer (c) they fit; past it they clash */
    size_t room = c - l1.lo;
    CU_ASSERT_EQUAL(tg_l1_cb_open(&l1, room, "p", "[(x=0,y=0) - (x=1,y=1)]"), TG_OK);
    CU_ASSERT_EQUAL(l1.in_use, 1008 + 5008 + 112 + room);
    CU_ASSERT_EQUAL(l1.high_water, l1.in_use);
    tg_l1_cb_close(&l1);
    CU_ASSERT_EQUAL(tg_l1_cb_open(&l1, room + 32, "p", "[(x=0,y=0) - (x=1,y=1)]"), TG_ERR_RUNTIME);
    char want[160];
    snprintf(want, sizeof want,
             "L1 buffer allocated at %zu and static circular buffer region ends at %zu", c,
             l1.lo + room + 32);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), want));
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "clash with L1 buffers on core range [(x=0,y=0)"));
    CU_ASSERT_EQUAL(tg_l1_cb_open(&l1, 70000, "p", "R"), TG_ERR_RUNTIME);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(tg_err_msg(), "grow to 78192 B which is beyond max L1 size of 65536 B"));
    /* out of memory: ttgrid's numbers, then TTNN's words */
    CU_ASSERT_EQUAL(tg_l1_alloc_banks(&l1, "big", 60000, 4, &b), TG_ERR_RUNTIME);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "'big' asks 60000 B"));
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "Not enough space to allocate 240000 B L1 buffer "
                                                "across 4 banks, where each bank needs to store "
                                                "60000 B, but bank size is 53248 B"));
    /* L1_SMALL: its own region [hi, size), top-down; too big is TTNN's L1_SMALL words */
    size_t s1, s2;
    CU_ASSERT_EQUAL(tg_l1_alloc_small(&l1, "idx", 20, 4, &s1), TG_OK);
    CU_ASSERT_EQUAL(s1, 65536 - 32);
    CU_ASSERT_EQUAL(tg_l1_alloc_small(&l1, "idx2", 100, 4, &s2), TG_OK);
    CU_ASSERT_EQUAL(s2, s1 - 112);
    CU_ASSERT_EQUAL(tg_l1_lowest(&l1), c); /* L1_SMALL is not where buffers are */
    CU_ASSERT_EQUAL(tg_l1_alloc_small(&l1, "big", 4000, 4, &b), TG_ERR_RUNTIME);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "Not enough space to allocate 16000 B L1_SMALL "
                                                "buffer across 4 banks, where each bank needs to "
                                                "store 4000 B, but bank size is 4096 B "
                                                "(allocated: 144 B, free: 3952 B"));
    CU_ASSERT_EQUAL(tg_l1_free(&l1, s1), TG_OK);
    CU_ASSERT_EQUAL(tg_l1_alloc_small(&l1, "idx3", 16, 4, &s1), TG_OK);
    CU_ASSERT_EQUAL(s1, 65536 - 16);
    tg_l1_destroy(&l1);
}

/* The core is made in one process without MPI: identity and L1 size from the
 * options, no memory until it is attached; a grid that does not match is a usage
 * error and leaves no core. */
static void core_init_is_pure(void) {
    tg_core_opts o = {.arch = "grayskull", .grid = {2, 2}, .l1_size = 200000};
    CU_ASSERT_EQUAL_FATAL(tg_core_init(&o, 3, 4, true), TG_OK);
    tg_core *c = tg_core_self();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(c->arch->name, "grayskull");
    CU_ASSERT(c->x == 1 && c->y == 1 && c->rank == 3 && c->nranks == 4 && c->oversubscribed);
    CU_ASSERT_EQUAL(c->l1.size, 200000);
    CU_ASSERT_PTR_NULL(c->l1.base);
    static uint8_t arena[200000];
    tg_core_attach_l1(arena);
    size_t off;
    CU_ASSERT_EQUAL(tg_core_alloc("x", 100, &off), TG_OK);
    CU_ASSERT_PTR_EQUAL(tg_l1_ptr(off), arena + off);
    tg_core_finalize();
    CU_ASSERT_PTR_NULL(tg_core_self());
    o.grid = (tg_grid){3, 3};
    CU_ASSERT_EQUAL(tg_core_init(&o, 0, 4, false), TG_ERR_USAGE);
    CU_ASSERT_PTR_NULL(tg_core_self());
}

static void core_init_refuses_sizes_mpi_cannot_take(void) {
    tg_core_opts o = {.l1_size = (size_t)-1};
    CU_ASSERT_EQUAL(tg_core_init(&o, 0, 1, false), TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "18446744073709551615 B"));
    CU_ASSERT_PTR_NULL(tg_core_self());
    o.l1_size = ((size_t)1 << 30) + 1;
    CU_ASSERT_EQUAL(tg_core_init(&o, 0, 1, false), TG_ERR_USAGE);
    o.l1_size = 4095;
    CU_ASSERT_EQUAL(tg_core_init(&o, 0, 1, false), TG_ERR_USAGE);
    o.l1_size = (size_t)1 << 30;
    CU_ASSERT_EQUAL(tg_core_init(&o, 0, 1, false), TG_OK);
    tg_core_finalize();
    o = (tg_core_opts){.dram_bank_size = (size_t)-1};
    CU_ASSERT_EQUAL(tg_core_init(&o, 0, 1, false), TG_ERR_USAGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(tg_err_msg(), "--dram-size"));
    CU_ASSERT_PTR_NULL(tg_core_self());
}

void unit_register_rank(void) {
    tg_test_suite("rank", "arch_presets_match_design_table", arch_presets_match_design_table,
                  "grid_choose_defaults_and_mismatch", grid_choose_defaults_and_mismatch,
                  "grid_parse_and_core_map", grid_parse_and_core_map,
                  "l1_alloc_first_fit_align_and_free", l1_alloc_first_fit_align_and_free,
                  "l1_out_of_memory_names_allocation_core_and_bytes",
                  l1_out_of_memory_names_allocation_core_and_bytes,
                  "l1_device_model_places_buffers_top_down_and_checks_circular_buffers",
                  l1_device_model_places_buffers_top_down_and_checks_circular_buffers,
                  "core_init_is_pure", core_init_is_pure, "core_init_refuses_sizes_mpi_cannot_take",
                  core_init_refuses_sizes_mpi_cannot_take, NULL);
}
