/* Private to conv2d's files: the decisions of conv2d_plan.c that conv2d_fit.c uses. */
#ifndef TG_CONV2D_IMPL_H
#define TG_CONV2D_IMPL_H

#include "conv2d.h"

/* Decides layout (TTNN's rule for auto), shapes and blocks with `l1_size` bytes per core
 * of which `l1_other` are held by other buffers; *ok says whether the paper's L1
 * budget fits. Bad parameters are TG_ERR_USAGE. */
tg_status conv2d_decide(const tg_conv2d_params *p, const tg_machine *m, size_t l1_size,
                        size_t l1_other, tg_conv2d_plan *out, bool *ok, tg_explain *why);
/* Appends a candidate to `why` (may be NULL). */
void conv2d_explain(tg_explain *why, bool chosen, const char *what, const char *reason);
/* TTNN-style out-of-L1 error of a plan whose budget does not fit, with a hint. */
tg_status conv2d_no_fit_error(const tg_conv2d_plan *pl, size_t l1_size, size_t l1_other);

/* Tallies every core's schedule into pl->traffic (conv2d_schedule.c). */
void conv2d_schedule_traffic(tg_conv2d_plan *pl);

#endif
