/* ttgrid plan conv2d|maxpool2d: the dry run. Plans the op for the grid (planning is
 * pure, so rank 0 plans every core itself) and prints the plan: its decisions, the L1
 * map, each core's part (output and padded-input ranges, halo, traffic), as text, as
 * CSV (one row per core) or as JSON (the whole plan, plan_json.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "maxpool2d.h"
#include "opargs.h"
#include "plan_json.h"
#include "resnet_args.h"
#include "plan_l1.h"

/* What the per-core table needs from either plan. */
typedef struct plan_view {
    const tg_window *win;
    const tg_machine *m;
    const tg_halo_plan *halo;    /* NULL: no halo (matmul path, DRAM) */
    const tg_conv2d_role *roles; /* conv2d: output rows per core */
    tg_split dram_out;           /* maxpool2d DRAM: output rows per core */
    tg_grid cores;
    bool dram, matmul_path;
    int64_t in_rows, cin_p;
    tg_fmt fmt;
    size_t halo_l1;
    const tg_traffic *traffic;
    size_t l1_peak, l1_size;
} plan_view;

/* Core r's outputs, its padded-input range and its halo summarised. */
static void core_part(const plan_view *v, int r, tg_window_bounds *b, tg_halo_counts *hc) {
    memset(b, 0, sizeof *b);
    memset(hc, 0, sizeof *hc);
    if (v->halo) {
        int rp = tg_halo_core_part(v->halo, v->m, r, NULL);
        if (rp < 0) return;
        *b = v->halo->parts[rp].bounds;
        *hc = v->halo->parts[rp].counts;
        if (v->roles && v->roles[r].o_begin >= v->roles[r].o_end) b->o0 = b->o1;
        return;
    }
    int x = tg_core_x(v->m->grid, r), y = tg_core_y(v->m->grid, r);
    if (x >= v->cores.w || y >= v->cores.h) return;
    if (v->roles) {
        b->o0 = v->roles[r].o_begin, b->o1 = v->roles[r].o_end;
    } else {
        int q = y * v->cores.w + x;
        b->o0 = tg_split_start(v->dram_out, q), b->o1 = tg_split_end(v->dram_out, q);
    }
    if (b->o0 >= b->o1) return;
    if (v->matmul_path) {
        b->a = b->o0, b->b = b->o1;
        return;
    }
    /* DRAM: every stick its windows touch comes from DRAM (no core holds it) */
    b->a = tg_window_top_left(v->win, b->o0);
    b->b = tg_window_bottom_right(v->win, b->o1 - 1) + 1;
    tg_split all = {1, v->in_rows, v->in_rows};
    int64_t cap = tg_window_runs_bound(v->win, all, b->a, b->b);
    tg_stick_run *runs = malloc((size_t)cap * sizeof *runs);
    if (!runs) return;
    int64_t n = tg_window_runs(v->win, all, b->a, b->b, runs);
    *hc = tg_halo_count(runs, n, -1);
    free(runs);
}

