/* ttgrid copy: the I/O round trip through the emulated chip, as the device does
 * it: the host writes the tensor into interleaved DRAM ("load"), every core reads
 * its shard from DRAM into L1 through the NoC ("to_sharded"), writes it back to
 * DRAM ("to_interleaved"), and the host reads it out ("store"). Each step is an op
 * in the statistics. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "reshard.h"
#include "stats.h"

typedef struct copy_opts {
    tg_io_ref in, out;
    tg_shard_layout layout;
    tg_fmt fmt;
    tg_grid cores;
    bool transpose, snap;
} copy_opts;

static tg_status copy_parse(int argc, char **argv, copy_opts *o) {
    static const struct option opts[] = {
        {"input", required_argument, 0, 'i'},     {"output", required_argument, 0, 'o'},
        {"shard", required_argument, 0, 's'},     {"dtype", required_argument, 0, 'd'},
        {"core-grid", required_argument, 0, 'c'}, {"transpose-shards", no_argument, 0, 't'},
        {"no-snap", no_argument, 0, 'n'},         {0, 0, 0, 0},
    };
    tg_core *core = tg_core_self();
    bool have_in = false, have_out = false;
    memset(o, 0, sizeof *o);
    o->layout = TG_SHARD_HEIGHT;
    o->fmt = TG_FLOAT32;
    o->cores = core->grid;
    o->snap = true;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            TG_CHECK(tg_io_ref_parse(optarg, &o->in));
            have_in = true;
            break;
        case 'o':
            TG_CHECK(tg_io_ref_parse(optarg, &o->out));
            have_out = true;
            break;
        case 's':
            TG_CHECK(tg_shard_parse(optarg, &o->layout));
            break;
        case 'd':
            TG_CHECK(tg_fmt_parse(optarg, &o->fmt));
            break;
        case 'c':
            TG_CHECK(tg_grid_parse(optarg, &o->cores));
            break;
        case 't':
            o->transpose = true;
            break;
        case 'n':
            o->snap = false;
            break;
        default:
            return tg_cli_bad_option("copy", argv, optind);
        }
    }
    if (optind < argc) return tg_err(TG_ERR_USAGE, "copy: unexpected argument '%s'", argv[optind]);
    if (!have_in || !have_out)
        return tg_err(TG_ERR_USAGE, "copy: --input and --output are required");
    if (o->cores.w > core->grid.w || o->cores.h > core->grid.h)
        return tg_err(TG_ERR_USAGE, "copy: --core-grid %dx%d does not fit in the %dx%d grid",
                      o->cores.w, o->cores.h, core->grid.w, core->grid.h);
    return TG_OK;
}

static tg_status copy_run(int argc, char **argv, const tg_cli *g) {
    copy_opts o;
    TG_CHECK(copy_parse(argc, argv, &o));
    TG_CHECK(tg_cli_check_outputs(g, &o.out, NULL, NULL));
    tg_io_file *fin = NULL, *fout = NULL;
    tg_tensor shard = {0}, din = {0}, dout = {0};
    int64_t shape[4];
    tg_io_info info;
    tg_status st;
    TG_TRY(st, tg_io_open(o.in.file, &fin), done);
    TG_TRY(st, tg_io_tensor_shape(fin, o.in.dset, shape), done);
    TG_TRY(st, tg_io_info_get(fin, o.in.dset, &info), done);
    /* Every allocation first, so that a tensor that does not fit fails before any
     * output exists. */
    TG_TRY(st,
           tg_noc_agree(tg_tensor_alloc(&shard, "copy:shard", shape, o.fmt, o.layout, o.cores,
                                        o.transpose, o.snap)),
           done);
    TG_TRY(st, tg_tensor_alloc_dram(&din, "copy:dram_in", shape, o.fmt), done);
    TG_TRY(st, tg_tensor_alloc_dram(&dout, "copy:dram_out", shape, o.fmt), done);
    if (!g->quiet)
        tg_cli_out(g,
                   "copy: [%lld, %lld, %lld, %lld] %s, %s sharded on %dx%d cores, shard %lld x "
                   "%lld (%zu B of L1 per core)\n",
                   (long long)shape[0], (long long)shape[1], (long long)shape[2],
                   (long long)shape[3], tg_fmt_name(o.fmt), tg_shard_name(o.layout), o.cores.w,
                   o.cores.h, (long long)shard.spec.shard_h, (long long)shard.spec.shard_w,
                   tg_tensor_shard_bytes(&shard));

    tg_stats_begin("load");
    TG_TRY(st, tg_io_load_tensor(fin, o.in.dset, &din), done);
    tg_stats_begin("to_sharded");
    TG_TRY(st, tg_tensor_reshard(&din, &shard), done);
    tg_stats_begin("to_interleaved");
    TG_TRY(st, tg_tensor_reshard(&shard, &dout), done);
    tg_stats_begin("store");
    TG_TRY(st, tg_io_create(o.out.file, &fout), done);
    TG_TRY(st, tg_io_store_tensor(&dout, fout, o.out.dset, NULL), done);
    /* A copy keeps the input's attributes, so that h5diff finds the two equal; only
     * the layout changes when the input was NCHW. */
    TG_TRY(st, tg_io_copy_attrs(fin, o.in.dset, fout, o.out.dset), done);
    if (info.nchw) TG_TRY(st, tg_io_attr(fout, o.out.dset, "layout", "NHWC"), done);
    tg_stats_end();
    st = tg_cli_finish(g, &fout, NULL);
done:
    tg_stats_end();
    tg_io_close(fin);
    tg_io_abort(fout);
    tg_tensor_free(&dout);
    tg_tensor_free(&din);
    tg_tensor_free(&shard);
    return st;
}

const tg_cmd tg_cmd_copy = {
    .name = "copy",
    .run = copy_run,
    .summary = "read a tensor into L1 shards and write it back (I/O round trip)",
    .help =
        "usage: mpirun -np P ttgrid [global options] copy --input F.h5:/dset --output F.h5:/dset\n"
        "                           [--shard height|width|block] [--dtype FORMAT]\n"
        "                           [--core-grid WxH] [--transpose-shards] [--no-snap]\n\n"
        "Round trip of a 4-D float tensor (NHWC, or NCHW when the dataset has the attribute\n"
        "layout=\"NCHW\") through the emulated chip: the host writes it into interleaved\n"
        "DRAM (load), every core reads its shard into L1 through the NoC (to_sharded) and\n"
        "writes it back (to_interleaved), and the host reads it out (store) and writes it\n"
        "as NHWC float32, keeping the input's attributes. The output file keeps its other\n"
        "datasets; it is written under a temporary name and renamed when complete. The\n"
        "per-op, per-core statistics go under /stats in the output (and to --stats).\n\n"
        "  --input F:/d          input dataset\n"
        "  --output F:/d         output dataset (replaced if it exists)\n"
        "  --shard LAYOUT        height (default), width or block\n"
        "  --dtype FORMAT        format held on the chip: float32 (default), bfloat16,\n"
        "                        bfloat8_b\n"
        "  --core-grid WxH       use the first WxH cores of the grid (default: all)\n"
        "  --transpose-shards    block: rows over grid columns, channels over grid rows\n"
        "  --no-snap             split rows evenly instead of in multiples of 32\n",
};
