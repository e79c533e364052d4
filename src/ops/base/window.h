/* The sliding-window planner (DESIGN.md section 4; the paper, "Haloing"). Pure.
 *
 * For a sliding-window op (conv2d, maxpool2d) over an input [N, H, W] of sticks and a
 * split of the input and output rows into `parts` contiguous pieces (one per core
 * of a height-sharded grid, per grid row of a block-sharded one, a single piece
 * for width sharding), every core computes the same plan:
 *   padding config  which sticks of the padded input [N, Hp, Wp] are padding;
 *   op trace        the padded index of each output's window top-left stick;
 *   shard bounds    each part's output range and the padded input range its
 *                   windows touch (from its first output's top-left to its last
 *                   output's bottom-right, as TTNN does, so a few sticks in it may
 *                   be read by no window);
 *   metadata        the part and local index holding each input stick;
 *   halo config     each part's padded range as runs of contiguous sticks: padding
 *                   runs and data runs (source row, the part that holds it), so
 *                   that one NoC transfer moves one run.
 * Ceil mode extends the bottom/right padding so every window lies in the padded
 * input (max pool pads with -inf, so the extra sticks never win). */
#ifndef TG_WINDOW_H
#define TG_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "format.h"

typedef struct tg_window {
    int64_t n, in_h, in_w; /* batch and input size */
    int kh, kw, sh, sw, dh, dw;
    int pad_t, pad_b, pad_l, pad_r; /* as given */
    bool ceil_mode;
    /* derived */
    int64_t out_h, out_w;
    int64_t pad_b_eff, pad_r_eff; /* with ceil mode's extra padding */
    int64_t hp, wp;               /* padded input size */
} tg_window;

/* The largest batch, height or width a window accepts (2^40): with kernel, stride,
 * dilation and padding ints, every size derived below stays in int64_t. */
#define TG_WINDOW_DIM_MAX (INT64_C(1) << 40)

/* Checks the parameters and derives the output size. Stride, kernel or dilation
 * below 1, negative padding, a window larger than the padded input, a dimension over
 * TG_WINDOW_DIM_MAX or a padded input of more sticks than an int64_t counts is
 * TG_ERR_USAGE with the numbers. (Whether the tensors fit the machine is the
 * caller's check: tg_window_fits.) */
tg_status tg_window_make(int64_t n, int64_t in_h, int64_t in_w, int kh, int kw, int sh, int sw,
                         int pad_t, int pad_b, int pad_l, int pad_r, int dh, int dw, bool ceil_mode,
                         tg_window *out);

/* Whether an op's tensors can be held by the machine at all, checked before any
 * planning loop walks them: the input [N, H, W, cin] and the output [N, Ho, Wo, cout]
 * (channels padded, in their formats) each within `dram` bytes (the grid's whole
 * DRAM), and the padded sticks of one output's window within `l1` bytes even at 16
 * channels (every layout holds at least that in one core's L1). TG_ERR_USAGE naming
 * `op` with the numbers. */
tg_status tg_window_fits(const tg_window *w, const char *op, int64_t cin, tg_fmt in_fmt,
                         int64_t cout, tg_fmt out_fmt, size_t l1, size_t dram);

static inline int64_t tg_window_out_rows(const tg_window *w) {
    return w->n * w->out_h * w->out_w;
}
static inline int64_t tg_window_in_rows(const tg_window *w) {
    return w->n * w->in_h * w->in_w;
}
static inline int64_t tg_window_padded_rows(const tg_window *w) {
    return w->n * w->hp * w->wp;
}
/* Op trace: padded index of output o's window top-left stick. */
int64_t tg_window_top_left(const tg_window *w, int64_t o);
/* Padded index of output o's window bottom-right stick. */
int64_t tg_window_bottom_right(const tg_window *w, int64_t o);
/* Offset from a window's top-left stick to its element (ky, kx), in sticks. */
static inline int64_t tg_window_tap(const tg_window *w, int ky, int kx) {
    return (int64_t)ky * w->dh * w->wp + (int64_t)kx * w->dw;
}
/* Padding config: the input row behind padded index p, or -1 for padding. */
int64_t tg_window_input_row(const tg_window *w, int64_t p);

/* A split of rows into parts of `shard` rows (the last short, trailing ones empty). */
typedef struct tg_split {
    int parts;
    int64_t shard, rows;
} tg_split;
static inline int64_t tg_split_start(tg_split s, int q) {
    int64_t v = (int64_t)q * s.shard;
    return v < s.rows ? v : s.rows;
}
static inline int64_t tg_split_end(tg_split s, int q) {
    int64_t v = tg_split_start(s, q) + s.shard;
    return v < s.rows ? v : s.rows;
}
/* Metadata: the part holding row r (r < rows). */
static inline int tg_split_owner(tg_split s, int64_t r) {
    return (int)(r / s.shard);
}

/* Shard bounds of part q: outputs [o0, o1) and the padded range [a, b) its windows
 * touch (a == b when the part has no outputs). */
typedef struct tg_window_bounds {
    int64_t o0, o1, a, b;
} tg_window_bounds;
tg_window_bounds tg_window_part(const tg_window *w, tg_split out, int q);
/* Sticks of the largest part's padded range: the haloed shard every core allocates. */
int64_t tg_window_max_halo(const tg_window *w, tg_split out);

/* One run of the halo config: `len` sticks landing at `dst` of the haloed shard,
 * either padding (owner -1) or input rows src..src+len-1 held by part `owner`. */
typedef struct tg_stick_run {
    int64_t dst, len, src;
    int owner;
} tg_stick_run;

/* Lists the runs covering padded range [a, b) in order into `runs` (room for
 * tg_window_runs_bound entries) and returns their number. Data runs break where
 * the owner changes. */
int64_t tg_window_runs_bound(const tg_window *w, tg_split in, int64_t a, int64_t b);
int64_t tg_window_runs(const tg_window *w, tg_split in, int64_t a, int64_t b, tg_stick_run *runs);

/* Halo config of part q summarised: sticks that are padding, held by q itself
 * (local) or by other parts (remote), and how many other parts it reads from. */
typedef struct tg_halo_counts {
    int64_t pad, local, remote, runs, remote_runs;
    int sources;
} tg_halo_counts;
tg_halo_counts tg_halo_count(const tg_stick_run *runs, int64_t nruns, int q);

#endif
