/* Unit tests of the device-time model (src/ops/base/timeline.c): hand-worked timelines of
 * small schedules on Wormhole. Every expectation is worked out here from the cited
 * constants (tg_tl_costs_of) and the rules of timeline.h, never read back from the
 * engine:
 *   a unicast of one packet of >= 2 KB streams at min(NIU rate, link peak) bytes per
 *   cycle (tt-npe's first packet goes at the table's peak, 30 B/cycle; the core's NIU
 *   takes 28.1); a step costs one issue plus its stream; its bytes land
 *   hops x hop_cycles + start-up cycles later (DRAM: the DRAM latency). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tg_test.h"
#include "timeline.h"
#include "unit.h"

#define MAX_CORES 8
#define MAX_STEPS 64

/* A schedule written out by hand: each core's steps in program order. */
typedef struct sched {
    tg_tl_step s[MAX_CORES][MAX_STEPS];
    int n[MAX_CORES];
} sched;

static void gen(void *ctx, int core, tg_tl_emit_fn emit, void *ectx) {
    const sched *p = ctx;
    for (int i = 0; i < p->n[core]; i++) emit(ectx, &p->s[core][i]);
}

static void add(sched *p, int core, tg_tl_step s) {
    CU_ASSERT_FATAL(p->n[core] < MAX_STEPS);
    p->s[core][p->n[core]++] = s;
}

static void work(sched *p, int core, tg_tl_kernel k, double cycles) {
    add(p, core,
        (tg_tl_step){
            .kind = TG_TL_WORK, .kernel = k, .cycles = cycles, .ideal = cycles, .what = "work"});
}

static void xfer(sched *p, int core, tg_xfer x) {
    add(p, core, (tg_tl_step){.kind = TG_TL_XFER, .x = x});
}

static void sync_all(sched *p, int ncores) {
    for (int i = 0; i < ncores; i++) xfer(p, i, (tg_xfer){.kind = TG_XF_SYNC, .set = TG_SET_ALL});
}

static tg_xfer unicast(tg_xfer_kind kind, int peer, size_t blen, int64_t count) {
    return (tg_xfer){.kind = kind, .peer = peer, .count = count, .blen = blen};
}

static const tg_arch *wormhole(void) {
    return tg_arch_find("wormhole_b0");
}

static tg_machine machine(int w, int h) {
    return tg_machine_of(wormhole(), (tg_grid){w, h});
}

/* Runs the model; the schedule is freed by the caller. */
static tg_timeline model(sched *p, int w, int h, int depth, bool spans) {
    tg_machine m = machine(w, h);
    tg_tl_costs c = tg_tl_costs_of(m.arch);
    tg_timeline t;
    CU_ASSERT_EQUAL_FATAL(tg_timeline_model(&m, &c, depth, spans, gen, p, &t), TG_OK);
    return t;
}

