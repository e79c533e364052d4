/* Reshard planning: which part each core moves; see reshard.h. Pure. */
#include "reshard.h"

#include <string.h>

tg_status tg_reshard_plan_make(const tg_tensor *src, const tg_tensor *dst, tg_reshard_plan *out) {
    memset(out, 0, sizeof *out);
    if (src->n != dst->n || src->h != dst->h || src->w != dst->w || src->c != dst->c ||
        src->fmt != dst->fmt)
        return tg_err(TG_ERR_RUNTIME,
                      "reshard: [%lld, %lld, %lld, %lld] %s cannot become [%lld, %lld, %lld, "
                      "%lld] %s",
                      (long long)src->n, (long long)src->h, (long long)src->w, (long long)src->c,
                      tg_fmt_name(src->fmt), (long long)dst->n, (long long)dst->h,
                      (long long)dst->w, (long long)dst->c, tg_fmt_name(dst->fmt));
    out->src = *src;
    out->dst = *dst;
    bool s_l1 = src->place == TG_PLACE_L1, d_l1 = dst->place == TG_PLACE_L1;
    out->kind = s_l1 ? (d_l1 ? TG_RESHARD_L1 : TG_RESHARD_TO_DRAM)
                     : (d_l1 ? TG_RESHARD_TO_L1 : TG_RESHARD_DRAM);
    return TG_OK;
}

/* The columns both sides of a move hold: the logical ones and the padding both pad
 * to, in whole granules of the format (a bfloat8_b block is moved whole). Beyond them
 * one side has padding the other has not: an L1 spec aligned to 8 channels beside a
 * DRAM tensor padded to 16 or 32 (tg_channels_padded), or the other way round. */
static int64_t common_cols(const tg_tensor *a, const tg_tensor *b) {
    int64_t c = a->cols_padded < b->cols_padded ? a->cols_padded : b->cols_padded;
    int64_t g = tg_fmt_granule(a->fmt);
    return (c + g - 1) / g * g;
}

/* The byte range of a DRAM page that holds the columns of an L1 tensor's part r: the
 * shard's columns up to the columns both tensors hold (a trailing core may hold
 * fewer); *c_end is the column it ends at. */
static bool shard_columns(const tg_tensor *l1t, const tg_tensor *dram, tg_shard_range r,
                          size_t *page_off, size_t *blen, int64_t *c_end) {
    int64_t c0 = r.c0, c1 = c0 + l1t->spec.shard_w, common = common_cols(l1t, dram);
    if (c1 > common) c1 = common;
    if (c0 >= c1) return false;
    *page_off = tg_fmt_col_offset(l1t->fmt, c0);
    *blen = tg_fmt_row_bytes(l1t->fmt, c1 - c0);
    *c_end = c1;
    return true;
}

static void emit_xfer(tg_reshard_step_fn fn, void *ctx, tg_xfer x) {
    tg_reshard_step s = {.kind = TG_RESHARD_STEP_XFER, .x = x};
    fn(ctx, &s);
}

/* L1 -> L1: for each run of my rows held by one source row part and each source
 * column part across my columns, one strided read from the core holding it. */
static void schedule_l1(const tg_reshard_plan *p, const tg_machine *m, int core, size_t src_off,
                        size_t dst_off, tg_reshard_step_fn fn, void *ctx) {
    const tg_tensor *src = &p->src, *dst = &p->dst;
    tg_shard_range r = tg_tensor_core_range(dst, m->grid, core);
    if (tg_shard_range_empty(r)) return;
    tg_reshard_step z = {
        .kind = TG_RESHARD_STEP_ZERO, .off = dst_off, .bytes = tg_tensor_shard_bytes(dst)};
    fn(ctx, &z);
    int64_t common = common_cols(src, dst);
    int64_t c1 = r.c0 + dst->spec.shard_w < common ? r.c0 + dst->spec.shard_w : common;
    for (int64_t row = r.r0; row < r.r1;) {
        int rp = (int)(row / src->spec.shard_h);
        int64_t row_end = (rp + 1) * src->spec.shard_h < r.r1 ? (rp + 1) * src->spec.shard_h : r.r1;
        for (int64_t col = r.c0; col < c1;) {
            int cp = (int)(col / src->spec.shard_w);
            int64_t col_end = (cp + 1) * src->spec.shard_w < c1 ? (cp + 1) * src->spec.shard_w : c1;
            int owner =
                tg_shard_core_rank(&src->spec, m->grid, tg_shard_part_core(&src->spec, rp, cp));
            size_t from = src_off + (size_t)(row - rp * src->spec.shard_h) * src->row_bytes +
                          tg_fmt_col_offset(src->fmt, col - cp * src->spec.shard_w);
            size_t to = dst_off + (size_t)(row - r.r0) * dst->row_bytes +
                        tg_fmt_col_offset(dst->fmt, col - r.c0);
            emit_xfer(fn, ctx,
                      (tg_xfer){.kind = TG_XF_READ,
                                .peer = owner,
                                .count = row_end - row,
                                .peer_off = from,
                                .peer_stride = src->row_bytes,
                                .off = to,
                                .stride = dst->row_bytes,
                                .blen = tg_fmt_row_bytes(src->fmt, col_end - col)});
            col = col_end;
        }
        row = row_end;
    }
    emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_READ_BARRIER});
}

