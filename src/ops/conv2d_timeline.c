/* conv2d's device time: the plan's phases (moves to DRAM, the input resharded, the
 * halo) and its schedule fed to the timeline model (timeline.h). Pure.
 *
 * What each step costs on the device, beyond the transfers the schedule lists:
 *   - an activation block gathered (im2col) is read within the core's L1 by the reader
 *     and tilized by compute (TTNN's ACT -> ACT_TILIZED), 75 cycles a tile [Tilize's
 *     performance model; docs/device-model-sources.md 1.3];
 *   - a matrix multiply of [act_block_h x K block] by [K block x Cout slice] costs its
 *     whole 32x32 tiles at the matrix engine's rate and fidelity (tg_tl_matmul_cycles);
 *     TTNN's ideal cycles count the unpadded multiply-adds [conv2d
 *     create_op_performance_model];
 *   - the epilogue adds the bias (an element-wise tile op) and, for a row-major output,
 *     untilizes;
 *   - the matmul path tilizes a row-major input shard once (TTNN's tilized copy);
 *   - weights are read from DRAM as tiles (TTNN's tiled weights), one transaction per
 *     32x32 tile, where ttgrid's DRAM keeps them as rows. */
#include <stdlib.h>
#include <string.h>

#include "conv2d.h"
#include "op_timeline.h"

typedef struct conv_tl {
    const tg_conv2d_plan *pl;
    const tg_tl_costs *c;
    const tl_sink *s;
    tg_reshard_plan moves[3]; /* the shortcut and the input to DRAM, the input staged */
    int nmoves;
    double pending; /* compute cycles (tilize) that go with the next multiply's block */
} conv_tl;

static double fid(const tg_conv2d_plan *pl) {
    return (double)pl->p.fidelity;
}

/* An activation block gathered: the reader's copy now, compute's tilize with the
 * block's multiply (one compute step per block, as the model counts blocks). */
static void im2col(conv_tl *t, int64_t k) {
    const tg_conv2d_plan *pl = t->pl;
    tl_local(t->s, (uint64_t)pl->act_block_h * tg_fmt_row_bytes(pl->p.in_fmt, k));
    t->pending += tl_tiles(pl->act_block_h, k) * t->c->tilize_cycles_per_tile;
}

/* The epilogue of an output block: the bias added, a row-major output untilized. */
static double epilogue(const conv_tl *t, int64_t m, int64_t cols) {
    const tg_conv2d_plan *pl = t->pl;
    double tiles = tl_tiles(m, cols), cycles = 0;
    if (pl->p.has_bias) cycles += tiles * t->c->eltwise_cycles_per_tile;
    if (pl->p.out_row_major)
        cycles += tiles * ((cols + 31) / 32 <= 8 ? t->c->pack_untilize_cycles_per_tile
                                                 : t->c->untilize_cycles_per_tile);
    return cycles;
}

static void step(void *ctx, const tg_conv2d_step *st) {
    conv_tl *t = ctx;
    const tg_conv2d_plan *pl = t->pl;
    int64_t k = st->k1 - st->k0;
    switch (st->kind) {
    case TG_CONV_STEP_XFER: {
        tg_xfer x = st->x;
        /* weights and bias come in on the writer kernel (TTNN's conv writer reads and
         * multicasts them) beside the reader's activations; the rest on their kernels */
        tg_tl_step s = {.kind = TG_TL_XFER, .x = x, .writer_input = st->weights};
        t->s->emit(t->s->ectx, &s);
        break;
    }
    case TG_CONV_STEP_ZERO:
        tl_local(t->s, st->bytes);
        break;
    case TG_CONV_STEP_GATHER:
        im2col(t, k);
        break;
    case TG_CONV_STEP_MATMUL: {
        /* height and DRAM layouts gather inside the multiply step; the matmul path
         * reads its (tilized) input shard as it is */
        if (!st->from_cb && !pl->matmul_path) im2col(t, k);
        int64_t kpad = (k + 31) / 32 * 32;
        double cycles = tg_tl_matmul_cycles(t->c, pl->act_block_h, kpad, st->cols, (int)fid(pl));
        double ideal = fid(pl) * 2.0 * (double)st->m * (double)k * (double)st->cols /
                       t->c->matmul_flop_per_cycle;
        if (st->last) cycles += epilogue(t, st->m, st->cols);
        tl_work(t->s, TG_TL_COMPUTE, cycles + t->pending, ideal, "matmul");
        t->pending = 0;
        break;
    }
    case TG_CONV_STEP_EPILOGUE:    /* costed with the block's last multiply */
    case TG_CONV_STEP_W_UNPACK:    /* the emulator's host-side work: */
    case TG_CONV_STEP_BIAS_UNPACK: /* not device steps */
    case TG_CONV_STEP_ACC_ZERO:
        break;
    }
}

