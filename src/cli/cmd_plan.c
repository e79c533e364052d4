/* ttgrid plan conv2d|maxpool2d: the dry run. Plans the op for the grid (planning is
 * pure, so rank 0 plans every core itself) and prints, per core, the output and
 * padded-input stick ranges, the halo runs summarised and the L1 budget. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opargs.h"
#include "pool.h"

/* What the table needs from either plan. */
typedef struct plan_view {
    const tg_window *win;
    tg_grid cores;
    int layout; /* tg_conv_layout */
    bool transpose, matmul_path;
    tg_split in_split, out_split;
    size_t row_bytes; /* of one haloed stick */
    int64_t halo_cap;
    size_t l1_total, l1_limit;
} plan_view;

/* Row and column part of grid core i. */
static void parts(const plan_view *v, int i, int *rp, int *cp) {
    int x = i % v->cores.w, y = i / v->cores.w;
    switch (v->layout) {
    case TG_CONV_WIDTH:
        *rp = 0, *cp = i;
        break;
    case TG_CONV_BLOCK:
        *rp = v->transpose ? x : y, *cp = v->transpose ? y : x;
        break;
    default:
        *rp = i, *cp = 0;
        break;
    }
}

static void print_cores(const tg_cli *g, const plan_view *v, bool csv) {
    tg_core *c = tg_core_self();
    if (csv)
        tg_cli_out(g, "core,x,y,out_start,out_end,in_start,in_end,pad_sticks,local_sticks,"
                      "remote_sticks,remote_bytes,remote_runs,source_cores,halo_l1_bytes,l1_bytes,"
                      "l1_limit\n");
    else
        tg_cli_out(g, "%5s %7s %15s %15s %6s %6s %6s %10s %5s %10s\n", "core", "(x,y)", "out",
                   "in (padded)", "pad", "local", "remote", "remote B", "from", "halo L1 B");
    int P = c->nranks;
    for (int r = 0; r < P; r++) {
        int x = tg_core_x(c->grid, r), y = tg_core_y(c->grid, r);
        bool inside = x < v->cores.w && y < v->cores.h;
        tg_window_bounds b = {0, 0, 0, 0};
        tg_halo_counts hc = {0, 0, 0, 0, 0, 0};
        if (inside) {
            int rp, cp;
            parts(v, y * v->cores.w + x, &rp, &cp);
            b = tg_window_part(v->win, v->out_split, rp);
            if (b.o0 < b.o1 && !v->matmul_path) {
                tg_split in = v->in_split;
                if (v->layout == TG_CONV_DRAM) in = (tg_split){1, in.rows, in.rows};
                int64_t cap = tg_window_runs_bound(v->win, in, b.a, b.b);
                tg_halo_run *runs = malloc((size_t)cap * sizeof *runs);
                if (runs) {
                    int64_t n = tg_window_runs(v->win, in, b.a, b.b, runs);
                    hc = tg_halo_count(runs, n, v->layout == TG_CONV_DRAM ? -1 : rp);
                    free(runs);
                }
            } else if (v->matmul_path) {
                b.a = b.o0, b.b = b.o1;
            }
        }
        bool empty = !inside || b.o0 >= b.o1;
        long long os = empty ? -1 : b.o0, oe = empty ? -1 : b.o1 - 1;
        long long is = empty ? -1 : b.a, ie = empty ? -1 : b.b - 1;
        size_t halo_l1 = (size_t)v->halo_cap * v->row_bytes;
        if (csv)
            tg_cli_out(g, "%d,%d,%d,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%d,%zu,%zu,%zu\n",
                       r, x, y, os, oe, is, ie, (long long)hc.pad, (long long)hc.local,
                       (long long)hc.remote, (long long)(hc.remote * (int64_t)v->row_bytes),
                       (long long)hc.remote_runs, hc.sources, halo_l1, v->l1_total, v->l1_limit);
        else {
            char out[48] = "-", in[48] = "-";
            if (!empty) {
                snprintf(out, sizeof out, "%lld..%lld", os, oe);
                snprintf(in, sizeof in, "%lld..%lld", is, ie);
            }
            char xy[32];
            snprintf(xy, sizeof xy, "(%d,%d)", x, y);
            tg_cli_out(g, "%5d %7s %15s %15s %6lld %6lld %6lld %10lld %5d %10zu\n", r, xy, out, in,
                       (long long)hc.pad, (long long)hc.local, (long long)hc.remote,
                       (long long)(hc.remote * (int64_t)v->row_bytes), hc.sources, halo_l1);
        }
    }
}

