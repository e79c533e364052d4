/* ttgrid copy: read a tensor into L1 shards and write it back — the I/O round trip
 * through the emulated grid. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "io.h"

static tg_status copy_run(int argc, char **argv, const tg_cli *g) {
    static const struct option opts[] = {
        {"input", required_argument, 0, 'i'},     {"output", required_argument, 0, 'o'},
        {"shard", required_argument, 0, 's'},     {"dtype", required_argument, 0, 'd'},
        {"core-grid", required_argument, 0, 'c'}, {"transpose-shards", no_argument, 0, 't'},
        {"no-snap", no_argument, 0, 'n'},         {0, 0, 0, 0},
    };
    tg_io_ref in = {{0}, {0}}, out = {{0}, {0}};
    bool have_in = false, have_out = false, transpose = false, snap = true;
    tg_shard_layout layout = TG_SHARD_HEIGHT;
    tg_fmt fmt = TG_FLOAT32;
    tg_core *core = tg_core_self();
    tg_grid cores = core->grid;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i': TG_CHECK(tg_io_ref_parse(optarg, &in)); have_in = true; break;
        case 'o': TG_CHECK(tg_io_ref_parse(optarg, &out)); have_out = true; break;
        case 's': TG_CHECK(tg_shard_parse(optarg, &layout)); break;
        case 'd': TG_CHECK(tg_fmt_parse(optarg, &fmt)); break;
        case 'c': TG_CHECK(tg_grid_parse(optarg, &cores)); break;
        case 't': transpose = true; break;
        case 'n': snap = false; break;
        default: return tg_cli_bad_option("copy", argv, optind);
        }
    }
    if (optind < argc) return tg_err(TG_ERR_USAGE, "copy: unexpected argument '%s'", argv[optind]);
    if (!have_in || !have_out) return tg_err(TG_ERR_USAGE, "copy: --input and --output are required");
    if (cores.w > core->grid.w || cores.h > core->grid.h)
        return tg_err(TG_ERR_USAGE, "copy: --core-grid %dx%d does not fit in the %dx%d grid",
                      cores.w, cores.h, core->grid.w, core->grid.h);

    tg_io_file *fin = NULL, *fout = NULL;
    tg_tensor t = {0};
    int64_t shape[4];
    tg_status st;
    TG_TRY(st, tg_io_open(in.file, &fin), done);
    TG_TRY(st, tg_io_tensor_shape(fin, in.dset, shape), done);
    tg_io_info info;
    TG_TRY(st, tg_io_info_get(fin, in.dset, &info), done);
    bool nchw = info.nchw;
    TG_TRY(st, tg_core_agree(tg_tensor_alloc(&t, "copy:shard", shape, fmt, layout, cores,
                                             transpose, snap)),
           done);
    TG_TRY(st, tg_io_read_tensor(fin, in.dset, &t), done);
    if (!g->quiet)
        tg_cli_out(g, "copy: [%lld, %lld, %lld, %lld] %s, %s sharded on %dx%d cores, shard %lld x "
                      "%lld (%zu B of L1 per core)\n",
                   (long long)shape[0], (long long)shape[1], (long long)shape[2],
                   (long long)shape[3], tg_fmt_name(fmt), tg_shard_name(layout), cores.w, cores.h,
                   (long long)t.spec.shard_h, (long long)t.spec.shard_w,
                   tg_tensor_shard_bytes(&t));
    TG_TRY(st, tg_io_create(out.file, &fout), done);
    /* A copy keeps the input's attributes, so that h5diff finds the two equal; only
     * the layout changes when the input was NCHW. */
    TG_TRY(st, tg_io_write_tensor(fout, out.dset, &t, NULL), done);
    TG_TRY(st, tg_io_copy_attrs(fin, in.dset, fout, out.dset), done);
    if (nchw) TG_TRY(st, tg_io_attr(fout, out.dset, "layout", "NHWC"), done);
    st = tg_io_commit(fout);
    fout = NULL;
done:
    tg_io_close(fin);
    tg_io_abort(fout);
    tg_tensor_free(&t);
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
        "Reads a 4-D float tensor (NHWC, or NCHW when the dataset has the attribute\n"
        "layout=\"NCHW\") into L1 shards, each rank reading only its own shard, and writes\n"
        "it back as NHWC float32. The output file keeps its other datasets; it is written\n"
        "under a temporary name and renamed when complete.\n\n"
        "  --input F:/d          input dataset\n"
        "  --output F:/d         output dataset (replaced if it exists)\n"
        "  --shard LAYOUT        height (default), width or block\n"
        "  --dtype FORMAT        format held in L1: float32 (default), bfloat16, bfloat8_b\n"
        "  --core-grid WxH       use the first WxH cores of the grid (default: all)\n"
        "  --transpose-shards    block: rows over grid columns, channels over grid rows\n"
        "  --no-snap             split rows evenly instead of in multiples of 32\n",
};
