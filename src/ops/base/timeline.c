/* The device's time (timeline.h): the constants of each arch with their sources, and the
 * engine that places every step of an op's schedule on its core's reader, compute and
 * writer time axes. Pure: no MPI, no data, no global state; the schedule comes from the
 * op's generator, the traffic arithmetic from src/noc's tallies and routes, so that the
 * modelled bytes per link and bank are the ones the plan counts.
 *
 * The engine is a discrete simulation without a global clock: every kernel of every core
 * keeps its own time and advances step by step as far as its dependencies allow (the
 * blocks of its own core, collectives with other cores); a core that must wait for others
 * is woken when they arrive. Every dependency points to a step before it in its core's
 * program order or to the matching collective of another core, so a schedule that the
 * run can perform (in program order) never deadlocks here; one that does is reported.
 * It never decides anything about the op: it only times what the schedule says. */
#include "timeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- constants ----
 *
 * Sources, as docs/device-model-sources.md lists them (repo · path @ commit):
 *   S1  tt-metal ttnn/cpp/ttnn/operations/matmul/device/matmul_device_operation.cpp
 *       @ 001cea9a149df28de134c87b5324972bf4308d48 (create_op_performance_model)
 *   S4  tt-metal tech_reports/matrix_engine/matrix_engine.md
 *       @ 0909e36aa502ab9db65e4feb8055be0343633894
 *   S5  tt-metal ttnn/cpp/ttnn/operations/data_movement/common/common.cpp
 *       @ 00555207841e47df499e51d41caa99aa90177d3d (common_tm_bw_model)
 *   S6  tt-metal .../data_movement/untilize/device/untilize_device_operation.cpp
 *       @ 01656bf7108e0be1924cbc405b321693bd352574
 *   S7  tt-metal .../data_movement/tilize/device/tilize_op.cpp
 *       @ 04d3362a4909a8864973e94b2cb096d7d39fa987
 *   S10 tt-npe tt_npe/cpp/include/device_models/wormhole_b0.hpp
 *       @ 02dac0bd396c63c38409833e119242ecc4b1e529
 *   S11 tt-npe tt_npe/cpp/include/device_models/blackhole.hpp @ the same commit
 *   S12 tt-npe tt_npe/cpp/include/npeDeviceModelUtils.hpp @ the same commit (interpolateBW)
 *   S16 tt-metal tests/tt_metal/tt_metal/data_movement/noc_estimator/noc_latencies.yaml
 *       @ 1fc9110794f03923008876e2bbfacbd31b1d7936
 *   S17 tt-metal tech_reports/Saturating_DRAM_bandwidth/Saturating_DRAM_bandwidth.md
 *       @ 0c3eb94a7363898f9253087ee9eb0cb09c823308
 *   S18 the same report for Blackhole, Saturating_DRAM_bandwidth_Blackhole.md
 *       @ 7ffb007c3963cc57a7ed6f04a364d3462e9353e9
 *   S21 https://docs.tenstorrent.com/aibs/wormhole/specifications.html
 *   S22 https://docs.tenstorrent.com/_sources/aibs/blackhole/specifications.md.txt
 * No value is fitted to a whole-network figure. */

/* One point of the NoC estimator's packet-size table: packets of `bytes` stream at `bw`
 * bytes per cycle. */
typedef struct noc_point {
    double bytes, bw;
} noc_point;

/* S10: TransferBandwidthTable tbt = {{0, 0}, {128, 5.5}, {256, 10.1}, {512, 18.0},
 * {1024, 27.4}, {2048, 30.0}, {8192, 30.0}} */
static const noc_point wh_tbt[] = {{0, 0},       {128, 5.5},   {256, 10.1}, {512, 18.0},
                                   {1024, 27.4}, {2048, 30.0}, {8192, 30.0}};
/* S11: tbt = {{0, 0}, {128, 6.0}, {256, 12.1}, {512, 24.2}, {1024, 48.0}, {2048, 57.7},
 * {4096, 58.7}, {8192, 60.4}, {16384, 60.9}} */
static const noc_point bh_tbt[] = {{0, 0},       {128, 6.0},   {256, 12.1},
                                   {512, 24.2},  {1024, 48.0}, {2048, 57.7},
                                   {4096, 58.7}, {8192, 60.4}, {16384, 60.9}};

static bool arch_is(const tg_arch *a, const char *name) {
    return a && a->name && strcmp(a->name, name) == 0;
}

/* Grayskull has no tt-npe model: it borrows Wormhole's table (same 32 B links). */
static const noc_point *table_of(const tg_arch *arch, int *n) {
    if (arch_is(arch, "blackhole")) {
        *n = (int)(sizeof bh_tbt / sizeof bh_tbt[0]);
        return bh_tbt;
    }
    *n = (int)(sizeof wh_tbt / sizeof wh_tbt[0]);
    return wh_tbt;
}

/* Shared by every arch. */
static void common_costs(tg_tl_costs *c) {
    c->noc_startup_cycles = 40;        /* S10, S11: STARTUP_LATENCY = 40 (write latency) */
    c->tilize_cycles_per_tile = 75;    /* S7: average_cycles_per_tile = 75; // measured latency */
    c->untilize_cycles_per_tile = 390; /* S6: latency_untilize = 390 (untilize_block) */
    c->pack_untilize_cycles_per_tile = 80; /* S6: latency_pack_untilize = 80, rows <= 8 tiles */
    /* S4: "performs 8x16 elementwise addition/subtraction/multiplication in a single cycle":
     * 1024 / 128 = 8 math cycles per tile (unpack and pack not included) */
    c->eltwise_cycles_per_tile = 8;
    /* No source gives a fixed cost inside an op's device kernel duration (the published
     * device figures exclude dispatch; docs/device-model-sources.md section 8.1): 0. The
     * first-access latencies below are what each op pays anyway. */
    c->launch_cycles = 0;
}