static void print_budget(const tg_cli *g, const tg_l1_item *items, int n, size_t total,
                         size_t limit) {
    tg_cli_out(g, "L1 per core:");
    for (int i = 0; i < n; i++) tg_cli_out(g, " %s %zu B;", items[i].name, items[i].bytes);
    tg_cli_out(g, " peak %zu B of %zu B (%s)\n", total, limit,
               total <= limit ? "fits" : "DOES NOT FIT");
}

static tg_status plan_conv(const tg_cli *g, tg_opargs *o) {
    tg_core *c = tg_core_self();
    tg_conv2d_params p = o->conv;
    p.n = o->shape[0], p.h = o->shape[1], p.w = o->shape[2], p.cin = o->shape[3];
    if (p.cout <= 0) p.cout = p.cin; /* --out-channels defaults to the input's */
    tg_conv2d_plan pl;
    bool fits;
    TG_CHECK(tg_conv2d_plan_try(&p, c->grid, c->l1.size, 0, &pl, &fits));
    plan_view v = {
        &pl.win,
        pl.cores,
        pl.p.layout,
        pl.p.transpose_shards,
        pl.matmul_path,
        pl.in_split,
        pl.out_split,
        tg_fmt_row_bytes(p.in_fmt, pl.p.layout == TG_CONV_DRAM ? pl.cin_p : pl.cin_slice),
        pl.halo_cap,
        pl.l1_total,
        pl.l1_limit};
    if (!o->csv) {
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
        print_budget(g, pl.items, pl.nitems, pl.l1_total, pl.l1_limit);
    }
    print_cores(g, &v, o->csv);
    if (!fits) return tg_conv2d_plan_make(&p, c->grid, c->l1.size, 0, &pl); /* the error */
    return TG_OK;
}

static tg_status plan_pool(const tg_cli *g, tg_opargs *o) {
    tg_core *c = tg_core_self();
    if (o->conv.layout == TG_CONV_DRAM)
        return tg_err(TG_ERR_USAGE, "plan maxpool2d: --shard none is not supported");
    tg_pool_params p = tg_opargs_pool(o, o->shape);
    tg_pool_plan pl;
    tg_status st = tg_pool_plan_make(&p, c->grid, c->l1.size, 0, &pl);
    if (st == TG_ERR_USAGE) return st;
    int layout = p.layout == TG_SHARD_WIDTH   ? TG_CONV_WIDTH
                 : p.layout == TG_SHARD_BLOCK ? TG_CONV_BLOCK
                                              : TG_CONV_HEIGHT;
    plan_view v = {&pl.win,     pl.cores,    layout,       p.transpose_shards,
                   false,       pl.in_split, pl.out_split, tg_fmt_row_bytes(p.fmt, pl.c_slice),
                   pl.halo_cap, pl.l1_total, pl.l1_limit};
    if (!o->csv) {
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
                   tg_shard_name(p.layout), pl.cores.w, pl.cores.h, tg_fmt_name(p.fmt),
                   (long long)pl.in_split.shard, (long long)pl.c_slice,
                   (long long)pl.out_split.shard, (long long)pl.c_slice, (long long)pl.halo_cap);
        print_budget(g, pl.items, pl.nitems, pl.l1_total, pl.l1_limit);
    }
    print_cores(g, &v, o->csv);
    return st; /* a plan that does not fit is reported, then an error */
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
    .summary = "dry run of conv2d or maxpool2d: shards, halo runs, blocks, L1 per core",
    .help =
        "usage: mpirun -np P ttgrid [global options] plan conv2d|maxpool2d --input-shape N,H,W,C\n"
        "           [--out-channels C (conv2d; default: C of the input)] --kernel KHxKW\n"
        "           [op options] [--format text|csv]\n\n"
        "Plans the op for the grid without running it and prints, per core, its output stick\n"
        "range and the padded-input stick range its windows touch (inclusive, 0-based; the\n"
        "paper numbers padded sticks from 1; an empty core prints -1), the halo config\n"
        "summarised (padding, local and remote sticks, remote bytes and runs, how many\n"
        "cores it reads from), the haloed shard's L1 bytes, and the op's per-core L1 budget\n"
        "(conv2d also: layout, blocks, sub-blocks). Takes every option of the op (see\n"
        "ttgrid conv2d --help, ttgrid maxpool2d --help) with --input-shape in place of files.\n\n"
        "  --format csv   one row per core: core,x,y,out_start,out_end,in_start,in_end,\n"
        "                 pad_sticks,local_sticks,remote_sticks,remote_bytes,remote_runs,\n"
        "                 source_cores,halo_l1_bytes,l1_bytes,l1_limit\n",
};
