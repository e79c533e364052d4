/* conv2d as TTNN sizes it, the circular buffers: the split-reader model, get_cb_info
 * (the conv program's CBs in creation order) and the 1x1 matmul path's CBs. The
 * sources ([SHORT function]) are listed in impl/conv2d_ttnn_impl.h. Pure. */
#include "conv2d_ttnn_impl.h"

#include <string.h>

/* ---- split reader [CBI] ---- */

/* [CBI get_*_noc_transfer_rate]: a clamped linear rate in GB/s from the transfer size,
 * in float as the C++ computes it. min is the L1 alignment. */
static float noc_rate(uint32_t size, uint32_t min, uint32_t threshold, float lo, float hi) {
    uint32_t eff = size < min ? min : (size > threshold ? threshold : size);
    const float per_byte = (hi - lo) / (float)(threshold - min);
    return lo + (per_byte * (float)(eff - min));
}

/* [CBI get_tilize_cycles_per_tile] [halo format][output format][fp32 accumulation]. */
static uint32_t tilize_cycles_per_tile(bool bh, tg_fmt halo, tg_fmt out, bool fp32) {
    /* rows: halo float32, bfloat16; columns: output float32, bfloat16, bfloat8_b */
    static const uint32_t wh[2][3][2] = {{{107, 128}, {74, 74}, {74, 70}},
                                         {{92, 117}, {61, 68}, {40, 43}}};
    static const uint32_t bhc[2][3][2] = {{{132, 132}, {132, 80}, {132, 77}},
                                          {{105, 128}, {72, 72}, {60, 60}}};
    int i = halo == TG_FLOAT32 ? 0 : 1;
    int j = out == TG_FLOAT32 ? 0 : (out == TG_BFLOAT16 ? 1 : 2);
    return bh ? bhc[i][j][fp32] : wh[i][j][fp32];
}

/* [CBI is_split_reader_viable]: split when reading half the activation, then the
 * longer of weights and tilize, beats the longer of activation + tilize and weights.
 * Float arithmetic in the C++'s order (the build never contracts to FMA). */
static bool is_split_reader_viable(const ttnn_conv *v, int layout, int64_t abh, int64_t in_c_padded,
                                   tg_fmt input, int64_t weights_block_ntiles, size_t weights_tile,
                                   int64_t abw) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    if (layout == TG_SHARD_BLOCK) return true;
    if (c->activation_reuse) return true;
    const bool bh = v->l1.is_blackhole;
    const uint32_t min = (uint32_t)v->l1.l1_align;
    const float clock_ghz = bh ? 1.35f : 1.0f;
    const uint32_t bpe = input == TG_FLOAT32 ? 4 : 2;
    const uint32_t coalesced = c->dw == 1 ? (uint32_t)c->kw : 1;
    const uint32_t unit = bpe * (uint32_t)in_c_padded * coalesced;
    const float local_rate =
        bh ? noc_rate(unit, min, 4096, 1.124f, 80.48f) : noc_rate(unit, min, 1024, 0.868f, 27.84f);
    const uint32_t act_bytes =
        bpe * (uint32_t)abh * TTNN_TILE * (uint32_t)in_c_padded * (uint32_t)c->kw;
    const float act_cycles = clock_ghz * (float)act_bytes / local_rate;
    const uint32_t w_bytes = (uint32_t)weights_tile * (uint32_t)weights_block_ntiles;
    const float mcast_rate = bh ? noc_rate(w_bytes, min, 65536, 0.182f, 57.677f)
                                : noc_rate(w_bytes, min, 65536, 0.318f, 25.345f);
    const float dram_rate = bh ? noc_rate((uint32_t)weights_tile, min, 2048, 0.671f, 80.885f)
                               : noc_rate((uint32_t)weights_tile, min, 2048, 0.436f, 28.411f);
    const float w_cycles = clock_ghz * (float)w_bytes * (1.0f / dram_rate + 1.0f / mcast_rate);
    const uint32_t tiles = (uint32_t)abw * (uint32_t)abh;
    const float tilize =
        (float)(tilize_cycles_per_tile(bh, ttnn_halo_fmt(input), v->out_fmt, v->fp32_acc) * tiles);
    const float split = act_cycles / 2 + (w_cycles > tilize ? w_cycles : tilize);
    const float single_reader = act_cycles + tilize;
    return split < (single_reader > w_cycles ? single_reader : w_cycles);
}

