/* conv2d's run: performs the plan; see conv2d.h for the model, conv2d_schedule.c for
 * what each core does. It decides nothing: every buffer is allocated where the plan's
 * L1 map put it (checked), every transfer is a step of the schedule, and the arithmetic
 * of each step is the matrix engine's (kernel.h): float32 copies of the blocks (the
 * unpacker's registers); in float32 mode the activation block is read where it lies
 * when its rows are runs of the source (act_in_place, k_run), else gathered straight
 * into its L1 circular buffer and read from there. Host-side shortcuts that give the
 * same bytes (an act block gathered once for all weight blocks, unpacked weights kept
 * for the run) never skip a transfer of the plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d.h"
#include "gemm.h"
#include "kernel.h"
#include "multiversion.h"
#include "reshard.h"
#include "stats.h"
#include "trace.h"

/* Where im2col reads sticks from: rows of `row_bytes` at `base`; output o's window
 * starts at top_left(o) - origin (or o - origin on the matmul path). */
typedef struct act_source {
    const uint8_t *base;
    size_t row_bytes;
    int64_t cs; /* channels per stick */
} act_source;

/* At most this many unpacked weight blocks, and bytes of them, per run (ResNet-50's
 * largest conv at 1 rank keeps 9.4 MB; a rank of a 64-rank job a sixty-fourth). */
#define HELD_MAX 64
#define HELD_MAX_BYTES ((size_t)16 << 20)

typedef struct conv_run {
    const tg_conv2d_plan *pl;
    const tg_conv2d_role *role;
    bool exact;   /* float32 arithmetic: no fidelity, no bf16 partials */
    int64_t keep; /* channels per tap that reach the multiply (see compacting) */
    const tg_dram_buf *bufs[4];
    tg_tensor *out;
    act_source src[2]; /* the haloed shard (or input shard), the DRAM window CB */
    size_t cb[TG_CONV_NCB];
    bool cbs_open;
    /* host scratch: the unpacker's and DST's registers */
    float *A, *C, *tmp, *bias, *row, *arow;
    /* DRAM layout, streamed weights: the act block's K blocks, gathered once for all
     * the weight blocks over it (NULL: gathered again each time) */
    float *whole;
    int64_t whole_ld, whole_o0;
    bool *whole_have;
    const float **rowp;     /* A's rows where they lie in the source (k_run) */
    const tg_mm_weights *W; /* the weights the multiplies use: one of held[], or once */
    tg_mm_weights once;
    /* unpacked weights kept for the run (unpacking them was a fifth of a bfloat16
     * pass), found by which weights they are (W_UNPACK's k0, k1, c0, cols) */
    struct held_weights {
        int64_t k0, k1, c0, cols;
        tg_mm_weights w;
    } held[HELD_MAX];
    int nheld;
    size_t held_bytes;
    tg_status st;
} conv_run;

/* Whether the multiply skips padded input channels (height and DRAM layouts only,
 * whose sticks hold every channel): they add exact zeros to every sum, so the sums are
 * unchanged while the multiplies shrink (the cost model still counts them, as the
 * device does them). Block and width slices keep their padding. */
static bool compacting(const conv_run *r) {
    return r->keep < r->pl->cin_slice && r->pl->col_parts == 1 &&
           r->pl->act_block_w % r->pl->cin_p == 0 &&
           (r->pl->p.layout == TG_CONV_HEIGHT || r->pl->p.layout == TG_CONV_DRAM);
}

/* K rows [k0, k0 + k) of the padded weight matrix as rows of the compacted one. */
static int64_t kc(const conv_run *r, int64_t k) {
    return compacting(r) ? k / r->pl->cin_p * r->keep : k;
}

/* Gathers K columns [k0, k1) of the activation rows of outputs [o0, o0 + m) into A
 * [abh x (k1 - k0)] (lda), zero rows after the m-th. */
