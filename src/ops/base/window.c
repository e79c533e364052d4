/* The sliding-window planner; see window.h. Pure. */
#include "window.h"

#include "tensor.h"

static int64_t floor_div(int64_t a, int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

tg_status tg_window_make(int64_t n, int64_t in_h, int64_t in_w, int kh, int kw, int sh, int sw,
                         int pad_t, int pad_b, int pad_l, int pad_r, int dh, int dw, bool ceil_mode,
                         tg_window *out) {
    /* bounds that keep the sums below in int64_t (shapes from files are int64_t) */
    if (n > TG_WINDOW_DIM_MAX || in_h > TG_WINDOW_DIM_MAX || in_w > TG_WINDOW_DIM_MAX)
        return tg_err(TG_ERR_USAGE,
                      "input %lldx%lldx%lld (NxHxW) is larger than %lld in a dimension",
                      (long long)n, (long long)in_h, (long long)in_w, (long long)TG_WINDOW_DIM_MAX);
    if (n <= 0 || in_h <= 0 || in_w <= 0)
        return tg_err(TG_ERR_USAGE, "input %lldx%lldx%lld (NxHxW) is empty", (long long)n,
                      (long long)in_h, (long long)in_w);
    if (kh < 1 || kw < 1) return tg_err(TG_ERR_USAGE, "kernel %dx%d must be at least 1x1", kh, kw);
    if (sh < 1 || sw < 1) return tg_err(TG_ERR_USAGE, "stride %dx%d must be at least 1x1", sh, sw);
    if (dh < 1 || dw < 1)
        return tg_err(TG_ERR_USAGE, "dilation %dx%d must be at least 1x1", dh, dw);
    if (pad_t < 0 || pad_b < 0 || pad_l < 0 || pad_r < 0)
        return tg_err(TG_ERR_USAGE, "padding %d,%d,%d,%d (top, bottom, left, right) is negative",
                      pad_t, pad_b, pad_l, pad_r);
    tg_window w = {.n = n,
                   .in_h = in_h,
                   .in_w = in_w,
                   .kh = kh,
                   .kw = kw,
                   .sh = sh,
                   .sw = sw,
                   .dh = dh,
                   .dw = dw,
                   .pad_t = pad_t,
                   .pad_b = pad_b,
                   .pad_l = pad_l,
                   .pad_r = pad_r,
                   .ceil_mode = ceil_mode};
    int64_t eh = (int64_t)dh * (kh - 1) + 1, ew = (int64_t)dw * (kw - 1) + 1; /* window extent */
    int64_t span_h = in_h + pad_t + pad_b, span_w = in_w + pad_l + pad_r;
    if (eh > span_h || ew > span_w)
        return tg_err(TG_ERR_USAGE,
                      "window %lldx%lld (kernel %dx%d, dilation %dx%d) is larger than the padded "
                      "input %lldx%lld",
                      (long long)eh, (long long)ew, kh, kw, dh, dw, (long long)span_h,
                      (long long)span_w);
    if (ceil_mode) {
        w.out_h = floor_div(span_h - eh + sh - 1, sh) + 1;
        w.out_w = floor_div(span_w - ew + sw - 1, sw) + 1;
        /* PyTorch: the last window must start inside the input or its left padding */
        if ((w.out_h - 1) * sh >= in_h + pad_t) w.out_h--;
        if ((w.out_w - 1) * sw >= in_w + pad_l) w.out_w--;
    } else {
        w.out_h = (span_h - eh) / sh + 1;
        w.out_w = (span_w - ew) / sw + 1;
    }
    int64_t need_h = (w.out_h - 1) * sh + eh, need_w = (w.out_w - 1) * sw + ew;
    w.pad_b_eff = need_h > span_h ? pad_b + need_h - span_h : pad_b;
    w.pad_r_eff = need_w > span_w ? pad_r + need_w - span_w : pad_r;
    w.hp = in_h + pad_t + w.pad_b_eff;
    w.wp = in_w + pad_l + w.pad_r_eff;
    /* Every index of the plans (padded sticks, outputs) must be an int64_t. */
    int64_t rows;
    if (__builtin_mul_overflow(n, w.hp, &rows) || __builtin_mul_overflow(rows, w.wp, &rows))
        return tg_err(TG_ERR_USAGE,
                      "the padded input %lldx%lldx%lld (NxHxW) has more sticks than a 64-bit "
                      "index counts",
                      (long long)n, (long long)w.hp, (long long)w.wp);
    *out = w;
    return TG_OK;
}

tg_status tg_window_fits(const tg_window *w, const char *op, int64_t cin, tg_fmt in_fmt,
                         int64_t cout, tg_fmt out_fmt, size_t l1, size_t dram) {
    /* in double: the products may pass 2^63 bytes, and a limit needs no exact bytes */
    double in_b =
        (double)tg_window_in_rows(w) * (double)tg_fmt_row_bytes(in_fmt, tg_channels_padded(cin));
    double out_b =
        (double)tg_window_out_rows(w) * (double)tg_fmt_row_bytes(out_fmt, tg_channels_padded(cout));
    if (in_b > (double)dram)
        return tg_err(TG_ERR_USAGE,
                      "%s: the input [%lld, %lld, %lld, %lld] needs %.0f B of DRAM, more than the "
                      "grid's %zu B (--dram-size sets the bytes per bank)",
                      op, (long long)w->n, (long long)w->in_h, (long long)w->in_w, (long long)cin,
                      in_b, dram);
    if (out_b > (double)dram)
        return tg_err(TG_ERR_USAGE,
                      "%s: the output [%lld, %lld, %lld, %lld] needs %.0f B of DRAM, more than the "
                      "grid's %zu B (--dram-size sets the bytes per bank)",
                      op, (long long)w->n, (long long)w->out_h, (long long)w->out_w,
                      (long long)cout, out_b, dram);
    int64_t sticks = tg_window_tap(w, w->kh - 1, w->kw - 1) + 1;
    double win_b = (double)sticks * (double)tg_fmt_row_bytes(in_fmt, TG_BFP8_BLOCK);
    if (win_b > (double)l1)
        return tg_err(
            TG_ERR_USAGE,
            "%s: one output's window spans %lld padded input sticks (rows of %lld), %.0f B "
            "even at 16 channels, more than a core's L1 of %zu B",
            op, (long long)sticks, (long long)w->wp, win_b, l1);
    return TG_OK;
}

int64_t tg_window_top_left(const tg_window *w, int64_t o) {
    int64_t per = w->out_h * w->out_w, n = o / per, r = o % per;
    int64_t oy = r / w->out_w, ox = r % w->out_w;
    return (n * w->hp + oy * w->sh) * w->wp + ox * w->sw;
}

int64_t tg_window_bottom_right(const tg_window *w, int64_t o) {
    return tg_window_top_left(w, o) + tg_window_tap(w, w->kh - 1, w->kw - 1);
}

int64_t tg_window_input_row(const tg_window *w, int64_t p) {
    int64_t per = w->hp * w->wp, n = p / per, r = p % per;
    int64_t y = r / w->wp - w->pad_t, x = r % w->wp - w->pad_l;
    if (y < 0 || y >= w->in_h || x < 0 || x >= w->in_w) return -1;
    return (n * w->in_h + y) * w->in_w + x;
}

tg_window_bounds tg_window_part(const tg_window *w, tg_split out, int q) {
    tg_window_bounds b = {tg_split_start(out, q), tg_split_end(out, q), 0, 0};
    if (b.o0 < b.o1) {
        b.a = tg_window_top_left(w, b.o0);
        b.b = tg_window_bottom_right(w, b.o1 - 1) + 1;
    }
    return b;
}

int64_t tg_window_max_halo(const tg_window *w, tg_split out) {
    int64_t best = 0;
    for (int q = 0; q < out.parts; q++) {
        tg_window_bounds b = tg_window_part(w, out, q);
        if (b.b - b.a > best) best = b.b - b.a;
    }
    return best;
}

int64_t tg_window_runs_bound(const tg_window *w, tg_split in, int64_t a, int64_t b) {
    /* per padded row touched: left pad, data, right pad; plus a split per owner */
    return 3 * ((b - a) / w->wp + 2) + in.parts + 1;
}

/* Appends `len` sticks at dst (padding when owner < 0) to the runs, extending the
 * last run when the new sticks continue it. */
static void add_run(tg_stick_run *runs, int64_t *k, int64_t dst, int64_t len, int64_t src,
                    int owner) {
    if (*k > 0) {
        tg_stick_run *last = &runs[*k - 1];
        if (last->owner == owner && last->dst + last->len == dst &&
            (owner < 0 || last->src + last->len == src)) {
            last->len += len;
            return;
        }
    }
    runs[(*k)++] = (tg_stick_run){dst, len, owner < 0 ? -1 : src, owner};
}

int64_t tg_window_runs(const tg_window *w, tg_split in, int64_t a, int64_t b, tg_stick_run *runs) {
    int64_t k = 0;
    for (int64_t p = a; p < b;) {
        int64_t row_end = (p / w->wp + 1) * w->wp; /* end of this padded image row */
        if (row_end > b) row_end = b;
        int64_t src = tg_window_input_row(w, p), len;
        int owner = -1;
        if (src < 0) {
            /* padding: up to the row's first data stick when left of it, else to the
             * row's end (top and bottom padding rows, right padding) */
            int64_t x = p % w->wp, img = p / (w->hp * w->wp), y = (p / w->wp) % w->hp - w->pad_t;
            bool left = y >= 0 && y < w->in_h && x < w->pad_l;
            int64_t stop = left ? p - x + w->pad_l : row_end;
            /* a top or bottom padding row: the padding goes on, row after row, to the
             * first data row of this image or (bottom) of the next one; taken in one
             * step, so that a tall padding costs one run, not one per row */
            if (y < 0) stop = (img * w->hp + w->pad_t) * w->wp;
            if (y >= w->in_h) stop = ((img + 1) * w->hp + w->pad_t) * w->wp;
            if (stop > b) stop = b;
            len = (left ? (stop < row_end ? stop : row_end) : stop) - p;
        } else {
            /* data: to the end of the input row, the padded range, or the owner's rows */
            len = w->in_w - (p % w->wp - w->pad_l);
            if (p + len > row_end) len = row_end - p;
            owner = tg_split_owner(in, src);
            int64_t owner_end = tg_split_end(in, owner);
            if (src + len > owner_end) len = owner_end - src;
        }
        add_run(runs, &k, p - a, len, src, owner);
        p += len;
    }
    return k;
}

tg_halo_counts tg_halo_count(const tg_stick_run *runs, int64_t nruns, int q) {
    tg_halo_counts c = {0, 0, 0, nruns, 0, 0};
    int last = -1; /* runs come in input order, so owners never decrease */
    for (int64_t i = 0; i < nruns; i++) {
        const tg_stick_run *r = &runs[i];
        if (r->owner < 0) {
            c.pad += r->len;
        } else if (r->owner == q) {
            c.local += r->len;
        } else {
            c.remote += r->len;
            c.remote_runs++;
            if (r->owner != last) c.sources++;
            last = r->owner;
        }
    }
    return c;
}