static sched *new_sched(void) {
    sched *p = calloc(1, sizeof *p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

#define NEAR(a, b) CU_ASSERT_DOUBLE_EQUAL((a), (b), 1e-6 * (1 + fabs((double)(b))))

/* A one-packet unicast of `bytes` (>= 2 KB on Wormhole), as the kernel streams it. */
static double one_packet(const tg_tl_costs *c, double bytes) {
    return c->issue_cycles + bytes / fmin(c->noc_niu_bytes_per_cycle, c->noc_link_bytes_per_cycle);
}

/* ---- constants ---- */

/* S21: 288 GB/s over 12 banks at 1 GHz; S22/S18: 512 GB/s over 8 banks at 1.35 GHz; S3:
 * a 32x32 x 32x32 tile product takes 16 cycles at LoFi; whole tiles. */
static void constants_follow_their_sources(void) {
    tg_tl_costs wh = tg_tl_costs_of(wormhole());
    tg_tl_costs bh = tg_tl_costs_of(tg_arch_find("blackhole"));
    NEAR(wh.dram_bank_bytes_per_cycle, 24.0);
    NEAR(bh.dram_bank_bytes_per_cycle, 512.0 / 8 / 1.35);
    NEAR(wh.clock_ghz, 1.0);
    NEAR(bh.clock_ghz, 1.35);
    NEAR(tg_tl_matmul_cycles(&wh, 32, 32, 32, 1), 16);
    /* 33 x 64 x 32 is 2 x 2 x 1 tiles; HiFi2 doubles */
    NEAR(tg_tl_matmul_cycles(&wh, 33, 64, 32, 2), 4 * 16 * 2);
    NEAR(tg_tl_matmul_cycles(&bh, 64, 64, 64, 4), 8 * 16 * 4);
    CU_ASSERT_TRUE(tg_tl_costs_of(tg_arch_find("grayskull")).matmul_flop_per_cycle == 2048);
    /* one packet goes at the table's peak, capped by the NIU (WH 28.1 of 32 raw; BH 60.9 of
     * 64); 16 KB on Wormhole is two 8 KB packets, past the table's end: its last entry, 30 */
    NEAR(tg_tl_noc_efficiency(&wh, wormhole(), 2048), 28.1 / 32);
    NEAR(tg_tl_noc_efficiency(&wh, wormhole(), 16384), 28.1 / 32);
    NEAR(tg_tl_noc_efficiency(&bh, tg_arch_find("blackhole"), 512), 60.9 / 64);
}

/* Four reads of 384 B from the next core: tt-npe's table gives 384 B packets
 * 10.1 + (384 - 256) / 256 x (18.0 - 10.1) = 14.05 B/cycle; of 4 packets the first goes
 * at the peak, 30: 0.25 x 30 + 0.75 x 14.05. Issuing 3 more takes 3 x 23 < 1536 / that. */
static void small_packets_stream_at_the_table_rate(void) {
    sched *p = new_sched();
    xfer(p, 0, unicast(TG_XF_READ, 1, 384, 4));
    xfer(p, 0, (tg_xfer){.kind = TG_XF_READ_BARRIER});
    sync_all(p, 2);
    tg_timeline t = model(p, 2, 1, 2, false);
    tg_tl_costs c = tg_tl_costs_of(wormhole());
    double bw = 0.25 * 30 + 0.75 * (10.1 + 0.5 * (18.0 - 10.1));
    CU_ASSERT_TRUE(1536 / bw > 3 * c.issue_cycles);
    double lat = 1 * c.hop_cycles + c.noc_startup_cycles; /* (1,0) -> (0,0): one hop */
    NEAR(t.cycles, c.issue_cycles + 1536 / bw + lat);
    tg_timeline_free(&t);
    free(p);
}

/* ---- pipelines ---- */

/* 2x1, double buffering: core 0 reads 2 KB from core 1, computes 1000 cycles and writes
 * 2 KB back, n times. Reads (96 cycles + 50 latency) and writes hide under compute: the
 * first read, n computes, the last write and its landing. */
static void compute_bound_block_loop(void) {
    const int n = 8;
    sched *p = new_sched();
    for (int b = 0; b < n; b++) {
        xfer(p, 0, unicast(TG_XF_READ, 1, 2048, 1));
        work(p, 0, TG_TL_COMPUTE, 1000);
        xfer(p, 0, unicast(TG_XF_WRITE, 1, 2048, 1));
    }
    xfer(p, 0, (tg_xfer){.kind = TG_XF_WRITE_BARRIER});
    sync_all(p, 2);
    tg_timeline t = model(p, 2, 1, 2, false);
    tg_tl_costs c = tg_tl_costs_of(wormhole());
    double d = one_packet(&c, 2048), lat = c.hop_cycles + c.noc_startup_cycles;
    CU_ASSERT_TRUE(d + lat < 1000);
    NEAR(t.cycles, (d + lat) + n * 1000 + (d + lat));
    NEAR(t.core[0].busy[TG_TL_COMPUTE], n * 1000);
    CU_ASSERT_EQUAL(t.core[0].bound, TG_TL_BOUND_COMPUTE);
    CU_ASSERT_EQUAL(t.bound, TG_TL_BOUND_COMPUTE);
    NEAR(t.core[0].ideal_cycles, n * 1000);
    NEAR(t.ideal_cycles, n * 1000 / 2.0); /* over both cores of the machine */
    NEAR(t.core[1].end, 0);
    tg_timeline_free(&t);
    free(p);
}

/* 2x1: core 0 reads 8 KB per block (315 cycles) and computes 100. The reader streams
 * back to back (the CB never fills: block b may start after compute b-2, which ended
 * long before); compute follows the last block's landing. */
static void reader_bound_block_loop(void) {
    const int n = 8;
    sched *p = new_sched();
    for (int b = 0; b < n; b++) {
        xfer(p, 0, unicast(TG_XF_READ, 1, 8192, 1));
        work(p, 0, TG_TL_COMPUTE, 100);
    }
    sync_all(p, 2);
    tg_timeline t = model(p, 2, 1, 2, false);
    tg_tl_costs c = tg_tl_costs_of(wormhole());
    double d = one_packet(&c, 8192), lat = c.hop_cycles + c.noc_startup_cycles;
    CU_ASSERT_TRUE(d > lat + 100);
    NEAR(t.cycles, n * d + lat + 100);
    NEAR(t.core[0].noc_cycles, n * (d - c.issue_cycles));
    CU_ASSERT_EQUAL(t.core[0].bound, TG_TL_BOUND_NOC);
    CU_ASSERT_EQUAL(t.bound, TG_TL_BOUND_NOC);
    tg_timeline_free(&t);
    free(p);
}

/* 2x1, n blocks of a 2 KB read (96 + 50) and 500 cycles of compute. One slot: the reader
 * may fill the CB only after compute emptied it, so nothing overlaps: n x (read + its
 * latency + compute). Two slots: the next read runs under the current compute: one read
 * and its latency, then n computes. */
static void single_and_double_buffering(void) {
    const int n = 6;
    sched *p = new_sched();
    for (int b = 0; b < n; b++) {
        xfer(p, 0, unicast(TG_XF_READ, 1, 2048, 1));
        work(p, 0, TG_TL_COMPUTE, 500);
    }
    sync_all(p, 2);
    tg_tl_costs c = tg_tl_costs_of(wormhole());
    double d = one_packet(&c, 2048), lat = c.hop_cycles + c.noc_startup_cycles;
    CU_ASSERT_TRUE(d + lat < 500);
    tg_timeline t1 = model(p, 2, 1, 1, false);
    NEAR(t1.cycles, n * (d + lat + 500));
    tg_timeline t2 = model(p, 2, 1, 2, false);
    NEAR(t2.cycles, d + lat + n * 500);
    tg_timeline_free(&t1);
    tg_timeline_free(&t2);
    free(p);
}

/* ---- shared resources ---- */

/* 2x1, 12 banks: both cores read eight 2 KB pages 0, 12, 24, ... (all in bank 0). Each
 * core alone: 8 x (23 + 2048 / 24) (the bank is slower than the NIU) + the DRAM latency.
 * Bank 0 serves 32 KB in the phase: 32768 / 24 cycles, more than either core's time, so
 * the phase (and the op) stretches to it. The chip's 267 B/cycle and the one link that
 * carries core 1's 16 KB (bank 0 sits at core 0) bound less. */
static void dram_bound_phase_stretched_by_a_bank(void) {
    const int n = 8;
    sched *p = new_sched();
    for (int core = 0; core < 2; core++) {
        for (int j = 0; j < n; j++)
            xfer(p, core,
                 (tg_xfer){.kind = TG_XF_DRAM_READ, .first = 12 * j, .count = 1, .blen = 2048});
        xfer(p, core, (tg_xfer){.kind = TG_XF_READ_BARRIER});
    }
    sync_all(p, 2);
    tg_timeline t = model(p, 2, 1, 2, false);
    tg_tl_costs c = tg_tl_costs_of(wormhole());
    double own = n * (c.issue_cycles + 2048 / c.dram_bank_bytes_per_cycle) + c.dram_latency_cycles;
    double bank = 2 * n * 2048 / c.dram_bank_bytes_per_cycle;
    CU_ASSERT_TRUE(bank > own);
    CU_ASSERT_TRUE(bank > 2 * n * 2048 / c.dram_chip_bytes_per_cycle);
    CU_ASSERT_TRUE(bank > n * 2048 / c.noc_link_bytes_per_cycle);
    NEAR(t.core[0].end, own);
    NEAR(t.core[1].end, own);
    NEAR(t.cycles, bank);
    NEAR(t.core[1].dram_cycles, n * 2048 / c.dram_bank_bytes_per_cycle + (bank - own));
    CU_ASSERT_EQUAL(t.core[1].bound, TG_TL_BOUND_DRAM);
    CU_ASSERT_EQUAL(t.bound, TG_TL_BOUND_DRAM);
    tg_timeline_free(&t);
    free(p);
}

/* 4x1: cores 0 and 1 each write four 8 KB transactions to core 2. Both routes take NoC0
 * east (0 -> 2: 2 hops either way, the tie to NoC0; 1 -> 2: 1 hop), so link (1,0)E
 * carries 64 KB: 65536 / 30 cycles, more than either core's own time. Alone, core 0's
 * 32 KB fits its own time. */
static void contended_link_stretches_the_phase(void) {
    tg_tl_costs c = tg_tl_costs_of(wormhole());
    double d = one_packet(&c, 32768), lat0 = 2 * c.hop_cycles + c.noc_startup_cycles;
    CU_ASSERT_TRUE(3 * c.issue_cycles < 32768 / 28.1);
    for (int writers = 1; writers <= 2; writers++) {
        sched *p = new_sched();
        for (int core = 0; core < writers; core++) {
            xfer(p, core, unicast(TG_XF_WRITE, 2, 8192, 4));
            xfer(p, core, (tg_xfer){.kind = TG_XF_WRITE_BARRIER});
        }
        sync_all(p, 4);
        tg_timeline t = model(p, 4, 1, 2, false);
        double link = writers * 32768 / c.noc_link_bytes_per_cycle;
        if (writers == 1) {
            CU_ASSERT_TRUE(link < d + lat0);
            NEAR(t.cycles, d + lat0);
        } else {
            CU_ASSERT_TRUE(link > d + lat0);
            NEAR(t.cycles, link);
            CU_ASSERT_EQUAL(t.bound, TG_TL_BOUND_NOC);
            NEAR(t.core[1].noc_cycles, (d - c.issue_cycles) + (link - (d + lat0)));
        }
        tg_timeline_free(&t);
        free(p);
    }
}

/* ---- other cores ---- */

/* 4x1: core j first spends j x 100 cycles on its reader, then the row takes four
 * multicast turns (root t sends 4 KB to the whole row, fenced before and after, as
 * conv2d's activation turns). The first turn starts when core 3 arrives (300): the others
 * wait for it; each turn takes the root's stream and the flight to the farthest core, 3
 * hops (NoC0 east and NoC1 west both take 3 links round the ring: the tie to NoC0). */
static void mcast_turns_across_a_row(void) {
    sched *p = new_sched();
    for (int j = 0; j < 4; j++) {
        if (j) work(p, j, TG_TL_READER, 100 * j);
        for (int root = 0; root < 4; root++)
            xfer(p, j,
                 (tg_xfer){.kind = TG_XF_MCAST,
                           .peer = root,
                           .set = TG_SET_ROW,
                           .rect = {0, 0, 4, 1},
                           .count = 1,
                           .blen = 4096,
                           .fence_before = true,
                           .fence_after = true});
    }
    sync_all(p, 4);
    tg_timeline t = model(p, 4, 1, 2, false);
    tg_tl_costs c = tg_tl_costs_of(wormhole());
    double d = one_packet(&c, 4096), lat = 3 * c.hop_cycles + c.noc_startup_cycles;
    NEAR(t.cycles, 300 + 4 * (d + lat));
    NEAR(t.core[0].wait_cycles, 300); /* for core 3 */
    NEAR(t.core[3].wait_cycles, 0);
    /* three turns receiving (the root's stream, then the flight), one sending (its issue
     * and stream, then its bytes' flight before the set meets again) */
    NEAR(t.core[2].noc_cycles, 3 * d + (d - c.issue_cycles));
    NEAR(t.core[2].latency_cycles, 4 * lat + c.issue_cycles);
    CU_ASSERT_EQUAL(t.core[2].bound, TG_TL_BOUND_NOC);
    tg_timeline_free(&t);
    free(p);
}

/* 2x1: core 0 works 1000 cycles, core 1 100, then both meet in a barrier and work 50
 * more. Core 1 waits 900 cycles there: waiting bounds it. */
static void barrier_waiting_is_waiting(void) {
    sched *p = new_sched();
    work(p, 0, TG_TL_READER, 1000);
    work(p, 1, TG_TL_READER, 100);
    for (int core = 0; core < 2; core++) {
        xfer(p, core, (tg_xfer){.kind = TG_XF_BARRIER, .set = TG_SET_ALL});
        work(p, core, TG_TL_READER, 50);
    }
    sync_all(p, 2);
    tg_timeline t = model(p, 2, 1, 2, false);
    NEAR(t.cycles, 1050);
    NEAR(t.core[1].wait_cycles, 900);
    NEAR(t.core[0].wait_cycles, 0);
    NEAR(t.core[1].end, 1050);
    CU_ASSERT_EQUAL(t.core[1].bound, TG_TL_BOUND_WAITING);
    tg_timeline_free(&t);
    free(p);
}

/* A barrier that only one core of two takes can never complete: an error, not a hang. */
static void unmatched_collective_is_an_error(void) {
    sched *p = new_sched();
    xfer(p, 0, (tg_xfer){.kind = TG_XF_BARRIER, .set = TG_SET_ALL});
    work(p, 1, TG_TL_COMPUTE, 10);
    tg_machine m = machine(2, 1);
    tg_tl_costs c = tg_tl_costs_of(m.arch);
    tg_timeline t;
    CU_ASSERT_EQUAL(tg_timeline_model(&m, &c, 2, false, gen, p, &t), TG_ERR_RUNTIME);
    CU_ASSERT_PTR_NULL(t.core);
    free(p);
}

/* ---- spans ---- */

static bool is_work(const char *what) {
    static const char *const idle[] = {"wait", "latency", "mcast in", "link contention",
                                       "dram contention"};
    for (size_t i = 0; i < sizeof idle / sizeof idle[0]; i++)
        if (strcmp(what, idle[i]) == 0) return false;
    return true;
}

/* The spans of a mixed schedule (pipelines, multicast turns, a stretched phase) are
 * ordered per core and kernel, never overlap, lie inside the op, and their work adds up
 * to each kernel's busy cycles. */
static void spans_tile_each_kernel(void) {
    sched *p = new_sched();
    for (int j = 0; j < 4; j++) {
        work(p, j, TG_TL_READER, 10 * j);
        for (int root = 0; root < 4; root++) {
            xfer(p, j,
                 (tg_xfer){.kind = TG_XF_MCAST,
                           .peer = root,
                           .set = TG_SET_ROW,
                           .rect = {0, 0, 4, 1},
                           .count = 1,
                           .blen = 2048,
                           .fence_before = root == 0,
                           .fence_after = root == 3});
            work(p, j, TG_TL_COMPUTE, 300);
            xfer(p, j, unicast(TG_XF_WRITE, (j + 1) % 4, 4096, 2));
        }
        xfer(p, j, (tg_xfer){.kind = TG_XF_WRITE_BARRIER});
    }
    sync_all(p, 4);
    for (int j = 0; j < 4; j++) {
        xfer(p, j, (tg_xfer){.kind = TG_XF_DRAM_READ, .first = j, .count = 24, .blen = 2048});
        work(p, j, TG_TL_COMPUTE, 100);
        xfer(p, j, (tg_xfer){.kind = TG_XF_DRAM_WRITE, .first = j, .count = 4, .blen = 2048});
    }
    sync_all(p, 4);
    tg_timeline t = model(p, 4, 1, 2, true);
    CU_ASSERT_TRUE(t.nspans > 0);
    double busy[4][TG_TL_KERNELS] = {{0}};
    for (int64_t i = 0; i < t.nspans; i++) {
        const tg_tl_span *s = &t.spans[i];
        CU_ASSERT_TRUE(s->core >= 0 && s->core < 4);
        CU_ASSERT_TRUE(s->start >= 0 && s->end > s->start && s->end <= t.cycles + 1e-9);
        CU_ASSERT_PTR_NOT_NULL(s->what);
        if (i > 0 && s[-1].core == s->core && s[-1].kernel == s->kernel)
            CU_ASSERT_TRUE(s->start >= s[-1].end);
        if (i > 0)
            CU_ASSERT_TRUE(s[-1].core < s->core ||
                           (s[-1].core == s->core && s[-1].kernel <= s->kernel));
        if (is_work(s->what)) busy[s->core][s->kernel] += s->end - s->start;
    }
    for (int j = 0; j < 4; j++)
        for (int k = 0; k < TG_TL_KERNELS; k++) NEAR(busy[j][k], t.core[j].busy[k]);
    tg_timeline_free(&t);
    free(p);
}

void unit_register_timeline(void) {
    tg_test_suite(
        "timeline", "constants_follow_their_sources", constants_follow_their_sources,
        "small_packets_stream_at_the_table_rate", small_packets_stream_at_the_table_rate,
        "compute_bound_block_loop", compute_bound_block_loop, "reader_bound_block_loop",
        reader_bound_block_loop, "single_and_double_buffering", single_and_double_buffering,
        "dram_bound_phase_stretched_by_a_bank", dram_bound_phase_stretched_by_a_bank,
        "contended_link_stretches_the_phase", contended_link_stretches_the_phase,
        "mcast_turns_across_a_row", mcast_turns_across_a_row, "barrier_waiting_is_waiting",
        barrier_waiting_is_waiting, "unmatched_collective_is_an_error",
        unmatched_collective_is_an_error, "spans_tile_each_kernel", spans_tile_each_kernel, NULL);
}
