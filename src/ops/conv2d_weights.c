/* conv2d's weights prepared as the paper says: permuted to [Kh, Kw, Cin, Cout] (in the
 * layout's K order), grouped block-diagonal, padded, and held in interleaved DRAM;
 * every rank plays the host for its own output channels. */
#include "conv2d.h"

#include <stdlib.h>
#include <string.h>

/* The input channel and tap behind weight row k, or -1 for a padding row. */
static int64_t weight_row_source(const tg_conv2d_plan *pl, int64_t k, int *tap) {
    int64_t taps = (int64_t)pl->p.kh * pl->p.kw, ci;
    if (pl->col_parts == 1) {
        if (k >= taps * pl->cin_p) return -1;
        *tap = (int)(k / pl->cin_p);
        ci = k % pl->cin_p;
    } else {
        int64_t t = k / pl->k_turn, rem = k % pl->k_turn;
        *tap = (int)(rem / pl->cin_slice);
        ci = t * pl->cin_slice + rem % pl->cin_slice;
    }
    return ci < pl->p.cin ? ci : -1;
}

void tg_conv2d_weight_cols(int64_t cout, int64_t *co0, int64_t *co1) {
    tg_core *c = tg_core_self();
    int64_t g = cout < 32 ? 16 : 32;
    int64_t per = ((cout + c->nranks - 1) / c->nranks + g - 1) / g * g;
    *co0 = per * c->rank < cout ? per * c->rank : cout;
    *co1 = *co0 + per < cout ? *co0 + per : cout;
}

/* Writes this rank's columns [co0, co0 + width) of every K row (packed rows of `seg`
 * bytes in `rows`, one per padded K row) into the weight tiles: a whole tile column
 * in one write of its K tiles (assembled in `tiles`), a part of one (a rank's share
 * may end mid-tile) one row of every K tile at a time. */
static tg_status write_tiles(const tg_conv2d_plan *pl, const tg_dram_buf *w, const uint8_t *rows,
                             size_t seg, int64_t co0, int64_t width, uint8_t *tiles) {
    tg_fmt f = pl->p.w_fmt;
    int64_t kt = tg_conv2d_weight_ktiles(pl->k_rows);
    size_t prow = tg_fmt_row_bytes(f, TG_TILE);
    for (int64_t c = co0; c < co0 + width;) {
        int64_t ct = c / TG_TILE, end = (ct + 1) * TG_TILE;
        if (end > co0 + width) end = co0 + width;
        const uint8_t *src = rows + tg_fmt_col_offset(f, c - co0);
        if (c == ct * TG_TILE && end == c + TG_TILE) {
            for (int64_t k = 0; k < kt * TG_TILE; k++)
                memcpy(tiles + (size_t)k * prow, src + (size_t)k * seg, prow);
            TG_CHECK(tg_dram_write_host_part(w, ct * kt, kt, 0, w->page_size, tiles, w->page_size));
        } else {
            for (int64_t r = 0; r < TG_TILE; r++)
                TG_CHECK(tg_dram_write_host_part(
                    w, ct * kt, kt, (size_t)r * prow + tg_fmt_col_offset(f, c - ct * TG_TILE),
                    tg_fmt_row_bytes(f, end - c), src + (size_t)r * seg, TG_TILE * seg));
        }
        c = end;
    }
    return TG_OK;
}

tg_status tg_conv2d_weights_load(const tg_conv2d_plan *pl, const float *weight, const float *bias,
                                 tg_conv2d_weights *out) {
    const tg_conv2d_params *p = &pl->p;
    memset(out, 0, sizeof *out);
    out->fmt = p->w_fmt;
    out->has_bias = bias != NULL;
    int64_t kt = tg_conv2d_weight_ktiles(pl->k_rows), k_pad = kt * TG_TILE;
    int64_t ct = (pl->cout_p + TG_TILE - 1) / TG_TILE;
    TG_CHECK(tg_dram_alloc("conv2d:weights", TG_TILE * tg_fmt_row_bytes(p->w_fmt, TG_TILE), kt * ct,
                           &out->w));
    size_t page = tg_fmt_row_bytes(p->w_fmt, pl->cout_p);
    tg_status st = tg_dram_alloc("conv2d:bias", page, 1, &out->bias);
    if (st != TG_OK) {
        tg_dram_free(&out->w);
        return st;
    }
    /* This rank's columns, padded to whole granules of the format (the last one up
     * to the padded width); the rows past k_rows (the last tile's padding) zero. */
    int64_t co0, co1;
    tg_conv2d_weight_cols(p->cout, &co0, &co1);
    int64_t w_end = co1 == p->cout ? pl->cout_p : co1, width = co1 > co0 ? w_end - co0 : 0;
    size_t seg = tg_fmt_row_bytes(p->w_fmt, width > 0 ? width : 0);
    float *row = calloc((size_t)(width > 0 ? width : 1), sizeof *row);
    uint8_t *rows = malloc((size_t)k_pad * (seg ? seg : 1));
    uint8_t *tiles = malloc((size_t)kt * out->w.page_size);
    if (!row || !rows || !tiles)
        st = tg_err(TG_ERR_RUNTIME, "conv2d: out of host memory for weights");
    int64_t kk = (int64_t)p->kh * p->kw;
    for (int64_t k = 0; st == TG_OK && width > 0 && k < k_pad; k++) {
        memset(row, 0, (size_t)width * sizeof *row);
        int tap = 0;
        int64_t ci = k < pl->k_rows ? weight_row_source(pl, k, &tap) : -1;
        for (int64_t co = co0; ci >= 0 && co < co1; co++) {
            int64_t g = co / pl->cout_g, cil = ci - g * pl->cin_g;
            if (cil < 0 || cil >= pl->cin_g) continue; /* another group's channel */
            row[co - co0] = weight[((co - co0) * pl->cin_g + cil) * kk + tap];
        }
        tg_fmt_pack(p->w_fmt, row, width, rows + (size_t)k * seg);
    }
    if (st == TG_OK && width > 0) {
        st = write_tiles(pl, &out->w, rows, seg, co0, width, tiles);
        if (st == TG_OK) {
            memset(row, 0, (size_t)width * sizeof *row);
            if (bias) memcpy(row, bias, (size_t)(co1 - co0) * sizeof *row);
            tg_fmt_pack(p->w_fmt, row, width, rows);
            st = tg_dram_write_host_part(&out->bias, 0, 1, tg_fmt_col_offset(p->w_fmt, co0), seg,
                                         rows, seg);
        }
    }
    free(row);
    free(rows);
    free(tiles);
    st = tg_noc_sync(st);
    if (st != TG_OK) tg_conv2d_weights_free(out);
    return st;
}

void tg_conv2d_weights_free(tg_conv2d_weights *w) {
    tg_dram_free(&w->bias);
    tg_dram_free(&w->w);
}
