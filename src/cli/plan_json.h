/* `ttgrid plan --format json`: a plan as one JSON document (schema "ttgrid.plan/1",
 * documented in the README), written with cJSON on rank 0. */
#ifndef TG_PLAN_JSON_H
#define TG_PLAN_JSON_H

#include "cli.h"
#include "conv2d.h"
#include "maxpool2d.h"

/* Prints the plan; fit_st is the planner's outcome (a plan that does not fit is printed
 * with "fits": false and the error). */
tg_status tg_cli_json_conv2d(const tg_cli *g, const tg_conv2d_plan *pl, const tg_explain *why,
                             tg_status fit_st);
tg_status tg_cli_json_maxpool2d(const tg_cli *g, const tg_maxpool2d_plan *pl, tg_status fit_st);

#endif
