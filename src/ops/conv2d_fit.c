/* conv2d placement: which candidate plan runs, and the plan materialised. Pure.
 *
 * A candidate (layout, act_block_h, what moves to DRAM first) fits when the paper's L1
 * budget holds against the room the snapshot leaves and when the run's allocations,
 * replayed in order on the snapshot, all find room (fragmentation included). Without
 * fallbacks the configured conv (TTNN's automatic layout for auto) is the only
 * candidate; with them, ResNet-50's order: the configured layout at its act_block_h,
 * then smaller act blocks, then height, block and width; the same after moving the
 * shortcut to DRAM; then the DRAM layout, moving the shortcut and then the input to
 * DRAM while its blocks still lack room. The chosen plan gets every core's role, the
 * staging, halo and eviction plans, its L1 map and its traffic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d.h"
#include "conv2d_impl.h"
#include "gemm.h"
#include "reshard.h"

static bool in_l1(const tg_tensor *t) {
    return t && t->allocated && t->place == TG_PLACE_L1;
}

/* The input as a sharded plan reads it: TTNN's input shards. */
static tg_status want_input(const tg_conv2d_plan *pl, tg_tensor *t) {
    const tg_conv2d_params *p = &pl->p;
    int64_t shape[4] = {p->n, p->h, p->w, p->cin};
    tg_shard_spec spec;
    TG_CHECK(tg_conv2d_input_spec(pl, &spec));
    TG_CHECK(tg_tensor_describe_spec(t, "conv2d:input (resharded)", shape, p->in_fmt, &spec));
    t->tile = p->in_tile;
    return TG_OK;
}

void tg_conv2d_plan_free(tg_conv2d_plan *pl) {
    tg_halo_plan_free(&pl->halo);
    tg_l1_map_destroy(&pl->l1);
    tg_traffic_destroy(&pl->traffic);
    tg_timeline_free(&pl->time);
    free(pl->roles);
    pl->roles = NULL;
    pl->materialised = false;
}

/* ---- roles ---- */

