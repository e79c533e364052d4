/* conv2d as TTNN sizes it, in L1: the sliding window's halo and config-tensor sizes,
 * every buffer and L1 event in conv2d_L1's order, and TTNN's error texts. The sources
 * ([SHORT function]) are listed in impl/conv2d_ttnn_impl.h. Pure: the events are for
 * an L1 model to replay. */
#include "conv2d_ttnn_impl.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int64_t max64(int64_t a, int64_t b) {
    return a > b ? a : b;
}

/* ---- the sliding window [SW] ---- */

/* op_trace_metadata[i]: the padded-input stick at the top-left of output i's window
 * [SW generate_op_trace_metadata]. */
typedef struct trace {
    int64_t n, oh, ow, hp, wp, sh, sw;
} trace;

static trace trace_make(const ttnn_conv *v) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    trace t = {c->batch * v->out_h * v->out_w, v->out_h, v->out_w, c->in_h + c->pad_t + c->pad_b,
               c->in_w + c->pad_l + c->pad_r,  c->sh,    c->sw};
    return t;
}

static int64_t trace_at(const trace *t, int64_t i) {
    int64_t b = i / (t->oh * t->ow), r = i % (t->oh * t->ow);
    return b * t->hp * t->wp + (r / t->ow) * t->sh * t->wp + (r % t->ow) * t->sw;
}

/* Core q's output rows [os, oe] and input sticks [is, ie], inclusive
 * [SW generate_shard_boundaries] (snap to tile, not bilinear, not transposed). */
static void shard_boundary(const ttnn_conv *v, const trace *t, int nhw, int q, int64_t *os,
                           int64_t *oe, int64_t *is, int64_t *ie) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    int64_t shard_h = ttnn_round_up(t->n, (int64_t)nhw * TTNN_TILE) / nhw;
    int64_t dkh = c->kh + (int64_t)(c->dh - 1) * (c->kh - 1);
    int64_t dkw = c->kw + (int64_t)(c->dw - 1) * (c->kw - 1);
    int64_t halo = (dkh - 1) * t->wp + dkw - 1;
    int64_t start = 0, end = -1;
    for (int i = 0; i <= q; i++) {
        start = end + 1;
        end = (start + shard_h < t->n ? start + shard_h : t->n) - 1;
    }
    *os = start;
    *oe = end;
    *is = trace_at(t, start < t->n - 1 ? start : t->n - 1);
    *ie = trace_at(t, end) + halo;
    if (*is == 0 && start != 0) {
        *is = trace_at(t, end) + 1;
        *ie = *is - 1;
    }
}

/* [SW generate_max_out_nsticks_per_core]: the halo output's shard height [HALO]. */
int64_t ttnn_max_out_nsticks_per_core(const ttnn_conv *v, int nhw) {
    trace t = trace_make(v);
    int64_t best = 0;
    for (int q = 0; q < nhw; q++) {
        int64_t os, oe, is, ie;
        shard_boundary(v, &t, nhw, q, &os, &oe, &is, &ie);
        best = max64(best, ie - is + 1);
    }
    return best;
}

/* Entries of the conv's reader-indices config tensor per core
 * [SW generate_sliding_window_op_config(is_conv, pad_cores), construct_on_host_config_tensor]:
 * per act block a 3-entry header, a 2-entry break wherever the window's top-left does
 * not advance by the stride, one closing entry; the two readers alternate blocks of
 * reader0 and reader1 rows. The longest core's, padded to an even length. */
static int64_t reader_indices_len(const ttnn_conv *v, int nhw, int64_t reader0, int64_t reader1) {
    trace t = trace_make(v);
    int64_t longest = 0;
    for (int q = 0; q < nhw; q++) {
        int64_t os, oe, is, ie;
        shard_boundary(v, &t, nhw, q, &os, &oe, &is, &ie);
        if (os >= t.n) continue;
        int64_t n = 0, last = 0, remaining = 0, base = trace_at(&t, os);
        bool new_block = true, use0 = true;
        for (int64_t i = os; i <= oe; i++) {
            int64_t rel = trace_at(&t, i) - base;
            if (new_block) {
                remaining = (reader1 == 0 || use0) ? reader0 : reader1;
                n += 3;
                new_block = false;
            } else if (rel != last + t.sw) {
                n += 2;
            }
            remaining--;
            last = rel;
            if (remaining == 0 || i == oe) {
                n++;
                new_block = true;
                use0 = !use0;
            }
        }
        longest = max64(longest, n);
    }
    return longest + longest % 2;
}

