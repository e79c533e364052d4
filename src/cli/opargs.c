/* Option parsing for the op commands; see opargs.h. */
#include "opargs.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum {
    O_INPUT = 256,
    O_OUTPUT,
    O_WEIGHTS,
    O_BIAS,
    O_SHAPE,
    O_OUTCH,
    O_KERNEL,
    O_STRIDE,
    O_PADDING,
    O_DILATION,
    O_GROUPS,
    O_ACT,
    O_SHARD,
    O_GRID,
    O_TRANSPOSE,
    O_ABH,
    O_ABWDIV,
    O_DTYPE,
    O_WDTYPE,
    O_ODTYPE,
    O_FID,
    O_FP32,
    O_DBUF,
    O_WDBUF,
    O_DEALLOC,
    O_NOSNAP,
    O_HALO,
    O_CEIL,
    O_FORMAT,
    O_EXPLAIN,
    O_NOFP32,
    O_FULLK,
    O_REUSE,
    O_CFGDRAM,
    O_NOREALLOC,
    O_SPLIT,
    O_PL1ACC,
    O_OUTLAYOUT,
    O_INLAYOUT
};

static const struct {
    struct option opt;
    unsigned group; /* 0: every op command */
} table[] = {
    {{"input", required_argument, 0, O_INPUT}, OPT_IO},
    {{"output", required_argument, 0, O_OUTPUT}, OPT_IO},
    {{"weights", required_argument, 0, O_WEIGHTS}, OPT_IO | OPT_CONV},
    /* conv2d: the bias dataset; plan conv2d: the conv has a bias (no argument) */
    {{"bias", required_argument, 0, O_BIAS}, OPT_CONV},
    {{"input-shape", required_argument, 0, O_SHAPE}, OPT_SHAPE},
    {{"out-channels", required_argument, 0, O_OUTCH}, OPT_CONV},
    {{"kernel", required_argument, 0, O_KERNEL}, 0},
    {{"stride", required_argument, 0, O_STRIDE}, 0},
    {{"padding", required_argument, 0, O_PADDING}, 0},
    {{"dilation", required_argument, 0, O_DILATION}, 0},
    {{"groups", required_argument, 0, O_GROUPS}, OPT_CONV},
    {{"activation", required_argument, 0, O_ACT}, OPT_CONV},
    {{"shard", required_argument, 0, O_SHARD}, 0},
    {{"core-grid", required_argument, 0, O_GRID}, 0},
    {{"transpose-shards", no_argument, 0, O_TRANSPOSE}, 0},
    {{"act-block-h", required_argument, 0, O_ABH}, OPT_CONV},
    {{"act-block-w-div", required_argument, 0, O_ABWDIV}, OPT_CONV},
    {{"dtype", required_argument, 0, O_DTYPE}, 0},
    {{"weights-dtype", required_argument, 0, O_WDTYPE}, OPT_CONV},
    {{"output-dtype", required_argument, 0, O_ODTYPE}, OPT_CONV},
    {{"math-fidelity", required_argument, 0, O_FID}, OPT_CONV},
    {{"fp32-acc", no_argument, 0, O_FP32}, OPT_CONV},
    {{"no-fp32-acc", no_argument, 0, O_NOFP32}, OPT_CONV},
    {{"full-inner-dim", no_argument, 0, O_FULLK}, OPT_CONV},
    {{"activation-reuse", no_argument, 0, O_REUSE}, OPT_CONV},
    {{"config-tensors-in-dram", no_argument, 0, O_CFGDRAM}, OPT_CONV},
    {{"no-reallocate-halo-output", no_argument, 0, O_NOREALLOC}, OPT_CONV},
    {{"split-reader", required_argument, 0, O_SPLIT}, OPT_CONV},
    {{"packer-l1-acc", no_argument, 0, O_PL1ACC}, OPT_CONV},
    {{"output-layout", required_argument, 0, O_OUTLAYOUT}, OPT_CONV},
    {{"input-layout", required_argument, 0, O_INLAYOUT}, OPT_CONV},
    {{"double-buffer", no_argument, 0, O_DBUF}, OPT_CONV},
    {{"weights-double-buffer", no_argument, 0, O_WDBUF}, OPT_CONV},
    {{"deallocate-activation", no_argument, 0, O_DEALLOC}, OPT_CONV},
    {{"no-snap", no_argument, 0, O_NOSNAP}, 0},
    {{"halo-mode", required_argument, 0, O_HALO}, 0},
    {{"ceil-mode", no_argument, 0, O_CEIL}, OPT_POOL},
    {{"format", required_argument, 0, O_FORMAT}, OPT_FORMAT},
    {{"explain", no_argument, 0, O_EXPLAIN}, OPT_FORMAT},
};
#define NOPTS ((int)(sizeof table / sizeof table[0]))

