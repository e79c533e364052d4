/* libFuzzer target: the sliding-window planner, the halo plan and the conv2d and
 * maxpool2d planners (issue 12, "What to build" 7).
 *
 * The input's bytes are the parameters of one op, as the command line would accept
 * them (kernel, stride and dilation up to 2^20, input sizes up to 2^30, any padding the
 * options take), on a small machine (1x1 to 4x4 cores, 64 KiB to 1.5 MB of L1, 1 MiB
 * of DRAM per bank). They go the commands' way: tg_window_make, then tg_window_fits,
 * and only then the planners (halo plan of a height-sharded input, conv2d or maxpool2d
 * planned standalone), whose results are checked for a few invariants. Pure: no MPI. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d.h"
#include "halo.h"
#include "maxpool2d.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    tg_core_opts o = {.arch = "wormhole_b0", .grid = {2, 2}, .dram_bank_size = 1 << 20};
    if (tg_core_init(&o, 0, 4, false) != TG_OK) abort();
    return 0;
}

typedef struct reader {
    const uint8_t *d;
    size_t n, at;
} reader;

static uint32_t take(reader *r, int bytes) {
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | (r->at < r->n ? r->d[r->at++] : 0);
    return v;
}

/* A value in [lo, hi]: mostly small (lo .. lo + 15), sometimes anywhere. */
static int64_t pick(reader *r, int64_t lo, int64_t hi) {
    uint32_t sel = take(r, 1);
    uint64_t span = (uint64_t)(hi - lo) + 1;
    if (sel < 224) return lo + (int64_t)(sel % (span < 16 ? span : 16));
    return lo + (int64_t)(take(r, 4) % span);
}

static void check(tg_status st) {
    if (st != TG_OK && !*tg_err_msg()) abort(); /* a failure always says why */
    tg_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    /* L1 sizes above the unreserved base (102,784 B on Wormhole), with or without L1_SMALL */
    static const size_t l1s[] = {160 << 10, 256 << 10, 1 << 20, 1499136};
    tg_machine m = tg_machine_of(tg_arch_find("wormhole_b0"),
                                 (tg_grid){(int)pick(&r, 1, 4), (int)pick(&r, 1, 4)});
    size_t l1 = l1s[take(&r, 1) % 4], dram = (size_t)m.arch->dram_banks << 20;
    m.l1_size = l1;
    m.l1_small = take(&r, 1) & 1 ? 32768 : 0;
    bool pool = take(&r, 1) & 1;
    int64_t n = pick(&r, 1, 1 << 30), h = pick(&r, 1, 1 << 30), w = pick(&r, 1, 1 << 30);
    int64_t c = pick(&r, 1, 1 << 30), cout = pick(&r, 1, 1 << 30);
    int kh = (int)pick(&r, 1, 1 << 20), kw = (int)pick(&r, 1, 1 << 20);
    int sh = (int)pick(&r, 0, 1 << 20), sw = (int)pick(&r, 0, 1 << 20);
    int dh = (int)pick(&r, 1, 1 << 20), dw = (int)pick(&r, 1, 1 << 20);
    int pt = (int)pick(&r, -2, 1 << 20), pb = (int)pick(&r, 0, 1 << 20);
    int pl = (int)pick(&r, 0, 1 << 20), pr = (int)pick(&r, 0, 1 << 20);
    uint32_t flags = take(&r, 2);
    bool ceil_mode = pool && (flags & 1);
    tg_fmt fmt = (tg_fmt)((flags >> 1) % 3);

    tg_window win;
    tg_status st = tg_window_make(n, h, w, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, ceil_mode, &win);
    check(st);
    if (st != TG_OK) return 0;
    if (win.out_h < 1 || win.out_w < 1 || win.hp < h || win.wp < w) abort();
    st =
        tg_window_fits(&win, pool ? "maxpool2d" : "conv2d", c, fmt, pool ? c : cout, fmt, l1, dram);
    check(st);
    if (st != TG_OK) return 0;

    /* the halo of a height-sharded input over the machine: every part's padded range
     * lies in the padded input and its outputs in the output */
    tg_shard_spec spec;
    if (tg_shard_spec_make(TG_SHARD_HEIGHT, n * h * w, c, m.grid, false, flags & 8, &spec) ==
        TG_OK) {
        tg_halo_plan hp;
        st = tg_halo_plan_make(&win, &spec, fmt, tg_split_out(&spec, tg_window_out_rows(&win)),
                               0.0f, (tg_halo_mode)((flags >> 4) & 1), &hp);
        check(st);
        if (st == TG_OK) {
            for (int q = 0; q < hp.in.parts; q++) {
                tg_window_bounds b = hp.parts[q].bounds;
                if (b.o0 < b.o1 && (b.a < 0 || b.b > tg_window_padded_rows(&win) ||
                                    b.o1 > tg_window_out_rows(&win) || b.b - b.a > hp.cap))
                    abort();
            }
            tg_halo_plan_free(&hp);
        }
    } else {
        tg_err_clear();
    }

    if (pool) {
        tg_maxpool2d_params p = {.n = n,
                                 .h = h,
                                 .w = w,
                                 .c = c,
                                 .kh = kh,
                                 .kw = kw,
                                 .sh = sh,
                                 .sw = sw,
                                 .dh = dh,
                                 .dw = dw,
                                 .pad_t = pt,
                                 .pad_b = pb,
                                 .pad_l = pl,
                                 .pad_r = pr,
                                 .ceil_mode = ceil_mode,
                                 .layout = (tg_shard_layout)((flags >> 5) % 3),
                                 .snap = flags & 8,
                                 .fmt = fmt,
                                 .dram = (flags >> 7) & 1};
        tg_maxpool2d_plan pl_;
        check(tg_maxpool2d_plan_standalone(&p, &m, &pl_));
        tg_maxpool2d_plan_free(&pl_);
    } else {
        tg_conv2d_params p;
        tg_conv2d_params_default(&p);
        p.n = n, p.h = h, p.w = w, p.cin = c, p.cout = cout;
        p.kh = kh, p.kw = kw, p.sh = sh, p.sw = sw, p.dh = dh, p.dw = dw;
        p.pad_t = pt, p.pad_b = pb, p.pad_l = pl, p.pad_r = pr;
        p.groups = (int)pick(&r, 1, 8);
        p.layout = (tg_conv_layout)((flags >> 5) % 5);
        p.in_fmt = p.w_fmt = p.out_fmt = fmt;
        p.fp32_acc = (flags >> 8) & 1;
        p.act_block_h = (flags >> 9) & 1 ? 32 * (int)pick(&r, 1, 8) : 0;
        p.transpose_shards = (flags >> 10) & 1;
        p.snap = flags & 8;
        tg_conv2d_plan pl_;
        memset(&pl_, 0, sizeof pl_);
        check(tg_conv2d_plan_standalone(&p, &m, &pl_, NULL));
        tg_conv2d_plan_free(&pl_);
    }
    return 0;
}