/* ---- the plan: buffers and events in conv2d_L1's order ---- */

static int buf_add(tg_ttnn_conv2d_plan *p, const char *name, tg_ttnn_kind kind, int64_t pages,
                   size_t page_size, const char *program) {
    tg_ttnn_buffer *b = &p->buffers[p->nbuffers];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    b->kind = kind;
    b->pages = pages;
    b->page_size = page_size;
    b->bytes = (size_t)pages * page_size;
    /* [L1A; BM] an L1 buffer takes its size per bank rounded up to the L1 alignment */
    if (kind == TG_TTNN_L1_BUFFER || kind == TG_TTNN_L1_SMALL)
        b->bytes = (size_t)ttnn_round_up((int64_t)b->bytes, (int64_t)p->l1.l1_align);
    b->program = program;
    return p->nbuffers++;
}

static void ev_add(tg_ttnn_conv2d_plan *p, tg_ttnn_event_kind kind, int buffer, int cb0, int ncbs) {
    p->events[p->nevents++] = (tg_ttnn_event){kind, buffer, cb0, ncbs};
}

/* A program's CBs as buffers, in creation order (a CB without pages is not created);
 * returns the first one's index. The caller adds the PROGRAM event. */
static int program_buffers(tg_ttnn_conv2d_plan *p, const ttnn_cb_list *l, const char *program) {
    int cb0 = p->nbuffers;
    for (int i = 0; i < l->n; i++) {
        const ttnn_cb *x = &l->cbs[i];
        if (x->pages == 0 && !x->global) continue;
        buf_add(p, x->name, x->global ? TG_TTNN_CB_ALIAS : TG_TTNN_CB, x->pages, x->page_size,
                program);
    }
    return cb0;
}

static void program_add(tg_ttnn_conv2d_plan *p, const ttnn_cb_list *l, const char *program) {
    int cb0 = program_buffers(p, l, program);
    ev_add(p, TG_TTNN_EV_PROGRAM, -1, cb0, p->nbuffers - cb0);
}

/* A [h, w] shard of fmt: tiles, or rows of w values aligned to the L1 alignment. */
static int buf_add_shard(tg_ttnn_conv2d_plan *p, const char *name, int64_t h, int64_t w, tg_fmt fmt,
                         tg_ttnn_layout layout) {
    if (layout == TG_TTNN_TILE)
        return buf_add(p, name, TG_TTNN_L1_BUFFER,
                       ttnn_div_up(h, TTNN_TILE) * ttnn_div_up(w, TTNN_TILE), ttnn_tile_bytes(fmt),
                       NULL);
    size_t row = (size_t)ttnn_round_up((int64_t)tg_fmt_row_bytes(fmt, w), (int64_t)p->l1.l1_align);
    return buf_add(p, name, TG_TTNN_L1_BUFFER, h, row, NULL);
}

/* The 1x1 matmul path [C2D]: ttnn::linear on the sharded input, tilized first when it
 * is row-major (then freed with deallocate_activation). */
