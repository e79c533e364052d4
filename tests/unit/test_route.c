/* Unit tests of the NoC route model (src/noc/route.c) on an 8x8 torus, against
 * routes worked out by hand. */
#include "noc.h"
#include "tg_test.h"
#include "unit.h"

static const tg_grid g8 = {8, 8};

static bool link_is(tg_link l, int x, int y, int dir) {
    return l.x == x && l.y == y && l.dir == dir;
}

static void route_noc0_goes_east_then_south(void) {
    tg_link l[16];
    CU_ASSERT_EQUAL(tg_route_unicast(g8, 0, 1, 1, 3, 2, l), 3);
    CU_ASSERT(link_is(l[0], 1, 1, TG_LINK_E));
    CU_ASSERT(link_is(l[1], 2, 1, TG_LINK_E));
    CU_ASSERT(link_is(l[2], 3, 1, TG_LINK_S));
    /* wrap-around: (6,7) -> (1,0) is 3 east (7, 0, 1) and 1 south (7 -> 0) */
    CU_ASSERT_EQUAL(tg_route_unicast(g8, 0, 6, 7, 1, 0, l), 4);
    CU_ASSERT(link_is(l[0], 6, 7, TG_LINK_E));
    CU_ASSERT(link_is(l[1], 7, 7, TG_LINK_E));
    CU_ASSERT(link_is(l[2], 0, 7, TG_LINK_E));
    CU_ASSERT(link_is(l[3], 1, 7, TG_LINK_S));
    /* going "back" west on NoC0 means going all the way round */
    CU_ASSERT_EQUAL(tg_route_unicast(g8, 0, 0, 0, 7, 7, l), 14);
    CU_ASSERT_EQUAL(tg_route_unicast(g8, 0, 4, 4, 4, 4, l), 0);
}

static void route_noc1_goes_north_then_west(void) {
    tg_link l[16];
    CU_ASSERT_EQUAL(tg_route_unicast(g8, 1, 3, 2, 1, 1, l), 3);
    CU_ASSERT(link_is(l[0], 3, 2, TG_LINK_N));
    CU_ASSERT(link_is(l[1], 3, 1, TG_LINK_W));
    CU_ASSERT(link_is(l[2], 2, 1, TG_LINK_W));
    /* wrap-around both ways: (0,0) -> (7,7) is 1 north (0 -> 7) and 1 west (0 -> 7) */
    CU_ASSERT_EQUAL(tg_route_unicast(g8, 1, 0, 0, 7, 7, l), 2);
    CU_ASSERT(link_is(l[0], 0, 0, TG_LINK_N));
    CU_ASSERT(link_is(l[1], 0, 7, TG_LINK_W));
    CU_ASSERT_EQUAL(tg_route_unicast(g8, 1, 1, 1, 3, 2, l), 13); /* 7 north, 6 west */
    /* the pick takes the shorter NoC, NoC0 on a tie */
    CU_ASSERT_EQUAL(tg_route_pick_unicast(g8, 0, 0, 7, 7), 1);
    CU_ASSERT_EQUAL(tg_route_pick_unicast(g8, 1, 1, 3, 2), 0);
    CU_ASSERT_EQUAL(tg_route_pick_unicast(g8, 0, 0, 4, 4), 0); /* 8 and 8 */
}

static void route_multicast_rectangles(void) {
    tg_link l[128];
    /* NoC0 from (0,0) to columns 2..4, rows 1..2: trunk 4 east, three branches of 2 */
    tg_rect r = {2, 1, 3, 2};
    CU_ASSERT_EQUAL(tg_route_mcast(g8, 0, 0, 0, r, l), 10);
    CU_ASSERT(link_is(l[0], 0, 0, TG_LINK_E));
    CU_ASSERT(link_is(l[3], 3, 0, TG_LINK_E));
    CU_ASSERT(link_is(l[4], 2, 0, TG_LINK_S));
    CU_ASSERT(link_is(l[5], 2, 1, TG_LINK_S));
    CU_ASSERT(link_is(l[9], 4, 1, TG_LINK_S));
    /* NoC1 from (5,5) to columns 1..2, rows 2..3: trunk 3 north, two branches of 4 west */
    tg_rect q = {1, 2, 2, 2};
    CU_ASSERT_EQUAL(tg_route_mcast(g8, 1, 5, 5, q, l), 11);
    CU_ASSERT(link_is(l[0], 5, 5, TG_LINK_N));
    CU_ASSERT(link_is(l[2], 5, 3, TG_LINK_N));
    CU_ASSERT(link_is(l[3], 5, 2, TG_LINK_W));
    CU_ASSERT(link_is(l[6], 2, 2, TG_LINK_W));
    CU_ASSERT(link_is(l[7], 5, 3, TG_LINK_W));
    /* wrap-around: NoC0 from (7,7) to (0..1, 0): 2 east through the edge, 1 south each */
    tg_rect w = {0, 0, 2, 1};
    CU_ASSERT_EQUAL(tg_route_mcast(g8, 0, 7, 7, w, l), 4);
    CU_ASSERT(link_is(l[0], 7, 7, TG_LINK_E));
    CU_ASSERT(link_is(l[1], 0, 7, TG_LINK_E));
    CU_ASSERT(link_is(l[2], 0, 7, TG_LINK_S));
    CU_ASSERT(link_is(l[3], 1, 7, TG_LINK_S));
    /* a whole grid row from its first core: 7 east, no branches */
    tg_rect row = {0, 3, 8, 1};
    CU_ASSERT_EQUAL(tg_route_mcast(g8, 0, 0, 3, row, l), 7);
    CU_ASSERT_EQUAL(tg_route_pick_mcast(g8, 0, 3, row), 0);
    /* the whole grid from (0,0) on NoC0: 7 east + 8 columns x 7 south */
    tg_rect all = {0, 0, 8, 8};
    CU_ASSERT_EQUAL(tg_route_mcast(g8, 0, 0, 0, all, l), 7 + 56);
}

void unit_register_route(void) {
    tg_test_suite("route", "route_noc0_goes_east_then_south", route_noc0_goes_east_then_south,
                  "route_noc1_goes_north_then_west", route_noc1_goes_north_then_west,
                  "route_multicast_rectangles", route_multicast_rectangles, NULL);
}