static void role_of(const tg_conv2d_plan *pl, int core, tg_conv2d_role *r) {
    const tg_conv2d_params *p = &pl->p;
    tg_grid g = pl->m.grid;
    int x = tg_core_x(g, core), y = tg_core_y(g, core);
    memset(r, 0, sizeof *r);
    r->in_grid = x < pl->cores.w && y < pl->cores.h;
    int idx = r->in_grid ? y * pl->cores.w + x : -1;
    switch (p->layout) {
    case TG_CONV_WIDTH:
        r->rp = 0, r->cp = idx;
        break;
    case TG_CONV_BLOCK:
        r->rp = p->transpose_shards ? x : y;
        r->cp = p->transpose_shards ? y : x;
        break;
    default:
        r->rp = idx, r->cp = 0;
        break;
    }
    if (r->in_grid) {
        r->o_begin = tg_split_start(pl->out_split, r->rp);
        r->o_end = tg_split_end(pl->out_split, r->rp);
        if (p->layout == TG_CONV_WIDTH) r->o_begin = 0, r->o_end = pl->out_rows;
        if (p->layout == TG_CONV_DRAM && pl->dram_cols) {
            r->c_base = (int64_t)idx * pl->cout_part;
            r->o_begin = 0;
            r->o_end = r->c_base < pl->cout_p ? pl->out_rows : 0; /* no channels: idle */
        }
    }
    r->row_busy =
        r->in_grid && (p->layout == TG_CONV_DRAM ? r->o_begin < r->o_end : r->rp < pl->busy_parts);
    /* a core computes when it has output channels too, and sends activations when it
     * holds input channels (block and width may have more of one than the other) */
    r->busy = r->row_busy && (p->layout == TG_CONV_DRAM || r->cp < pl->out_parts);
    r->sends = r->row_busy && r->cp < pl->col_parts;
    if (p->layout == TG_CONV_DRAM) return;
    /* weights: the group's first core reads them and multicasts them to the busy cores
     * of its group (height: the whole grid; block: its channel column); width: every
     * busy core reads its own */
    int busy = pl->busy_parts;
    r->reads_weights = r->busy && (p->layout == TG_CONV_WIDTH || r->rp == 0);
    r->w_root = core;
    r->w_rect = (tg_rect){x, y, 1, 1};
    r->w_set = TG_SET_ALL;
    if (p->layout != TG_CONV_WIDTH && r->in_grid && busy > 0 && r->cp < pl->out_parts) {
        if (p->layout == TG_CONV_HEIGHT)
            r->w_rect = busy <= pl->cores.w
                            ? (tg_rect){0, 0, busy, 1}
                            : (tg_rect){0, 0, pl->cores.w, (busy + pl->cores.w - 1) / pl->cores.w};
        else if (p->transpose_shards)
            r->w_rect = (tg_rect){0, y, busy, 1};
        else
            r->w_rect = (tg_rect){x, 0, 1, busy};
        r->w_root = tg_core_rank(g, r->w_rect.x0, r->w_rect.y0);
        /* resident: all the rows at once (streamed: a K block at a time, conv2d_schedule.c) */
        r->w_bytes = (uint64_t)pl->k_rows *
                     (uint64_t)((pl->cout_slice + TG_GEMM_PANEL - 1) / TG_GEMM_PANEL) *
                     tg_fmt_row_bytes(p->w_fmt, TG_GEMM_PANEL);
    }
    if (p->layout == TG_CONV_BLOCK) r->w_set = p->transpose_shards ? TG_SET_ROW : TG_SET_COL;
    /* activations: the cores of my rows (block) or all (width) take turns */
    if (p->layout == TG_CONV_HEIGHT) return;
    r->a_set = p->layout == TG_CONV_WIDTH ? TG_SET_ALL
               : p->transpose_shards      ? TG_SET_COL
                                          : TG_SET_ROW;
    if (!r->in_grid)
        r->a_rect = (tg_rect){x, y, 1, 1};
    else if (p->layout == TG_CONV_WIDTH)
        r->a_rect = (tg_rect){0, 0, pl->cores.w, pl->cores.h};
    else if (p->transpose_shards)
        r->a_rect = (tg_rect){x, 0, 1, pl->cores.h};
    else
        r->a_rect = (tg_rect){0, y, pl->cores.w, 1};
    /* Cores whose row part holds no outputs share a row set with no busy core (the
     * sets are whole rows, or whole columns when transposed, of the parts), so the
     * whole set skips the turns together. Width sharding has one set: all cores. */
    r->idle_set = p->layout == TG_CONV_BLOCK && r->in_grid && r->rp >= busy &&
                  (p->transpose_shards ? pl->cores.h == g.h : pl->cores.w == g.w);
}

/* ---- the L1 map: the run's allocations and frees in its order ---- */

/* The buffer a TTNN CB that takes no space sits on [SD/WSD, MM1D/MM2D: globally
 * allocated CBs]: the output shard (OUT, partials sharing it, the matmul's output), the
 * halo output (the conv's sharded act), the input or its tilized copy (the matmul's in0),
 * the reader indices (their config tensor). Returns the event, or -2 for the input that
 * was in L1 before the op, or -1. */
typedef struct ttnn_events {
    int input, halo, output, tilized, small;
} ttnn_events;

static int alias_target(const char *cb, const ttnn_events *e) {
    if (!strcmp(cb, "OUT") || !strcmp(cb, "MATMUL_PARTIALS") || !strncmp(cb, "MM_OUT", 6) ||
        !strncmp(cb, "MM_INTERM0", 10))
        return e->output;
    if (!strcmp(cb, "ACT_SHARDED")) return e->halo != -1 ? e->halo : e->input;
    if (!strncmp(cb, "MM_IN0", 6)) return e->tilized != -1 ? e->tilized : e->input;
    if (!strcmp(cb, "READER_INDICES")) return e->small;
    return -1;
}