static void plan_matmul(const ttnn_conv *v, const ttnn_sizing *k, tg_ttnn_conv2d_plan *p,
                        int input) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    if (c->input_layout == TG_TTNN_ROW_MAJOR) {
        int t = buf_add_shard(p, "tilized input", k->in_shard_h, k->in_shard_w, c->input_dtype,
                              TG_TTNN_TILE);
        ev_add(p, TG_TTNN_EV_ALLOC, t, 0, 0);
        if (c->deallocate_activation) ev_add(p, TG_TTNN_EV_FREE, input, 0, 0);
    }
    int o = buf_add_shard(p, "conv output shard", k->out_shard_h, k->out_shard_w, v->out_fmt,
                          TG_TTNN_TILE);
    ev_add(p, TG_TTNN_EV_ALLOC, o, 0, 0);
    ttnn_cb_list l = {.n = 0};
    ttnn_mm_info mi;
    ttnn_matmul_cbs(v, k, p->weights_rows, &l, &mi);
    program_add(p, &l, "matmul");
    p->num_blocks_act_h = 1;
    p->num_blocks_act_w = p->in0_num_blocks_w = mi.num_blocks;
    p->split_reader = p->split_reader_viable = false;
    p->packer_l1_acc_en = mi.packer_l1_acc_en;
    p->partials_dtype = mi.interm0;
    p->mm_mcast_in0 = k->layout != TG_SHARD_HEIGHT;
    p->mm_interm0_shares_out = mi.interm0_shares_out;
}

/* The conv op: halo, output, config tensor, program [C2D conv2d_L1; SD; WSD]. */
static tg_status plan_conv(const ttnn_conv *v, const ttnn_sizing *k, tg_ttnn_conv2d_plan *p,
                           int input) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    const tg_fmt hfmt = ttnn_halo_fmt(c->input_dtype);
    /* [C2D] the halo runs unless width sharding reads a row-major input without padding;
     * its output is not in place for conv [SWH should_halo_be_in_place]. */
    bool need_halo = !(k->layout == TG_SHARD_WIDTH && c->input_layout == TG_TTNN_ROW_MAJOR &&
                       c->pad_t + c->pad_b + c->pad_l + c->pad_r == 0);
    if (need_halo) {
        /* [HALO compute_output_specs] [max_out_nsticks_per_core, shard width], row-major */
        p->halo_sticks = ttnn_max_out_nsticks_per_core(v, k->in.nhw);
        int h =
            buf_add_shard(p, "halo output", p->halo_sticks, k->in_shard_w, hfmt, TG_TTNN_ROW_MAJOR);
        ev_add(p, TG_TTNN_EV_ALLOC, h, 0, 0);
        /* [UWH UntilizeWithHaloProgramFactory::create] two pad CBs of one stick; for a
         * tiled input two untilize CBs of two tile rows of the shard. (Its four config
         * CBs live on the halo's config tensors, not modelled.) */
        size_t stick = (size_t)ttnn_round_up((int64_t)tg_fmt_row_bytes(hfmt, k->in_shard_w),
                                             (int64_t)p->l1.l1_align);
        ttnn_cb_list hl = {.n = 0};
        ttnn_cb_add(&hl, "HALO_PAD0", 1, stick, false);
        ttnn_cb_add(&hl, "HALO_PAD1", 1, stick, false);
        if (c->input_layout == TG_TTNN_TILE) {
            int64_t ntiles = ttnn_div_up(k->in_shard_w, TTNN_TILE);
            ttnn_cb_add(&hl, "HALO_UNTILIZE0", 2 * ntiles, ttnn_tile_bytes(hfmt), false);
            ttnn_cb_add(&hl, "HALO_UNTILIZE1", 2 * ntiles, ttnn_tile_bytes(hfmt), false);
        }
        program_add(p, &hl, "halo");
        /* [C2D] then the input goes (deallocate_activation) and the halo output moves
         * (ttnn::move: freed, then allocated again top-down, into the freed space). */
        if (c->deallocate_activation) ev_add(p, TG_TTNN_EV_FREE, input, 0, 0);
        if (c->reallocate_halo_output) {
            ev_add(p, TG_TTNN_EV_FREE, h, 0, 0);
            ev_add(p, TG_TTNN_EV_ALLOC, h, 0, 0);
        }
    }
    /* [DEV compute_output_specs] the output shard, allocated before the program */
    int o = buf_add_shard(p, "conv output shard", k->out_shard_h, k->out_shard_w, v->out_fmt,
                          c->output_layout);
    ev_add(p, TG_TTNN_EV_ALLOC, o, 0, 0);

    /* [SD/WSD] get_cb_info takes the conv op's input tensor: the halo output. The split
     * reader's channels: the whole input's for block and width. */
    tg_fmt op_in = need_halo ? hfmt : c->input_dtype;
    int64_t in_c_split = k->in_shard_w;
    if (k->layout == TG_SHARD_BLOCK) in_c_split = k->in_shard_w * k->in.c;
    if (k->layout == TG_SHARD_WIDTH) in_c_split = k->in_shard_w * k->in.ncores;
    ttnn_cb_list l = {.n = 0};
    ttnn_cb_info info;
    TG_CHECK(ttnn_get_cb_info(v, k, p->weights_rows, p->weights_cols, op_in, in_c_split,
                              ttnn_conv_skip_act_mcast(k), &l, &info));
    if (k->layout == TG_SHARD_WIDTH) info.split_reader = false; /* [WSD] never split */
    ttnn_cb *sharded = ttnn_cb_find(&l, "ACT_SHARDED");
    sharded->pages = k->in_shard_h;
    sharded->page_size = (size_t)k->in_shard_w * (c->input_dtype == TG_FLOAT32 ? 4 : 2);

    /* The reader-indices config tensor [SW construct_on_host_config_tensor,
     * move_config_tensor_to_device]: uint16 entries in L1_SMALL; the READER_INDICES CB
     * sits on it with its page size [SD]. */
    int64_t abh = k->blk.abh;
    int64_t r0 = abh * TTNN_TILE, r1 = 0;
    if (info.split_reader) {
        r0 = (abh - abh / 2) * TTNN_TILE;
        r1 = (abh / 2) * TTNN_TILE;
    }
    p->reader_indices = reader_indices_len(v, k->in.nhw, r0, r1);
    if (!c->config_tensors_in_dram)
        ttnn_cb_find(&l, "READER_INDICES")->page_size = (size_t)p->reader_indices * 2;
    int cb0 = program_buffers(p, &l, "conv"), ncbs = p->nbuffers - cb0;
    /* The config tensor is allocated while the program is made, before its CBs are
     * validated at launch. */
    if (!c->config_tensors_in_dram) {
        int small = buf_add(p, "reader indices (conv config tensor)", TG_TTNN_L1_SMALL, 1,
                            (size_t)p->reader_indices * 2, NULL);
        ev_add(p, TG_TTNN_EV_ALLOC, small, 0, 0);
    }
    ev_add(p, TG_TTNN_EV_PROGRAM, -1, cb0, ncbs);
    p->num_blocks_act_h = info.num_blocks_act_h;
    p->num_blocks_act_w = info.num_blocks_act_w;
    p->in0_num_blocks_w = info.in0_num_blocks_w;
    p->split_reader = info.split_reader;
    p->split_reader_viable = info.split_viable;
    p->packer_l1_acc_en = info.packer_l1_acc_en;
    p->partials_dtype = info.partials;
    return TG_OK;
}

