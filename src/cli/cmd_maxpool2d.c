/* ttgrid maxpool2d: max pool 2-D on the grid, from HDF5 to HDF5 (load through DRAM,
 * the pool on L1 shards, store through DRAM). */
#include <stdlib.h>

#include "cli.h"
#include "opargs.h"
#include "pool.h"
#include "stats.h"

static tg_status maxpool2d_run(int argc, char **argv, const tg_cli *g) {
    tg_opargs o;
    TG_CHECK(tg_opargs_parse(argc, argv, "maxpool2d", OPT_IO | OPT_POOL, &o));
    if (!o.have_input || !o.have_output)
        return tg_err(TG_ERR_USAGE, "maxpool2d: --input and --output are required");
    if (!o.have_stride) o.conv.sh = o.conv.kh, o.conv.sw = o.conv.kw; /* PyTorch's default */
    tg_core *c = tg_core_self();
    tg_io_file *fin = NULL, *fout = NULL;
    tg_tensor din = {0}, out = {0}, dout = {0};
    float *rows = NULL;
    int64_t shape[4], r0, r1;
    tg_status st;
    TG_TRY(st, tg_io_open(o.input.file, &fin), done);
    TG_TRY(st, tg_io_tensor_shape(fin, o.input.dset, shape), done);
    tg_pool_params p = {.n = shape[0],
                        .h = shape[1],
                        .w = shape[2],
                        .c = shape[3],
                        .kh = o.conv.kh,
                        .kw = o.conv.kw,
                        .sh = o.conv.sh,
                        .sw = o.conv.sw,
                        .dh = o.conv.dh,
                        .dw = o.conv.dw,
                        .pad_t = o.conv.pad_t,
                        .pad_b = o.conv.pad_b,
                        .pad_l = o.conv.pad_l,
                        .pad_r = o.conv.pad_r,
                        .ceil_mode = o.ceil_mode,
                        .cores = o.conv.cores,
                        .transpose_shards = o.conv.transpose_shards,
                        .snap = o.conv.snap,
                        .fmt = o.conv.in_fmt,
                        .halo_mode = o.conv.halo_mode};
    switch (o.conv.layout) {
    case TG_CONV_AUTO:
    case TG_CONV_HEIGHT:
        p.layout = TG_SHARD_HEIGHT;
        break;
    case TG_CONV_WIDTH:
        p.layout = TG_SHARD_WIDTH;
        break;
    case TG_CONV_BLOCK:
        p.layout = TG_SHARD_BLOCK;
        break;
    case TG_CONV_DRAM:
        p.layout = TG_SHARD_HEIGHT, p.dram = true;
        break;
    }
    tg_pool_plan pl;
    TG_TRY(st, tg_pool_plan_make(&p, c->grid, c->l1.size, 0, &pl), done);
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
    tg_tensor_host_rows(&din, &r0, &r1);
    rows = malloc((size_t)((r1 - r0) * shape[3] + 1) * sizeof *rows);
    TG_TRY(st,
           tg_core_agree(rows ? TG_OK : tg_err(TG_ERR_RUNTIME, "maxpool2d: out of host memory")),
           done);
    TG_TRY(st, tg_io_read_rows(fin, o.input.dset, r0, r1, rows), done);
    TG_TRY(st, tg_noc_sync(tg_tensor_write_host_rows(&din, r0, r1, rows)), done);
    free(rows);
    rows = NULL;
    tg_stats_begin("maxpool2d");
    TG_TRY(st, tg_maxpool2d_run(&pl, &din, &out), done);
    tg_stats_begin("store");
    int64_t oshape[4] = {out.n, out.h, out.w, out.c};
    tg_tensor *res = &out;
    if (out.place == TG_PLACE_L1) {
        TG_TRY(st, tg_tensor_alloc_dram(&dout, "maxpool2d:output (interleaved)", oshape, out.fmt),
               done);
        TG_TRY(st, tg_tensor_reshard(&out, &dout), done);
        res = &dout;
    }
    tg_tensor_host_rows(res, &r0, &r1);
    rows = malloc((size_t)((r1 - r0) * oshape[3] + 1) * sizeof *rows);
    TG_TRY(st,
           tg_core_agree(rows ? TG_OK : tg_err(TG_ERR_RUNTIME, "maxpool2d: out of host memory")),
           done);
    TG_TRY(st, tg_noc_sync(tg_tensor_read_host_rows(res, r0, r1, rows)), done);
    TG_TRY(st, tg_io_create(o.output.file, &fout), done);
    TG_TRY(st,
           tg_io_create_tensor(fout, o.output.dset, oshape, p.fmt,
                               "ttgrid " TTGRID_VERSION " maxpool2d"),
           done);
    TG_TRY(st, tg_io_write_rows(fout, o.output.dset, r0, r1, rows), done);
    tg_stats_end();
    TG_TRY(st, tg_cli_stats(g, fout), done);
    st = tg_io_commit(fout);
    fout = NULL;
done:
    tg_stats_end();
    tg_io_abort(fout);
    tg_io_close(fin);
    free(rows);
    tg_tensor_free(&dout);
    tg_tensor_free(&out);
    tg_tensor_free(&din);
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