static void print_cores(const tg_cli *g, const plan_view *v, bool csv) {
    if (csv)
        tg_cli_out(g, "core,x,y,out_start,out_end,in_start,in_end,pad_sticks,local_sticks,"
                      "remote_sticks,remote_bytes,remote_runs,source_cores,halo_l1_bytes,l1_bytes,"
                      "l1_limit,noc_read_bytes,noc_write_bytes,noc_mcast_bytes,noc_transactions,"
                      "hops,dram_read_bytes,dram_write_bytes\n");
    else
        tg_cli_out(g, "%5s %7s %15s %15s %6s %6s %6s %10s %5s %10s %10s %10s %10s %10s\n", "core",
                   "(x,y)", "out", "in (padded)", "pad", "local", "remote", "remote B", "from",
                   "halo L1 B", "NoC rd B", "NoC wr B", "mcast B", "DRAM B");
    size_t rb = tg_fmt_row_bytes(v->fmt, v->cin_p);
    for (int r = 0; r < tg_machine_cores(v->m); r++) {
        int x = tg_core_x(v->m->grid, r), y = tg_core_y(v->m->grid, r);
        tg_window_bounds b;
        tg_halo_counts hc;
        core_part(v, r, &b, &hc);
        bool empty = b.o0 >= b.o1;
        long long os = empty ? -1 : b.o0, oe = empty ? -1 : b.o1 - 1;
        long long is = empty ? -1 : b.a, ie = empty ? -1 : b.b - 1;
        size_t row = v->halo ? v->halo->row_bytes : rb;
        long long rbytes = (long long)(hc.remote * (int64_t)row);
        const tg_counters *k = &v->traffic->core[r];
        if (csv) {
            tg_cli_out(g, "%d,%d,%d,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%d,%zu,%zu,%zu,",
                       r, x, y, os, oe, is, ie, (long long)hc.pad, (long long)hc.local,
                       (long long)hc.remote, rbytes, (long long)hc.remote_runs, hc.sources,
                       v->halo_l1, v->l1_peak, v->l1_size);
            tg_cli_out(
                g, "%llu,%llu,%llu,%llu,%llu,%llu,%llu\n", (unsigned long long)k->noc_read_bytes,
                (unsigned long long)k->noc_write_bytes, (unsigned long long)k->noc_mcast_bytes,
                (unsigned long long)k->noc_transactions, (unsigned long long)k->hops,
                (unsigned long long)k->dram_read_bytes, (unsigned long long)k->dram_write_bytes);
            continue;
        }
        char out[48] = "-", in[48] = "-", xy[32];
        if (!empty) {
            snprintf(out, sizeof out, "%lld..%lld", os, oe);
            snprintf(in, sizeof in, "%lld..%lld", is, ie);
        }
        snprintf(xy, sizeof xy, "(%d,%d)", x, y);
        tg_cli_out(
            g, "%5d %7s %15s %15s %6lld %6lld %6lld %10lld %5d %10zu %10llu %10llu %10llu %10llu\n",
            r, xy, out, in, (long long)hc.pad, (long long)hc.local, (long long)hc.remote, rbytes,
            hc.sources, v->halo_l1, (unsigned long long)k->noc_read_bytes,
            (unsigned long long)k->noc_write_bytes, (unsigned long long)k->noc_mcast_bytes,
            (unsigned long long)(k->dram_read_bytes + k->dram_write_bytes));
    }
}

/* The L1 map as TTNN names it (plan_l1.h): one line per L1 buffer, L1_SMALL buffer and
 * circular buffer with its bytes, address range and program; then whether the op fits
 * on the machine's grid (the plan's status `st`), with the allocator's words when not. */
static tg_status print_l1(const tg_cli *g, const tg_l1_map *m, const tg_machine *mc, tg_status st) {
    tg_cli_l1 v;
    TG_CHECK(tg_cli_l1_make(m, mc->arch->l1_align, &v));
    tg_cli_out(g,
               "L1 per core: %zu B; circular buffers from %zu up (each at a multiple of %zu B), "
               "L1 buffers top-down in [%zu, %zu), L1_SMALL [%zu, %zu). In the run's order:\n",
               m->size, m->lo, mc->arch->dram_align, m->lo, m->hi, m->hi, m->size);
    for (int i = 0; i < v.n; i++) {
        const tg_cli_buf *b = &v.buf[i];
        char range[64] = "not placed";
        if (b->placed) snprintf(range, sizeof range, "%zu..%zu", b->address, b->address + b->bytes);
        if (b->program)
            tg_cli_out(g, "  %-9s %-36s %9zu B  %-17s  %s\n", tg_cli_buf_kind_name(b->kind),
                       b->name, b->bytes, range, b->program);
        else
            tg_cli_out(g, "  %-9s %-36s %9zu B  %s\n", tg_cli_buf_kind_name(b->kind), b->name,
                       b->bytes, range);
    }
    if (v.has_cb_end) {
        tg_cli_out(g, "circular buffers of program %s: %zu B, ending at %zu", v.program,
                   v.cb_end - m->lo, v.cb_end);
        if (v.has_lowest && v.any_buffer) tg_cli_out(g, "; lowest L1 buffer at %zu", v.lowest);
        tg_cli_out(g, "\n");
    }
    if (st == TG_OK)
        tg_cli_out(g, "fits on %dx%d cores: yes (L1 peak %zu B of %zu B)\n", mc->grid.w, mc->grid.h,
                   m->high_water, m->size);
    else
        tg_cli_out(g, "does not fit: %s\n", tg_l1_map_fits(m) ? tg_err_msg() : m->why);
    tg_cli_l1_free(&v);
    return TG_OK;
}