/* [CBI calculate_act_cb_size_with_reuse]: with activation reuse an act CB holds one
 * block of output-width tiles plus the rows the reader keeps for the next image row. */
static tg_status act_cb_size_with_reuse(const ttnn_conv *v, int64_t abh, int64_t abw,
                                        int64_t padded_in_c, size_t input_tile, tg_fmt input,
                                        int64_t *pages) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    int64_t iwt = ttnn_div_up(v->out_w, TTNN_TILE);
    int64_t loops = ttnn_div_up(abh, iwt);
    int64_t leftover = v->out_w % TTNN_TILE == 0 ? 0 : TTNN_TILE - v->out_w % TTNN_TILE;
    if (input == TG_BFLOAT8_B) /* tt::datum_size */
        return tg_err(TG_ERR_USAGE, "TT_FATAL: datum for bfp2, bfp4, bfp8 is invalid");
    int64_t datum = input == TG_FLOAT32 ? 4 : 2;
    int64_t length = loops * padded_in_c * c->kw * (1 + leftover * c->kh) * datum;
    *pages = iwt * abw + ttnn_div_up(length, (int64_t)input_tile);
    return TG_OK;
}

/* ---- the conv program's CBs [CBI get_cb_info] ---- */

void ttnn_cb_add(ttnn_cb_list *l, const char *name, int64_t pages, size_t page_size, bool global) {
    l->cbs[l->n++] = (ttnn_cb){name, pages, page_size, global};
}

/* The conv op's CBs in the order SD/WSD create them. input: the conv op's input
 * format (the halo output's); in_c_split: the channels the split-reader model reads;
 * skip_act_mcast: [CU conv_skip_mcast]. */
