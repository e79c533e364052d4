/* Unit tests of traffic accounting (src/noc/traffic.c): what a read, a write, a
 * multicast and a DRAM read add to the counters, the links and the banks, against
 * numbers worked out by hand on small tori. Links are indexed core * 4 + dir with
 * E = 0, S = 1, N = 2, W = 3. */
#include <string.h>

#include "noc.h"
#include "tg_test.h"
#include "unit.h"

#define MAX_CORES 16
#define MAX_BANKS 12

/* A tally over fresh counters, links and banks. */
typedef struct sink {
    tg_counters k;
    uint64_t links[MAX_CORES * TG_LINK_DIRS];
    uint64_t banks[MAX_BANKS];
    tg_tally t;
} sink;

static void sink_init(sink *s, int w, int h, int nbanks) {
    memset(s, 0, sizeof *s);
    s->t = (tg_tally){{w, h}, nbanks, &s->k, s->links, s->banks};
}

/* Links other than those listed carry nothing. */
static int busy_links(const sink *s) {
    int n = 0;
    for (int i = 0; i < MAX_CORES * TG_LINK_DIRS; i++) n += s->links[i] != 0;
    return n;
}

/* 4x4: core 0 (0,0) reads 3 blocks of 100 B from core 15 (3,3). NoC0 wraps once
 * each way (east 3 -> 0 along row 3, then south 3 -> 0 along column 0): 2 hops;
 * NoC1 would take 3 north and 3 west. Links (3,3)E = 15*4+0 and (0,3)S = 12*4+1. */
static void tally_read_across_the_wrap_around(void) {
    sink s;
    sink_init(&s, 4, 4, 12);
    tg_tally_read(&s.t, 0, 15, 300, 3);
    CU_ASSERT_EQUAL(s.k.noc_read_bytes, 300);
    CU_ASSERT_EQUAL(s.k.noc_write_bytes, 0);
    CU_ASSERT_EQUAL(s.k.noc_transactions, 3);
    CU_ASSERT_EQUAL(s.k.hops, 6); /* 2 hops x 3 transactions */
    CU_ASSERT_EQUAL(s.links[60], 300);
    CU_ASSERT_EQUAL(s.links[49], 300);
    CU_ASSERT_EQUAL(busy_links(&s), 2);
    CU_ASSERT_EQUAL(s.k.messages, 0); /* the transport's to count */
}

/* 4x4: core 9 (1,2) writes 80 B to core 1 (1,0): 2 hops either way (NoC0 south
 * 2 -> 3 -> 0, NoC1 north 2 -> 1 -> 0); the tie goes to NoC0: (1,2)S = 37,
 * (1,3)S = 53. */
static void tally_write_takes_noc0_on_a_tie(void) {
    sink s;
    sink_init(&s, 4, 4, 12);
    tg_tally_write(&s.t, 9, 1, 80, 1);
    CU_ASSERT_EQUAL(s.k.noc_write_bytes, 80);
    CU_ASSERT_EQUAL(s.k.noc_read_bytes, 0);
    CU_ASSERT_EQUAL(s.k.noc_transactions, 1);
    CU_ASSERT_EQUAL(s.k.hops, 2);
    CU_ASSERT_EQUAL(s.links[37], 80);
    CU_ASSERT_EQUAL(s.links[53], 80);
    CU_ASSERT_EQUAL(busy_links(&s), 2);
}

/* 4x4, a 2x3 rectangle: columns 1..2, rows 1..3. From core 0 (0,0), NoC0 runs a
 * trunk of 2 east and a branch of 3 south down each of the 2 columns: 8 links
 * (NoC1 would need 3 north + 3 rows x 3 west = 12). From core 14 (2,3), inside the
 * rectangle, NoC1 runs 2 north and 1 west along each of the 3 rows: 5 links (NoC0
 * would need 3 east + 2 columns x 3 south = 9). One transaction each. */
static void tally_mcast_to_a_2x3_rectangle(void) {
    tg_rect r = {1, 1, 2, 3};
    sink s;
    sink_init(&s, 4, 4, 12);
    tg_tally_mcast(&s.t, 0, r, 512);
    CU_ASSERT_EQUAL(s.k.noc_mcast_bytes, 512);
    CU_ASSERT_EQUAL(s.k.noc_transactions, 1);
    CU_ASSERT_EQUAL(s.k.hops, 8);
    static const int noc0[] = {0, 4, 5, 21, 37, 9, 25, 41}; /* (0,0)E (1,0)E, S down x=1, x=2 */
    for (int i = 0; i < 8; i++) CU_ASSERT_EQUAL(s.links[noc0[i]], 512);
    CU_ASSERT_EQUAL(busy_links(&s), 8);

    sink_init(&s, 4, 4, 12);
    tg_tally_mcast(&s.t, 14, r, 64);
    CU_ASSERT_EQUAL(s.k.noc_mcast_bytes, 64);
    CU_ASSERT_EQUAL(s.k.noc_transactions, 1);
    CU_ASSERT_EQUAL(s.k.hops, 5);
    static const int noc1[] = {58, 42, 27, 43, 59}; /* (2,3)N (2,2)N, W from x=2 on rows 1..3 */
    for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(s.links[noc1[i]], 64);
    CU_ASSERT_EQUAL(busy_links(&s), 5);
}