TG_MULTIVERSION static void im2col(const conv_run *r, const act_source *s, int64_t origin,
                                   int64_t o0, int64_t m, int64_t k0, int64_t k1, float *A,
                                   int64_t lda) {
    const tg_conv2d_plan *pl = r->pl;
    const tg_window *w = &pl->win;
    tg_fmt f = pl->p.in_fmt;
    int64_t kw = pl->p.kw;
    for (int64_t i = 0; i < pl->act_block_h; i++) {
        float *dst = A + i * lda;
        if (i >= m) {
            memset(dst, 0, (size_t)(k1 - k0) * sizeof *dst);
            continue;
        }
        int64_t o = o0 + i;
        int64_t base = (pl->matmul_path ? o : tg_window_top_left(w, o)) - origin;
        if (compacting(r)) {
            /* compacted: only the first `keep` channels of each tap's stick */
            for (int64_t tap = k0 / s->cs, j = 0; tap < k1 / s->cs; tap++, j += r->keep) {
                int64_t stick = base + tg_window_tap(w, (int)(tap / kw), (int)(tap % kw));
                const uint8_t *src = s->base + (size_t)stick * s->row_bytes;
                if (f == TG_FLOAT32)
                    for (int64_t c = 0; c < r->keep; c++) dst[j + c] = ((const float *)src)[c];
                else
                    tg_fmt_unpack(f, src, (r->keep + 15) / 16 * 16, r->tmp),
                        memcpy(dst + j, r->tmp, (size_t)r->keep * sizeof *dst);
            }
            continue;
        }
        for (int64_t col = k0; col < k1;) {
            int64_t tap = col / s->cs, c = col % s->cs, n = s->cs - c;
            int64_t stick = base + tg_window_tap(w, (int)(tap / kw), (int)(tap % kw));
            /* consecutive taps of one kernel row are consecutive sticks when dw == 1 */
            if (c == 0 && w->dw == 1) {
                int64_t more = kw - tap % kw;
                while (more > 1 && col + n + s->cs <= k1) n += s->cs, more--;
            }
            if (col + n > k1) n = k1 - col;
            tg_fmt_unpack(f, s->base + (size_t)stick * s->row_bytes + tg_fmt_col_offset(f, c), n,
                          dst + (col - k0));
            col += n;
        }
    }
}

/* Rounds partial sums to bfloat16 between K blocks unless fp32 accumulation. */
TG_MULTIVERSION static void round_partials(const conv_run *r, int64_t m, int64_t n, bool last) {
    if (r->exact || r->pl->p.fp32_acc || last) return;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) r->C[i * n + j] = tg_bf16_round(r->C[i * n + j]);
}

/* out[j] = c[j] + bias[j] (or + 0, which turns -0 into +0 as the device's adder
 * does), then ReLU: restrict and the flags outside the loop let the compiler vectorize
 * it (with them inside, through the params, it stayed scalar). */
static inline void bias_relu(float *restrict out, const float *restrict c,
                             const float *restrict bias, int64_t w, bool has_bias, bool relu) {
    if (has_bias && relu)
        for (int64_t j = 0; j < w; j++) {
            float v = c[j] + bias[j];
            out[j] = v < 0 ? 0.0f : v;
        }
    else if (has_bias)
        for (int64_t j = 0; j < w; j++) out[j] = c[j] + bias[j];
    else if (relu)
        for (int64_t j = 0; j < w; j++) {
            float v = c[j] + 0.0f;
            out[j] = v < 0 ? 0.0f : v;
        }
    else
        for (int64_t j = 0; j < w; j++) out[j] = c[j] + 0.0f;
}

/* Bias, ReLU and rounding to the output format: C [m x n] into rows of `dst`, the
 * columns past n zero. A float32 output is written in place (one pass over a row,
 * where a row buffer took three: clear, fill, copy). */
TG_MULTIVERSION static void epilogue(const conv_run *r, int64_t m, int64_t n, uint8_t *dst,
                                     size_t dst_row, int64_t dst_cols) {
    const tg_conv2d_params *p = &r->pl->p;
    int64_t w = n < dst_cols ? n : dst_cols;
    bool direct = p->out_fmt == TG_FLOAT32 && (uintptr_t)dst % sizeof(float) == 0 &&
                  dst_row % sizeof(float) == 0;
    for (int64_t i = 0; i < m; i++) {
        float *out = direct ? (float *)(void *)(dst + (size_t)i * dst_row) : r->row;
        bias_relu(out, r->C + i * n, r->bias, w, p->has_bias, p->relu);
        if (dst_cols > w) memset(out + w, 0, (size_t)(dst_cols - w) * sizeof *out);
        if (!direct) tg_fmt_pack(p->out_fmt, r->row, dst_cols, dst + (size_t)i * dst_row);
    }
}

static void count_macs(const conv_run *r, int64_t m, int64_t k, int64_t n) {
    tg_counters *k_ = tg_stats_now();
    double macs = (double)m * (double)k * (double)n;
    k_->macs += macs;
    k_->model_cycles += tg_mm_cycles(macs, r->pl->m.arch->matmul_flop_per_cycle, r->pl->p.fidelity);
}

