/* Shard specs: who holds which rows and channels. Pure; see shard.h. */
#include "shard.h"

#include <string.h>

static int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

static int64_t round_up(int64_t a, int64_t b) {
    return ceil_div(a, b) * b;
}

static int64_t min64(int64_t a, int64_t b) {
    return a < b ? a : b;
}

tg_status tg_shard_parse(const char *s, tg_shard_layout *out) {
    if (!strcmp(s, "height"))
        *out = TG_SHARD_HEIGHT;
    else if (!strcmp(s, "width"))
        *out = TG_SHARD_WIDTH;
    else if (!strcmp(s, "block"))
        *out = TG_SHARD_BLOCK;
    else
        return tg_err(TG_ERR_USAGE, "unknown shard layout '%s' (height, width, block)", s);
    return TG_OK;
}

const char *tg_shard_name(tg_shard_layout l) {
    switch (l) {
    case TG_SHARD_HEIGHT:
        return "height";
    case TG_SHARD_WIDTH:
        return "width";
    case TG_SHARD_BLOCK:
        return "block";
    }
    return "?";
}

tg_status tg_shard_spec_make(tg_shard_layout layout, int64_t rows, int64_t cols, tg_grid cores,
                             bool transpose, bool snap, tg_shard_spec *out) {
    if (cores.w <= 0 || cores.h <= 0)
        return tg_err(TG_ERR_USAGE, "shard spec: empty core grid %dx%d", cores.w, cores.h);
    if (rows < 0 || cols <= 0)
        return tg_err(TG_ERR_USAGE, "shard spec: bad matrix [%lld, %lld]", (long long)rows,
                      (long long)cols);
    memset(out, 0, sizeof *out);
    out->layout = layout;
    out->grid = cores;
    out->transpose = layout == TG_SHARD_BLOCK && transpose;
    out->snap = snap;
    out->rows = rows;
    out->cols = cols;
    /* Conv2dConfig.input_channels_alignment: 16 when in_channels < 32, else 32
     * (the paper, "Conv2dConfig"). */
    out->align = cols < 32 ? 16 : 32;
    out->cols_padded = round_up(cols, out->align);
    int p = cores.w * cores.h;
    switch (layout) {
    case TG_SHARD_HEIGHT:
        out->row_parts = p, out->col_parts = 1;
        break;
    case TG_SHARD_WIDTH:
        out->row_parts = 1, out->col_parts = p;
        break;
    case TG_SHARD_BLOCK:
        out->row_parts = out->transpose ? cores.w : cores.h;
        out->col_parts = out->transpose ? cores.h : cores.w;
        break;
    }
    int64_t h = ceil_div(rows, out->row_parts);
    if (snap) h = round_up(h, TG_TILE);
    out->shard_h = h > 0 ? h : (snap ? TG_TILE : 1);
    out->shard_w = round_up(ceil_div(out->cols_padded, out->col_parts), out->align);
    return TG_OK;
}

tg_status tg_shard_spec_make_shape(tg_shard_layout layout, int64_t rows, int64_t cols,
                                   const tg_shard_shape *sh, bool transpose, tg_shard_spec *out) {
    tg_grid g = sh->grid;
    if (g.w <= 0 || g.h <= 0 || sh->row_parts < 1 || sh->col_parts < 1)
        return tg_err(TG_ERR_USAGE, "shard spec: %d x %d parts on a %dx%d core grid", sh->row_parts,
                      sh->col_parts, g.w, g.h);
    if (rows < 0 || cols <= 0 || sh->shard_h < 1 || sh->shard_w < 1)
        return tg_err(TG_ERR_USAGE, "shard spec: bad matrix [%lld, %lld] or shard [%lld, %lld]",
                      (long long)rows, (long long)cols, (long long)sh->shard_h,
                      (long long)sh->shard_w);
    if (sh->align != 8 && sh->align != 16 && sh->align != 32)
        return tg_err(TG_ERR_USAGE, "shard spec: channel alignment %d (8, 16 or 32)", sh->align);
    bool tr = layout == TG_SHARD_BLOCK && transpose;
    int need_w = layout == TG_SHARD_BLOCK ? (tr ? sh->row_parts : sh->col_parts) : 1;
    int need_h = layout == TG_SHARD_BLOCK ? (tr ? sh->col_parts : sh->row_parts) : 1;
    int cores = layout == TG_SHARD_HEIGHT  ? sh->row_parts
                : layout == TG_SHARD_WIDTH ? sh->col_parts
                                           : need_w * need_h;
    if ((layout == TG_SHARD_HEIGHT && sh->col_parts != 1) ||
        (layout == TG_SHARD_WIDTH && sh->row_parts != 1) || need_w > g.w || need_h > g.h ||
        cores > g.w * g.h)
        return tg_err(TG_ERR_USAGE,
                      "shard spec: %s sharding in %d x %d parts does not fit a %dx%d "
                      "core grid",
                      tg_shard_name(layout), sh->row_parts, sh->col_parts, g.w, g.h);
    int64_t cols_padded = round_up(cols, sh->align);
    if (sh->shard_w % sh->align || (int64_t)sh->row_parts * sh->shard_h < rows ||
        (int64_t)sh->col_parts * sh->shard_w < cols_padded)
        return tg_err(TG_ERR_USAGE,
                      "shard spec: %d x %d shards of [%lld, %lld] (channels aligned to %d) do not "
                      "cover [%lld, %lld]",
                      sh->row_parts, sh->col_parts, (long long)sh->shard_h, (long long)sh->shard_w,
                      sh->align, (long long)rows, (long long)cols);
    memset(out, 0, sizeof *out);
    out->layout = layout;
    out->grid = g;
    out->transpose = tr;
    out->snap = sh->shard_h % TG_TILE == 0;
    out->rows = rows;
    out->cols = cols;
    out->align = sh->align;
    out->cols_padded = cols_padded;
    out->row_parts = sh->row_parts;
    out->col_parts = sh->col_parts;
    out->shard_h = sh->shard_h;
    out->shard_w = sh->shard_w;
    return TG_OK;
}

