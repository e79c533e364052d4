/* A plan's L1 as TTNN would show it (issue 10): each L1 buffer, L1_SMALL buffer and
 * circular buffer of the plan's L1 map once, with TTNN's name, its bytes per core and
 * its address range, in the order the run makes them; where the failing (or last)
 * program's circular-buffer region ends and the lowest L1 buffer then; and TTNN's own
 * words when it does not fit. `plan` prints it as text and as JSON (the `buffers` of
 * the `l1` object, README "Plans as JSON"). Reads the map only. */
#ifndef TG_CLI_PLAN_L1_H
#define TG_CLI_PLAN_L1_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"

typedef enum {
    TG_CLI_L1_BUFFER = 0, /* an L1 buffer (top-down below L1_SMALL) */
    TG_CLI_L1_SMALL,      /* a buffer in the L1_SMALL region */
    TG_CLI_CB,            /* a circular buffer in its program's region */
    TG_CLI_CB_ALIAS,      /* a circular buffer on an L1 buffer (no region space) */
} tg_cli_buf_kind;

typedef struct tg_cli_buf {
    const char *name; /* in the map */
    tg_cli_buf_kind kind;
    size_t bytes;        /* per core; buffers as allocated (rounded to the L1 alignment) */
    bool placed;         /* the replay gave it an address (false after a failure) */
    size_t address;      /* buffers: where the last allocation of that name landed */
    const char *program; /* circular buffers: their program; NULL for buffers */
} tg_cli_buf;

typedef struct tg_cli_l1 {
    tg_cli_buf *buf; /* [n], in event order; a name allocated again appears once */
    int n;
    size_t cb_total; /* region bytes of the largest program the replay reached */
    /* the program that failed, else the last one: where its region ends and the lowest
     * L1 buffer while it runs (TTNN's check); known only when the replay reached it */
    const char *program;
    bool has_cb_end, has_lowest, any_buffer;
    size_t cb_end, lowest;
    char error[TG_ERR_MSG_MAX]; /* TTNN's words from the failure ("[TTNN: ...]"), or "" */
} tg_cli_l1;

/* Builds the view of a replayed map; l1_align is the arch's L1 buffer alignment. */
tg_status tg_cli_l1_make(const tg_l1_map *m, size_t l1_align, tg_cli_l1 *out);
void tg_cli_l1_free(tg_cli_l1 *v);
/* "l1_buffer", "l1_small", "cb", "cb_alias" (the JSON's kinds). */
const char *tg_cli_buf_kind_name(tg_cli_buf_kind k);

#endif