/* 2x2 grid, 12 banks (bank b on core b % 4): core 1 (1,0) reads 64 B of pages
 * 10..16, which live one each in banks 10, 11, 0, 1, 2, 3, 4. Banks 0 and 4 come
 * from core 0 (1 hop, (0,0)E = 0); bank 1 is core 1's own (0 hops); banks 2 and 10
 * from core 2 (0,1): 2 hops on NoC0 (a tie), (0,1)E = 8 then (1,1)S = 13; banks 3
 * and 11 from core 3 (1,1): 1 hop, (1,1)S = 13. */
static void tally_dram_read_of_7_pages_over_12_banks(void) {
    sink s;
    sink_init(&s, 2, 2, 12);
    tg_tally_dram(&s.t, 1, 10, 7, 64, false);
    CU_ASSERT_EQUAL(s.k.dram_read_bytes, 448);
    CU_ASSERT_EQUAL(s.k.dram_write_bytes, 0);
    CU_ASSERT_EQUAL(s.k.noc_read_bytes, 0);
    CU_ASSERT_EQUAL(s.k.noc_transactions, 7);
    CU_ASSERT_EQUAL(s.k.hops, 1 + 1 + 0 + 2 + 2 + 1 + 1);
    for (int b = 0; b < 12; b++) CU_ASSERT_EQUAL(s.banks[b], (b <= 4 || b >= 10) ? 64u : 0u);
    CU_ASSERT_EQUAL(s.links[0], 128);
    CU_ASSERT_EQUAL(s.links[8], 128);
    CU_ASSERT_EQUAL(s.links[13], 256);
    CU_ASSERT_EQUAL(busy_links(&s), 3);
    /* written back the other way: the same banks, links in the opposite direction */
    sink_init(&s, 2, 2, 12);
    tg_tally_dram(&s.t, 1, 10, 7, 64, true);
    CU_ASSERT_EQUAL(s.k.dram_write_bytes, 448);
    CU_ASSERT_EQUAL(s.k.dram_read_bytes, 0);
    CU_ASSERT_EQUAL(s.banks[10], 64);
    CU_ASSERT_EQUAL(s.k.noc_transactions, 7);
}

/* Page runs per bank: pages 10..29 over 12 banks put 10 and 22 in bank 10, 12 and
 * 24 in bank 0, only 21 in bank 9. */
static void dram_bank_pages_of_a_run(void) {
    int64_t i0;
    CU_ASSERT_EQUAL(tg_dram_bank_pages(10, 20, 12, 10, &i0), 2);
    CU_ASSERT_EQUAL(i0, 10);
    CU_ASSERT_EQUAL(tg_dram_bank_pages(10, 20, 12, 0, &i0), 2);
    CU_ASSERT_EQUAL(i0, 12);
    CU_ASSERT_EQUAL(tg_dram_bank_pages(10, 20, 12, 9, &i0), 1);
    CU_ASSERT_EQUAL(i0, 21);
    CU_ASSERT_EQUAL(tg_dram_bank_pages(10, 1, 12, 9, &i0), 0);
}

/* A zero-byte transfer counts nothing, and a tally without link or bank arrays
 * still counts bytes, transactions and hops. */
static void tally_counts_nothing_for_zero_bytes(void) {
    sink s;
    sink_init(&s, 4, 4, 12);
    tg_tally_read(&s.t, 0, 15, 0, 1);
    tg_tally_write(&s.t, 0, 15, 0, 1);
    tg_tally_mcast(&s.t, 0, (tg_rect){0, 0, 4, 4}, 0);
    tg_tally_dram(&s.t, 0, 0, 5, 0, false);
    tg_tally_dram(&s.t, 0, 0, 0, 64, false);
    tg_counters zero;
    memset(&zero, 0, sizeof zero);
    CU_ASSERT_EQUAL(memcmp(&s.k, &zero, sizeof zero), 0);
    CU_ASSERT_EQUAL(busy_links(&s), 0);
    s.t.links = NULL;
    s.t.banks = NULL;
    tg_tally_read(&s.t, 0, 15, 300, 3);
    tg_tally_dram(&s.t, 0, 0, 12, 10, true);
    CU_ASSERT_EQUAL(s.k.noc_read_bytes, 300);
    CU_ASSERT_EQUAL(s.k.dram_write_bytes, 120);
    CU_ASSERT_EQUAL(busy_links(&s), 0);
}

void unit_register_traffic(void) {
    tg_test_suite("traffic", "tally_read_across_the_wrap_around", tally_read_across_the_wrap_around,
                  "tally_write_takes_noc0_on_a_tie", tally_write_takes_noc0_on_a_tie,
                  "tally_mcast_to_a_2x3_rectangle", tally_mcast_to_a_2x3_rectangle,
                  "tally_dram_read_of_7_pages_over_12_banks",
                  tally_dram_read_of_7_pages_over_12_banks, "dram_bank_pages_of_a_run",
                  dram_bank_pages_of_a_run, "tally_counts_nothing_for_zero_bytes",
                  tally_counts_nothing_for_zero_bytes, NULL);
}
