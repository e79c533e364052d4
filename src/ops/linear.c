/* The linear layer as a 1x1 convolution; see linear.h. Pure. */
#include "linear.h"

void tg_linear_conv_params(const tg_linear_params *p, tg_conv2d_params *c) {
    tg_conv2d_params_default(c);
    c->n = p->n, c->h = c->w = 1, c->cin = p->in_features, c->cout = p->out_features;
    c->has_bias = p->has_bias, c->relu = p->relu;
    c->layout = p->layout, c->cores = p->cores, c->act_block_h = p->act_block_h;
    c->in_fmt = p->in_fmt, c->w_fmt = p->w_fmt, c->out_fmt = p->out_fmt;
    c->fidelity = p->fidelity, c->fp32_acc = p->fp32_acc;
    c->deallocate_activation = p->deallocate_activation;
}

tg_status tg_linear_plan_fit(const tg_linear_params *p, const tg_machine *m, const tg_l1 *snapshot,
                             const tg_conv2d_site *site, tg_conv2d_plan *out, tg_explain *why) {
    if (p->n <= 0 || p->in_features <= 0 || p->out_features <= 0)
        return tg_err(TG_ERR_USAGE, "linear: [%lld, %lld] x [%lld, %lld]^T has an empty side",
                      (long long)p->n, (long long)p->in_features, (long long)p->out_features,
                      (long long)p->in_features);
    tg_conv2d_params c;
    tg_linear_conv_params(p, &c);
    return tg_conv2d_plan_fit(&c, m, snapshot, site, out, why);
}
