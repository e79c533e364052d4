/* Options shared by the op commands (conv2d, maxpool2d, plan): one parser, one table
 * of long options; each command says which options it accepts. */
#ifndef TG_OPARGS_H
#define TG_OPARGS_H

#include "conv2d.h"
#include "io.h"
#include "maxpool2d.h"

enum {
    OPT_IO = 1 << 0,     /* --input --output */
    OPT_SHAPE = 1 << 1,  /* --input-shape --out-channels (plan) */
    OPT_CONV = 1 << 2,   /* conv-only options */
    OPT_POOL = 1 << 3,   /* --ceil-mode */
    OPT_FORMAT = 1 << 4, /* --format */
};

typedef struct tg_opargs {
    tg_conv2d_params conv; /* window, layout, formats (pool uses the common part) */
    tg_io_ref input, output, weights, bias;
    bool have_input, have_output, have_weights, have_bias, have_kernel, have_stride;
    int64_t shape[4];
    bool have_shape;
    bool ceil_mode;
    enum { OPT_FORMAT_TEXT = 0, OPT_FORMAT_CSV, OPT_FORMAT_JSON } format;
    bool explain; /* plan: list the candidates tried */
    bool out_dtype_set;
    bool w_dtype_set; /* --weights-dtype given (else the weights tensor's format) */
} tg_opargs;

/* Parses argv[1..] of command `cmd`; options outside `allowed` are usage errors. */
tg_status tg_opargs_parse(int argc, char **argv, const char *cmd, unsigned allowed, tg_opargs *o);

/* The maxpool2d parameters of parsed options on an [N, H, W, C] input: the stride
 * defaults to the kernel (PyTorch's default), --shard none becomes DRAM height. */
tg_maxpool2d_params tg_opargs_pool(const tg_opargs *o, const int64_t shape[4]);

/* Whether the tensors a conv2d or maxpool2d implies can be held by this machine at
 * all (tg_window_fits with this core's L1 and the grid's DRAM), checked before any
 * planning loop walks them. TG_ERR_USAGE with the numbers. */
tg_status tg_opargs_check_conv(const tg_conv2d_params *p);
tg_status tg_opargs_check_pool(const tg_maxpool2d_params *p);

#endif