tg_status ttnn_plan_l1(const ttnn_conv *v, const ttnn_sizing *k, tg_ttnn_conv2d_plan *p) {
    /* The input shard, as TTNN shards it (or as given), is in L1 when the conv starts. */
    int input = buf_add_shard(p, "input shard", k->in_shard_h, k->in_shard_w, v->cfg->input_dtype,
                              v->cfg->input_layout);
    ev_add(p, TG_TTNN_EV_ALLOC, input, 0, 0);
    if (p->mm_conv) {
        plan_matmul(v, k, p, input);
        return TG_OK;
    }
    return plan_conv(v, k, p, input);
}

const tg_ttnn_buffer *tg_ttnn_plan_buffer(const tg_ttnn_conv2d_plan *p, const char *name) {
    for (int i = 0; i < p->nbuffers; i++)
        if (!strcmp(p->buffers[i].name, name)) return &p->buffers[i];
    return NULL;
}

const char *tg_ttnn_kind_name(tg_ttnn_kind k) {
    switch (k) {
    case TG_TTNN_CB:
        return "cb";
    case TG_TTNN_CB_ALIAS:
        return "cb_alias";
    case TG_TTNN_L1_BUFFER:
        return "l1_buffer";
    case TG_TTNN_L1_SMALL:
        return "l1_small";
    }
    return "?";
}

/* ---- TTNN's error texts ---- */