static void gen(void *ctx, int core, tg_tl_emit_fn emit, void *ectx) {
    conv_tl *t = ctx;
    const tg_conv2d_plan *pl = t->pl;
    tl_sink s = {t->c, emit, ectx};
    t->s = &s;
    for (int i = 0; i < t->nmoves; i++) tl_reshard(&s, &t->moves[i], &pl->m, core);
    if (pl->halo.parts) tl_halo(&s, &pl->halo, &pl->m, core);
    t->pending = 0;
    if (pl->ev_tilized >= 0 && pl->roles[core].in_grid)
        tl_work(&s, TG_TL_COMPUTE,
                tl_tiles(pl->in_split.shard, pl->cin_slice) * t->c->tilize_cycles_per_tile, 0,
                "tilize input");
    tg_conv2d_schedule(pl, core, step, t);
    /* a sender without outputs of its own tilized blocks it never multiplies */
    if (t->pending > 0) tl_work(&s, TG_TL_COMPUTE, t->pending, 0, "tilize");
}

tg_status tg_conv2d_timeline(const tg_conv2d_plan *pl, const tg_conv2d_site *site, bool spans,
                             tg_timeline *out) {
    memset(out, 0, sizeof *out);
    if (!pl->materialised)
        return tg_err(TG_ERR_RUNTIME, "conv2d: the timeline needs a materialised plan");
    tg_tl_costs c = tg_tl_costs_of(pl->m.arch);
    conv_tl t = {.pl = pl, .c = &c};
    /* the moves the run makes first, as the plan's traffic counts them */
    const tg_tensor *moved[2] = {pl->evict_shortcut && site ? site->shortcut : NULL,
                                 pl->evict_input && site ? site->in : NULL};
    for (int i = 0; i < 2; i++) {
        if (!moved[i]) continue;
        tg_tensor dram;
        int64_t shape[4] = {moved[i]->n, moved[i]->h, moved[i]->w, moved[i]->c};
        TG_CHECK(tg_tensor_describe_dram(&dram, "conv2d:evicted", shape, moved[i]->fmt));
        TG_CHECK(tg_reshard_plan_make(moved[i], &dram, &t.moves[t.nmoves++]));
    }
    if (pl->staged) TG_CHECK(tg_reshard_plan_make(&pl->in, &pl->stage, &t.moves[t.nmoves++]));
    int depth = pl->p.act_double_buffer || pl->p.weights_double_buffer ? 2 : 1;
    TG_CHECK(tg_timeline_model(&pl->m, &c, depth, spans, gen, &t, out));
    /* TTNN's ideal cycles for the op [conv2d create_op_performance_model]: 2 x the
     * multiply-adds over the device's cores at 4096 FLOP a cycle, times the fidelity */
    double macs = (double)pl->out_rows * (double)pl->p.cout * (double)(pl->p.cin / pl->p.groups) *
                  (double)pl->p.kh * (double)pl->p.kw;
    out->ideal_cycles =
        2.0 * macs / ((double)tg_machine_cores(&pl->m) * c.matmul_flop_per_cycle) * fid(pl);
    return TG_OK;
}