tg_tl_costs tg_tl_costs_of(const tg_arch *arch) {
    tg_tl_costs c;
    memset(&c, 0, sizeof c);
    common_costs(&c);
    if (arch_is(arch, "blackhole")) {
        c.clock_ghz = 1.35;                /* S22: "AI Clock | Up to 1.35 GHz"; S11 ai_clk_ghz */
        c.noc_bytes_per_cycle = 64;        /* S18: "NOC payload width | 512 bits (64 B/word)" */
        c.noc_link_bytes_per_cycle = 60.9; /* S11: getLinkBandwidth(...) { return 60.9; } */
        c.noc_niu_bytes_per_cycle = 60.9;  /* S11: {CoreType::WORKER, 60.9} */
        c.noc_max_packet_bytes = 16384;    /* S18: NOC_MAX_BURST_SIZE 16 KB */
        c.hop_cycles = 11;                 /* S11: CYCLES_PER_HOP = 11; // ~11.5 */
        /* S16 (arch 3): 256 unicast writes of 64 B take 6,226 cycles: 24 per transaction */
        c.issue_cycles = 24;
        /* S22: 512 GB/s over S18's 8 banks, at 1.35 GHz: 47.4 B/cycle per bank */
        c.dram_bank_bytes_per_cycle = 512.0 / 8 / 1.35;
        /* S18: "~98% of the theoretical peak (500 GB/s of 512 GB/s)" */
        c.dram_chip_bytes_per_cycle = 500.0 / 1.35;
        c.dram_latency_cycles = 529;    /* S5: dram_bw latency, non-Wormhole index: 529 */
        c.matmul_flop_per_cycle = 4096; /* S1, S4: 8x16 x 16x16 per cycle = 4096 FLOP at LoFi */
    } else if (arch_is(arch, "grayskull")) {
        /* Grayskull has no current source (docs/device-model-sources.md section 5): the
         * preset's spec-sheet figures, Wormhole's NoC model for the rest. */
        c.clock_ghz = arch->clock_ghz;   /* e150 spec sheet: 1.2 GHz (rank's preset) */
        c.noc_bytes_per_cycle = 32;      /* 32 B links like Wormhole */
        c.noc_link_bytes_per_cycle = 30; /* Wormhole's S10 value, borrowed */
        c.noc_niu_bytes_per_cycle = 28.1;
        c.noc_max_packet_bytes = 8192;
        c.hop_cycles = arch->noc_hop_cycles; /* the preset's 9 (older tt-metal NoC docs) */
        c.issue_cycles = 23;                 /* Wormhole's, borrowed */
        /* e150 spec sheet: 118.4 GB/s over 8 banks (S17: "On Grayskull, there are 8 DRAM
         * banks"), at 1.2 GHz; the chip at its spec */
        c.dram_bank_bytes_per_cycle = 118.4 / 8 / 1.2;
        c.dram_chip_bytes_per_cycle = 118.4 / 1.2;
        c.dram_latency_cycles = 358; /* Wormhole's S5 value, borrowed */
        /* older TTNN perf models: tensix_mul_adds_per_cycle_lofi = ... : 2048 (section 5) */
        c.matmul_flop_per_cycle = 2048;
    } else {
        /* wormhole_b0 (and any other arch: its preset's clock, link width and matrix rate
         * with Wormhole's NoC and DRAM model) */
        bool wh = arch == NULL || arch_is(arch, "wormhole_b0");
        c.clock_ghz = wh ? 1.0 : arch->clock_ghz;                    /* S21: "AI Clock | 1 GHz" */
        c.noc_bytes_per_cycle = wh ? 32 : arch->noc_bytes_per_cycle; /* S18 (WH): 32 B/word */
        c.noc_link_bytes_per_cycle = 30;  /* S10: getLinkBandwidth(...) { return 30; } */
        c.noc_niu_bytes_per_cycle = 28.1; /* S10: {CoreType::WORKER, 28.1} */
        c.noc_max_packet_bytes = 8192;    /* S18, Wormhole column: NOC_MAX_BURST_SIZE 8 KB */
        c.hop_cycles = 10;                /* S10: CYCLES_PER_HOP = 10 */
        /* S16: 256 unicast writes of 64 B take 5,906 cycles: 23 per transaction */
        c.issue_cycles = 23;
        /* S21: "Memory Bandwidth | 288 GB/sec" over 12 banks (S17) at 1 GHz */
        c.dram_bank_bytes_per_cycle = 288.0 / 12 / c.clock_ghz;
        /* S17: "DRAM u-benchmark 267" GB/s at 12 GT/s */
        c.dram_chip_bytes_per_cycle = 267.0 / c.clock_ghz;
        c.dram_latency_cycles = 358; /* S5: dram_bw latency, WormholeIndex: 358 */
        c.matmul_flop_per_cycle = wh ? 4096 : arch->matmul_flop_per_cycle; /* S1, S4 */
    }
    return c;
}

/* S12 interpolateBW: packets of `packet` bytes stream at the table's rate, linear between
 * its points; the first of `packets` packets goes at the table's peak; packets past the
 * table's end at its last entry. */
static double interpolate_bw(const noc_point *t, int n, double packet, double packets) {
    if (packet >= t[n - 1].bytes) return t[n - 1].bw;
    double peak = 0;
    for (int i = 0; i < n; i++) peak = fmax(peak, t[i].bw);
    for (int i = 0; i + 1 < n; i++) {
        if (packet < t[i].bytes || packet > t[i + 1].bytes) continue;
        double pct = (packet - t[i].bytes) / (t[i + 1].bytes - t[i].bytes);
        double steady = t[i].bw + pct * (t[i + 1].bw - t[i].bw);
        double first = 1.0 / packets;
        return first * peak + (1.0 - first) * steady;
    }
    return t[n - 1].bw;
}

/* Bytes per cycle of `count` transactions of `blen` bytes from one core: each split into
 * packets of at most the largest packet, all of them one stream of packets as tt-npe
 * times a transfer (S12), capped by the core's NoC interface (S12
 * updateTransferBandwidth: min(injection_rate, noc_limited_bw)). */
static double stream_bw(const tg_tl_costs *c, const tg_arch *arch, uint64_t blen, int64_t count) {
    int n;
    const noc_point *t = table_of(arch, &n);
    double per = ceil((double)blen / c->noc_max_packet_bytes);
    if (per < 1) per = 1;
    double bw = interpolate_bw(t, n, (double)blen / per, per * (double)(count > 0 ? count : 1));
    return fmin(bw, c->noc_niu_bytes_per_cycle);
}