void tg_reshard_schedule(const tg_reshard_plan *p, const tg_machine *m, int core, size_t src_off,
                         size_t dst_off, tg_reshard_step_fn fn, void *ctx) {
    size_t off, blen;
    int64_t c_end;
    tg_shard_range r;
    switch (p->kind) {
    case TG_RESHARD_TO_L1:
        r = tg_tensor_core_range(&p->dst, m->grid, core);
        if (!tg_shard_range_empty(r) && shard_columns(&p->dst, &p->src, r, &off, &blen, &c_end)) {
            tg_reshard_step z = {.kind = TG_RESHARD_STEP_ZERO,
                                 .off = dst_off,
                                 .bytes = tg_tensor_shard_bytes(&p->dst)};
            fn(ctx, &z);
            emit_xfer(fn, ctx,
                      (tg_xfer){.kind = TG_XF_DRAM_READ,
                                .buf = 0,
                                .first = r.r0,
                                .count = r.r1 - r.r0,
                                .peer_off = off,
                                .blen = blen,
                                .off = dst_off,
                                .stride = p->dst.row_bytes});
            emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_READ_BARRIER});
        }
        break;
    case TG_RESHARD_TO_DRAM:
        r = tg_tensor_core_range(&p->src, m->grid, core);
        if (!tg_shard_range_empty(r) && shard_columns(&p->src, &p->dst, r, &off, &blen, &c_end)) {
            emit_xfer(fn, ctx,
                      (tg_xfer){.kind = TG_XF_DRAM_WRITE,
                                .buf = 1,
                                .first = r.r0,
                                .count = r.r1 - r.r0,
                                .peer_off = off,
                                .blen = blen,
                                .off = src_off,
                                .stride = p->src.row_bytes});
            /* the core with the last channels writes the pages' padding the shard does
             * not hold (an 8-aligned shard beside a 16- or 32-padded page) as zeros */
            if (r.c1 == p->src.c && c_end < p->dst.cols_padded) {
                tg_reshard_step z = {.kind = TG_RESHARD_STEP_ZERO_DRAM,
                                     .first = r.r0,
                                     .count = r.r1 - r.r0,
                                     .off = tg_fmt_col_offset(p->dst.fmt, c_end),
                                     .bytes =
                                         p->dst.row_bytes - tg_fmt_col_offset(p->dst.fmt, c_end)};
                fn(ctx, &z);
            }
            emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_WRITE_BARRIER});
        }
        break;
    case TG_RESHARD_L1:
        schedule_l1(p, m, core, src_off, dst_off, fn, ctx);
        break;
    case TG_RESHARD_DRAM: {
        int64_t r0, r1;
        tg_tensor_core_host_rows(&p->src, tg_machine_cores(m), core, &r0, &r1);
        if (r1 > r0) {
            tg_reshard_step h = {.kind = TG_RESHARD_STEP_HOST, .first = r0, .count = r1 - r0};
            fn(ctx, &h);
        }
        break;
    }
    }
    emit_xfer(fn, ctx, (tg_xfer){.kind = TG_XF_SYNC, .set = TG_SET_ALL});
}

typedef struct tally_ctx {
    const tg_reshard_plan *p;
    tg_traffic *t;
    int core;
} tally_ctx;

static void tally_step(void *ctx, const tg_reshard_step *s) {
    tally_ctx *c = ctx;
    if (s->kind == TG_RESHARD_STEP_XFER) {
        tg_xfer_tally(c->t, c->core, &s->x);
    } else if (s->kind == TG_RESHARD_STEP_HOST) {
        /* the host reads the source pages and writes the destination's (tg_dram_*_host) */
        tg_xfer rd = {.kind = TG_XF_DRAM_READ,
                      .first = s->first,
                      .count = s->count,
                      .blen = c->p->src.row_bytes};
        tg_xfer wr = rd;
        wr.kind = TG_XF_DRAM_WRITE;
        wr.blen = c->p->dst.row_bytes;
        tg_xfer_tally(c->t, c->core, &rd);
        tg_xfer_tally(c->t, c->core, &wr);
    } else if (s->kind == TG_RESHARD_STEP_ZERO_DRAM) {
        tg_xfer wr = {.kind = TG_XF_DRAM_WRITE,
                      .buf = 1,
                      .first = s->first,
                      .count = s->count,
                      .peer_off = s->off,
                      .blen = s->bytes};
        tg_xfer_tally(c->t, c->core, &wr);
    }
}

void tg_reshard_traffic(const tg_reshard_plan *p, const tg_machine *m, tg_traffic *t) {
    for (int core = 0; core < tg_machine_cores(m); core++) {
        tally_ctx c = {p, t, core};
        tg_reshard_schedule(p, m, core, 0, 0, tally_step, &c);
    }
}