/* Which of TTNN's CBs the run keeps its blocks in (conv2d.h, TG_CONV_CB_*). */
static void cb_role(tg_conv2d_plan *pl, const char *name, int idx) {
    bool mcast = pl->p.layout != TG_CONV_HEIGHT;
    if (!strcmp(name, "WEIGHTS") || !strncmp(name, "MM_IN1", 6)) pl->cb[TG_CONV_CB_WEIGHTS] = idx;
    if (!strcmp(name, "BIAS") || !strncmp(name, "MM_BIAS", 7)) pl->cb[TG_CONV_CB_BIAS] = idx;
    if (!strcmp(name, "ACT")) pl->cb[mcast ? TG_CONV_CB_MCAST : TG_CONV_CB_ACT] = idx;
    if (!strcmp(name, "ACT_TILIZED") && mcast) pl->cb[TG_CONV_CB_ACT] = idx;
    if (!strcmp(name, "MM_IN0 (c_0)") && mcast && pl->l1.cbs[idx].alias == -1)
        pl->cb[TG_CONV_CB_ACT] = pl->cb[TG_CONV_CB_MCAST] = idx;
}

/* A sharded conv: TTNN's events in TTNN's order [C2D conv2d_L1], on this site: the
 * input shard is allocated only when the input is resharded (else it is the input
 * itself), the halo output is moved with reallocate_halo_output, and after the program
 * the run frees the reader indices, the halo output, the tilized input and the resharded
 * input (unless deallocate_activation freed it already). */
static tg_status build_l1_ttnn(tg_conv2d_plan *pl, const tg_conv2d_site *site, const tg_l1 *snap) {
    const tg_ttnn_conv2d_plan *t = &pl->tt;
    tg_l1_map *m = &pl->l1;
    ttnn_events e = {-1, -1, -1, -1, -1};
    m->banks = t->num_banks;
    for (int i = 0; i < t->nevents; i++) {
        const tg_ttnn_event *ev = &t->events[i];
        const tg_ttnn_buffer *b = ev->buffer >= 0 ? &t->buffers[ev->buffer] : NULL;
        if (ev->kind == TG_TTNN_EV_ALLOC) {
            if (!strcmp(b->name, "input shard")) {
                if (pl->staged)
                    e.input = pl->ev_stage =
                        tg_l1_map_alloc_banks(m, b->name, b->bytes, t->num_cores_in);
                else
                    e.input = -2;
            } else if (b->kind == TG_TTNN_L1_SMALL) {
                e.small = pl->ev_small = tg_l1_map_alloc_small(m, b->name, b->bytes, t->num_banks);
            } else {
                int banks =
                    !strcmp(b->name, "conv output shard") ? t->num_cores_out : t->num_cores_in;
                int at = tg_l1_map_alloc_banks(m, b->name, b->bytes, banks);
                if (!strcmp(b->name, "halo output")) {
                    if (e.halo == -1)
                        pl->ev_halo = at;
                    else
                        pl->ev_halo_move = at;
                    e.halo = at;
                } else if (!strcmp(b->name, "conv output shard")) {
                    e.output = pl->ev_out = at;
                } else if (!strcmp(b->name, "tilized input")) {
                    e.tilized = pl->ev_tilized = at;
                } else {
                    return tg_err(TG_ERR_RUNTIME, "conv2d: TTNN's buffer '%s' is not run here",
                                  b->name);
                }
            }
        } else if (ev->kind == TG_TTNN_EV_FREE) {
            if (!strcmp(b->name, "input shard")) {
                pl->free_input_early = true;
                if (e.input == -2)
                    tg_l1_map_free_old(m, "input shard", site->in->l1_off);
                else
                    tg_l1_map_free(m, e.input);
            } else if (!strcmp(b->name, "halo output")) {
                tg_l1_map_free(m, e.halo);
            }
        } else {
            const char *prog = t->buffers[ev->cb0].program;
            int pe = tg_l1_map_program(m, prog, t->core_range);
            if (!strcmp(prog, "halo"))
                pl->ev_halo_prog = pe;
            else
                pl->ev_prog = pe;
            for (int k = ev->cb0; k < ev->cb0 + ev->ncbs; k++) {
                const tg_ttnn_buffer *c = &t->buffers[k];
                int idx;
                if (c->kind == TG_TTNN_CB) {
                    idx = tg_l1_map_cb(m, c->name, c->bytes);
                } else {
                    int on = alias_target(c->name, &e);
                    idx = on == -2 ? tg_l1_map_cb_alias_at(m, c->name, c->bytes, site->in->l1_off)
                                   : tg_l1_map_cb_alias(m, c->name, c->bytes, on);
                }
                if (idx >= 0) cb_role(pl, c->name, idx);
            }
            tg_l1_map_program_end(m);
        }
    }
    tg_l1_map_free(m, pl->ev_small);
    tg_l1_map_free(m, e.halo >= 0 ? e.halo : -1);
    tg_l1_map_free(m, pl->ev_tilized);
    if (!pl->free_input_early) tg_l1_map_free(m, pl->ev_stage);
    return tg_l1_map_replay(m, snap);
}

