/* ttgrid conv2d: one convolution on the grid, from HDF5 to HDF5. The host loads the
 * input and the prepared weights into DRAM ("load"), the conv runs ("conv2d"), and
 * the output goes back through DRAM to the file ("store"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opargs.h"
#include "stats.h"

/* Reads the weights [Cout, Cin/groups, Kh, Kw] and the bias [Cout] or [1,1,1,Cout],
 * checking their shapes against the conv. */
static tg_status read_weights(tg_io_file *f, const tg_opargs *o, const tg_conv2d_params *p,
                              float **w, float **b) {
    tg_io_info info;
    TG_CHECK(tg_io_info_get(f, o->weights.dset, &info));
    int64_t want[4] = {p->cout, p->cin / p->groups, p->kh, p->kw};
    if (info.ndims != 4 || memcmp(info.dims, want, sizeof want) != 0)
        return tg_err(TG_ERR_USAGE,
                      "weights '%s' in '%s': expected [%lld, %lld, %lld, %lld] (Cout, Cin/groups, "
                      "Kh, Kw), found %d dims [%lld, %lld, %lld, %lld]",
                      o->weights.dset, o->weights.file, (long long)want[0], (long long)want[1],
                      (long long)want[2], (long long)want[3], info.ndims, (long long)info.dims[0],
                      (long long)info.dims[1], (long long)info.dims[2], (long long)info.dims[3]);
    int64_t n, n01, n23;
    if (__builtin_mul_overflow(want[0], want[1], &n01) ||
        __builtin_mul_overflow(want[2], want[3], &n23) || __builtin_mul_overflow(n01, n23, &n) ||
        n > INT64_MAX / (int64_t)sizeof **w)
        return tg_err(TG_ERR_USAGE, "weights '%s' in '%s': [%lld, %lld, %lld, %lld] is too large",
                      o->weights.dset, o->weights.file, (long long)want[0], (long long)want[1],
                      (long long)want[2], (long long)want[3]);
    *w = malloc((size_t)n * sizeof **w);
    TG_CHECK(tg_noc_agree(
        *w ? TG_OK
           : tg_err(TG_ERR_RUNTIME, "conv2d: out of host memory for %lld weights", (long long)n)));
    TG_CHECK(tg_io_read_all(f, o->weights.dset, *w, n));
    return TG_OK;
    (void)b;
}

/* The format the weights dataset holds its values in: TTNN takes the weights' format
 * from the weights tensor unless Conv2dConfig.weights_dtype is set
 * (ttnn/cpp/ttnn/operations/conv/conv2d/conv2d.cpp conv2d_L1:
 * conv_config.weights_dtype.value_or(weight_tensor.dtype())). Datasets hold float32, so
 * the tensor's format is the narrowest that holds every value exactly: bfloat16 when
 * each value is a bfloat16 number (its low 16 bits are zero, as make_reference.py
 * --dtype bfloat16 writes them), else float32. bfloat8_b values are bfloat16 numbers
 * too: bfloat8_b weights need --weights-dtype. */
static tg_fmt weights_format(const float *w, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &w[i], sizeof u);
        if (u & 0xffffu) return TG_FLOAT32;
    }
    return TG_BFLOAT16;
}

static tg_status read_bias(const tg_opargs *o, const tg_conv2d_params *p, float **b) {
    tg_io_file *f;
    TG_CHECK(tg_io_open(o->bias.file, &f));
    tg_io_info info;
    tg_status st = tg_io_info_get(f, o->bias.dset, &info);
    int64_t count = 1;
    bool over = false;
    for (int i = 0; i < info.ndims; i++)
        over |= __builtin_mul_overflow(count, info.dims[i], &count);
    if (st == TG_OK &&
        (over || info.ndims < 1 || count != p->cout || info.dims[info.ndims - 1] != p->cout))
        st = tg_err(TG_ERR_USAGE,
                    "bias '%s' in '%s': expected [%lld] or [1, 1, 1, %lld], found %s%lld values "
                    "in %d dimensions",
                    o->bias.dset, o->bias.file, (long long)p->cout, (long long)p->cout,
                    over ? "more than " : "", over ? (long long)INT64_MAX : (long long)count,
                    info.ndims);
    if (st == TG_OK) {
        *b = malloc((size_t)p->cout * sizeof **b);
        st = tg_noc_agree(*b ? TG_OK : tg_err(TG_ERR_RUNTIME, "conv2d: out of host memory"));
    }
    if (st == TG_OK) st = tg_io_read_all(f, o->bias.dset, *b, p->cout);
    tg_io_close(f);
    return st;
}