tg_status tg_shard_spec_like(const tg_shard_spec *in, int64_t rows, int64_t cols,
                             tg_shard_spec *out) {
    /* in->snap, not in->shard_h % 32: a spec of tg_shard_spec_make that does not snap
     * may have a shard height of 32 by chance, and its output splits its rows as
     * tg_split_out does (halo.h), evenly */
    tg_shard_shape sh = {in->grid, in->row_parts, in->col_parts, 0, 0, in->align};
    int64_t h = ceil_div(rows, in->row_parts);
    if (in->snap) h = round_up(h, TG_TILE);
    sh.shard_h = h > 0 ? h : (in->snap ? TG_TILE : 1);
    /* as many columns keep the input's shard width (a shape may give more than the
     * columns need), so that a row of the output is a row of the input */
    sh.shard_w = cols == in->cols
                     ? in->shard_w
                     : round_up(ceil_div(round_up(cols, in->align), in->col_parts), in->align);
    TG_CHECK(tg_shard_spec_make_shape(in->layout, rows, cols, &sh, in->transpose, out));
    out->snap = in->snap;
    return TG_OK;
}

void tg_shard_core_part(const tg_shard_spec *s, int i, int *row_part, int *col_part) {
    int x = i % s->grid.w, y = i / s->grid.w;
    switch (s->layout) {
    case TG_SHARD_HEIGHT:
        *row_part = i, *col_part = 0;
        break;
    case TG_SHARD_WIDTH:
        *row_part = 0, *col_part = i;
        break;
    case TG_SHARD_BLOCK:
        *row_part = s->transpose ? x : y;
        *col_part = s->transpose ? y : x;
        break;
    }
}

bool tg_shard_core_holds(const tg_shard_spec *s, int i) {
    int rp = 0, cp = 0;
    tg_shard_core_part(s, i, &rp, &cp);
    return rp < s->row_parts && cp < s->col_parts;
}

int tg_shard_part_core(const tg_shard_spec *s, int row_part, int col_part) {
    switch (s->layout) {
    case TG_SHARD_HEIGHT:
        return row_part;
    case TG_SHARD_WIDTH:
        return col_part;
    case TG_SHARD_BLOCK:
        return s->transpose ? col_part * s->grid.w + row_part : row_part * s->grid.w + col_part;
    }
    return -1;
}

tg_shard_range tg_shard_core_range(const tg_shard_spec *s, int i) {
    int rp = 0, cp = 0;
    tg_shard_core_part(s, i, &rp, &cp);
    tg_shard_range r;
    r.r0 = min64((int64_t)rp * s->shard_h, s->rows);
    r.r1 = min64(r.r0 + s->shard_h, s->rows);
    r.c0 = min64((int64_t)cp * s->shard_w, s->cols);
    r.c1 = min64(r.c0 + s->shard_w, s->cols);
    return r;
}

int tg_shard_rank_core(const tg_shard_spec *s, tg_grid machine, int rank) {
    int x = tg_core_x(machine, rank), y = tg_core_y(machine, rank);
    if (x >= s->grid.w || y >= s->grid.h) return -1;
    return y * s->grid.w + x;
}