double tg_tl_noc_efficiency(const tg_tl_costs *c, const tg_arch *arch, uint64_t bytes) {
    if (bytes == 0 || c->noc_bytes_per_cycle <= 0) return 0;
    return stream_bw(c, arch, bytes, 1) / c->noc_bytes_per_cycle;
}

/* S1: ideal cycles = 2*M*K*N / 4096 * fidelity, the shapes those of tiled tensors (whole
 * 32x32 tiles); S4: the engine runs 8x16 x 16x16 per cycle at LoFi, so a 32x32x32 tile
 * product takes 16 cycles. */
double tg_tl_matmul_cycles(const tg_tl_costs *c, int64_t m, int64_t k, int64_t n, int phases) {
    if (m <= 0 || k <= 0 || n <= 0) return 0;
    double tiles = (double)((m + 31) / 32) * (double)((k + 31) / 32) * (double)((n + 31) / 32);
    return tiles * 2.0 * 32 * 32 * 32 * (phases > 1 ? phases : 1) / c->matmul_flop_per_cycle;
}

const char *tg_tl_bound_name(tg_tl_bound b) {
    switch (b) {
    case TG_TL_BOUND_COMPUTE:
        return "compute";
    case TG_TL_BOUND_NOC:
        return "noc";
    case TG_TL_BOUND_DRAM:
        return "dram";
    case TG_TL_BOUND_LATENCY:
        return "latency";
    case TG_TL_BOUND_WAITING:
        return "waiting";
    }
    return "?";
}

/* ---- the engine ---- */

/* A collective's members meet without a cost of their own: no source gives one (the
 * measured NoC latencies already include the semaphore round trips of S16's tests). */
#define BARRIER_CYCLES 0.0

enum { OP_WORK = 0 }; /* a step's op: OP_WORK or a tg_xfer_kind (which start at 1) */
enum { FENCE_BEFORE = 1, FENCE_AFTER = 2 };
enum { R = TG_TL_READER, C = TG_TL_COMPUTE, W = TG_TL_WRITER };

/* A step as the engine keeps it (a tg_tl_step without the L1 offsets it never needs). */
typedef struct tl_step {
    double cycles, ideal; /* WORK */
    const char *what;     /* WORK */
    int64_t first, count; /* XFER */
    uint64_t blen;
    tg_rect rect;
    int32_t peer;
    int32_t blk; /* its block: compute, its own index among the core's compute steps;
                  * reader, the compute step it feeds (the compute steps before it);
                  * writer, the compute step it drains (one less; -1: none) */
    uint8_t op, kernel, set, fence;
    uint8_t win; /* an input of its block that the writer kernel brings in (TTNN's conv
                  * weights: the writer RISC reads and multicasts them) */
} tl_step;

/* One meeting of a set's members: the k-th collective over that set on each of them. */
typedef struct tl_inst {
    int op, root;
    int arr1, arr2;  /* members arrived before and after the bytes move */
    double t1, t2;   /* the latest of those arrivals */
    bool sent;       /* MCAST: the root has sent */
    double s, d, at; /* ... at s for d cycles, landing at `at` */
    double rel;      /* SYNC: when its members leave (after the phase's stretch) */
    tg_tl_bound why; /* SYNC: what stretched the phase */
} tl_inst;

typedef struct tl_insts {
    tl_inst *v;
    int64_t n, cap;
} tl_insts;

typedef struct tl_core {
    tl_step *s;
    int64_t n, cap;
    int64_t *q[TG_TL_KERNELS]; /* each kernel's steps (indices into s), SYNCs in all three */
    int64_t qn[TG_TL_KERNELS], pos[TG_TL_KERNELS];
    double t[TG_TL_KERNELS];       /* where each kernel is */
    double out[TG_TL_KERNELS];     /* when its transfers in flight have landed */
    int64_t nblk;                  /* compute steps */
    double *cend, *rready, *wdone; /* [nblk + 1]: compute end, block data ready, drained */
    int64_t *rlast, *wlast;        /* [nblk + 1]: queue position past a block's last reader
                                    * (writer) step; 0: the block has none */
    double *iready;                /* [nblk + 1]: a block's writer-side inputs landed */
    int64_t *ilast;                /* [nblk + 1]: writer queue position past them; 0: none */
    int64_t cdone;                 /* compute steps done */
    int64_t seq[3];                /* collectives taken per set kind */
    int stage[TG_TL_KERNELS];      /* each kernel's collective in progress (0: none) */
    int set_i[TG_TL_KERNELS];      /* ... its set instance and meeting */
    int64_t inst[TG_TL_KERNELS];
    double ct[TG_TL_KERNELS], cland[TG_TL_KERNELS]; /* ... the kernel's time in it, and when
                                                     * its bytes landed */
    bool at_sync;
    double sync_arr;
    double first; /* its first busy moment */
    bool oom;
    tg_tl_core r;
} tl_core;

typedef struct tl {
    const tg_machine *m;
    const tg_tl_costs *c;
    int depth;
    bool spans;
    tg_grid g;
    int ncores, nbanks;
    tl_core *core;
    tl_insts *sets; /* [1 + h + w]: all cores, each row, each column */
    int *work;      /* a ring of cores to advance */
    bool *queued;
    int whead, wn;
    tg_traffic phase; /* what the current phase moves, as the plan tallies it */
    double phase_start;
    tg_timeline *out;
    tg_status st;
} tl;

/* ---- recording ---- */

static bool grow(void **p, int64_t *cap, int64_t need, size_t size) {
    if (need <= *cap) return true;
    int64_t n = *cap ? *cap * 2 : 64;
    while (n < need) n *= 2;
    void *q = realloc(*p, (size_t)n * size);
    if (!q) return false;
    *p = q;
    *cap = n;
    return true;
}

/* Span labels that are not work: busy[] leaves them out. */
static const char WAIT[] = "wait", LATENCY[] = "latency", MCAST_IN[] = "mcast in",
                  LINK_WAIT[] = "link contention", DRAM_WAIT[] = "dram contention";