static tg_status build_l1(tg_conv2d_plan *pl, const tg_conv2d_site *site, const tg_l1 *snap) {
    tg_l1_map *m = &pl->l1;
    tg_l1_map_init(m);
    pl->ev_stage = pl->ev_out = pl->ev_halo = pl->ev_prog = -1;
    pl->ev_halo_prog = pl->ev_halo_move = pl->ev_tilized = pl->ev_small = -1;
    pl->free_input_early = false;
    for (int i = 0; i < TG_CONV_NCB; i++) pl->cb[i] = -1;
    if (pl->evict_shortcut) tg_l1_map_free_old(m, "shortcut (to DRAM)", site->shortcut->l1_off);
    if (pl->evict_input) tg_l1_map_free_old(m, "input (to DRAM)", site->in->l1_off);
    if (pl->ttnn) return build_l1_ttnn(pl, site, snap);
    /* the DRAM layout: its own circular buffers, from the unreserved base */
    size_t sz[TG_CONV_NCB];
    tg_conv2d_cb_sizes(pl, sz);
    char name[64];
    char range[48];
    tg_core_range_name(pl->cores, range);
    pl->ev_prog = tg_l1_map_program(m, "conv2d", range);
    for (int i = 0; i < TG_CONV_NCB; i++) {
        if (!sz[i]) continue;
        snprintf(name, sizeof name, "conv2d:%s", tg_conv_cb_names[i]);
        pl->cb[i] = tg_l1_map_cb(m, name, sz[i]);
    }
    tg_l1_map_program_end(m);
    return tg_l1_map_replay(m, snap);
}

/* Everything a candidate needs to be checked: input staging, halo, L1 map. */
static tg_status materialise_l1(tg_conv2d_plan *pl, const tg_conv2d_site *site, const tg_l1 *snap,
                                bool evict_sc, bool evict_in) {
    const tg_conv2d_params *p = &pl->p;
    pl->in = *site->in;
    pl->evict_shortcut = evict_sc;
    pl->evict_input = evict_in;
    if (evict_in) {
        int64_t shape[4] = {pl->in.n, pl->in.h, pl->in.w, pl->in.c};
        TG_CHECK(tg_tensor_describe_dram(&pl->in, "conv2d:evicted", shape, pl->in.fmt));
    }
    if (p->layout == TG_CONV_DRAM) {
        pl->staged = pl->in.place != TG_PLACE_DRAM;
        if (pl->staged) {
            int64_t shape[4] = {p->n, p->h, p->w, p->cin};
            TG_CHECK(tg_tensor_describe_dram(&pl->stage, "conv2d:input (interleaved)", shape,
                                             p->in_fmt));
        }
    } else {
        TG_CHECK(want_input(pl, &pl->stage));
        pl->staged =
            !(pl->in.place == TG_PLACE_L1 && tg_tensor_same_spec(&pl->in, &pl->stage.spec));
        if (pl->tt.halo_sticks > 0) {
            TG_CHECK(tg_halo_plan_make(&pl->win, &pl->stage.spec, p->in_fmt, pl->out_split, 0.0f,
                                       p->halo_mode, &pl->halo));
            /* the haloed shard lives in TTNN's halo output, which must hold it */
            const tg_ttnn_buffer *hb = tg_ttnn_plan_buffer(&pl->tt, "halo output");
            size_t need = (size_t)pl->halo.cap * pl->halo.row_bytes;
            if (!hb || hb->bytes < need)
                return tg_err(TG_ERR_RUNTIME,
                              "conv2d: the halo needs %zu B but TTNN's halo output holds %zu B "
                              "(a bug)",
                              need, hb ? hb->bytes : 0);
            pl->halo.alloc_bytes = hb->bytes;
        }
    }
    return build_l1(pl, site, snap);
}