static tg_status conv2d_run(int argc, char **argv, const tg_cli *g) {
    tg_opargs o;
    TG_CHECK(tg_opargs_parse(argc, argv, "conv2d", OPT_IO | OPT_CONV, &o));
    if (!o.have_input || !o.have_output || !o.have_weights)
        return tg_err(TG_ERR_USAGE, "conv2d: --input, --weights and --output are required");
    TG_CHECK(tg_cli_check_outputs(g, &o.output, NULL, NULL));
    tg_conv2d_params p = o.conv;
    tg_io_file *fin = NULL, *fw = NULL, *fout = NULL;
    float *w = NULL, *b = NULL;
    tg_tensor din = {0}, out = {0};
    tg_conv2d_weights cw = {0};
    tg_conv2d_plan pl = {0};
    bool have_cw = false;
    int64_t shape[4];
    tg_status st;
    TG_TRY(st, tg_io_open(o.input.file, &fin), done);
    TG_TRY(st, tg_io_tensor_shape(fin, o.input.dset, shape), done);
    p.n = shape[0], p.h = shape[1], p.w = shape[2], p.cin = shape[3];
    if (p.cout <= 0) {
        /* Cout comes from the weights */
        TG_TRY(st, tg_io_open(o.weights.file, &fw), done);
        tg_io_info wi;
        TG_TRY(st, tg_io_info_get(fw, o.weights.dset, &wi), done);
        if (wi.ndims != 4) {
            st = tg_err(TG_ERR_USAGE,
                        "weights '%s' in '%s': expected 4 dimensions (Cout, Cin/groups, Kh, Kw), "
                        "found %d",
                        o.weights.dset, o.weights.file, wi.ndims);
            goto done;
        }
        p.cout = wi.dims[0];
    }
    p.has_bias = o.have_bias;
    TG_TRY(st, tg_opargs_check_conv(&p), done);
    if (!fw) TG_TRY(st, tg_io_open(o.weights.file, &fw), done);
    TG_TRY(st, read_weights(fw, &o, &p, &w, &b), done);
    if (!o.w_dtype_set) p.w_fmt = weights_format(w, p.cout * (p.cin / p.groups) * p.kh * p.kw);
    /* Plan before anything is written: a conv that does not fit fails here. The input
     * is loaded into interleaved DRAM below, as the plan assumes. */
    tg_machine m = tg_machine_self();
    TG_TRY(st, tg_conv2d_plan_standalone(&p, &m, &pl, NULL), done);
    if (o.have_bias) TG_TRY(st, read_bias(&o, &p, &b), done);
    if (!g->quiet)
        tg_cli_out(g,
                   "conv2d: [%lld, %lld, %lld, %lld] -> [%lld, %lld, %lld, %lld], %s on %dx%d "
                   "cores%s, %s weights%s, act_block_h %lld, L1 %zu of %zu B per core\n",
                   (long long)p.n, (long long)p.h, (long long)p.w, (long long)p.cin, (long long)p.n,
                   (long long)pl.win.out_h, (long long)pl.win.out_w, (long long)p.cout,
                   tg_conv_layout_name(pl.p.layout), pl.cores.w, pl.cores.h,
                   pl.matmul_path ? " (matmul path)" : "", tg_fmt_name(pl.p.w_fmt),
                   o.w_dtype_set ? "" : " (the weights dataset's)", (long long)pl.act_block_h,
                   pl.l1_total, pl.l1_limit);

    tg_stats_begin("load");
    TG_TRY(st, tg_tensor_alloc_dram(&din, "conv2d:input", shape, p.in_fmt), done);
    TG_TRY(st, tg_io_load_tensor(fin, o.input.dset, &din), done);
    int64_t co0, co1;
    tg_conv2d_weight_cols(p.cout, &co0, &co1);
    TG_TRY(st,
           tg_conv2d_weights_load(&pl, w + co0 * (p.cin / p.groups) * p.kh * p.kw,
                                  b ? b + co0 : NULL, &cw),
           done);
    have_cw = true;

    tg_stats_begin("conv2d");
    TG_TRY(st, tg_conv2d_run(&pl, &din, NULL, &cw, &out), done);

    tg_stats_begin("store");
    TG_TRY(st, tg_io_create(o.output.file, &fout), done);
    TG_TRY(st, tg_io_store_tensor(&out, fout, o.output.dset, "ttgrid " TTGRID_VERSION " conv2d"),
           done);
    tg_stats_end();
    st = tg_cli_finish(g, &fout, NULL);
done:
    tg_stats_end();
    tg_io_abort(fout);
    tg_io_close(fin);
    tg_io_close(fw);
    free(w), free(b);
    tg_tensor_free(&out);
    tg_tensor_free(&din);
    if (have_cw) tg_conv2d_weights_free(&cw);
    tg_conv2d_plan_free(&pl);
    return st;
}