/* Makes the matmul's weights from the weights CB ([cols / 32 panels][rows][32]) of
 * step s. The same weights unpack to the same values every time, so a host copy (not
 * float32 used in place, whose CB slot is written again) is kept for the rest of the
 * run and found again when the schedule brings the same weights back (streamed
 * weights, once per act block). */
static tg_status weights_to_host(conv_run *r, const tg_conv2d_step *s) {
    const tg_conv2d_plan *pl = r->pl;
    for (int i = 0; i < r->nheld; i++) {
        const struct held_weights *h = &r->held[i];
        if (h->k0 == s->k0 && h->k1 == s->k1 && h->c0 == s->c0 && h->cols == s->cols) {
            r->W = &h->w;
            return TG_OK;
        }
    }
    tg_mm_weights w = {0};
    tg_status st = tg_mm_weights_from_panels(&w, tg_l1_ptr(s->off), pl->p.w_fmt, s->rows, s->cols,
                                             pl->p.fidelity, r->exact, pl->p.in_fmt);
    if (st == TG_OK && compacting(r)) {
        int64_t limit = (int64_t)pl->p.kh * pl->p.kw * pl->cin_p;
        st = tg_mm_weights_compact(&w, pl->cin_p, r->keep, s->rows < limit ? s->rows : limit);
    }
    if (st != TG_OK) {
        tg_mm_weights_free(&w);
        return st;
    }
    size_t bytes =
        (size_t)(w.rows * ((w.cols + TG_GEMM_PANEL - 1) / TG_GEMM_PANEL) * TG_GEMM_PANEL) *
        sizeof(float) * (w.lo ? 2 : 1);
    if (w.own && r->nheld < HELD_MAX && r->held_bytes + bytes <= HELD_MAX_BYTES) {
        r->held[r->nheld] = (struct held_weights){s->k0, s->k1, s->c0, s->cols, w};
        r->held_bytes += bytes;
        r->W = &r->held[r->nheld++].w;
    } else {
        tg_mm_weights_free(&r->once);
        r->once = w;
        r->W = &r->once;
    }
    return TG_OK;
}

/* The sender's share of a turn: its block gathered and packed at s->off (the tilized
 * act CB, or the matmul's input CB), rows of act_cols values in the block's format. */
static void gather(conv_run *r, const tg_conv2d_step *s) {
    const tg_conv2d_plan *pl = r->pl;
    size_t arow = tg_fmt_row_bytes(pl->act_fmt, pl->act_cols);
    int64_t k = s->k1 - s->k0;
    im2col(r, &r->src[0], s->origin, s->o0, s->m, s->k0, s->k1, r->A, k);
    memset(r->arow, 0, (size_t)pl->act_cols * sizeof *r->arow);
    for (int64_t i = 0; i < pl->act_block_h; i++) {
        memcpy(r->arow, r->A + i * k, (size_t)k * sizeof *r->arow);
        tg_fmt_pack(pl->act_fmt, r->arow, pl->act_cols, tg_l1_ptr(s->off + (size_t)i * arow));
    }
}

/* Whether float32 activations are multiplied where they are as one matrix: the matmul
 * path's input shard (other float32 blocks whose rows are runs of their source are
 * read through row pointers: k_run). */
static bool act_in_place(const conv_run *r) {
    return r->exact && r->pl->matmul_path;
}

/* Whether K columns [k0, k1) of every A row lie together in source `s` (float32):
 * part of one tap, or consecutive taps of one kernel row (dw 1) over sticks with no
 * gap between them, which im2col would copy as one run a row. The multiply then reads
 * the rows where they lie. Not when compacting (a tap's padded channels are dropped),
 * and only at stride 1, where the rows overlap and their window is smaller than A:
 * at stride 2 it is larger, and the multiply, which reads A once per panel of 32
 * output channels, went slower from it (bench_conv2d: layer3.0.downsample 0.80-0.85
 * of sgemm against 0.86-0.90 gathered). */
static bool k_run(const conv_run *r, const act_source *s, int64_t k0, int64_t k1) {
    const tg_conv2d_plan *pl = r->pl;
    if (!r->exact || compacting(r) || pl->p.sh != 1 || pl->p.sw != 1 ||
        s->row_bytes != (size_t)s->cs * sizeof(float))
        return false;
    int64_t t0 = k0 / s->cs, t1 = (k1 - 1) / s->cs;
    return t0 == t1 || (pl->win.dw == 1 && t0 / pl->p.kw == t1 / pl->p.kw);
}

/* Whether every K block of the DRAM layout is such a run (k_run on float32 sticks of
 * cin_p values): then no block is gathered at all. */