tg_status ttnn_get_cb_info(const ttnn_conv *v, const ttnn_sizing *k, int64_t w_rows, int64_t w_cols,
                           tg_fmt input, int64_t in_c_split, bool skip_act_mcast, ttnn_cb_list *l,
                           ttnn_cb_info *info) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    const int layout = k->layout;
    const bool untilize_out = c->output_layout == TG_TTNN_ROW_MAJOR;
    const tg_fmt conv_in = ttnn_halo_fmt(input);
    const size_t in_tile = ttnn_tile_bytes(conv_in), w_tile = ttnn_tile_bytes(v->w_fmt),
                 out_tile = ttnn_tile_bytes(v->out_fmt);
    const int64_t abh = k->blk.abh, abw = k->blk.abw;
    const int64_t pch = k->per_core_h, pcw = k->per_core_w;
    memset(info, 0, sizeof *info);
    info->num_blocks_act_h = pch / abh;

    /* [CBI is_split_reader_supported]: height or block, more than one tile row. */
    bool supported = (layout == TG_SHARD_HEIGHT || layout == TG_SHARD_BLOCK) && abh > 1;
    info->split_viable =
        is_split_reader_viable(v, layout, abh, in_c_split, input, pcw * abw, w_tile, abw);
    info->split_reader =
        supported && (c->force_split_reader >= 0 ? c->force_split_reader != 0 : info->split_viable);

    int64_t act = abh * abw, act_split = 0;
    if (info->split_reader) {
        int64_t second = abh / 2, first = abh - second;
        if (!c->activation_reuse) {
            act = first * abw;
            act_split = second * abw;
        } else {
            int64_t padded_in_c = w_rows / (c->kh * c->kw);
            TG_CHECK(act_cb_size_with_reuse(v, first, abw, padded_in_c, in_tile, input, &act));
            TG_CHECK(
                act_cb_size_with_reuse(v, second, abw, padded_in_c, in_tile, input, &act_split));
        }
    }

    /* K in act_block_w blocks; block sharding walks them once per input channel core
     * [CBI get_cb_info; CU determine_packer_l1_acc]: packer L1 accumulation is kept only
     * when it saves a pass (bias and more than one block, or more than two). */
    info->num_blocks_act_w = w_rows / TTNN_TILE / abw;
    int64_t conv_act_c_blocks = w_cols / TTNN_TILE / pcw;
    info->in0_num_blocks_w = layout == TG_SHARD_BLOCK ? info->num_blocks_act_w * conv_act_c_blocks
                                                      : info->num_blocks_act_w;
    info->packer_l1_acc_en =
        c->packer_l1_acc && ((c->bias && info->in0_num_blocks_w > 1) || info->in0_num_blocks_w > 2);
    info->partials = info->packer_l1_acc_en ? (v->fp32_acc ? TG_FLOAT32 : TG_BFLOAT16) : v->out_fmt;

    /* WEIGHTS: one act_block_w slice of the core's output channels. Height keeps all
     * kernel rows when the shard has several act blocks ("fully buffered"), else doubles
     * with weights double buffering; activation reuse neither. */
    int64_t wb = pcw * abw;
    if (layout == TG_SHARD_HEIGHT) {
        if (!c->activation_reuse) {
            if (info->num_blocks_act_h > 1)
                wb *= c->kh;
            else if (v->w_dbuf)
                wb *= 2;
        }
    } else if (v->w_dbuf) {
        wb *= 2;
    }
    ttnn_cb_add(l, "WEIGHTS", wb, w_tile, false);
    /* MATMUL_PARTIALS: on the output buffer unless the output is untilized or the
     * partials' format differs. */
    ttnn_cb_add(l, "MATMUL_PARTIALS", pch * pcw, ttnn_tile_bytes(info->partials),
                !untilize_out && info->partials == v->out_fmt);
    /* Block sharding overlaps the im2col CBs (ACT_SECOND_READER, ACT_ROW_MAJOR) with ACT
     * when no format conversion happens; with the activation multicast skipped, ACT is
     * overlapped by ACT_TILIZED (block, width). An overlapped CB takes no space. */
    bool overlap_im2col = layout == TG_SHARD_BLOCK && conv_in == v->out_fmt && !skip_act_mcast;
    if (v->act_dbuf) {
        act *= 2;
        act_split *= 2;
    }
    bool overlap_act = layout != TG_SHARD_HEIGHT && skip_act_mcast;
    /* ACT: height holds the first reader's half in the input format; block and width
     * the whole block (both halves) in the output format. */
    int64_t act_pages = overlap_act ? 0 : (layout == TG_SHARD_HEIGHT ? act : act + act_split);
    ttnn_cb_add(l, "ACT", act_pages, layout == TG_SHARD_HEIGHT ? in_tile : out_tile, false);
    ttnn_cb_add(l, "ACT_SECOND_READER", overlap_im2col ? 0 : act_split, in_tile, false);
    ttnn_cb_add(l, "TEMP_SUM", 0, out_tile, false); /* 1D depthwise only */
    ttnn_cb_add(l, "ACT_TILIZED", abh * abw, out_tile, false);
    ttnn_cb_add(l, "BIAS", c->bias ? pcw : 0, w_tile, false);
    /* ACT_ROW_MAJOR_BFLOAT16: width two blocks; block the ACT count when converting. */
    int64_t rm = layout == TG_SHARD_WIDTH ? abw * 2 : (layout == TG_SHARD_BLOCK ? act : 0);
    ttnn_cb_add(l, "ACT_ROW_MAJOR_BFLOAT16", overlap_im2col ? 0 : rm, in_tile, false);
    ttnn_cb_add(l, "OUT", pch * pcw, out_tile, true);
    /* READER_INDICES: on the config tensor in L1_SMALL (page size set by the caller), or
     * a local CB with config_tensors_in_dram. */
    ttnn_cb_add(l, "READER_INDICES", 1, (size_t)pch * TTNN_TILE * 2, !c->config_tensors_in_dram);
    ttnn_cb_add(l, "L1_ARRAY", 1, 64, false);
    ttnn_cb_add(l, "ACT_SHARDED", 0, 0, true); /* on the input; sized by the caller */
    return TG_OK;
}

