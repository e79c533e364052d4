/* MPI tests of src/noc: reads, writes, multicasts, semaphores and interleaved DRAM
 * land bitwise, in both mechanisms (one-sided RMA and two-sided messages), and bad
 * addresses are errors. Payloads are random; every core checks what it received
 * against the pattern it can recompute. */
#include <stdlib.h>
#include <string.h>

#include "noc.h"
#include "stats.h"
#include "tg_test.h"

static tg_core *me(void) {
    return tg_core_self();
}

/* The byte a (core, stream, index) triple holds in a test payload. */
static uint8_t pattern(int core, int stream, size_t i) {
    unsigned long long h =
        (unsigned long long)core * 1000003ULL + (unsigned long long)stream * 7919ULL + i;
    h ^= h >> 13;
    h *= 0x9E3779B97F4A7C15ULL;
    return (uint8_t)(h >> 56);
}

static void fill(size_t off, size_t n, int core, int stream) {
    uint8_t *p = tg_l1_ptr(off);
    for (size_t i = 0; i < n; i++) p[i] = pattern(core, stream, i);
}

static size_t mismatches(size_t off, size_t n, int core, int stream) {
    const uint8_t *p = tg_l1_ptr(off);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += p[i] != pattern(core, stream, i);
    return bad;
}

/* Every core reads random-sized, unaligned blocks from every core (itself too). */
static void reads_body(void) {
    int P = me()->nranks, r = me()->rank;
    size_t src, dst;
    const size_t region = 64 * 1024;
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:src", region, &src), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:dst", region * (size_t)P, &dst), TG_OK);
    fill(src, region, r, 1);
    tg_noc_barrier(TG_SET_ALL);
    tg_rng rng;
    tg_rng_seed(&rng, (unsigned long long)r + 3);
    size_t sizes[64], offs[64];
    for (int s = 0; s < P; s++) {
        /* unaligned offset and size, zero-length included */
        offs[s] = (size_t)tg_rng_int(&rng, 0, 999);
        sizes[s] = s % 3 == 2 ? 0 : (size_t)tg_rng_int(&rng, 1, (int)(region - offs[s]));
        CU_ASSERT_EQUAL(tg_noc_read(s, src + offs[s], dst + (size_t)s * region, sizes[s]), TG_OK);
    }
    CU_ASSERT_EQUAL(tg_noc_read_barrier(), TG_OK);
    for (int s = 0; s < P; s++) {
        const uint8_t *p = tg_l1_ptr(dst + (size_t)s * region);
        size_t bad = 0;
        for (size_t i = 0; i < sizes[s]; i++) bad += p[i] != pattern(s, 1, offs[s] + i);
        CU_ASSERT_EQUAL(bad, 0);
    }
    tg_noc_barrier(TG_SET_ALL);
    tg_core_free(dst);
    tg_core_free(src);
}

static void noc_reads_land_bitwise(void) {
    tg_test_each_noc_mode(reads_body);
}

/* Every core writes a block into its own slot of every core's L1. */
static void writes_body(void) {
    int P = me()->nranks, r = me()->rank;
    const size_t block = 3001; /* odd size */
    size_t src, slots;
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:src", block, &src), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:slots", block * (size_t)P, &slots), TG_OK);
    fill(src, block, r, 2);
    memset(tg_l1_ptr(slots), 0, block * (size_t)P);
    tg_noc_barrier(TG_SET_ALL);
    for (int d = 0; d < P; d++)
        CU_ASSERT_EQUAL(tg_noc_write(d, slots + (size_t)r * block, src, block), TG_OK);
    CU_ASSERT_EQUAL(tg_noc_write_barrier(), TG_OK);
    tg_noc_barrier(TG_SET_ALL);
    for (int s = 0; s < P; s++)
        CU_ASSERT_EQUAL(mismatches(slots + (size_t)s * block, block, s, 2), 0);
    tg_noc_barrier(TG_SET_ALL);
    tg_core_free(slots);
    tg_core_free(src);
}

static void noc_writes_land_bitwise(void) {
    tg_test_each_noc_mode(writes_body);
}

/* Each core multicasts to the whole grid and to its own grid row. */
static void mcast_body(void) {
    tg_core *c = me();
    int P = c->nranks, r = c->rank;
    const size_t block = 777;
    size_t src, all, row;
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:src", block, &src), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:all", block * (size_t)P, &all), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:row", block * (size_t)c->grid.w, &row), TG_OK);
    fill(src, block, r, 3);
    tg_noc_barrier(TG_SET_ALL);
    tg_rect grid = {0, 0, c->grid.w, c->grid.h}, myrow = {0, c->y, c->grid.w, 1};
    uint64_t before = tg_stats_now()->noc_mcast_bytes;
    CU_ASSERT_EQUAL(tg_noc_mcast(grid, all + (size_t)r * block, src, block), TG_OK);
    CU_ASSERT_EQUAL(tg_noc_mcast(myrow, row + (size_t)c->x * block, src, block), TG_OK);
    CU_ASSERT_EQUAL(tg_stats_now()->noc_mcast_bytes - before, 2 * block);
    CU_ASSERT_EQUAL(tg_noc_write_barrier(), TG_OK);
    tg_noc_barrier(TG_SET_ALL);
    for (int s = 0; s < P; s++)
        CU_ASSERT_EQUAL(mismatches(all + (size_t)s * block, block, s, 3), 0);
    for (int x = 0; x < c->grid.w; x++)
        CU_ASSERT_EQUAL(
            mismatches(row + (size_t)x * block, block, tg_core_rank(c->grid, x, c->y), 3), 0);
    tg_noc_barrier(TG_SET_ALL);
    tg_core_free(row);
    tg_core_free(all);
    tg_core_free(src);
}