static bool all_k_runs(const conv_run *r) {
    const tg_conv2d_plan *pl = r->pl;
    act_source s = {NULL, (size_t)pl->cin_p * sizeof(float), pl->cin_p};
    int64_t kmax = (int64_t)pl->p.kh * pl->p.kw * pl->cin_p;
    for (int64_t k0 = 0; k0 < kmax; k0 += pl->act_block_w)
        if (!k_run(r, &s, k0, k0 + pl->act_block_w < kmax ? k0 + pl->act_block_w : kmax))
            return false;
    return true;
}

/* Whether float32 activations are gathered into the act CB itself (it holds a whole
 * block: no split reader) rather than the unpacker's registers. */
static bool gather_in_cb(const conv_run *r, int64_t lda) {
    const tg_conv2d_plan *pl = r->pl;
    int cb = pl->cb[TG_CONV_CB_ACT];
    return r->exact && cb >= 0 && pl->l1.cbs[cb].alias == -1 &&
           (size_t)(pl->act_block_h * lda) * sizeof(float) <= pl->l1.cbs[cb].bytes;
}

static void matmul(conv_run *r, const tg_conv2d_step *s) {
    const tg_conv2d_plan *pl = r->pl;
    int64_t k = s->k1 - s->k0, n = s->cols;
    if (s->from_cb) {
        /* a received block, rows of act_cols values in the block's format */
        size_t arow = tg_fmt_row_bytes(pl->act_fmt, pl->act_cols);
        float *A = r->A;
        int64_t lda = k;
        if (pl->act_fmt == TG_FLOAT32) {
            A = (float *)tg_l1_ptr(s->off);
            lda = pl->act_cols;
        } else {
            for (int64_t i = 0; i < s->m; i++)
                tg_fmt_unpack(pl->act_fmt, tg_l1_ptr(s->off + (size_t)i * arow), k, A + i * k);
        }
        tg_mm_acc(r->C, n, A, lda, s->m, k, r->W, s->kw, 0, n, r->tmp);
        return;
    }
    const act_source *src = &r->src[s->src];
    float *A = r->A;
    int64_t lda = kc(r, k);
    if (act_in_place(r)) {
        /* the input shard itself, K columns [k0, k1) */
        A = (float *)(src->base + (size_t)(s->o0 - s->origin) * src->row_bytes) + s->k0;
        lda = src->cs;
    } else if (k_run(r, src, s->k0, s->k1)) {
        /* A's rows where they lie: each output's window, from the block's first tap (a
         * 1x1 stride-1 conv's rows are its sticks; the matmul path took the branch above) */
        int64_t t0 = s->k0 / src->cs;
        int64_t tap = tg_window_tap(&pl->win, (int)(t0 / pl->p.kw), (int)(t0 % pl->p.kw));
        for (int64_t i = 0; i < s->m; i++) {
            int64_t stick = tg_window_top_left(&pl->win, s->o0 + i) - s->origin + tap;
            r->rowp[i] = (const float *)(const void *)(src->base + (size_t)stick * src->row_bytes) +
                         s->k0 % src->cs;
        }
        tg_mm_acc_rows(r->C, n, r->rowp, s->m, k, r->W, s->kw, 0, n);
        return;
    } else if (r->whole) {
        /* the device gathers the block again for every weight block; the bytes are the
         * same each time, so the host gathers each K block of it once */
        int64_t kb = s->k0 / pl->act_block_w;
        if (s->o0 != r->whole_o0) {
            memset(r->whole_have, 0, (size_t)pl->kblocks_per_turn * sizeof *r->whole_have);
            r->whole_o0 = s->o0;
        }
        A = r->whole + kc(r, s->k0);
        lda = r->whole_ld;
        if (!r->whole_have[kb]) im2col(r, src, s->origin, s->o0, s->m, s->k0, s->k1, A, lda);
        r->whole_have[kb] = true;
    } else {
        if (gather_in_cb(r, lda)) A = (float *)tg_l1_ptr(r->cb[TG_CONV_CB_ACT]);
        im2col(r, src, s->origin, s->o0, s->m, s->k0, s->k1, A, lda);
    }
    tg_mm_acc(r->C, n, A, lda, s->m, kc(r, k), r->W, kc(r, s->kw), 0, n, r->tmp);
}