const tg_cmd tg_cmd_conv2d = {
    .name = "conv2d",
    .run = conv2d_run,
    .summary = "2-D convolution on the grid (height, width, block sharded, or DRAM)",
    .help = "usage: mpirun -np P ttgrid [global options] conv2d --input F:/d --weights F:/d\n"
            "           [--bias F:/d] --output F:/d --kernel KHxKW [options]\n\n"
            "Runs ttnn.conv2d on the emulated grid. Input NHWC (or NCHW with layout=\"NCHW\"),\n"
            "weights [Cout, Cin/groups, Kh, Kw], bias [Cout] or [1,1,1,Cout]; the output is\n"
            "written NHWC [N, Ho, Wo, Cout] (ttnn's [1, 1, N*Ho*Wo, Cout] reshaped). Options\n"
            "named after a Conv2dConfig or compute-config field default to TTNN's value.\n\n"
            "  --stride SHxSW         (1x1)\n"
            "  --padding PH,PW | PT,PB,PL,PR   (0)\n"
            "  --dilation DHxDW       (1x1)\n"
            "  --groups G             (1; Cin for depthwise)\n"
            "  --activation relu|none\n"
            "  --shard L              auto (default: TTNN's rule, the smallest per-core L1),\n"
            "                         height, width, block, or none (interleaved DRAM)\n"
            "  --core-grid WxH        use the first WxH cores (default: the whole grid)\n"
            "  --transpose-shards     block: rows over grid columns, channels over grid rows\n"
            "  --act-block-h N        act_block_h_override: output rows per block (multiple of\n"
            "                         32 dividing the core's output shard height)\n"
            "  --act-block-w-div N    width sharding: divides act_block_w\n"
            "  --dtype F              activations: bfloat16 (default), float32, bfloat8_b\n"
            "  --weights-dtype F      Conv2dConfig.weights_dtype: the weights' and bias' format\n"
            "                         (default, as TTNN: the weights tensor's format, which is\n"
            "                         bfloat16 when every value of the weights dataset is a\n"
            "                         bfloat16 number, else float32; bfloat8_b needs this option)\n"
            "  --output-dtype F       output (default: --dtype)\n"
            "  --output-layout L      output_layout: tile (default) or row-major\n"
            "  --input-layout L       the input tensor's layout as TTNN sees it: row-major\n"
            "                         (default; a bfloat8_b input is tile) or tile\n"
            "  --math-fidelity M      LoFi, HiFi2, HiFi3, HiFi4 (default)\n"
            "  --fp32-acc, --no-fp32-acc  fp32_dest_acc_en: accumulate in float32 (default, as\n"
            "                         TTNN: on when the input and the weights are both float32)\n"
            "  --packer-l1-acc        packer_l1_acc: the packer accumulates partials in L1\n"
            "  --double-buffer        enable_act_double_buffer (twice the act CB)\n"
            "  --weights-double-buffer enable_weights_double_buffer (twice the weights CB)\n"
            "  --full-inner-dim       full_inner_dim: block sharding's K blocks span every\n"
            "                         kernel row (TTNN: one kernel row per block)\n"
            "  --activation-reuse     enable_activation_reuse (height sharding; turns both\n"
            "                         double buffers off)\n"
            "  --split-reader S       force_split_reader: on, off or auto (TTNN's heuristic)\n"
            "  --config-tensors-in-dram  the conv's reader indices in DRAM, not in L1_SMALL\n"
            "  --deallocate-activation free the input shard after the halo\n"
            "  --no-reallocate-halo-output  leave the halo output where the halo put it\n"
            "                         (TTNN's default moves it up after freeing the input)\n"
            "  --no-snap              split rows evenly instead of in multiples of 32\n"
            "  --halo-mode pull|push  how remote halo sticks move (pull)\n"
            "  --out-channels C       (read from the weights when omitted)\n",
};