/* Kernel k of core ci spends [a, b) on `what`; busy when it works. */
static void note(tl *e, int ci, int k, double a, double b, const char *what, bool busy) {
    if (!(b > a)) return;
    tl_core *c = &e->core[ci];
    if (a < c->first) c->first = a;
    if (busy) c->r.busy[k] += b - a;
    if (!e->spans || e->st != TG_OK) return;
    tg_timeline *o = e->out;
    if (!grow((void **)&o->spans, &o->capspans, o->nspans + 1, sizeof *o->spans)) {
        e->st = tg_err(TG_ERR_RUNTIME, "timeline: out of host memory for %lld spans",
                       (long long)o->nspans + 1);
        return;
    }
    o->spans[o->nspans++] = (tg_tl_span){ci, (tg_tl_kernel)k, a, b, what};
}

static void wait_until(tl *e, int ci, int k, double a, double b) {
    if (b > a) e->core[ci].r.wait_cycles += b - a;
    note(e, ci, k, a, b, WAIT, false);
}

/* ---- collecting the schedule ---- */

typedef struct emit_ctx {
    tl_core *c;
} emit_ctx;

static void emit(void *ectx, const tg_tl_step *s) {
    tl_core *c = ((emit_ctx *)ectx)->c;
    if (c->oom) return;
    if (!grow((void **)&c->s, &c->cap, c->n + 1, sizeof *c->s)) {
        c->oom = true;
        return;
    }
    tl_step *d = &c->s[c->n++];
    memset(d, 0, sizeof *d);
    if (s->kind == TG_TL_WORK) {
        d->op = OP_WORK;
        d->kernel = (uint8_t)s->kernel;
        d->cycles = s->cycles;
        d->ideal = s->ideal;
        d->what = s->what ? s->what : "work";
        return;
    }
    d->op = (uint8_t)s->x.kind;
    d->win = s->writer_input;
    d->set = (uint8_t)s->x.set;
    d->fence =
        (uint8_t)((s->x.fence_before ? FENCE_BEFORE : 0) | (s->x.fence_after ? FENCE_AFTER : 0));
    d->peer = s->x.peer;
    d->rect = s->x.rect;
    d->first = s->x.first;
    d->count = s->x.count;
    d->blen = s->x.blen;
}

/* The kernel a step runs on (SYNC: all three). Multicasts and barriers are the reader's,
 * as TTNN's multicasting conv readers hold the semaphores. */
static int kernel_of(const tl_step *s) {
    if (s->op == OP_WORK) return s->kernel;
    if (s->win) return W;
    switch (s->op) {
    case TG_XF_WRITE:
    case TG_XF_DRAM_WRITE:
    case TG_XF_WRITE_BARRIER:
        return W;
    default:
        return R;
    }
}

/* Splits a core's steps into its kernels' queues and blocks. */
static bool plan_core(tl_core *c) {
    int64_t nblk = 0;
    for (int64_t i = 0; i < c->n; i++)
        if (c->s[i].op != TG_XF_SYNC && kernel_of(&c->s[i]) == C) nblk++;
    c->nblk = nblk;
    size_t nb = (size_t)nblk + 1;
    c->cend = calloc(nb, sizeof *c->cend);
    c->rready = calloc(nb, sizeof *c->rready);
    c->wdone = calloc(nb, sizeof *c->wdone);
    c->rlast = calloc(nb, sizeof *c->rlast);
    c->wlast = calloc(nb, sizeof *c->wlast);
    c->iready = calloc(nb, sizeof *c->iready);
    c->ilast = calloc(nb, sizeof *c->ilast);
    for (int k = 0; k < TG_TL_KERNELS; k++)
        c->q[k] = malloc((size_t)(c->n ? c->n : 1) * sizeof *c->q[k]);
    if (!c->cend || !c->rready || !c->wdone || !c->rlast || !c->wlast || !c->iready || !c->ilast ||
        !c->q[R] || !c->q[C] || !c->q[W])
        return false;
    int64_t b = 0;
    for (int64_t i = 0; i < c->n; i++) {
        tl_step *s = &c->s[i];
        if (s->op == TG_XF_SYNC) {
            for (int k = 0; k < TG_TL_KERNELS; k++) c->q[k][c->qn[k]++] = i;
            continue;
        }
        int k = kernel_of(s);
        s->blk = (int32_t)(k == C ? b++ : k == R || s->win ? b : b - 1);
        c->q[k][c->qn[k]++] = i;
        if (k == R) c->rlast[s->blk] = c->qn[R];
        if (k == W && s->win) c->ilast[s->blk] = c->qn[W];
        if (k == W && !s->win && s->blk >= 0) c->wlast[s->blk] = c->qn[W];
    }
    return true;
}

/* ---- sets and their meetings ---- */

static int set_index(const tl *e, int ci, int set) {
    if (set == TG_SET_ROW) return 1 + tg_core_y(e->g, ci);
    if (set == TG_SET_COL) return 1 + e->g.h + tg_core_x(e->g, ci);
    return 0;
}

static int set_members(const tl *e, int set) {
    return set == TG_SET_ROW ? e->g.w : set == TG_SET_COL ? e->g.h : e->ncores;
}

static void wake(tl *e, int ci) {
    if (e->queued[ci]) return;
    e->queued[ci] = true;
    e->work[(e->whead + e->wn++) % e->ncores] = ci;
}

static void wake_set(tl *e, int ci, int set) {
    if (set == TG_SET_ROW) {
        int y = tg_core_y(e->g, ci);
        for (int x = 0; x < e->g.w; x++) wake(e, tg_core_rank(e->g, x, y));
    } else if (set == TG_SET_COL) {
        int x = tg_core_x(e->g, ci);
        for (int y = 0; y < e->g.h; y++) wake(e, tg_core_rank(e->g, x, y));
    } else {
        for (int i = 0; i < e->ncores; i++) wake(e, i);
    }
}

static const char *op_name(int op) {
    static const char *const names[] = {"work",      "read",       "write",        "mcast",
                                        "dram read", "dram write", "read barrier", "write barrier",
                                        "barrier",   "sync"};
    return op >= 0 && op < (int)(sizeof names / sizeof names[0]) ? names[op] : "?";
}