static void exec_step(void *ctx, const tg_conv2d_step *s) {
    conv_run *r = ctx;
    const tg_conv2d_plan *pl = r->pl;
    if (s->kind == TG_CONV_STEP_XFER) {
        r->st = tg_xfer_run(&s->x, r->bufs, r->st);
        return;
    }
    if (r->st != TG_OK) return;
    double t0;
    switch (s->kind) {
    case TG_CONV_STEP_ZERO:
        memset(tg_l1_ptr(s->off), 0, s->bytes);
        break;
    case TG_CONV_STEP_W_UNPACK:
        r->st = weights_to_host(r, s);
        break;
    case TG_CONV_STEP_BIAS_UNPACK:
        memset(r->bias, 0, (size_t)s->cols * sizeof *r->bias);
        if (pl->p.has_bias)
            tg_fmt_unpack(pl->p.w_fmt, tg_l1_ptr(r->cb[TG_CONV_CB_BIAS]), s->cols, r->bias);
        break;
    case TG_CONV_STEP_ACC_ZERO:
        memset(r->C, 0, (size_t)(pl->act_block_h * s->cols) * sizeof *r->C);
        break;
    case TG_CONV_STEP_GATHER:
        t0 = tg_stats_clock();
        gather(r, s);
        tg_stats_compute(t0);
        break;
    case TG_CONV_STEP_MATMUL:
        t0 = tg_stats_clock();
        matmul(r, s);
        round_partials(r, s->m, s->cols, s->last);
        tg_stats_compute(t0);
        count_macs(r, s->m, s->k1 - s->k0, s->cols);
        break;
    case TG_CONV_STEP_EPILOGUE:
        if (s->to_block)
            epilogue(r, s->m, s->cols, tg_l1_ptr(r->cb[TG_CONV_CB_OUTBLOCK]),
                     tg_fmt_row_bytes(pl->p.out_fmt, s->cols), s->cols);
        else
            epilogue(r, s->m, s->cols, tg_tensor_row(r->out, s->o0 - r->role->o_begin),
                     r->out->row_bytes, r->out->spec.shard_w);
        break;
    case TG_CONV_STEP_XFER:
        break;
    }
}

/* Moves an L1 tensor to DRAM (freeing its L1), as the plan says. */
static tg_status evict(tg_tensor *t) {
    if (!t || !t->allocated || t->place != TG_PLACE_L1)
        return tg_err(TG_ERR_RUNTIME, "conv2d: the plan moves a tensor to DRAM that is not in L1");
    int64_t shape[4] = {t->n, t->h, t->w, t->c};
    tg_tensor d;
    TG_CHECK(tg_tensor_alloc_dram(&d, "conv2d:evicted", shape, t->fmt));
    tg_status st = tg_tensor_reshard(t, &d);
    if (st != TG_OK) {
        tg_tensor_free(&d);
        return st;
    }
    tg_tensor_free(t);
    *t = d;
    return TG_OK;
}

static void run_free(conv_run *r) {
    if (r->cbs_open) tg_core_cb_close();
    r->cbs_open = false;
    free(r->A), free(r->C), free(r->tmp), free(r->bias), free(r->row), free(r->arow);
    free(r->whole), free(r->whole_have), free(r->rowp);
    r->whole = NULL, r->whole_have = NULL, r->rowp = NULL;
    tg_mm_weights_free(&r->once);
    for (int i = 0; i < r->nheld; i++) tg_mm_weights_free(&r->held[i].w);
    r->nheld = 0, r->held_bytes = 0, r->W = NULL;
}

/* The whole act block's host copy, where it pays and is safe: the DRAM layout with
 * streamed weights multiplies each act block by every weight block in turn; A must
 * come out of a multiply as it went in (HiFi3 keeps only the first phase's bits in A)
 * and stay within WHOLE_MAX_BYTES. Without it (or its memory) each block is gathered
 * again, as before. */
#define WHOLE_MAX_BYTES ((size_t)16 << 20)
static void whole_alloc(conv_run *r) {
    const tg_conv2d_plan *pl = r->pl;
    if (pl->p.layout != TG_CONV_DRAM || pl->weights_resident || pl->nblocks_w < 2 ||
        act_in_place(r) || all_k_runs(r) || (!r->exact && pl->p.fidelity == TG_HIFI3))
        return;
    r->whole_ld = kc(r, pl->kblocks_per_turn * pl->act_block_w);
    size_t bytes = (size_t)(pl->act_block_h * r->whole_ld) * sizeof *r->whole;
    if (bytes > WHOLE_MAX_BYTES) return;
    r->whole = malloc(bytes);
    r->whole_have = calloc((size_t)pl->kblocks_per_turn, sizeof *r->whole_have);
    r->whole_o0 = -1;
    if (!r->whole || !r->whole_have) {
        free(r->whole), free(r->whole_have);
        r->whole = NULL, r->whole_have = NULL;
    }
}