static void print_budget(const tg_cli *g, const tg_l1_item *items, int n, size_t total,
                         size_t limit) {
    tg_cli_out(g, "L1 budget by the paper's rule:");
    for (int i = 0; i < n; i++) tg_cli_out(g, " %s %zu B;", items[i].name, items[i].bytes);
    tg_cli_out(g, " peak %zu B of %zu B (%s)\n", total, limit,
               total <= limit ? "fits" : "DOES NOT FIT");
}

/* The device's modelled time: the op's, and each kernel's busy cycles of the core that
 * ends last, with its bound. */
static void print_time(const tg_cli *g, const tg_timeline *t, const tg_machine *m) {
    double ghz = tg_tl_costs_of(m->arch).clock_ghz;
    int last = 0;
    for (int c = 1; c < t->ncores; c++)
        if (t->core[c].end > t->core[last].end) last = c;
    const tg_tl_core *k = t->ncores ? &t->core[last] : NULL;
    tg_cli_out(g,
               "modelled device time %.0f cycles = %.2f us (%s bound; TTNN's ideal compute %.0f "
               "cycles, %.0f %%)\n",
               t->cycles, t->cycles / ghz / 1e3, tg_tl_bound_name(t->bound), t->ideal_cycles,
               t->cycles > 0 ? 100.0 * t->ideal_cycles / t->cycles : 0.0);
    if (k)
        tg_cli_out(g,
                   "  slowest core %d: reader %.0f, compute %.0f, writer %.0f busy; NoC %.0f, "
                   "DRAM %.0f, latency %.0f, waiting %.0f cycles (%s)\n",
                   last, k->busy[0], k->busy[1], k->busy[2], k->noc_cycles, k->dram_cycles,
                   k->latency_cycles, k->wait_cycles, tg_tl_bound_name(k->bound));
}

static void print_explain(const tg_cli *g, const tg_explain *why) {
    tg_cli_out(g, "candidates, in order:\n");
    for (int i = 0; i < why->n; i++)
        tg_cli_out(g, "  %s %-40s %s\n", why->c[i].chosen ? "*" : " ", why->c[i].what,
                   why->c[i].why);
}

static tg_status plan_conv(const tg_cli *g, tg_opargs *o) {
    tg_machine m = tg_cli_machine(g);
    tg_conv2d_params p = o->conv;
    p.n = o->shape[0], p.h = o->shape[1], p.w = o->shape[2], p.cin = o->shape[3];
    if (p.cout <= 0) p.cout = p.cin; /* --out-channels defaults to the input's */
    TG_CHECK(tg_opargs_check_conv(&p));
    tg_conv2d_plan pl;
    tg_explain why = {0};
    tg_status st = tg_conv2d_plan_standalone(&p, &m, &pl, &why);
    if (st == TG_ERR_USAGE || (st != TG_OK && pl.l1.n == 0)) {
        tg_conv2d_plan_free(&pl);
        return st;
    }
    if (o->format == OPT_FORMAT_JSON) {
        tg_status js = tg_cli_json_conv2d(g, &pl, &why, st);
        tg_conv2d_plan_free(&pl);
        return st != TG_OK ? st : js;
    }
    if (o->format == OPT_FORMAT_TEXT) {
        tg_cli_out(g,
                   "conv2d [%lld, %lld, %lld, %lld] -> [%lld, %lld, %lld, %lld], kernel %dx%d, "
                   "stride %dx%d, padding %d,%d,%d,%d, dilation %dx%d, groups %d\n",
                   (long long)p.n, (long long)p.h, (long long)p.w, (long long)p.cin, (long long)p.n,
                   (long long)pl.win.out_h, (long long)pl.win.out_w, (long long)p.cout, p.kh, p.kw,
                   p.sh, p.sw, p.pad_t, p.pad_b, p.pad_l, p.pad_r, p.dh, p.dw, p.groups);
        tg_cli_out(g,
                   "layout %s%s on %dx%d cores (%d row parts x %d channel parts)%s; %s in, %s "
                   "weights, %s out, %s%s\n",
                   tg_conv_layout_name(pl.p.layout), p.layout == TG_CONV_AUTO ? " (auto)" : "",
                   pl.cores.w, pl.cores.h, pl.row_parts, pl.col_parts,
                   pl.matmul_path ? ", matmul path" : "", tg_fmt_name(p.in_fmt),
                   tg_fmt_name(p.w_fmt), tg_fmt_name(p.out_fmt), tg_fidelity_name(p.fidelity),
                   pl.p.fp32_acc > 0 ? ", fp32 accumulation" : "");
        tg_cli_out(g,
                   "shards: input %lld x %lld, output %lld x %lld; weights [%lld, %lld] (K x "
                   "Cout, padded)\n",
                   (long long)pl.in_split.shard, (long long)pl.cin_slice,
                   (long long)pl.out_split.shard, (long long)pl.cout_slice, (long long)pl.k_rows,
                   (long long)pl.cout_p);
        tg_cli_out(g,
                   "blocks: act_block_h %lld, act_block_w %lld (%lld K blocks per turn, %d "
                   "turns), weights block %lld x %lld%s (%lld across), out sub-block %dx%d "
                   "tiles\n",
                   (long long)pl.act_block_h, (long long)pl.act_block_w,
                   (long long)pl.kblocks_per_turn, pl.col_parts,
                   (long long)(pl.weights_resident ? pl.k_rows : pl.act_block_w),
                   (long long)pl.weights_block_w, pl.weights_resident ? " resident" : " streamed",
                   (long long)pl.nblocks_w, pl.sub_h, pl.sub_w);
        if (o->explain) print_explain(g, &why);
        print_budget(g, pl.items, pl.nitems, pl.l1_total, pl.l1_limit);
    }
    if (pl.materialised) {
        plan_view v = {.win = &pl.win,
                       .m = &pl.m,
                       .halo = pl.halo.parts ? &pl.halo : NULL,
                       .roles = pl.roles,
                       .cores = pl.cores,
                       .dram = pl.p.layout == TG_CONV_DRAM,
                       .matmul_path = pl.matmul_path,
                       .in_rows = pl.in_split.rows,
                       .cin_p = pl.cin_p,
                       .fmt = p.in_fmt,
                       .halo_l1 = pl.halo.parts ? tg_halo_bytes(&pl.halo) : 0,
                       .traffic = &pl.traffic,
                       .l1_peak = pl.l1.high_water,
                       .l1_size = pl.l1.size};
        print_cores(g, &v, o->format == OPT_FORMAT_CSV);
        if (o->format == OPT_FORMAT_TEXT) print_time(g, &pl.time, &pl.m);
    }
    tg_status ps = o->format == OPT_FORMAT_TEXT ? print_l1(g, &pl.l1, &pl.m, st) : TG_OK;
    tg_conv2d_plan_free(&pl);
    return st != TG_OK ? st : ps; /* a plan that does not fit is printed, then reported */
}