/* Core ci's next meeting over `set` (taken in order: the k-th collective over a set on
 * every member is the same meeting, as the run's collectives match). NULL on a failure. */
static tl_inst *meet(tl *e, int ci, int kk, const tl_step *s, int set) {
    tl_core *c = &e->core[ci];
    int si = set_index(e, ci, set);
    int64_t k = c->seq[set]++;
    tl_insts *v = &e->sets[si];
    if (k == v->n) {
        if (!grow((void **)&v->v, &v->cap, v->n + 1, sizeof *v->v)) {
            e->st = tg_err(TG_ERR_RUNTIME, "timeline: out of host memory for collectives");
            return NULL;
        }
        memset(&v->v[v->n], 0, sizeof v->v[v->n]);
        v->v[v->n].op = s->op;
        v->v[v->n].root = -1;
        v->n++;
    }
    tl_inst *I = &v->v[k];
    /* a multicast's root: the one a receiver names, or a member naming itself with bytes
     * to send; a member naming itself with none takes part and moves nothing (the
     * schedules' cores outside the op's grid) */
    int root = s->op == TG_XF_MCAST && !(s->peer == ci && s->blen == 0) ? s->peer : -1;
    if (root >= 0 && I->root < 0) I->root = root;
    if (I->op != s->op || (root >= 0 && I->root != root)) {
        e->st = tg_err(TG_ERR_RUNTIME,
                       "timeline: core %d's collective %lld over its set (%s) does not match the "
                       "other members' (%s, root %d against %s, root %d)",
                       ci, (long long)k,
                       set == TG_SET_ALL   ? "all cores"
                       : set == TG_SET_ROW ? "its row"
                                           : "its column",
                       op_name(s->op), s->peer, op_name(I->op), I->root);
        return NULL;
    }
    c->set_i[kk] = si;
    c->inst[kk] = k;
    return I;
}

static tl_inst *cur_inst(tl *e, int ci, int kk) {
    tl_core *c = &e->core[ci];
    return &e->sets[c->set_i[kk]].v[c->inst[kk]];
}

/* ---- transfers ---- */

static bool in_rect(tg_rect r, tg_grid g, int ci) {
    return tg_rect_has(r, tg_core_x(g, ci), tg_core_y(g, ci));
}

/* Hops of a unicast from core a to core b on the NoC the tally picks. */
static int unicast_hops(tg_grid g, int a, int b) {
    int ax = tg_core_x(g, a), ay = tg_core_y(g, a), bx = tg_core_x(g, b), by = tg_core_y(g, b);
    int noc = tg_route_pick_unicast(g, ax, ay, bx, by);
    return tg_route_unicast(g, noc, ax, ay, bx, by, NULL);
}

/* Hops to the farthest core of a multicast's rectangle on the NoC the tally picks: routes
 * run one dimension then the other, so the farthest column and the farthest row add. */
static int mcast_hops(tg_grid g, int root, tg_rect r) {
    int sx = tg_core_x(g, root), sy = tg_core_y(g, root);
    int noc = tg_route_pick_mcast(g, sx, sy, r);
    int hx = 0, hy = 0;
    for (int i = 0; i < r.w; i++) {
        int h = tg_route_unicast(g, noc, sx, sy, (r.x0 + i) % g.w, sy, NULL);
        if (h > hx) hx = h;
    }
    for (int j = 0; j < r.h; j++) {
        int h = tg_route_unicast(g, noc, sx, sy, sx, (r.y0 + j) % g.h, NULL);
        if (h > hy) hy = h;
    }
    return hx + hy;
}

/* The kernel's time on `count` transactions of `blen` bytes (`bank_bytes` at most from
 * one DRAM bank): the first one's issue, then whichever is slower of the stream at the
 * packet-size rate, the busiest bank and issuing the rest back to back (S16's floor).
 * *issue gets the part spent issuing (the issue-bound part counts as latency). */
static double stream_cycles(const tl *e, uint64_t blen, int64_t count, double bank_bytes,
                            double *issue) {
    const tg_tl_costs *c = e->c;
    double bytes = (double)blen * (double)count;
    double bw = bytes / stream_bw(c, e->m->arch, blen, count);
    if (bank_bytes > 0) bw = fmax(bw, bank_bytes / c->dram_bank_bytes_per_cycle);
    double floor = (double)(count - 1) * c->issue_cycles;
    *issue = c->issue_cycles + (floor > bw ? floor : 0);
    return c->issue_cycles + fmax(bw, floor);
}

static void tally(tl *e, int ci, const tl_step *s) {
    tg_xfer x = {.kind = (tg_xfer_kind)s->op,
                 .peer = s->peer,
                 .set = (tg_core_set)s->set,
                 .rect = s->rect,
                 .first = s->first,
                 .count = s->count,
                 .blen = s->blen};
    tg_xfer_tally(&e->phase, ci, &x);
}

/* A unicast or DRAM transfer from t0 on kernel k: the kernel streams it; the bytes land a
 * latency later. Returns when they have landed. */
static double transfer(tl *e, int ci, int k, const tl_step *s, double t0) {
    tl_core *c = &e->core[ci];
    const tg_tl_costs *cc = e->c;
    if (s->count <= 0 || s->blen == 0) {
        c->t[k] = t0;
        return t0;
    }
    bool dram = s->op == TG_XF_DRAM_READ || s->op == TG_XF_DRAM_WRITE;
    double lat, issue, d;
    if (dram) {
        /* consecutive pages go round the banks (tg_dram_bank_pages): the busiest bank holds
         * ceil(count / banks) of them */
        int64_t per_bank = (s->count + e->nbanks - 1) / e->nbanks;
        d = stream_cycles(e, s->blen, s->count, (double)per_bank * (double)s->blen, &issue);
        lat = cc->dram_latency_cycles;
        c->r.dram_cycles += d - issue;
    } else {
        int from = s->op == TG_XF_READ ? s->peer : ci, to = s->op == TG_XF_READ ? ci : s->peer;
        d = stream_cycles(e, s->blen, s->count, 0, &issue);
        lat = unicast_hops(e->g, from, to) * cc->hop_cycles + cc->noc_startup_cycles;
        c->r.noc_cycles += d - issue;
    }
    c->r.latency_cycles += issue;
    note(e, ci, k, t0, t0 + d, op_name(s->op), true);
    tally(e, ci, s);
    c->t[k] = t0 + d;
    double land = c->t[k] + lat;
    if (land > c->out[k]) c->out[k] = land;
    return land;
}