static void noc_multicasts_land_bitwise(void) {
    tg_test_each_noc_mode(mcast_body);
}

/* One core reads another core's whole L1; the cores take turns in pairs. */
static void full_body(void) {
    tg_core *c = me();
    int P = c->nranks, r = c->rank;
    size_t L = c->l1.size;
    for (int turn = 0; turn < (P > 1 ? 2 : 1); turn++) {
        int reader = turn, src = (turn + 1) % P;
        fill(0, L, r, 10 + turn);
        tg_noc_barrier(TG_SET_ALL);
        if (r == reader) {
            CU_ASSERT_EQUAL(tg_noc_read(src, 0, 0, L), TG_OK);
            CU_ASSERT_EQUAL(tg_noc_read_barrier(), TG_OK);
        }
        tg_noc_barrier(TG_SET_ALL);
        if (r == reader) CU_ASSERT_EQUAL(mismatches(0, L, src, 10 + turn), 0);
        tg_noc_barrier(TG_SET_ALL);
    }
}

static void noc_full_l1_read(void) {
    tg_test_each_noc_mode(full_body);
}

/* Producer/consumer hand-off around a ring: data, then the semaphore. */
static void sem_body(void) {
    tg_core *c = me();
    int P = c->nranks, r = c->rank, next = (r + 1) % P, prev = (r + P - 1) % P;
    const size_t block = 5000;
    size_t sem, src, box;
    CU_ASSERT_EQUAL_FATAL(tg_noc_sem_alloc("test:sem", &sem), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:src", block, &src), TG_OK);
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:box", block, &box), TG_OK);
    tg_noc_barrier(TG_SET_ALL);
    for (int round = 0; round < 3; round++) {
        fill(src, block, r, 20 + round);
        CU_ASSERT_EQUAL(tg_noc_write(next, box, src, block), TG_OK);
        CU_ASSERT_EQUAL(tg_noc_write_barrier(), TG_OK);
        CU_ASSERT_EQUAL(tg_noc_sem_inc(next, sem, 1), TG_OK);
        CU_ASSERT_EQUAL(tg_noc_sem_wait(sem, 1), TG_OK);
        CU_ASSERT_EQUAL(mismatches(box, block, prev, 20 + round), 0);
        tg_noc_barrier(TG_SET_ALL); /* box is free again everywhere */
    }
    tg_core_free(box);
    tg_core_free(src);
    tg_core_free(sem);
}

static void noc_semaphores_hand_off(void) {
    tg_test_each_noc_mode(sem_body);
}

/* A buffer bigger than every core's L1 together goes into DRAM page by page from
 * host memory, then comes back into L1 in parts and into host memory whole. */
static void dram_body(void) {
    tg_core *c = me();
    int P = c->nranks, r = c->rank;
    const size_t page = 2000; /* not a multiple of the DRAM alignment */
    int64_t npages = (int64_t)((c->l1.size * (size_t)P) / page) + 777;
    tg_dram_buf buf;
    CU_ASSERT_EQUAL_FATAL(tg_dram_alloc("test:dram", page, npages, &buf), TG_OK);
    CU_ASSERT_EQUAL(buf.page_stride % c->arch->dram_align, 0);
    int64_t per = (npages + P - 1) / P, p0 = (int64_t)r * per;
    int64_t p1 = p0 + per < npages ? p0 + per : npages;
    if (p1 < p0) p1 = p0;
    uint8_t *host = malloc((size_t)(per ? per : 1) * page);
    for (int64_t i = p0; i < p1; i++)
        for (size_t b = 0; b < page; b++) host[(size_t)(i - p0) * page + b] = pattern((int)i, 5, b);
    CU_ASSERT_EQUAL(tg_dram_write_host(&buf, p0, p1 - p0, host, page), TG_OK);
    free(host);
    tg_noc_barrier(TG_SET_ALL);
    /* Into L1: bytes 100..399 of 300 pages owned by the next core. */
    int64_t q0 = ((int64_t)((r + 1) % P) * per) % npages, nq = 300;
    if (q0 + nq > npages) q0 = npages - nq;
    size_t dst;
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:pages", 512 * (size_t)nq, &dst), TG_OK);
    CU_ASSERT_EQUAL(tg_dram_read(&buf, q0, nq, 100, 300, dst, 512), TG_OK);
    CU_ASSERT_EQUAL(tg_noc_read_barrier(), TG_OK);
    size_t bad = 0;
    for (int64_t k = 0; k < nq; k++)
        for (size_t b = 0; b < 300; b++)
            bad += tg_l1_ptr(dst + (size_t)k * 512)[b] != pattern((int)(q0 + k), 5, 100 + b);
    CU_ASSERT_EQUAL(bad, 0);
    tg_core_free(dst);
    /* Whole buffer back into host memory on every core. */
    uint8_t *back = malloc((size_t)npages * page);
    CU_ASSERT_EQUAL(tg_dram_read_host(&buf, 0, npages, back, page), TG_OK);
    bad = 0;
    for (int64_t i = 0; i < npages; i++)
        for (size_t b = 0; b < page; b += 7)
            bad += back[(size_t)i * page + b] != pattern((int)i, 5, b);
    CU_ASSERT_EQUAL(bad, 0);
    free(back);
    tg_noc_barrier(TG_SET_ALL);
    tg_dram_free(&buf);
}

static void dram_round_trip_larger_than_all_l1(void) {
    tg_test_each_noc_mode(dram_body);
}

static void noc_bad_addresses_are_errors(void) {
    tg_core *c = me();
    int P = c->nranks;
    CU_ASSERT_EQUAL(tg_noc_read(P, 0, 0, 16), TG_ERR_RUNTIME);
    CU_ASSERT_EQUAL(tg_noc_read(-1, 0, 0, 16), TG_ERR_RUNTIME);
    CU_ASSERT_EQUAL(tg_noc_read(0, c->l1.size - 8, 0, 16), TG_ERR_RUNTIME);
    CU_ASSERT_EQUAL(tg_noc_write(0, 0, c->l1.size, 1), TG_ERR_RUNTIME);
    CU_ASSERT_EQUAL(tg_noc_read_strided(0, 0, 1024, 0, 16, 16, 2000), TG_ERR_RUNTIME);
    tg_rect outside = {0, 0, c->grid.w + 1, 1};
    CU_ASSERT_EQUAL(tg_noc_mcast(outside, 0, 0, 16), TG_ERR_RUNTIME);
    CU_ASSERT_EQUAL(tg_noc_sem_inc(P + 3, 0, 1), TG_ERR_RUNTIME);
    tg_dram_buf buf;
    CU_ASSERT_EQUAL_FATAL(tg_dram_alloc("test:small", 64, 10, &buf), TG_OK);
    CU_ASSERT_EQUAL(tg_dram_read(&buf, 5, 6, 0, 64, 0, 64), TG_ERR_RUNTIME);
    CU_ASSERT_EQUAL(tg_dram_read(&buf, 0, 1, 32, 64, 0, 64), TG_ERR_RUNTIME);
    tg_dram_free(&buf);
    CU_ASSERT_EQUAL(tg_dram_read(&buf, 0, 1, 0, 64, 0, 64), TG_ERR_RUNTIME);
    tg_dram_buf huge;
    CU_ASSERT_EQUAL(tg_dram_alloc("test:huge", 1 << 20, 100000, &huge), TG_ERR_RUNTIME);
    tg_noc_barrier(TG_SET_ALL);
}

/* Counters: a read of n bytes from the core two to the east (wrapping) counts n
 * bytes, one transaction and that route's hops. */
static void noc_counts_bytes_transactions_and_hops(void) {
    tg_core *c = me();
    size_t buf;
    CU_ASSERT_EQUAL_FATAL(tg_core_alloc("test:count", 4096, &buf), TG_OK);
    tg_noc_barrier(TG_SET_ALL);
    int sx = (c->x + 2) % c->grid.w, src = tg_core_rank(c->grid, sx, c->y);
    tg_stats_begin("test:count");
    CU_ASSERT_EQUAL(tg_noc_read(src, buf, buf, 1000), TG_OK);
    tg_noc_read_barrier();
    tg_counters k = *tg_stats_now();
    tg_stats_end();
    CU_ASSERT_EQUAL(k.noc_read_bytes, 1000);
    CU_ASSERT_EQUAL(k.noc_transactions, 1);
    int noc = tg_route_pick_unicast(c->grid, sx, c->y, c->x, c->y);
    CU_ASSERT_EQUAL(k.hops, (uint64_t)tg_route_unicast(c->grid, noc, sx, c->y, c->x, c->y, NULL));
    tg_noc_barrier(TG_SET_ALL);
    tg_core_free(buf);
}

static void register_noc(void) {
    tg_test_suite(
        "noc", "noc_reads_land_bitwise", noc_reads_land_bitwise, "noc_writes_land_bitwise",
        noc_writes_land_bitwise, "noc_multicasts_land_bitwise", noc_multicasts_land_bitwise,
        "noc_full_l1_read", noc_full_l1_read, "noc_semaphores_hand_off", noc_semaphores_hand_off,
        "dram_round_trip_larger_than_all_l1", dram_round_trip_larger_than_all_l1,
        "noc_bad_addresses_are_errors", noc_bad_addresses_are_errors,
        "noc_counts_bytes_transactions_and_hops", noc_counts_bytes_transactions_and_hops, NULL);
}

int main(int argc, char **argv) {
    return tg_test_main(argc, argv, register_noc, true);
}