static tg_status plan_pool(const tg_cli *g, tg_opargs *o) {
    tg_machine m = tg_cli_machine(g);
    tg_maxpool2d_params p = tg_opargs_pool(o, o->shape);
    TG_CHECK(tg_opargs_check_pool(&p));
    tg_maxpool2d_plan pl;
    tg_status st = tg_maxpool2d_plan_standalone(&p, &m, &pl);
    if (st == TG_ERR_USAGE || (st != TG_OK && pl.l1.n == 0)) {
        tg_maxpool2d_plan_free(&pl);
        return st;
    }
    if (o->format == OPT_FORMAT_JSON) {
        tg_status js = tg_cli_json_maxpool2d(g, &pl, st);
        tg_maxpool2d_plan_free(&pl);
        return st != TG_OK ? st : js;
    }
    if (o->format == OPT_FORMAT_TEXT) {
        tg_cli_out(g,
                   "maxpool2d [%lld, %lld, %lld, %lld] -> [%lld, %lld, %lld, %lld], kernel "
                   "%dx%d, stride %dx%d, padding %d,%d,%d,%d, dilation %dx%d%s\n",
                   (long long)p.n, (long long)p.h, (long long)p.w, (long long)p.c, (long long)p.n,
                   (long long)pl.win.out_h, (long long)pl.win.out_w, (long long)p.c, p.kh, p.kw,
                   p.sh, p.sw, p.pad_t, p.pad_b, p.pad_l, p.pad_r, p.dh, p.dw,
                   p.ceil_mode ? ", ceil mode" : "");
        tg_cli_out(g,
                   "layout %s on %dx%d cores, %s; shards: input %lld x %lld, output %lld x "
                   "%lld; haloed shard %lld sticks\n",
                   p.dram ? "none (DRAM)" : tg_shard_name(p.layout), pl.cores.w, pl.cores.h,
                   tg_fmt_name(p.fmt), (long long)pl.in_split.shard, (long long)pl.c_slice,
                   (long long)pl.out_split.shard, (long long)pl.c_slice, (long long)pl.halo_cap);
        print_budget(g, pl.items, pl.nitems, pl.l1_total, pl.l1_limit);
    }
    if (pl.materialised) {
        plan_view v = {.win = &pl.win,
                       .m = &pl.m,
                       .halo = pl.halo.parts ? &pl.halo : NULL,
                       .dram_out = pl.out_split,
                       .cores = pl.cores,
                       .dram = p.dram,
                       .in_rows = p.n * p.h * p.w,
                       .cin_p = pl.c_slice,
                       .fmt = p.fmt,
                       .halo_l1 = pl.halo.parts ? tg_halo_bytes(&pl.halo) : 0,
                       .traffic = &pl.traffic,
                       .l1_peak = pl.l1.high_water,
                       .l1_size = pl.l1.size};
        print_cores(g, &v, o->format == OPT_FORMAT_CSV);
    }
    tg_status ps = o->format == OPT_FORMAT_TEXT ? print_l1(g, &pl.l1, &pl.m, st) : TG_OK;
    tg_maxpool2d_plan_free(&pl);
    return st != TG_OK ? st : ps;
}

