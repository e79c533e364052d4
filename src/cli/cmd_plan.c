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

/* The L1 map: every allocation with its offset range, and the peak. */
static void print_l1(const tg_cli *g, const tg_l1_map *m) {
    tg_cli_out(g, "L1 per core (%zu B, %zu B in use before the op), in the run's order:\n", m->size,
               m->start_in_use);
    for (int i = 0; i < m->n; i++) {
        const tg_l1_event *e = &m->ev[i];
        if (e->kind == TG_L1_ALLOC && e->off != (size_t)-1)
            tg_cli_out(g, "  alloc %-32s %9zu B at %7zu..%-7zu%s\n", e->name, e->bytes, e->off,
                       e->off + e->bytes, e->cb ? " (circular buffer)" : "");
        else if (e->kind == TG_L1_ALLOC)
            tg_cli_out(g, "  alloc %-32s %9zu B  NO ROOM\n", e->name, e->bytes);
        else
            tg_cli_out(g, "  free  %s\n", e->name);
    }
    if (tg_l1_map_fits(m))
        tg_cli_out(g, "L1 peak %zu B of %zu B: fits\n", m->high_water, m->size);
    else
        tg_cli_out(g, "L1: DOES NOT FIT: %s\n", m->why);
}

static void print_budget(const tg_cli *g, const tg_l1_item *items, int n, size_t total,
                         size_t limit) {
    tg_cli_out(g, "L1 budget by the paper's rule:");
    for (int i = 0; i < n; i++) tg_cli_out(g, " %s %zu B;", items[i].name, items[i].bytes);
    tg_cli_out(g, " peak %zu B of %zu B (%s)\n", total, limit,
               total <= limit ? "fits" : "DOES NOT FIT");
}

static void print_explain(const tg_cli *g, const tg_explain *why) {
    tg_cli_out(g, "candidates, in order:\n");
    for (int i = 0; i < why->n; i++)
        tg_cli_out(g, "  %s %-40s %s\n", why->c[i].chosen ? "*" : " ", why->c[i].what,
                   why->c[i].why);
}

static tg_status plan_conv(const tg_cli *g, tg_opargs *o) {
    tg_core *c = tg_core_self();
    tg_machine m = tg_machine_self();
    tg_conv2d_params p = o->conv;
    p.n = o->shape[0], p.h = o->shape[1], p.w = o->shape[2], p.cin = o->shape[3];
    if (p.cout <= 0) p.cout = p.cin; /* --out-channels defaults to the input's */
    TG_CHECK(tg_opargs_check_conv(&p));
    tg_conv2d_plan pl;
    tg_explain why = {0};
    tg_status st = tg_conv2d_plan_standalone(&p, &m, c->l1.size, &pl, &why);
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
                   p.fp32_acc ? ", fp32 accumulation" : "");
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
        print_l1(g, &pl.l1);
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
    }
    tg_conv2d_plan_free(&pl);
    return st; /* a plan that does not fit is printed, then reported */
}

static tg_status plan_pool(const tg_cli *g, tg_opargs *o) {
    tg_core *c = tg_core_self();
    tg_machine m = tg_machine_self();
    tg_maxpool2d_params p = tg_opargs_pool(o, o->shape);
    TG_CHECK(tg_opargs_check_pool(&p));
    tg_maxpool2d_plan pl;
    tg_status st = tg_maxpool2d_plan_standalone(&p, &m, c->l1.size, &pl);
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
        print_l1(g, &pl.l1);
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
    tg_maxpool2d_plan_free(&pl);
    return st;
}

static tg_status plan_run(int argc, char **argv, const tg_cli *g) {
    if (argc < 2) return tg_err(TG_ERR_USAGE, "plan: which op? (plan conv2d|maxpool2d ...)");
    bool conv = !strcmp(argv[1], "conv2d");
    if (!conv && strcmp(argv[1], "maxpool2d"))
        return tg_err(TG_ERR_USAGE, "plan: unknown op '%s' (conv2d, maxpool2d)", argv[1]);
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
    .help =
        "usage: mpirun -np P ttgrid [global options] plan conv2d|maxpool2d --input-shape N,H,W,C\n"
        "           [--out-channels C (conv2d; default: C of the input)] --kernel KHxKW\n"
        "           [op options] [--format text|csv|json] [--explain]\n\n"
        "Plans the op for the grid without running it, with the input in interleaved DRAM\n"
        "as the op commands load it, and prints the plan: the layout, shards and blocks\n"
        "(conv2d), the L1 budget by the paper's rule, the L1 map (every allocation of the\n"
        "run in order with its offsets, and the peak), and per core its output stick range\n"
        "and the padded-input stick range its windows touch (inclusive, 0-based; the paper\n"
        "numbers padded sticks from 1; an empty core prints -1), the halo config summarised\n"
        "(padding, local and remote sticks, remote bytes and runs, cores read from), the\n"
        "haloed shard's L1 bytes and the traffic the core will move. Takes every option of\n"
        "the op (see ttgrid conv2d --help, ttgrid maxpool2d --help) with --input-shape in\n"
        "place of files. A plan that does not fit is printed, then reported as the error.\n\n"
        "  --format csv   one row per core: core,x,y,out_start,out_end,in_start,in_end,\n"
        "                 pad_sticks,local_sticks,remote_sticks,remote_bytes,remote_runs,\n"
        "                 source_cores,halo_l1_bytes,l1_bytes,l1_limit,noc_read_bytes,\n"
        "                 noc_write_bytes,noc_mcast_bytes,noc_transactions,hops,\n"
        "                 dram_read_bytes,dram_write_bytes\n"
        "  --format json  the whole plan (schema in the README): decisions, L1 map, halo\n"
        "                 runs, every core's role and traffic, links, DRAM banks, the\n"
        "                 candidates tried\n"
        "  --explain      (text) every candidate layout tried, and why it was taken or not\n",
};