static tg_status pair(const char *opt, const char *s, long lo, int *a, int *b) {
    long v[2];
    TG_CHECK(tg_cli_pair(opt, s, lo, 1 << 20, v));
    *a = (int)v[0], *b = (int)v[1];
    return TG_OK;
}

static tg_status padding(const char *s, tg_conv2d_params *p) {
    long v[4];
    int n;
    TG_CHECK(tg_cli_list("--padding", s, -(1 << 20), 1 << 20, &n, v, 4));
    if (n == 1) v[1] = v[0], n = 2;
    if (n == 2)
        p->pad_t = p->pad_b = (int)v[0], p->pad_l = p->pad_r = (int)v[1];
    else if (n == 4)
        p->pad_t = (int)v[0], p->pad_b = (int)v[1], p->pad_l = (int)v[2], p->pad_r = (int)v[3];
    else
        return tg_err(TG_ERR_USAGE, "--padding takes PH,PW or PT,PB,PL,PR, got '%s'", s);
    return TG_OK;
}

static tg_status shape(const char *s, int64_t out[4]) {
    long v[4];
    int n;
    TG_CHECK(tg_cli_list("--input-shape", s, 1, 1L << 30, &n, v, 4));
    if (n != 4) return tg_err(TG_ERR_USAGE, "--input-shape takes N,H,W,C, got '%s'", s);
    for (int i = 0; i < 4; i++) out[i] = v[i];
    return TG_OK;
}