typedef struct table_ctx {
    const tg_cli *g;
    double clock_ghz, cycles, ideal;
} table_ctx;

/* One line of the per-layer table. */
static void layer_line(void *ctx, const tg_resnet_layer_info *l) {
    table_ctx *t = ctx;
    const tg_cli *g = t->g;
    uint64_t bytes = 0;
    for (int c = 0; c < l->traffic->ncores; c++) {
        const tg_counters *k = &l->traffic->core[c];
        bytes += k->noc_read_bytes + k->noc_write_bytes + k->noc_mcast_bytes + k->dram_read_bytes +
                 k->dram_write_bytes;
    }
    double us = l->time->cycles / t->clock_ghz / 1e3;
    t->cycles += l->time->cycles, t->ideal += l->time->ideal_cycles;
    tg_cli_out(g,
               "%-22s [%lld, %lld, %lld, %lld] %-22s %9.1f us %-8s NoC+DRAM %12llu B  L1 peak "
               "%8zu B\n",
               l->name, (long long)l->shape[0], (long long)l->shape[1], (long long)l->shape[2],
               (long long)l->shape[3], l->how, us, tg_tl_bound_name(l->time->bound),
               (unsigned long long)bytes, l->l1_high_water);
}

/* plan resnet50: every layer placed from one process for the machine asked for. */
static tg_status plan_resnet(const tg_cli *g, int argc, char **argv) {
    rn_opts o;
    TG_CHECK(tg_cli_resnet_parse(argc, argv, true, &o));
    if (g->rank != 0) return TG_OK; /* planning is pure: rank 0 plans every core */
    o.net.plan_only = true;
    tg_resnet50 net;
    tg_resnet_source src = {NULL, 0};
    tg_status st = tg_resnet50_init(&net, &o.net, &src, o.overrides, o.noverrides);
    tg_machine m = tg_cli_machine(g);
    /* the device opened as `resnet50` opens it (TTNN's ResNet-50 tests) */
    if (!g->l1_small_given) m.l1_small = tg_cmd_resnet50.l1_small_default;
    if (st == TG_OK) st = tg_resnet50_plan_only(&net, &m);
    if (st == TG_OK) {
        tg_cli_out(g, "resnet50: batch %lld, %lldx%lld, %s activations, %s weights, %s, %s %dx%d\n",
                   (long long)o.net.batch, (long long)o.net.image, (long long)o.net.image,
                   tg_fmt_name(o.net.act_fmt), tg_fmt_name(o.net.w_fmt),
                   tg_fidelity_name(o.net.fidelity), m.arch->name, m.grid.w, m.grid.h);
        table_ctx t = {g, tg_tl_costs_of(m.arch).clock_ghz, 0, 0};
        tg_resnet50_each_layer(&net, layer_line, &t);
        double s = t.cycles / (t.clock_ghz * 1e9);
        tg_cli_out(g,
                   "modelled device time %.3f ms per batch of %lld: %.0f images/s on %s %dx%d "
                   "(TTNN's ideal compute %.3f ms)\n",
                   s * 1e3, (long long)o.net.batch, (double)o.net.batch / s, m.arch->name, m.grid.w,
                   m.grid.h, t.ideal / (t.clock_ghz * 1e6));
    }
    tg_resnet50_free(&net);
    return st;
}

