/* The halo op (DESIGN.md section 4; the paper, "Haloing"): builds each core's
 * haloed shard from the sliding-window plan, moving remote runs through src/noc. */
#ifndef TG_HALO_H
#define TG_HALO_H

#include "tensor.h"
#include "window.h"

typedef enum {
    TG_HALO_PULL = 0, /* each core reads the remote runs it needs */
    TG_HALO_PUSH = 1, /* each owner writes its sticks into the cores that need them */
} tg_halo_mode;

tg_status tg_halo_mode_parse(const char *s, tg_halo_mode *out);

/* A haloed shard: padded-input sticks [bounds.a, bounds.b) of this core's part at
 * l1_off, one row of row_bytes per stick (the input shard's channel slice). Every
 * core allocates the largest part's size, so the offset agrees everywhere. */
typedef struct tg_haloed {
    size_t l1_off;
    int64_t cap; /* sticks allocated */
    size_t row_bytes;
    int part; /* this core's row part, -1 when it holds none */
    tg_window_bounds bounds;
    bool allocated;
} tg_haloed;

/* The row split of a sharded tensor's rows (input) and of the op's output rows
 * with the same number of parts and the same rounding. */
tg_split tg_split_of(const tg_shard_spec *s);
tg_split tg_split_out(const tg_shard_spec *in, int64_t out_rows);

/* Builds the haloed shard of `in` (L1, any layout) for window `w` whose outputs are
 * split by `out`. Padding sticks get `pad_value` (0 for conv, -inf for max pool),
 * local runs are copied, remote runs move through the NoC. Counts the halo sticks
 * and bytes in the open op's statistics. Collective. */
tg_status tg_halo_exchange(const tg_window *w, const tg_tensor *in, tg_split out, float pad_value,
                           tg_halo_mode mode, tg_haloed *h);
void tg_haloed_free(tg_haloed *h);

#endif
