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

tg_status tg_conv2d_weights_load(const tg_conv2d_plan *pl, const float *weight, const float *bias,
                                 tg_conv2d_weights *out) {
    const tg_conv2d_params *p = &pl->p;
    memset(out, 0, sizeof *out);
    out->fmt = p->w_fmt;
    out->has_bias = bias != NULL;
    size_t page = tg_fmt_row_bytes(p->w_fmt, pl->cout_p);
    TG_CHECK(tg_dram_alloc("conv2d:weights", page, pl->k_rows, &out->w));
    tg_status st = tg_dram_alloc("conv2d:bias", page, 1, &out->bias);
    if (st != TG_OK) {
        tg_dram_free(&out->w);
        return st;
    }
    /* This rank's columns, padded to whole granules of the format (the last one up
     * to the padded width), written as the same byte range of every page. */
    int64_t co0, co1;
    tg_conv2d_weight_cols(p->cout, &co0, &co1);
    int64_t w_end = co1 == p->cout ? pl->cout_p : co1, width = co1 > co0 ? w_end - co0 : 0;
    size_t seg = tg_fmt_row_bytes(p->w_fmt, width > 0 ? width : 0);
    float *row = calloc((size_t)(width > 0 ? width : 1), sizeof *row);
    uint8_t *pages = malloc((size_t)pl->k_rows * (seg ? seg : 1));
    if (!row || !pages) st = tg_err(TG_ERR_RUNTIME, "conv2d: out of host memory for weights");
    int64_t kk = (int64_t)p->kh * p->kw;
    for (int64_t k = 0; st == TG_OK && width > 0 && k < pl->k_rows; k++) {
        memset(row, 0, (size_t)width * sizeof *row);
        int tap = 0;
        int64_t ci = weight_row_source(pl, k, &tap);
        for (int64_t co = co0; ci >= 0 && co < co1; co++) {
            int64_t g = co / pl->cout_g, cil = ci - g * pl->cin_g;
            if (cil < 0 || cil >= pl->cin_g) continue; /* another group's channel */
            row[co - co0] = weight[((co - co0) * pl->cin_g + cil) * kk + tap];
        }
        tg_fmt_pack(p->w_fmt, row, width, pages + (size_t)k * seg);
    }
    if (st == TG_OK && width > 0) {
        size_t off = tg_fmt_col_offset(p->w_fmt, co0);
        st = tg_dram_write_host_part(&out->w, 0, pl->k_rows, off, seg, pages, seg);
        if (st == TG_OK) {
            memset(row, 0, (size_t)width * sizeof *row);
            if (bias) memcpy(row, bias, (size_t)(co1 - co0) * sizeof *row);
            tg_fmt_pack(p->w_fmt, row, width, pages);
            st = tg_dram_write_host_part(&out->bias, 0, 1, off, seg, pages, seg);
        }
    }
    free(row);
    free(pages);
    st = tg_noc_sync(st);
    if (st != TG_OK) tg_conv2d_weights_free(out);
    return st;
}

void tg_conv2d_weights_free(tg_conv2d_weights *w) {
    tg_dram_free(&w->bias);
    tg_dram_free(&w->w);
}
