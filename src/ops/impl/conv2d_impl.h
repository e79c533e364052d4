/* Private to conv2d's files: the decisions of conv2d_plan.c that conv2d_fit.c uses. */
#ifndef TG_CONV2D_IMPL_H
#define TG_CONV2D_IMPL_H

#include "conv2d.h"

/* Decides layout, shapes and blocks: sharded layouts as TTNN configures them for the
 * input `in` (conv2d_ttnn.h; *ok true: the L1 map decides the fit), the DRAM layout by
 * the paper's L1 rule with `l1_size` bytes per core of which `l1_other` are held by
 * other buffers (*ok: the budget fits). Bad parameters are TG_ERR_USAGE, with TTNN's
 * words where TTNN refuses the conv. */
tg_status conv2d_decide(const tg_conv2d_params *p, const tg_machine *m, const tg_tensor *in,
                        size_t l1_size, size_t l1_other, tg_conv2d_plan *out, bool *ok,
                        tg_explain *why);
/* Appends a candidate to `why` (may be NULL). */
void conv2d_explain(tg_explain *why, bool chosen, const char *what, const char *reason);
/* TTNN-style out-of-L1 error of a plan whose budget does not fit, with a hint. */
tg_status conv2d_no_fit_error(const tg_conv2d_plan *pl, size_t l1_size, size_t l1_other);

/* Tallies every core's schedule into pl->traffic (conv2d_schedule.c). */
void conv2d_schedule_traffic(tg_conv2d_plan *pl);

#endif