/* Opens the program's circular buffers where the plan put them, and the host scratch. */
static tg_status run_alloc(conv_run *r) {
    const tg_conv2d_plan *pl = r->pl;
    TG_CHECK(tg_l1_map_open(&pl->l1, pl->ev_prog));
    r->cbs_open = true;
    for (int i = 0; i < TG_CONV_NCB; i++)
        if (pl->cb[i] >= 0) r->cb[i] = pl->l1.cbs[pl->cb[i]].off;
    int64_t abh = pl->act_block_h, abw = pl->act_block_w, bww = pl->weights_block_w;
    int64_t kw = abw > pl->cin_p ? abw : pl->cin_p;
    if (pl->act_cols > kw) kw = pl->act_cols;
    r->A = malloc((size_t)(abh * kw) * sizeof *r->A);
    r->tmp = malloc((size_t)(abh * kw) * sizeof *r->tmp);
    r->C = malloc((size_t)(abh * bww) * sizeof *r->C);
    r->bias = calloc((size_t)bww, sizeof *r->bias);
    r->row = calloc((size_t)(bww > pl->cout_p ? bww : pl->cout_p) + 16, sizeof *r->row);
    r->arow = calloc((size_t)kw + 16, sizeof *r->arow);
    r->rowp = malloc((size_t)abh * sizeof *r->rowp);
    if (!r->A || !r->tmp || !r->C || !r->bias || !r->row || !r->arow || !r->rowp)
        r->st = tg_err(TG_ERR_RUNTIME, "conv2d: out of host memory for blocks");
    whole_alloc(r);
    return TG_OK;
}

static void run_init(conv_run *r, const tg_conv2d_plan *pl, tg_tensor *out) {
    memset(r, 0, sizeof *r);
    for (int i = 0; i < TG_CONV_NCB; i++) r->cb[i] = (size_t)-1;
    r->pl = pl;
    r->role = &pl->roles[tg_core_self()->rank];
    r->out = out;
    r->exact = pl->p.in_fmt == TG_FLOAT32;
    bool one_slice = pl->p.layout == TG_CONV_HEIGHT || pl->p.layout == TG_CONV_DRAM;
    r->keep = one_slice ? pl->p.cin : pl->cin_slice;
}

/* Allocates a tensor on `spec` where the plan's event `ev` put it. */
static tg_status alloc_at(const tg_conv2d_plan *pl, int ev, tg_tensor *t, const char *name,
                          const int64_t shape[4], tg_fmt fmt, const tg_shard_spec *spec) {
    TG_CHECK(tg_tensor_alloc_spec(t, name, shape, fmt, spec));
    tg_status st = tg_l1_map_check(&pl->l1, ev, t->l1_off);
    if (st != TG_OK) tg_tensor_free(t);
    return st;
}

/* The sharded layouts' buffers, live between the events of the run. */
typedef struct sharded_state {
    tg_tensor *in;  /* the input as given */
    tg_tensor resh; /* the input resharded into TTNN's input shards */
    tg_tensor *src; /* the input the conv reads: in, or resh */
    tg_tensor tilized;
    tg_haloed h;
    size_t small;
    bool small_allocated, program_open;
} sharded_state;

/* Frees what event `of` allocated. */
static void free_event(conv_run *r, sharded_state *x, int of) {
    const tg_conv2d_plan *pl = r->pl;
    if (of == pl->ev_stage) {
        tg_tensor_free(&x->resh);
    } else if (of == pl->ev_halo || of == pl->ev_halo_move) {
        tg_haloed_free(&x->h);
    } else if (of == pl->ev_tilized) {
        tg_tensor_free(&x->tilized);
    } else if (of == pl->ev_small && x->small_allocated) {
        tg_core_free(x->small);
        x->small_allocated = false;
    }
}