/* A barrier on kernel k: its transfers in flight land. */
static double land_all(tl *e, int ci, int k, double t0) {
    tl_core *c = &e->core[ci];
    double t1 = fmax(t0, c->out[k]);
    c->r.latency_cycles += t1 - t0;
    note(e, ci, k, t0, t1, LATENCY, false);
    c->t[k] = t1;
    return t1;
}

/* The bytes of a multicast move (stage 2): the root sends; a receiver waits for them to
 * land. False while a receiver waits for its root. */
static bool mcast_move(tl *e, int ci, int k, const tl_step *s, tl_inst *I) {
    tl_core *c = &e->core[ci];
    if (s->blen == 0 && I->root != ci) { /* takes part, nothing moves to or from it */
        c->cland[k] = c->ct[k];
        return true;
    }
    bool recv = in_rect(s->rect, e->g, ci);
    if (ci == s->peer) {
        double d = 0, lat = 0, issue = 0;
        if (s->blen) {
            d = stream_cycles(e, s->blen, 1, 0, &issue);
            lat = mcast_hops(e->g, ci, s->rect) * e->c->hop_cycles + e->c->noc_startup_cycles;
            c->r.noc_cycles += d - issue;
            c->r.latency_cycles += issue;
            tally(e, ci, s);
        }
        I->sent = true, I->s = c->ct[k], I->d = d, I->at = c->ct[k] + d + lat;
        note(e, ci, k, c->ct[k], c->ct[k] + d, "mcast", true);
        for (int j = 0; j < s->rect.h; j++)
            for (int i = 0; i < s->rect.w; i++)
                wake(e, tg_core_rank(e->g, (s->rect.x0 + i) % e->g.w, (s->rect.y0 + j) % e->g.h));
        c->ct[k] += d;
        if (I->at > c->out[k]) c->out[k] = I->at;
        c->cland[k] = recv ? I->at : c->ct[k];
        return true;
    }
    if (!recv) {
        c->cland[k] = c->ct[k];
        return true;
    }
    if (!I->sent) return false;
    /* before the root sends: waiting; while the bytes stream: the NoC; then their flight */
    double a = c->ct[k], s_end = I->s + I->d;
    if (a < I->s) wait_until(e, ci, k, a, I->s), a = I->s;
    if (a < s_end) {
        c->r.noc_cycles += s_end - a;
        note(e, ci, k, a, s_end, MCAST_IN, false);
        a = s_end;
    }
    if (a < I->at) {
        c->r.latency_cycles += I->at - a;
        note(e, ci, k, a, I->at, LATENCY, false);
        a = I->at;
    }
    c->ct[k] = a;
    c->cland[k] = a;
    return true;
}

/* A barrier or multicast on kernel k (the reader's, or the writer's for its inputs),
 * from t0. Stages: 1 the set meets (barriers, and multicasts that fence before), 2 the
 * bytes move, 3 the set meets again (fence after). False while waiting for other
 * members; *land: when the step's bytes are in this core. */
static bool collective(tl *e, int ci, int k, const tl_step *s, double t0, double *land) {
    tl_core *c = &e->core[ci];
    int members = set_members(e, s->set);
    tl_inst *I;
    if (c->stage[k] == 0) {
        if (!(I = meet(e, ci, k, s, s->set))) return false;
        c->ct[k] = t0;
        if (s->op == TG_XF_BARRIER || (s->fence & FENCE_BEFORE)) {
            I->t1 = I->arr1 ? fmax(I->t1, t0) : t0;
            if (++I->arr1 == members) wake_set(e, ci, s->set);
            c->stage[k] = 1;
        } else {
            c->stage[k] = 2;
        }
    }
    I = cur_inst(e, ci, k);
    if (c->stage[k] == 1) {
        if (I->arr1 < members) return false;
        double t = I->t1 + BARRIER_CYCLES;
        wait_until(e, ci, k, c->ct[k], t);
        c->ct[k] = t;
        if (s->op == TG_XF_BARRIER) {
            c->t[k] = *land = t;
            c->stage[k] = 0;
            return true;
        }
        c->stage[k] = 2;
    }
    if (c->stage[k] == 2) {
        if (!mcast_move(e, ci, k, s, I)) return false;
        if (!(s->fence & FENCE_AFTER)) {
            c->t[k] = c->ct[k];
            *land = c->cland[k];
            c->stage[k] = 0;
            return true;
        }
        I->t2 = I->arr2 ? fmax(I->t2, c->ct[k]) : c->ct[k];
        if (++I->arr2 == members) wake_set(e, ci, s->set);
        c->stage[k] = 3;
    }
    if (I->arr2 < members) return false;
    /* the root first waits for its own bytes to land (their flight), then for the others */
    if (ci == s->peer && c->ct[k] < I->at) {
        double a = fmin(I->at, I->t2);
        c->r.latency_cycles += a - c->ct[k];
        note(e, ci, k, c->ct[k], a, LATENCY, false);
        c->ct[k] = a;
    }
    wait_until(e, ci, k, c->ct[k], I->t2);
    c->t[k] = I->t2;
    *land = c->cland[k];
    c->stage[k] = 0;
    return true;
}

/* ---- kernels ---- */

/* Takes kernel k of core ci one step further if its dependencies allow: false when it
 * must wait (for another kernel of its core, another core, or its SYNC). */