static tg_status plan_run(int argc, char **argv, const tg_cli *g) {
    if (argc < 2)
        return tg_err(TG_ERR_USAGE, "plan: which op? (plan conv2d|maxpool2d|resnet50 ...)");
    if (!strcmp(argv[1], "resnet50")) return plan_resnet(g, argc - 1, argv + 1);
    bool conv = !strcmp(argv[1], "conv2d");
    if (!conv && strcmp(argv[1], "maxpool2d"))
        return tg_err(TG_ERR_USAGE, "plan: unknown op '%s' (conv2d, maxpool2d, resnet50)", argv[1]);
    tg_opargs o;
    TG_CHECK(tg_opargs_parse(argc - 1, argv + 1, conv ? "plan conv2d" : "plan maxpool2d",
                             OPT_SHAPE | OPT_FORMAT | (conv ? OPT_CONV : OPT_POOL), &o));
    if (!o.have_shape) return tg_err(TG_ERR_USAGE, "plan: --input-shape N,H,W,C is required");
    if (g->rank != 0) return TG_OK; /* planning is pure: rank 0 plans every core */
    return conv ? plan_conv(g, &o) : plan_pool(g, &o);
}

const tg_cmd tg_cmd_plan = {
    .name = "plan",
    .run = plan_run,
    .summary = "dry run of conv2d or maxpool2d: the whole plan (text, CSV or JSON)",
    .plans_only = true,
    .help =
        "usage: mpirun -np P ttgrid [global options] plan conv2d|maxpool2d --input-shape N,H,W,C\n"
        "           [--out-channels C (conv2d; default: C of the input)] --kernel KHxKW\n"
        "           [op options] [--format text|csv|json] [--explain]\n\n"
        "Plans the op without running it, with the input in interleaved DRAM as the op\n"
        "commands load it, for the machine of the global options: --arch, --l1-size,\n"
        "--l1-small-size, and --grid, which may be any grid at any rank count (planning is\n"
        "pure; rank 0 plans every core): `mpirun -np 1 ttgrid --grid 8x8 plan conv2d ...`\n"
        "answers for 64 cores. Without --grid it plans for the grid the ranks make.\n\n"
        "It prints the layout, shards and blocks (conv2d), the L1 budget by the paper's\n"
        "rule, per core its output stick range and the padded-input stick range its\n"
        "windows touch (inclusive, 0-based; the paper numbers padded sticks from 1; an empty\n"
        "core prints -1), the halo config summarised (padding, local and remote sticks,\n"
        "remote bytes and runs, cores read from), the haloed shard's L1 bytes and the\n"
        "traffic the core will move; then the L1 map as TTNN names it: one line per L1\n"
        "buffer, L1_SMALL buffer and circular buffer (cb; cb_alias: one that sits on an L1\n"
        "buffer) with its bytes per core, its address range in L1 and its program, and\n"
        "last \"fits on WxH cores: yes\" or \"does not fit: ...\" with the allocator's words\n"
        "and TTNN's. A plan that does not fit is printed, then reported as the error\n"
        "(exit 1). Takes every option of the op (ttgrid conv2d --help, ttgrid maxpool2d\n"
        "--help) with --input-shape in place of files; for conv2d:\n"
        "  --bias           the conv has a bias (no file; default: none)\n"
        "  --weights-dtype  the weights' format; without it the weights tensor is taken\n"
        "                   to be in --dtype's format (TTNN takes the weights tensor's)\n\n"
        "  --format csv   one row per core: core,x,y,out_start,out_end,in_start,in_end,\n"
        "                 pad_sticks,local_sticks,remote_sticks,remote_bytes,remote_runs,\n"
        "                 source_cores,halo_l1_bytes,l1_bytes,l1_limit,noc_read_bytes,\n"
        "                 noc_write_bytes,noc_mcast_bytes,noc_transactions,hops,\n"
        "                 dram_read_bytes,dram_write_bytes\n"
        "  --format json  the whole plan (schema \"ttgrid.plan/1\" in the README):\n"
        "                 decisions, the L1 map (events, and `buffers` as TTNN names them\n"
        "                 with addresses, cb_end, lowest_l1_buffer, TTNN's error words),\n"
        "                 halo runs, every core's role and traffic, links, DRAM banks,\n"
        "                 the candidates tried\n"
        "  --explain      (text) every candidate layout tried, and why it was taken or not\n",
};
