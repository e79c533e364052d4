/* Max-pool planning: shards, halo and the per-core L1 budget. Pure. */
#include "pool.h"

#include <stdio.h>
#include <string.h>

/* DRAM: each core takes an even share of the output rows, in blocks whose input
 * window and output fit in L1 (tallest first). */
static tg_status pool_plan_dram(tg_pool_plan *pl) {
    const tg_pool_params *p = &pl->p;
    int P = pl->cores.w * pl->cores.h;
    int64_t out_rows = tg_window_out_rows(&pl->win), in_rows = p->n * p->h * p->w;
    pl->row_parts = P, pl->col_parts = 1;
    pl->c_slice = tg_channels_padded(p->c);
    pl->in_split = (tg_split){1, in_rows, in_rows};
    int64_t per = (out_rows + P - 1) / P;
    pl->out_split = (tg_split){P, per > 0 ? per : 1, out_rows};
    size_t row = tg_fmt_row_bytes(p->fmt, pl->c_slice);
    for (int64_t b = 1024; b >= 1; b /= 2) {
        int64_t cap = 0;
        for (int q = 0; q < P; q++)
            for (int64_t o = tg_split_start(pl->out_split, q); o < tg_split_end(pl->out_split, q);
                 o += b) {
                int64_t e =
                    o + b < tg_split_end(pl->out_split, q) ? o + b : tg_split_end(pl->out_split, q);
                int64_t len =
                    tg_window_bottom_right(&pl->win, e - 1) + 1 - tg_window_top_left(&pl->win, o);
                if (len > cap) cap = len;
            }
        pl->block_rows = b;
        pl->halo_cap = cap;
        pl->nitems = 2;
        snprintf(pl->items[0].name, sizeof pl->items[0].name, "input window");
        pl->items[0].bytes = (size_t)cap * row;
        snprintf(pl->items[1].name, sizeof pl->items[1].name, "output block");
        pl->items[1].bytes = (size_t)b * row;
        pl->l1_total = pl->items[0].bytes + pl->items[1].bytes;
        if (pl->l1_total <= pl->l1_limit) return TG_OK;
    }
    return tg_err(TG_ERR_RUNTIME,
                  "maxpool2d (DRAM): out of L1: one output row's window needs %zu B but the limit "
                  "is %zu B",
                  pl->l1_total, pl->l1_limit);
}

tg_status tg_pool_plan_make(const tg_pool_params *p, tg_grid machine, size_t l1_size,
                            size_t l1_other, tg_pool_plan *pl) {
    memset(pl, 0, sizeof *pl);
    pl->p = *p;
    if (p->c <= 0) return tg_err(TG_ERR_USAGE, "maxpool2d: %lld channels", (long long)p->c);
    TG_CHECK(tg_window_make(p->n, p->h, p->w, p->kh, p->kw, p->sh, p->sw, p->pad_t, p->pad_b,
                            p->pad_l, p->pad_r, p->dh, p->dw, p->ceil_mode, &pl->win));
    pl->cores = (p->cores.w > 0 && p->cores.h > 0) ? p->cores : machine;
    if (pl->cores.w > machine.w || pl->cores.h > machine.h)
        return tg_err(TG_ERR_USAGE, "maxpool2d: core grid %dx%d does not fit in the %dx%d grid",
                      pl->cores.w, pl->cores.h, machine.w, machine.h);
    pl->l1_limit = l1_size > l1_other ? l1_size - l1_other : 0;
    if (p->dram) return pool_plan_dram(pl);
    tg_shard_spec in;
    TG_CHECK(tg_shard_spec_make(p->layout, p->n * p->h * p->w, p->c, pl->cores, p->transpose_shards,
                                p->snap, &in));
    pl->row_parts = in.row_parts;
    pl->col_parts = in.col_parts;
    pl->c_slice = in.shard_w;
    pl->in_split = tg_split_of(&in);
    pl->out_split = tg_split_out(&in, tg_window_out_rows(&pl->win));
    pl->halo_cap = tg_window_max_halo(&pl->win, pl->out_split);
    size_t row = tg_fmt_row_bytes(p->fmt, pl->c_slice);
    const char *names[] = {"input shard", "haloed shard", "output shard"};
    size_t bytes[] = {(size_t)pl->in_split.shard * row, (size_t)pl->halo_cap * row,
                      (size_t)pl->out_split.shard * row};
    for (int i = 0; i < 3; i++) {
        snprintf(pl->items[i].name, sizeof pl->items[i].name, "%s", names[i]);
        pl->items[i].bytes = bytes[i];
        pl->l1_total += bytes[i];
    }
    pl->nitems = 3;
    if (pl->l1_total > pl->l1_limit)
        return tg_err(TG_ERR_RUNTIME,
                      "maxpool2d (%s sharded, %dx%d cores): out of L1 on every core: needs %zu B "
                      "(input shard %zu B, haloed shard %zu B, output shard %zu B) but the limit "
                      "is %zu B; try more cores or another layout",
                      tg_shard_name(p->layout), pl->cores.w, pl->cores.h, pl->l1_total, bytes[0],
                      bytes[1], bytes[2], pl->l1_limit);
    return TG_OK;
}