static bool advance_kernel(tl *e, int ci, int k) {
    tl_core *c = &e->core[ci];
    if (c->pos[k] == c->qn[k] || e->st != TG_OK) return false;
    tl_step *s = &c->s[c->q[k][c->pos[k]]];
    if (s->op == TG_XF_SYNC) return false;
    double t0 = c->t[k];
    if (k == R || s->win) {
        /* the CB slot this block fills is free once compute consumed the block `depth`
         * before it */
        int64_t b = s->blk - e->depth;
        if (b >= 0) {
            if (c->cdone <= b) return false;
            t0 = fmax(t0, c->cend[b]);
        }
    } else if (k == C) {
        /* its block's data is in; the output slot it fills was drained `depth` blocks ago */
        if (c->pos[R] < c->rlast[s->blk]) return false;
        t0 = fmax(t0, c->rready[s->blk]);
        if (c->ilast[s->blk] > 0) { /* and the inputs the writer brings */
            if (c->pos[W] < c->ilast[s->blk]) return false;
            t0 = fmax(t0, c->iready[s->blk]);
        }
        int64_t b = s->blk - e->depth;
        if (b >= 0 && c->wlast[b] > 0) {
            if (c->pos[W] < c->wlast[b]) return false;
            t0 = fmax(t0, c->wdone[b]);
        }
    } else if (!s->win && s->blk >= 0) {
        if (c->cdone <= s->blk) return false;
        t0 = fmax(t0, c->cend[s->blk]);
    }
    double land = t0;
    switch (s->op) {
    case OP_WORK:
        note(e, ci, k, t0, t0 + s->cycles, s->what, true);
        c->r.ideal_cycles += s->ideal;
        c->t[k] = land = t0 + s->cycles;
        break;
    case TG_XF_READ:
    case TG_XF_WRITE:
    case TG_XF_DRAM_READ:
    case TG_XF_DRAM_WRITE:
        land = transfer(e, ci, k, s, t0);
        break;
    case TG_XF_READ_BARRIER:
    case TG_XF_WRITE_BARRIER:
        land = land_all(e, ci, k, t0);
        break;
    case TG_XF_BARRIER:
    case TG_XF_MCAST:
        if (!collective(e, ci, k, s, t0, &land)) return false;
        break;
    default:
        break;
    }
    c->pos[k]++;
    if (k == R && land > c->rready[s->blk]) c->rready[s->blk] = land;
    if (s->win && land > c->iready[s->blk]) c->iready[s->blk] = land;
    if (k == C) c->cend[c->cdone++] = c->t[C];
    if (k == W && !s->win && s->blk >= 0 && c->pos[W] == c->wlast[s->blk])
        c->wdone[s->blk] = c->t[W];
    return true;
}

/* The bound of the phase that ends now: its busiest link, bank and the chip. */
static double phase_bound(const tl *e, tg_tl_bound *why) {
    const tg_tl_costs *c = e->c;
    uint64_t link = 0, bank = 0, chip = 0;
    for (int i = 0; i < e->ncores * TG_LINK_DIRS; i++)
        if (e->phase.links[i] > link) link = e->phase.links[i];
    for (int b = 0; b < e->nbanks; b++) {
        chip += e->phase.banks[b];
        if (e->phase.banks[b] > bank) bank = e->phase.banks[b];
    }
    double tn = (double)link / c->noc_link_bytes_per_cycle;
    double td = fmax((double)bank / c->dram_bank_bytes_per_cycle,
                     (double)chip / c->dram_chip_bytes_per_cycle);
    *why = td > tn ? TG_TL_BOUND_DRAM : TG_TL_BOUND_NOC;
    return fmax(tn, td);
}

/* Every core has met at a SYNC at t1: the phase since the last one ends, no earlier than
 * its busiest resource allows (everything after it shifts). */
static void end_phase(tl *e, tl_inst *I) {
    double b = phase_bound(e, &I->why);
    I->rel = fmax(I->t1, e->phase_start + b);
    e->phase_start = I->rel;
    tg_traffic_clear(&e->phase);
}

/* Core ci at a SYNC: all three kernels drain into it, its transfers land, every core
 * meets. A trailing SYNC ends the core: waiting there is not its cost. */
static bool advance_sync(tl *e, int ci) {
    tl_core *c = &e->core[ci];
    int64_t i = -1;
    for (int k = 0; k < TG_TL_KERNELS; k++) {
        if (c->pos[k] == c->qn[k]) return false;
        int64_t j = c->q[k][c->pos[k]];
        if (c->s[j].op != TG_XF_SYNC || (i >= 0 && j != i)) return false;
        i = j;
    }
    if (e->st != TG_OK) return false;
    if (!c->at_sync) {
        double a = fmax(c->t[C], land_all(e, ci, R, c->t[R]));
        a = fmax(a, land_all(e, ci, W, c->t[W]));
        tl_inst *I = meet(e, ci, R, &c->s[i], TG_SET_ALL);
        if (!I) return false;
        I->t1 = I->arr1 ? fmax(I->t1, a) : a;
        c->at_sync = true;
        c->sync_arr = a;
        if (++I->arr1 == e->ncores) {
            end_phase(e, I);
            wake_set(e, ci, TG_SET_ALL);
        }
    }
    tl_inst *I = cur_inst(e, ci, R);
    if (I->arr1 < e->ncores) return false;
    bool trailing = i == c->n - 1;
    double a = c->sync_arr, stretch = I->rel - I->t1;
    const char *why = I->why == TG_TL_BOUND_DRAM ? DRAM_WAIT : LINK_WAIT;
    if (stretch > 0)
        *(I->why == TG_TL_BOUND_DRAM ? &c->r.dram_cycles : &c->r.noc_cycles) += stretch;
    if (!trailing && I->t1 > a) c->r.wait_cycles += I->t1 - a;
    for (int k = 0; k < TG_TL_KERNELS; k++) {
        if (!trailing) note(e, ci, k, a, I->t1, WAIT, false);
        note(e, ci, k, I->t1, I->rel, why, false);
        c->t[k] = I->rel;
        c->pos[k]++;
    }
    if (trailing) c->r.end = a;
    c->at_sync = false;
    return true;
}

static void advance_core(tl *e, int ci) {
    bool any = true;
    while (any && e->st == TG_OK) {
        any = false;
        for (int k = 0; k < TG_TL_KERNELS; k++)
            while (advance_kernel(e, ci, k)) any = true;
        if (advance_sync(e, ci)) any = true;
    }
}