/* The most multiply blocks a core's schedule may walk: the plan walks every core's
 * schedule (traffic, timeline), each block a few to a few dozen steps, and the run
 * walks its own, so a conv past this is refused rather than planned for minutes (a
 * kernel 1280 rows tall over 447,000 output rows, found by fuzz_planners: 160,000
 * blocks a core, over 30 s and 2 GB to plan). ResNet-50's convs walk at most 784
 * (`plan resnet50` on 1x1 to 13x10 grids, batch 1 and 16, float32 and bfloat8_b). */
#define BLOCKS_MAX ((int64_t)1 << 15)

/* Refuses a plan whose busiest core walks more than BLOCKS_MAX blocks: its act blocks
 * x K blocks (every turn's) x weight blocks. */
static tg_status check_blocks(const tg_conv2d_plan *pl) {
    int64_t rows = 0;
    for (int c = 0; c < tg_machine_cores(&pl->m); c++) {
        int64_t n = pl->roles[c].o_end - pl->roles[c].o_begin;
        if (n > rows) rows = n;
    }
    int64_t abh = pl->act_block_h > 0 ? pl->act_block_h : 1, act = (rows + abh - 1) / abh;
    int64_t kb = pl->kblocks_per_turn * (pl->col_parts > 0 ? pl->col_parts : 1);
    int64_t wb = pl->nblocks_w > 0 ? pl->nblocks_w : 1;
    /* each factor is below 2^31 (rows, K and channels are): no overflow in a double */
    double blocks = (double)act * (double)kb * (double)wb;
    if (blocks <= (double)BLOCKS_MAX) return TG_OK;
    return tg_err(TG_ERR_USAGE,
                  "conv2d: a core would walk %.0f multiply blocks (%lld act blocks of %lld rows x "
                  "%lld K blocks x %lld weight blocks), more than %lld: too large to plan and "
                  "run here (a smaller kernel or input, or a taller act_block_h)",
                  blocks, (long long)act, (long long)abh, (long long)kb, (long long)wb,
                  (long long)BLOCKS_MAX);
}

/* Roles and traffic of the chosen plan. */
static tg_status materialise_rest(tg_conv2d_plan *pl, const tg_conv2d_site *site) {
    int P = tg_machine_cores(&pl->m);
    pl->roles = calloc((size_t)P, sizeof *pl->roles);
    if (!pl->roles) return tg_err(TG_ERR_RUNTIME, "conv2d: out of host memory for the plan");
    for (int c = 0; c < P; c++) role_of(pl, c, &pl->roles[c]);
    TG_CHECK(check_blocks(pl));
    TG_CHECK(tg_traffic_init(&pl->traffic, &pl->m));
    tg_reshard_plan rp;
    tg_tensor dram;
    const tg_tensor *moved[2] = {pl->evict_shortcut ? site->shortcut : NULL,
                                 pl->evict_input ? site->in : NULL};
    for (int i = 0; i < 2; i++) {
        if (!moved[i]) continue;
        int64_t shape[4] = {moved[i]->n, moved[i]->h, moved[i]->w, moved[i]->c};
        TG_CHECK(tg_tensor_describe_dram(&dram, "conv2d:evicted", shape, moved[i]->fmt));
        TG_CHECK(tg_reshard_plan_make(moved[i], &dram, &rp));
        tg_reshard_traffic(&rp, &pl->m, &pl->traffic);
    }
    if (pl->staged) {
        TG_CHECK(tg_reshard_plan_make(&pl->in, &pl->stage, &rp));
        tg_reshard_traffic(&rp, &pl->m, &pl->traffic);
    }
    if (pl->halo.parts) tg_halo_traffic(&pl->halo, &pl->m, &pl->traffic);
    conv2d_schedule_traffic(pl);
    pl->materialised = true;
    return tg_conv2d_timeline(pl, site, false, &pl->time);
}