static tg_status apply(int id, const char *arg, tg_opargs *o) {
    tg_conv2d_params *p = &o->conv;
    long v;
    switch (id) {
    case O_INPUT:
        o->have_input = true;
        return tg_io_ref_parse(arg, &o->input);
    case O_OUTPUT:
        o->have_output = true;
        return tg_io_ref_parse(arg, &o->output);
    case O_WEIGHTS:
        o->have_weights = true;
        return tg_io_ref_parse(arg, &o->weights);
    case O_BIAS:
        o->have_bias = true;
        p->has_bias = true;
        return arg ? tg_io_ref_parse(arg, &o->bias) : TG_OK;
    case O_SHAPE:
        o->have_shape = true;
        return shape(arg, o->shape);
    case O_OUTCH:
        TG_CHECK(tg_cli_int("--out-channels", arg, 1, 1L << 30, &v));
        p->cout = v;
        return TG_OK;
    case O_KERNEL:
        o->have_kernel = true;
        return pair("--kernel", arg, 1, &p->kh, &p->kw);
    case O_STRIDE:
        o->have_stride = true;
        return pair("--stride", arg, 0, &p->sh, &p->sw);
    case O_PADDING:
        return padding(arg, p);
    case O_DILATION:
        return pair("--dilation", arg, 1, &p->dh, &p->dw);
    case O_GROUPS:
        TG_CHECK(tg_cli_int("--groups", arg, 1, 1L << 30, &v));
        p->groups = (int)v;
        return TG_OK;
    case O_ACT:
        if (!strcmp(arg, "relu"))
            p->relu = true;
        else if (!strcmp(arg, "none"))
            p->relu = false;
        else
            return tg_err(TG_ERR_USAGE, "--activation takes relu or none, got '%s'", arg);
        return TG_OK;
    case O_SHARD:
        return tg_conv_layout_parse(arg, &p->layout);
    case O_GRID:
        return tg_grid_parse(arg, &p->cores);
    case O_TRANSPOSE:
        p->transpose_shards = true;
        return TG_OK;
    case O_ABH:
        TG_CHECK(tg_cli_int("--act-block-h", arg, 1, 1L << 20, &v));
        p->act_block_h = (int)v;
        return TG_OK;
    case O_ABWDIV:
        TG_CHECK(tg_cli_int("--act-block-w-div", arg, 1, 1L << 20, &v));
        p->act_block_w_div = (int)v;
        return TG_OK;
    case O_DTYPE:
        TG_CHECK(tg_fmt_parse(arg, &p->in_fmt));
        if (!o->out_dtype_set) p->out_fmt = p->in_fmt;
        return TG_OK;
    case O_WDTYPE:
        o->w_dtype_set = true;
        return tg_fmt_parse(arg, &p->w_fmt);
    case O_ODTYPE:
        o->out_dtype_set = true;
        return tg_fmt_parse(arg, &p->out_fmt);
    case O_FID:
        return tg_fidelity_parse(arg, &p->fidelity);
    case O_FP32:
        p->fp32_acc = 1;
        return TG_OK;
    case O_NOFP32:
        p->fp32_acc = 0;
        return TG_OK;
    case O_FULLK:
        p->full_inner_dim = true;
        return TG_OK;
    case O_REUSE:
        p->activation_reuse = true;
        return TG_OK;
    case O_CFGDRAM:
        p->config_tensors_in_dram = true;
        return TG_OK;
    case O_NOREALLOC:
        p->reallocate_halo_output = false;
        return TG_OK;
    case O_SPLIT:
        if (!strcmp(arg, "on"))
            p->force_split_reader = 1;
        else if (!strcmp(arg, "off"))
            p->force_split_reader = 0;
        else if (!strcmp(arg, "auto"))
            p->force_split_reader = -1;
        else
            return tg_err(TG_ERR_USAGE, "--split-reader takes on, off or auto, got '%s'", arg);
        return TG_OK;
    case O_PL1ACC:
        p->packer_l1_acc = true;
        return TG_OK;
    case O_OUTLAYOUT:
        if (!strcmp(arg, "tile"))
            p->out_row_major = false;
        else if (!strcmp(arg, "row-major"))
            p->out_row_major = true;
        else
            return tg_err(TG_ERR_USAGE, "--output-layout takes tile or row-major, got '%s'", arg);
        return TG_OK;
    case O_INLAYOUT:
        if (!strcmp(arg, "tile"))
            p->in_tile = true;
        else if (!strcmp(arg, "row-major"))
            p->in_tile = false;
        else
            return tg_err(TG_ERR_USAGE, "--input-layout takes tile or row-major, got '%s'", arg);
        return TG_OK;
    case O_DBUF:
        p->act_double_buffer = true;
        return TG_OK;
    case O_WDBUF:
        p->weights_double_buffer = true;
        return TG_OK;
    case O_DEALLOC:
        p->deallocate_activation = true;
        return TG_OK;
    case O_NOSNAP:
        p->snap = false;
        return TG_OK;
    case O_HALO:
        return tg_halo_mode_parse(arg, &p->halo_mode);
    case O_CEIL:
        o->ceil_mode = true;
        return TG_OK;
    case O_FORMAT:
        if (!strcmp(arg, "csv"))
            o->format = OPT_FORMAT_CSV;
        else if (!strcmp(arg, "text"))
            o->format = OPT_FORMAT_TEXT;
        else if (!strcmp(arg, "json"))
            o->format = OPT_FORMAT_JSON;
        else
            return tg_err(TG_ERR_USAGE, "--format takes text, csv or json, got '%s'", arg);
        return TG_OK;
    case O_EXPLAIN:
        o->explain = true;
        return TG_OK;
    }
    return tg_err(TG_ERR_USAGE, "unknown option");
}