/* ---- results ---- */

static tg_tl_bound bound_of(const tg_tl_core *r) {
    double v[] = {r->busy[C], r->noc_cycles, r->dram_cycles, r->latency_cycles, r->wait_cycles};
    int best = 0;
    for (int i = 1; i < 5; i++)
        if (v[i] > v[best]) best = i;
    return (tg_tl_bound)best;
}

static int span_cmp(const void *pa, const void *pb) {
    const tg_tl_span *a = pa, *b = pb;
    if (a->core != b->core) return a->core < b->core ? -1 : 1;
    if (a->kernel != b->kernel) return a->kernel < b->kernel ? -1 : 1;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    return (a->end > b->end) - (a->end < b->end);
}

/* After the simulation: the open phase's bound, each core's figures, the op's. */
static void finish(tl *e) {
    tg_timeline *o = e->out;
    double end = e->phase_start;
    for (int i = 0; i < e->ncores; i++) {
        tl_core *c = &e->core[i];
        double t = 0;
        for (int k = 0; k < TG_TL_KERNELS; k++) t = fmax(t, fmax(c->t[k], c->out[k]));
        bool trailing = c->n > 0 && c->s[c->n - 1].op == TG_XF_SYNC;
        if (!trailing) c->r.end = t;
        end = fmax(end, t);
    }
    /* steps after the last SYNC: their phase ends with the op */
    tg_tl_bound why;
    double stretch = e->phase_start + phase_bound(e, &why) - end;
    if (stretch > 0) {
        for (int i = 0; i < e->ncores; i++)
            *(why == TG_TL_BOUND_DRAM ? &e->core[i].r.dram_cycles : &e->core[i].r.noc_cycles) +=
                stretch;
        end += stretch;
    }
    int last = 0;
    double ideal = 0;
    for (int i = 0; i < e->ncores; i++) {
        tl_core *c = &e->core[i];
        c->r.start = c->first < c->r.end ? c->first : c->r.end;
        c->r.bound = bound_of(&c->r);
        o->core[i] = c->r;
        ideal += c->r.ideal_cycles;
        if (c->r.end > o->core[last].end) last = i;
    }
    o->cycles = e->c->launch_cycles + end;
    /* TTNN's ideal is the op's matrix work over every core of the device (S1) */
    o->ideal_cycles = ideal / e->ncores;
    o->bound = o->core[last].bound;
    if (o->nspans > 1) qsort(o->spans, (size_t)o->nspans, sizeof *o->spans, span_cmp);
}

static void tl_free(tl *e) {
    if (e->core)
        for (int i = 0; i < e->ncores; i++) {
            tl_core *c = &e->core[i];
            free(c->s), free(c->cend), free(c->rready), free(c->wdone), free(c->rlast);
            free(c->wlast), free(c->iready), free(c->ilast);
            for (int k = 0; k < TG_TL_KERNELS; k++) free(c->q[k]);
        }
    if (e->sets)
        for (int i = 0; i < 1 + e->g.h + e->g.w; i++) free(e->sets[i].v);
    free(e->core), free(e->sets), free(e->work), free(e->queued);
    tg_traffic_destroy(&e->phase);
}

tg_status tg_timeline_model(const tg_machine *m, const tg_tl_costs *c, int depth, bool spans,
                            tg_tl_gen_fn gen, void *ctx, tg_timeline *out) {
    memset(out, 0, sizeof *out);
    if (depth < 1) return tg_err(TG_ERR_USAGE, "timeline: circular buffers of %d slots", depth);
    tl e = {.m = m, .c = c, .depth = depth, .spans = spans, .g = m->grid, .out = out};
    e.ncores = tg_machine_cores(m);
    e.nbanks = m->arch->dram_banks;
    out->ncores = e.ncores;
    out->core = calloc((size_t)e.ncores, sizeof *out->core);
    e.core = calloc((size_t)e.ncores, sizeof *e.core);
    e.sets = calloc((size_t)(1 + e.g.h + e.g.w), sizeof *e.sets);
    e.work = malloc((size_t)e.ncores * sizeof *e.work);
    e.queued = calloc((size_t)e.ncores, sizeof *e.queued);
    tg_status st = TG_OK;
    if (!out->core || !e.core || !e.sets || !e.work || !e.queued) {
        st = tg_err(TG_ERR_RUNTIME, "timeline: out of host memory for %d cores", e.ncores);
        goto done;
    }
    TG_TRY(st, tg_traffic_init(&e.phase, m), done);
    for (int i = 0; i < e.ncores; i++) {
        tl_core *k = &e.core[i];
        k->first = INFINITY;
        emit_ctx ec = {k};
        gen(ctx, i, emit, &ec);
        if (k->oom || !plan_core(k)) {
            st = tg_err(TG_ERR_RUNTIME, "timeline: out of host memory for core %d's %lld steps", i,
                        (long long)k->n);
            goto done;
        }
    }
    for (int i = 0; i < e.ncores; i++) wake(&e, i);
    while (e.wn > 0 && e.st == TG_OK) {
        int ci = e.work[e.whead];
        e.whead = (e.whead + 1) % e.ncores, e.wn--;
        e.queued[ci] = false;
        advance_core(&e, ci);
    }
    TG_TRY(st, e.st, done);
    for (int i = 0; i < e.ncores; i++) {
        tl_core *k = &e.core[i];
        for (int q = 0; q < TG_TL_KERNELS; q++)
            if (k->pos[q] < k->qn[q]) {
                int64_t j = k->q[q][k->pos[q]];
                st = tg_err(TG_ERR_RUNTIME,
                            "timeline: core %d waits forever at its step %lld (%s): the "
                            "schedule's collectives do not match across cores",
                            i, (long long)j, op_name(k->s[j].op));
                goto done;
            }
    }
    finish(&e);
    st = e.st;
done:
    tl_free(&e);
    if (st != TG_OK) tg_timeline_free(out);
    return st;
}

void tg_timeline_free(tg_timeline *t) {
    free(t->core);
    free(t->spans);
    memset(t, 0, sizeof *t);
}