ttnn_cb *ttnn_cb_find(ttnn_cb_list *l, const char *name) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->cbs[i].name, name)) return &l->cbs[i];
    return NULL;
}

/* [CU conv_skip_mcast] the activation multicast is skipped (block, width) when one
 * input and one output channel core remain. Height: one core. */
bool ttnn_conv_skip_act_mcast(const ttnn_sizing *k) {
    if (k->layout == TG_SHARD_BLOCK || k->layout == TG_SHARD_WIDTH)
        return k->out.c == 1 && k->in.c == 1;
    return k->in.nhw * k->out.c == 1;
}

/* ---- the matmul path [C2D determine_matmul_op_config_from_conv_op_config; MM1D; MM2D] ---- */

void ttnn_matmul_cbs(const ttnn_conv *v, const ttnn_sizing *k, int64_t w_rows, ttnn_cb_list *l,
                     ttnn_mm_info *info) {
    const tg_ttnn_conv2d_config *c = v->cfg;
    const int64_t m = k->per_core_h, n = k->per_core_w, in0_block_w = k->blk.abw;
    info->num_blocks = w_rows / TTNN_TILE / in0_block_w;
    info->packer_l1_acc_en =
        c->packer_l1_acc && ((c->bias && info->num_blocks > 1) || info->num_blocks > 2);
    tg_fmt acc = v->fp32_acc ? TG_FLOAT32 : TG_BFLOAT16;
    info->interm0 = info->packer_l1_acc_en ? acc : (v->fp32_acc ? TG_FLOAT32 : v->out_fmt);
    /* interm0 shares the output CB unless its format differs (the conv's matmul is not
     * asked to untilize, so the untilize condition never applies). */
    info->interm0_shares_out = info->interm0 == v->out_fmt;
    const size_t in0_tile = ttnn_tile_bytes(c->input_dtype), w_tile = ttnn_tile_bytes(v->w_fmt),
                 out_tile = ttnn_tile_bytes(v->out_fmt);
    /* [MMU] MCAST_INPUT_BUFFERING_DEPTH when K has more than one block (batch fused) */
    const int64_t buffering = info->num_blocks > 1 ? 2 : 1;
    if (k->layout == TG_SHARD_HEIGHT) {
        /* [MM1D process_mcast_in1_program_and_create_override_variables]: in1
         * multicast; in0 read in place unless the shard is wider than one K block. */
        bool extract = (k->in_shard_w / TTNN_TILE) / in0_block_w > 1;
        ttnn_cb_add(l, "MM_IN0 (c_0)", info->num_blocks * m * in0_block_w, in0_tile, !extract);
        if (extract) ttnn_cb_add(l, "MM_IN0_SHARDED (c_2)", m * in0_block_w, in0_tile, true);
        ttnn_cb_add(l, "MM_IN1 weights (c_1)", n * in0_block_w * buffering, w_tile, false);
    } else {
        /* [MM2D] both operands multicast, in0 from the block shard */
        ttnn_cb_add(l, "MM_IN0 (c_0)", m * in0_block_w * buffering, in0_tile, false);
        ttnn_cb_add(l, "MM_IN1 weights (c_1)", n * in0_block_w * buffering, w_tile, false);
        ttnn_cb_add(l, "MM_IN0_SHARDED (c_2)", m * (k->in_shard_w / TTNN_TILE), in0_tile, true);
        ttnn_cb_add(l, "MM_L1_ARRAY (c_6)", 1, 64, false);
    }
    if (!info->interm0_shares_out)
        ttnn_cb_add(l, "MM_INTERM0 partials (c_5)", m * n, ttnn_tile_bytes(info->interm0), false);
    ttnn_cb_add(l, "MM_OUT (c_4)", m * n, out_tile, true);
    if (c->bias) ttnn_cb_add(l, "MM_BIAS (c_3)", n, w_tile, false);
}