tg_status tg_opargs_parse(int argc, char **argv, const char *cmd, unsigned allowed, tg_opargs *o) {
    memset(o, 0, sizeof *o);
    tg_conv2d_params_default(&o->conv);
    struct option opts[NOPTS + 1];
    for (int i = 0; i < NOPTS; i++) {
        opts[i] = table[i].opt;
        /* plan conv2d has no files: its --bias only says that the conv has one */
        if (opts[i].val == O_BIAS && !(allowed & OPT_IO)) opts[i].has_arg = no_argument;
    }
    memset(&opts[NOPTS], 0, sizeof opts[NOPTS]);
    opterr = 0;
    optind = 1;
    int c, idx = -1;
    while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
        if (c == '?' || c == ':') return tg_cli_bad_option(cmd, argv, optind);
        for (int i = 0; i < NOPTS; i++)
            if (table[i].opt.val == c && (table[i].group & allowed) != table[i].group)
                return tg_err(TG_ERR_USAGE, "%s: option --%s does not apply (try %s --help)", cmd,
                              table[i].opt.name, cmd);
        TG_CHECK(apply(c, optarg, o));
    }
    if (optind < argc)
        return tg_err(TG_ERR_USAGE, "%s: unexpected argument '%s'", cmd, argv[optind]);
    if (!o->have_kernel) return tg_err(TG_ERR_USAGE, "%s: --kernel is required", cmd);
    /* TTNN takes the weights' format from the weights tensor unless weights_dtype is
     * set (ttnn/cpp/ttnn/operations/conv/conv2d/conv2d.cpp conv2d_L1:
     * conv_config.weights_dtype.value_or(weight_tensor.dtype())); without a weights file
     * (plan) that tensor is taken to be in --dtype's format. conv2d then takes it from
     * the weights dataset (cmd_conv2d.c). */
    if (!o->w_dtype_set) o->conv.w_fmt = o->conv.in_fmt;
    return TG_OK;
}

tg_maxpool2d_params tg_opargs_pool(const tg_opargs *o, const int64_t shape[4]) {
    const tg_conv2d_params *c = &o->conv;
    tg_maxpool2d_params p = {.n = shape[0],
                             .h = shape[1],
                             .w = shape[2],
                             .c = shape[3],
                             .kh = c->kh,
                             .kw = c->kw,
                             .sh = o->have_stride ? c->sh : c->kh,
                             .sw = o->have_stride ? c->sw : c->kw,
                             .dh = c->dh,
                             .dw = c->dw,
                             .pad_t = c->pad_t,
                             .pad_b = c->pad_b,
                             .pad_l = c->pad_l,
                             .pad_r = c->pad_r,
                             .ceil_mode = o->ceil_mode,
                             .cores = c->cores,
                             .transpose_shards = c->transpose_shards,
                             .snap = c->snap,
                             .fmt = c->in_fmt,
                             .halo_mode = c->halo_mode,
                             .layout = TG_SHARD_HEIGHT};
    if (c->layout == TG_CONV_WIDTH) p.layout = TG_SHARD_WIDTH;
    if (c->layout == TG_CONV_BLOCK) p.layout = TG_SHARD_BLOCK;
    if (c->layout == TG_CONV_DRAM) p.dram = true;
    return p;
}

/* The grid's DRAM: every bank at its emulated size. */
static size_t dram_bytes(void) {
    const tg_core *c = tg_core_self();
    return (size_t)c->arch->dram_banks * c->dram_bank_bytes;
}

tg_status tg_opargs_check_conv(const tg_conv2d_params *p) {
    tg_window w;
    TG_CHECK(tg_window_make(p->n, p->h, p->w, p->kh, p->kw, p->sh, p->sw, p->pad_t, p->pad_b,
                            p->pad_l, p->pad_r, p->dh, p->dw, false, &w));
    return tg_window_fits(&w, "conv2d", p->cin, p->in_fmt, p->cout, p->out_fmt,
                          tg_core_self()->l1.size, dram_bytes());
}

tg_status tg_opargs_check_pool(const tg_maxpool2d_params *p) {
    TG_CHECK(tg_maxpool2d_params_check(p));
    tg_window w;
    TG_CHECK(tg_window_make(p->n, p->h, p->w, p->kh, p->kw, p->sh, p->sw, p->pad_t, p->pad_b,
                            p->pad_l, p->pad_r, p->dh, p->dw, p->ceil_mode, &w));
    return tg_window_fits(&w, "maxpool2d", p->c, p->fmt, p->c, p->fmt, tg_core_self()->l1.size,
                          dram_bytes());
}