/* One event of the plan's L1 map, in order: TTNN's sequence (conv2d_fit.c). */
static tg_status run_event(conv_run *r, sharded_state *x, int i) {
    const tg_conv2d_plan *pl = r->pl;
    const tg_conv2d_params *p = &pl->p;
    const tg_l1_event *e = &pl->l1.ev[i];
    int64_t in_shape[4] = {p->n, p->h, p->w, p->cin};
    if (i == pl->ev_stage) {
        TG_CHECK(alloc_at(pl, i, &x->resh, e->name, in_shape, p->in_fmt, &pl->stage.spec));
        x->resh.tile = p->in_tile;
        TG_CHECK(tg_tensor_reshard(x->in, &x->resh));
        x->src = &x->resh;
    } else if (i == pl->ev_halo) {
        TG_CHECK(tg_halo_alloc(&pl->halo, e->name, &x->h));
        TG_CHECK(tg_l1_map_check(&pl->l1, i, x->h.l1_off));
    } else if (i == pl->ev_halo_prog) {
        /* the halo program: its circular buffers, while the halo is built */
        TG_CHECK(tg_l1_map_open(&pl->l1, i));
        x->program_open = true;
        TG_CHECK(tg_halo_build(&pl->halo, x->src, &x->h));
    } else if (i == pl->ev_halo_move) {
        /* ttnn::move: the halo output, freed, allocated again (higher up) and copied */
        size_t old = x->h.l1_off, bytes = tg_halo_bytes(&pl->halo);
        TG_CHECK(tg_core_alloc(e->name, bytes, &x->h.l1_off));
        x->h.allocated = true;
        memmove(tg_l1_ptr(x->h.l1_off), tg_l1_ptr(old), bytes);
        TG_CHECK(tg_l1_map_check(&pl->l1, i, x->h.l1_off));
    } else if (i == pl->ev_out) {
        int64_t oshape[4] = {p->n, pl->win.out_h, pl->win.out_w, p->cout};
        tg_shard_spec os;
        TG_CHECK(tg_conv2d_output_spec(pl, &os));
        TG_CHECK(alloc_at(pl, i, r->out, "conv2d:output", oshape, p->out_fmt, &os));
        r->out->tile = !p->out_row_major;
    } else if (i == pl->ev_tilized) {
        /* tilized: the same rows here (ttgrid keeps rows in any layout) */
        TG_CHECK(alloc_at(pl, i, &x->tilized, e->name, in_shape, p->in_fmt, &x->src->spec));
        memcpy(tg_l1_ptr(x->tilized.l1_off), tg_l1_ptr(x->src->l1_off),
               tg_tensor_shard_bytes(x->src));
        x->tilized.tile = true;
    } else if (i == pl->ev_small) {
        TG_CHECK(tg_core_alloc_small(e->name, e->bytes, &x->small));
        x->small_allocated = true;
        TG_CHECK(tg_l1_map_check(&pl->l1, i, x->small));
    } else if (i == pl->ev_prog) {
        /* the conv: its circular buffers, and every core's steps */
        TG_CHECK(run_alloc(r));
        x->program_open = true;
        /* what the conv reads: the halo output, the tilized input or the input */
        const tg_tensor *act = pl->ev_tilized >= 0 ? &x->tilized : x->src;
        if (pl->ev_halo >= 0)
            r->src[0] = (act_source){tg_l1_ptr(x->h.l1_off), x->h.row_bytes, pl->cin_slice};
        else if (act)
            r->src[0] = (act_source){tg_l1_ptr(act->l1_off), act->row_bytes, pl->cin_slice};
        else
            return tg_err(TG_ERR_RUNTIME, "conv2d: the input was freed before the conv read it");
        tg_conv2d_schedule(pl, tg_core_self()->rank, exec_step, r);
        return r->st;
    } else if (e->kind == TG_L1_PROGRAM_END) {
        if (x->program_open) tg_core_cb_close();
        x->program_open = r->cbs_open = false;
    } else if (e->kind == TG_L1_FREE) {
        free_event(r, x, e->of);
    } else if (e->kind == TG_L1_FREE_OLD && pl->in.place == TG_PLACE_L1 &&
               e->off == pl->in.l1_off && !pl->evict_input) {
        /* deallocate_activation of an input read in place */
        tg_tensor_free(x->in);
        memset(x->in, 0, sizeof *x->in);
        x->src = NULL;
    }
    return TG_OK;
}

static tg_status run_sharded(conv_run *r, tg_tensor *in) {
    const tg_conv2d_plan *pl = r->pl;
    sharded_state x = {.in = in, .src = in};
    tg_status st = TG_OK;
    /* the first events move tensors to DRAM: done before (tg_conv2d_run) */
    int first = (pl->evict_shortcut ? 1 : 0) + (pl->evict_input ? 1 : 0);
    for (int i = first; i < pl->l1.n && st == TG_OK; i++) st = run_event(r, &x, i);
    if (x.program_open) tg_core_cb_close();
    r->cbs_open = false;
    run_free(r);
    tg_haloed_free(&x.h);
    tg_tensor_free(&x.tilized);
    tg_tensor_free(&x.resh);
    if (x.small_allocated) tg_core_free(x.small);
    if (st != TG_OK) tg_tensor_free(r->out);
    return st;
}

