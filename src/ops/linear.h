/* A linear layer (ResNet-50's fc): y = x W^T + b over x [N, 1, 1, in] into
 * y [N, 1, 1, out], weights [out, in], planned and run as a 1x1, stride-1 convolution
 * on its matmul path (TTNN runs such convs as ttnn.linear; here the two are one op).
 * The plan is a conv2d plan, so everything conv2d.h says of plans, schedules and runs
 * holds for it. */
#ifndef TG_LINEAR_H
#define TG_LINEAR_H

#include "conv2d.h"

typedef struct tg_linear_params {
    int64_t n, in_features, out_features;
    bool has_bias, relu;
    tg_conv_layout layout; /* of the [N, in] matrix over the cores (auto: TTNN's rule) */
    tg_grid cores;         /* 0x0: the machine grid */
    int act_block_h;       /* rows of x per block (0: the core's whole shard) */
    tg_fmt in_fmt, w_fmt, out_fmt;
    tg_fidelity fidelity;
    bool fp32_acc;
    bool deallocate_activation;
} tg_linear_params;

/* The 1x1 convolution the layer is. */
void tg_linear_conv_params(const tg_linear_params *p, tg_conv2d_params *out);
/* Plans the layer (see tg_conv2d_plan_fit); bad sizes are TG_ERR_USAGE. */
tg_status tg_linear_plan_fit(const tg_linear_params *p, const tg_machine *m, const tg_l1 *snapshot,
                             const tg_conv2d_site *site, tg_conv2d_plan *out, tg_explain *why);

#endif
