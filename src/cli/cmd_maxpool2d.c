/* ttgrid maxpool2d: max pool 2-D on the grid, from HDF5 to HDF5 (load through DRAM,
 * the pool on L1 shards, store through DRAM). */
#include <stdlib.h>

#include "cli.h"
#include "opargs.h"
#include "maxpool2d.h"
#include "stats.h"

static tg_status maxpool2d_run(int argc, char **argv, const tg_cli *g) {
    tg_opargs o;
    TG_CHECK(tg_opargs_parse(argc, argv, "maxpool2d", OPT_IO | OPT_POOL, &o));
    if (!o.have_input || !o.have_output)
        return tg_err(TG_ERR_USAGE, "maxpool2d: --input and --output are required");
    TG_CHECK(tg_cli_check_outputs(g, &o.output, NULL, NULL));
    tg_io_file *fin = NULL, *fout = NULL;
    tg_tensor din = {0}, out = {0};
    tg_maxpool2d_plan pl = {0};
    int64_t shape[4];
    tg_status st;
    TG_TRY(st, tg_io_open(o.input.file, &fin), done);
    TG_TRY(st, tg_io_tensor_shape(fin, o.input.dset, shape), done);
    tg_maxpool2d_params p = tg_opargs_pool(&o, shape);
    tg_machine m = tg_machine_self();
    TG_TRY(st, tg_opargs_check_pool(&p), done);
    TG_TRY(st, tg_maxpool2d_plan_standalone(&p, &m, &pl), done);
    if (!g->quiet)
        tg_cli_out(g,
                   "maxpool2d: [%lld, %lld, %lld, %lld] -> [%lld, %lld, %lld, %lld], %s on "
                   "%dx%d cores, L1 %zu of %zu B per core\n",
                   (long long)p.n, (long long)p.h, (long long)p.w, (long long)p.c, (long long)p.n,
                   (long long)pl.win.out_h, (long long)pl.win.out_w, (long long)p.c,
                   p.dram ? "none" : tg_shard_name(p.layout), pl.cores.w, pl.cores.h, pl.l1_total,
                   pl.l1_limit);
    tg_stats_begin("load");
    TG_TRY(st, tg_tensor_alloc_dram(&din, "maxpool2d:input", shape, p.fmt), done);
    TG_TRY(st, tg_io_load_tensor(fin, o.input.dset, &din), done);
    tg_stats_begin("maxpool2d");
    TG_TRY(st, tg_maxpool2d_run(&pl, &din, &out), done);
    tg_stats_begin("store");
    TG_TRY(st, tg_io_create(o.output.file, &fout), done);
    TG_TRY(st, tg_io_store_tensor(&out, fout, o.output.dset, "ttgrid " TTGRID_VERSION " maxpool2d"),
           done);
    tg_stats_end();
    st = tg_cli_finish(g, &fout, NULL);
done:
    tg_stats_end();
    tg_io_abort(fout);
    tg_io_close(fin);
    tg_tensor_free(&out);
    tg_tensor_free(&din);
    tg_maxpool2d_plan_free(&pl);
    return st;
}

const tg_cmd tg_cmd_maxpool2d = {
    .name = "maxpool2d",
    .run = maxpool2d_run,
    .summary = "2-D max pool on the grid (exact in every format)",
    .help = "usage: mpirun -np P ttgrid [global options] maxpool2d --input F:/d --output F:/d\n"
            "           --kernel KHxKW [options]\n\n"
            "Max pool over an NHWC (or NCHW with layout=\"NCHW\") tensor, written NHWC. The halo\n"
            "pads with -inf, so the output equals PyTorch's max_pool2d exactly.\n\n"
            "  --stride SHxSW         (default: the kernel, as PyTorch)\n"
            "  --padding PH,PW | PT,PB,PL,PR   (0)\n"
            "  --dilation DHxDW       (1x1)\n"
            "  --ceil-mode            ceil instead of floor for the output size\n"
            "  --shard L              height (default), width, block, or none (DRAM)\n"
            "  --core-grid WxH        use the first WxH cores\n"
            "  --transpose-shards     block: rows over grid columns\n"
            "  --dtype F              bfloat16 (default), float32, bfloat8_b\n"
            "  --no-snap              split rows evenly instead of in multiples of 32\n"
            "  --halo-mode pull|push  (pull)\n",
};
