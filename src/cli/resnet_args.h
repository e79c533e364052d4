/* The options of `resnet50` and `plan resnet50`, parsed in one place. */
#ifndef TG_RESNET_ARGS_H
#define TG_RESNET_ARGS_H

#include <stdbool.h>

#include "io.h"
#include "resnet50.h"

#define MAX_OVERRIDES 64

typedef struct rn_opts {
    tg_resnet_opts net;
    const char *weights;
    tg_io_ref input, output;
    bool have_input, have_output, batch_set, image_set, wdtype_set;
    const char *dump;
    const char *overrides[MAX_OVERRIDES];
    int noverrides;
    unsigned long long seed;
    int repeat;
} rn_opts;

/* Parses `resnet50`'s options; `plan` (for `plan resnet50`): the network's shape,
 * formats and placement only (no weights, input, output, dump, seed or repeat). */
tg_status tg_cli_resnet_parse(int argc, char **argv, bool plan, rn_opts *o);

#endif