/* ---- candidates ---- */

typedef struct fit_state {
    const tg_machine *m;
    const tg_l1 *snap;
    const tg_conv2d_site *site;
    tg_explain *why;
    tg_conv2d_plan *out; /* the last candidate tried */
    bool have;
    size_t last_other; /* the budget's other buffers of the last candidate */
} fit_state;

/* Decides and checks one candidate into fs->out; *ok when it fits. */
static tg_status try_one(fit_state *fs, const tg_conv2d_params *q, bool evict_sc, bool evict_in,
                         bool *ok) {
    const tg_conv2d_site *site = fs->site;
    tg_l1 sim;
    TG_CHECK(tg_l1_clone(&sim, fs->snap));
    if (evict_sc) tg_l1_free(&sim, site->shortcut->l1_off);
    if (evict_in) tg_l1_free(&sim, site->in->l1_off);
    size_t size = sim.size, avail = tg_l1_largest_free(&sim);
    tg_l1_destroy(&sim);
    tg_conv2d_plan cand;
    bool budget_ok;
    /* the input as the conv finds it: moved to DRAM, it is no sharded input to keep */
    const tg_tensor *in = evict_in ? NULL : site->in;
    size_t other = size > avail ? size - avail : 0;
    tg_status st = conv2d_decide(q, fs->m, in, size, other, &cand, &budget_ok,
                                 q->layout == TG_CONV_AUTO ? fs->why : NULL);
    if (st != TG_OK) return st;
    if (fs->have) tg_conv2d_plan_free(fs->out);
    *fs->out = cand;
    fs->have = true;
    fs->last_other = other;
    TG_CHECK(materialise_l1(fs->out, site, fs->snap, evict_sc, evict_in));
    *ok = budget_ok && tg_l1_map_fits(&fs->out->l1);
    char what[112], reason[TG_ERR_MSG_MAX];
    snprintf(what, sizeof what, "%s act_block_h %lld%s%s", tg_conv_layout_name(cand.p.layout),
             (long long)cand.act_block_h, evict_sc ? ", shortcut to DRAM" : "",
             evict_in ? ", input to DRAM" : "");
    if (*ok)
        snprintf(reason, sizeof reason, "fits: L1 peak %zu B of %zu B", fs->out->l1.high_water,
                 size);
    else if (!budget_ok)
        snprintf(reason, sizeof reason, "L1 budget %zu B over the %zu B the live buffers leave",
                 cand.l1_total, cand.l1_limit);
    else
        memcpy(reason, fs->out->l1.why, sizeof reason);
    conv2d_explain(fs->why, *ok, what, reason);
    return TG_OK;
}

/* ResNet-50's sharded candidates: the layouts in order, each from its act_block_h down
 * a tile at a time through the multiples of 32 dividing the output shard. */