static tg_status run_dram(conv_run *r, tg_tensor *in) {
    const tg_conv2d_plan *pl = r->pl;
    const tg_conv2d_params *p = &pl->p;
    int64_t in_shape[4] = {p->n, p->h, p->w, p->cin};
    int64_t out_shape[4] = {p->n, pl->win.out_h, pl->win.out_w, p->cout};
    tg_tensor resh = {0};
    const tg_tensor *src = in;
    tg_status st = TG_OK;
    if (pl->staged) {
        TG_CHECK(tg_tensor_alloc_dram(&resh, "conv2d:input (interleaved)", in_shape, p->in_fmt));
        st = tg_tensor_reshard(in, &resh);
        if (st != TG_OK) {
            tg_tensor_free(&resh);
            return st;
        }
        src = &resh;
    }
    TG_TRY(st, tg_tensor_alloc_dram(r->out, "conv2d:output", out_shape, p->out_fmt), done);
    r->bufs[TG_CONV_BUF_INPUT] = &src->dram;
    r->bufs[TG_CONV_BUF_OUTPUT] = &r->out->dram;
    TG_TRY(st, run_alloc(r), done);
    r->src[1] = (act_source){tg_l1_ptr(r->cb[TG_CONV_CB_WINDOW]), src->row_bytes, pl->cin_p};
    tg_conv2d_schedule(pl, tg_core_self()->rank, exec_step, r);
    st = r->st;
done:
    run_free(r);
    tg_tensor_free(&resh);
    if (st != TG_OK) tg_tensor_free(r->out);
    return st;
}

tg_status tg_conv2d_run(const tg_conv2d_plan *plan, tg_tensor *in, tg_tensor *shortcut,
                        const tg_conv2d_weights *w, tg_tensor *out) {
    const tg_conv2d_params *p = &plan->p;
    memset(out, 0, sizeof *out);
    if (!plan->materialised)
        return tg_err(TG_ERR_RUNTIME, "conv2d: the plan was not made by tg_conv2d_plan_fit");
    if (in->n != p->n || in->h != p->h || in->w != p->w || in->c != p->cin)
        return tg_err(TG_ERR_USAGE,
                      "conv2d: input is [%lld, %lld, %lld, %lld] but the conv expects [%lld, %lld, "
                      "%lld, %lld]",
                      (long long)in->n, (long long)in->h, (long long)in->w, (long long)in->c,
                      (long long)p->n, (long long)p->h, (long long)p->w, (long long)p->cin);
    if (in->fmt != p->in_fmt)
        return tg_err(TG_ERR_USAGE, "conv2d: input is %s but the conv's dtype is %s",
                      tg_fmt_name(in->fmt), tg_fmt_name(p->in_fmt));
    if (p->has_bias != w->has_bias)
        return tg_err(TG_ERR_USAGE, "conv2d: the plan %s a bias but the weights %s one",
                      p->has_bias ? "has" : "has no", w->has_bias ? "have" : "lack");
    tg_tensor in0 = *in, sc0 = shortcut ? *shortcut : (tg_tensor){0};
    tg_conv2d_site site = {&in0, shortcut ? &sc0 : NULL, false};
    if (plan->evict_shortcut) TG_CHECK(evict(shortcut));
    if (plan->evict_input) TG_CHECK(evict(in));
    if (in->place != plan->in.place ||
        (in->place == TG_PLACE_L1 &&
         (in->l1_off != plan->in.l1_off || !tg_tensor_same_spec(in, &plan->in.spec))))
        return tg_err(TG_ERR_RUNTIME, "conv2d: the input is not where the plan found it");
    conv_run r;
    run_init(&r, plan, out);
    r.bufs[TG_CONV_BUF_WEIGHTS] = &w->w;
    r.bufs[TG_CONV_BUF_BIAS] = &w->bias;
    tg_status st = p->layout == TG_CONV_DRAM ? run_dram(&r, in) : run_sharded(&r, in);
    if (st != TG_OK) return st;
    /* the device's time, as the plan models it */
    tg_timeline_record(&plan->time, tg_core_self()->rank);
    if (tg_trace_on() && tg_core_self()->rank == 0) {
        tg_timeline t;
        if (tg_conv2d_timeline(plan, &site, true, &t) == TG_OK)
            tg_timeline_trace(tg_stats_scope(), &t);
        else
            tg_err_clear();
        tg_timeline_free(&t);
    }
    return TG_OK;
}