static tg_status try_sharded(fit_state *fs, const tg_conv2d_params *p, bool evict_sc, bool *ok) {
    tg_conv_layout order[4] = {p->layout, TG_CONV_HEIGHT, TG_CONV_BLOCK, TG_CONV_WIDTH};
    *ok = false;
    for (int i = 0; i < 4; i++) {
        if (i > 0 && order[i] == p->layout) continue;
        if (order[i] == TG_CONV_DRAM || order[i] == TG_CONV_AUTO) continue;
        if (order[i] == TG_CONV_WIDTH && p->kh == 1 && p->kw == 1) continue;
        tg_conv2d_params q = *p;
        q.layout = order[i];
        for (;;) {
            tg_status st = try_one(fs, &q, evict_sc, false, ok);
            if (st == TG_ERR_USAGE) {
                tg_err_clear();
                break;
            }
            TG_CHECK(st);
            if (*ok) return TG_OK;
            int64_t h = q.act_block_h ? q.act_block_h : fs->out->act_block_h;
            int64_t osh = fs->out->out_split.shard;
            do h -= 32;
            while (h >= 32 && osh % h);
            if (h < 32 || osh % 32) break;
            q.act_block_h = (int)h;
        }
    }
    return TG_OK;
}

tg_status tg_conv2d_plan_fit(const tg_conv2d_params *p, const tg_machine *m, const tg_l1 *snapshot,
                             const tg_conv2d_site *site, tg_conv2d_plan *out, tg_explain *why) {
    memset(out, 0, sizeof *out);
    fit_state fs = {m, snapshot, site, why, out, false, 0};
    bool ok = false;
    if (!site->fallbacks) {
        TG_CHECK(try_one(&fs, p, false, false, &ok));
    } else {
        bool sc_l1 = in_l1(site->shortcut), evict_sc = false;
        if (p->layout != TG_CONV_DRAM) {
            TG_CHECK(try_sharded(&fs, p, false, &ok));
            if (!ok && sc_l1) {
                evict_sc = true;
                TG_CHECK(try_sharded(&fs, p, true, &ok));
            }
        }
        /* DRAM: needs only its blocks in L1; when even those do not fit next to the live
         * tensors, the shortcut and then the input itself move to DRAM */
        tg_conv2d_params q = *p;
        q.layout = TG_CONV_DRAM;
        bool evict_in = false;
        for (int round = 0; !ok; round++) {
            TG_CHECK(try_one(&fs, &q, evict_sc, evict_in, &ok));
            if (ok || round == 2) break;
            if (round == 0 && sc_l1 && !evict_sc)
                evict_sc = true;
            else if (round == 1 && in_l1(site->in))
                evict_in = true;
        }
    }
    if (!ok) {
        if (!out->ttnn && out->l1_total > out->l1_limit)
            return conv2d_no_fit_error(out, out->l1.size, fs.last_other);
        const char *hint =
            !out->ttnn || strstr(out->l1.why, "L1_SMALL") ? ""
            : out->p.layout == TG_CONV_HEIGHT
                ? "; try a smaller --act-block-h, more cores, --shard block, --shard none, or a "
                  "larger --l1-small-size where L1_SMALL is short"
                : "; try a smaller --act-block-h, more cores, --shard none, or a larger "
                  "--l1-small-size where L1_SMALL is short";
        return tg_err(TG_ERR_RUNTIME, "conv2d (%s, %dx%d cores): %s%s",
                      tg_conv_layout_name(out->p.layout), out->cores.w, out->cores.h, out->l1.why,
                      hint);
    }
    return materialise_rest(out, site);
}

tg_status tg_conv2d_plan_standalone(const tg_conv2d_params *p, const tg_machine *m,
                                    tg_conv2d_plan *out, tg_explain *why) {
    tg_l1 empty;
    tg_machine_empty_l1(m, &empty);
    tg_tensor in;
    int64_t shape[4] = {p->n, p->h, p->w, p->cin};
    tg_status st = tg_tensor_describe_dram(&in, "conv2d:input", shape, p->in_fmt);
    tg_conv2d_site site = {&in, NULL, false};
    if (st == TG_OK) st = tg_conv2d_plan_fit(p, m, &empty, &site, out, why);
    tg_l1_destroy(&empty);
    return st;
}
