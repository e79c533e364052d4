/* Plans as JSON (cJSON); see plan_json.h and the README's schema. */
#include "plan_json.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stdlib.h>

#include "plan_l1.h"

static cJSON *ints(const int64_t *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
    return a;
}

static cJSON *rect(tg_rect r) {
    int64_t v[4] = {r.x0, r.y0, r.w, r.h};
    return ints(v, 4);
}

static const char *set_name(tg_core_set s) {
    return s == TG_SET_ROW ? "row" : s == TG_SET_COL ? "column" : "all";
}

static cJSON *machine(const tg_machine *m, size_t l1_size) {
    cJSON *o = cJSON_CreateObject();
    int64_t grid[2] = {m->grid.w, m->grid.h};
    cJSON_AddStringToObject(o, "arch", m->arch->name);
    cJSON_AddItemToObject(o, "grid", ints(grid, 2));
    cJSON_AddNumberToObject(o, "cores", tg_machine_cores(m));
    cJSON_AddNumberToObject(o, "l1_size", (double)l1_size);
    cJSON_AddNumberToObject(o, "dram_banks", m->arch->dram_banks);
    return o;
}

/* Each buffer and circular buffer once, as TTNN names it (plan_l1.h). */
static cJSON *l1_buffers(const tg_cli_l1 *v) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < v->n; i++) {
        const tg_cli_buf *b = &v->buf[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", b->name);
        cJSON_AddStringToObject(j, "kind", tg_cli_buf_kind_name(b->kind));
        cJSON_AddNumberToObject(j, "bytes", (double)b->bytes);
        if (b->placed) {
            cJSON_AddNumberToObject(j, "address", (double)b->address);
            cJSON_AddNumberToObject(j, "end", (double)(b->address + b->bytes));
        } else {
            cJSON_AddNullToObject(j, "address");
            cJSON_AddNullToObject(j, "end");
        }
        if (b->program) cJSON_AddStringToObject(j, "program", b->program);
        cJSON_AddItemToArray(a, j);
    }
    return a;
}

static void add_size_or_null(cJSON *o, const char *key, bool known, size_t v) {
    if (known)
        cJSON_AddNumberToObject(o, key, (double)v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *l1_map(const tg_l1_map *m, const tg_machine *mc) {
    tg_cli_l1 v;
    if (tg_cli_l1_make(m, mc->arch->l1_align, &v) != TG_OK) return NULL; /* host memory */
    cJSON *o = cJSON_CreateObject(), *ev = cJSON_CreateArray();
    cJSON_AddNumberToObject(o, "size", (double)m->size);
    cJSON_AddNumberToObject(o, "buffers_from", (double)m->lo);
    cJSON_AddNumberToObject(o, "buffers_to", (double)m->hi);
    cJSON_AddNumberToObject(o, "l1_small_size", (double)(m->size - m->hi));
    cJSON_AddNumberToObject(o, "start_in_use", (double)m->start_in_use);
    cJSON_AddNumberToObject(o, "high_water", (double)m->high_water);
    cJSON_AddNumberToObject(o, "end_in_use", (double)m->end_in_use);
    cJSON_AddBoolToObject(o, "fits", tg_l1_map_fits(m));
    if (!tg_l1_map_fits(m))
        cJSON_AddStringToObject(o, "why", m->why);
    else
        cJSON_AddNullToObject(o, "why");
    if (v.error[0])
        cJSON_AddStringToObject(o, "error", v.error);
    else
        cJSON_AddNullToObject(o, "error");
    cJSON_AddItemToObject(o, "buffers", l1_buffers(&v));
    cJSON_AddNumberToObject(o, "cb_total", (double)v.cb_total);
    if (v.program)
        cJSON_AddStringToObject(o, "cb_program", v.program);
    else
        cJSON_AddNullToObject(o, "cb_program");
    add_size_or_null(o, "cb_end", v.has_cb_end, v.cb_end);
    add_size_or_null(o, "lowest_l1_buffer", v.has_lowest && v.any_buffer, v.lowest);
    tg_cli_l1_free(&v);
    static const char *ops[] = {"alloc", "free", "free", "program", "end", "alloc_small"};
    for (int i = 0; i < m->n; i++) {
        const tg_l1_event *e = &m->ev[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "op", ops[e->kind]);
        if (e->kind != TG_L1_PROGRAM_END) cJSON_AddStringToObject(j, "name", e->name);
        if (e->kind == TG_L1_ALLOC || e->kind == TG_L1_ALLOC_SMALL) {
            cJSON_AddNumberToObject(j, "bytes", (double)e->bytes);
            if (e->off != (size_t)-1)
                cJSON_AddNumberToObject(j, "offset", (double)e->off);
            else
                cJSON_AddNullToObject(j, "offset");
        } else if (e->kind == TG_L1_FREE_OLD) {
            cJSON_AddNumberToObject(j, "offset", (double)e->off);
        } else if (e->kind == TG_L1_PROGRAM) {
            cJSON *cbs = cJSON_CreateArray();
            cJSON_AddStringToObject(j, "core_range", e->range);
            cJSON_AddNumberToObject(j, "bytes", (double)e->bytes);
            for (int k = e->cb0; k < e->cb0 + e->ncbs; k++) {
                cJSON *c = cJSON_CreateObject();
                cJSON_AddStringToObject(c, "name", m->cbs[k].name);
                cJSON_AddNumberToObject(c, "bytes", (double)m->cbs[k].bytes);
                cJSON_AddNumberToObject(c, "offset", (double)m->cbs[k].off);
                cJSON_AddBoolToObject(c, "alias", m->cbs[k].alias != -1);
                cJSON_AddItemToArray(cbs, c);
            }
            cJSON_AddItemToObject(j, "circular_buffers", cbs);
        }
        cJSON_AddItemToArray(ev, j);
    }
    cJSON_AddItemToObject(o, "events", ev);
    return o;
}

static cJSON *halo(const tg_halo_plan *h) {
    if (!h->parts) return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject(), *parts = cJSON_CreateArray();
    cJSON_AddNumberToObject(o, "sticks_per_core", (double)h->cap);
    cJSON_AddNumberToObject(o, "row_bytes", (double)h->row_bytes);
    cJSON_AddStringToObject(o, "mode", tg_halo_mode_name(h->mode));
    cJSON_AddNumberToObject(o, "pad_value", h->pad_value); /* -inf prints as null */
    for (int q = 0; q < h->in.parts; q++) {
        const tg_halo_part *p = &h->parts[q];
        cJSON *j = cJSON_CreateObject(), *runs = cJSON_CreateArray();
        int64_t outs[2] = {p->bounds.o0, p->bounds.o1}, padded[2] = {p->bounds.a, p->bounds.b};
        cJSON_AddNumberToObject(j, "part", q);
        cJSON_AddItemToObject(j, "outputs", ints(outs, 2));
        cJSON_AddItemToObject(j, "padded", ints(padded, 2));
        cJSON_AddNumberToObject(j, "pad_sticks", (double)p->counts.pad);
        cJSON_AddNumberToObject(j, "local_sticks", (double)p->counts.local);
        cJSON_AddNumberToObject(j, "remote_sticks", (double)p->counts.remote);
        cJSON_AddNumberToObject(j, "remote_runs", (double)p->counts.remote_runs);
        cJSON_AddNumberToObject(j, "source_parts", p->counts.sources);
        for (int64_t i = 0; i < p->nruns; i++) {
            const tg_stick_run *r = &h->runs[p->run0 + i];
            cJSON *rj = cJSON_CreateObject();
            cJSON_AddNumberToObject(rj, "dst", (double)r->dst);
            cJSON_AddNumberToObject(rj, "len", (double)r->len);
            cJSON_AddStringToObject(rj, "kind",
                                    r->owner < 0    ? "padding"
                                    : r->owner == q ? "local"
                                                    : "remote");
            if (r->owner >= 0) {
                cJSON_AddNumberToObject(rj, "src_row", (double)r->src);
                cJSON_AddNumberToObject(rj, "owner_part", r->owner);
            }
            cJSON_AddItemToArray(runs, rj);
        }
        cJSON_AddItemToObject(j, "runs", runs);
        cJSON_AddItemToArray(parts, j);
    }
    cJSON_AddItemToObject(o, "parts", parts);
    return o;
}

/* The traffic of core r, the links leaving it and what its DRAM banks served. */
static cJSON *traffic(const tg_traffic *t, int r) {
    const tg_counters *k = &t->core[r];
    cJSON *o = cJSON_CreateObject(), *links = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "noc_read_bytes", (double)k->noc_read_bytes);
    cJSON_AddNumberToObject(o, "noc_write_bytes", (double)k->noc_write_bytes);
    cJSON_AddNumberToObject(o, "noc_mcast_bytes", (double)k->noc_mcast_bytes);
    cJSON_AddNumberToObject(o, "noc_transactions", (double)k->noc_transactions);
    cJSON_AddNumberToObject(o, "hops", (double)k->hops);
    cJSON_AddNumberToObject(o, "dram_read_bytes", (double)k->dram_read_bytes);
    cJSON_AddNumberToObject(o, "dram_write_bytes", (double)k->dram_write_bytes);
    static const char *dirs[TG_LINK_DIRS] = {"e", "s", "n", "w"};
    for (int d = 0; d < TG_LINK_DIRS; d++)
        cJSON_AddNumberToObject(links, dirs[d], (double)t->links[r * TG_LINK_DIRS + d]);
    cJSON_AddItemToObject(o, "link_bytes", links);
    double served = 0;
    for (int b = r; b < t->nbanks; b += t->ncores) served += (double)t->banks[b];
    cJSON_AddNumberToObject(o, "dram_served_bytes", served);
    return o;
}

static cJSON *banks(const tg_traffic *t) {
    cJSON *a = cJSON_CreateArray();
    for (int b = 0; b < t->nbanks; b++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)t->banks[b]));
    return a;
}

static cJSON *tensor(const tg_tensor *t) {
    cJSON *o = cJSON_CreateObject();
    int64_t shape[4] = {t->n, t->h, t->w, t->c};
    cJSON_AddItemToObject(o, "shape", ints(shape, 4));
    cJSON_AddStringToObject(o, "format", tg_fmt_name(t->fmt));
    cJSON_AddStringToObject(o, "placement", t->place == TG_PLACE_L1 ? "l1" : "dram");
    if (t->place == TG_PLACE_L1) {
        int64_t grid[2] = {t->spec.grid.w, t->spec.grid.h};
        cJSON_AddStringToObject(o, "layout", tg_shard_name(t->spec.layout));
        cJSON_AddItemToObject(o, "core_grid", ints(grid, 2));
        cJSON_AddNumberToObject(o, "shard_rows", (double)t->spec.shard_h);
        cJSON_AddNumberToObject(o, "shard_channels", (double)t->spec.shard_w);
        cJSON_AddBoolToObject(o, "transpose", t->spec.transpose);
        cJSON_AddNumberToObject(o, "shard_bytes", (double)tg_tensor_shard_bytes(t));
    }
    return o;
}

static tg_status emit(const tg_cli *g, cJSON *root) {
    char *s = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!s) return tg_err(TG_ERR_RUNTIME, "plan: out of host memory for the JSON document");
    tg_cli_out(g, "%s\n", s);
    free(s);
    return TG_OK;
}

static void add_outcome(cJSON *root, tg_status fit_st) {
    cJSON_AddBoolToObject(root, "fits", fit_st == TG_OK);
    if (fit_st != TG_OK)
        cJSON_AddStringToObject(root, "error", tg_err_msg());
    else
        cJSON_AddNullToObject(root, "error");
}

static cJSON *conv_params(const tg_conv2d_params *p) {
    cJSON *o = cJSON_CreateObject();
    int64_t in[4] = {p->n, p->h, p->w, p->cin}, k[2] = {p->kh, p->kw}, s[2] = {p->sh, p->sw};
    int64_t pad[4] = {p->pad_t, p->pad_b, p->pad_l, p->pad_r}, d[2] = {p->dh, p->dw};
    int64_t cg[2] = {p->cores.w, p->cores.h};
    cJSON_AddItemToObject(o, "input", ints(in, 4));
    cJSON_AddNumberToObject(o, "out_channels", (double)p->cout);
    cJSON_AddItemToObject(o, "kernel", ints(k, 2));
    cJSON_AddItemToObject(o, "stride", ints(s, 2));
    cJSON_AddItemToObject(o, "padding", ints(pad, 4));
    cJSON_AddItemToObject(o, "dilation", ints(d, 2));
    cJSON_AddNumberToObject(o, "groups", p->groups);
    cJSON_AddBoolToObject(o, "bias", p->has_bias);
    cJSON_AddStringToObject(o, "activation", p->relu ? "relu" : "none");
    cJSON_AddItemToObject(o, "core_grid", ints(cg, 2));
    cJSON_AddBoolToObject(o, "transpose_shards", p->transpose_shards);
    cJSON_AddNumberToObject(o, "act_block_h_override", p->act_block_h);
    cJSON_AddNumberToObject(o, "act_block_w_div", p->act_block_w_div);
    cJSON_AddStringToObject(o, "dtype", tg_fmt_name(p->in_fmt));
    cJSON_AddStringToObject(o, "weights_dtype", tg_fmt_name(p->w_fmt));
    cJSON_AddStringToObject(o, "output_dtype", tg_fmt_name(p->out_fmt));
    cJSON_AddStringToObject(o, "math_fidelity", tg_fidelity_name(p->fidelity));
    cJSON_AddBoolToObject(o, "fp32_acc", p->fp32_acc > 0);
    cJSON_AddBoolToObject(o, "packer_l1_acc", p->packer_l1_acc);
    cJSON_AddBoolToObject(o, "act_double_buffer", p->act_double_buffer);
    cJSON_AddBoolToObject(o, "weights_double_buffer", p->weights_double_buffer);
    cJSON_AddBoolToObject(o, "deallocate_activation", p->deallocate_activation);
    cJSON_AddBoolToObject(o, "full_inner_dim", p->full_inner_dim);
    cJSON_AddBoolToObject(o, "activation_reuse", p->activation_reuse);
    cJSON_AddBoolToObject(o, "config_tensors_in_dram", p->config_tensors_in_dram);
    cJSON_AddBoolToObject(o, "reallocate_halo_output", p->reallocate_halo_output);
    cJSON_AddStringToObject(o, "split_reader",
                            p->force_split_reader < 0    ? "auto"
                            : p->force_split_reader == 0 ? "off"
                                                         : "on");
    cJSON_AddStringToObject(o, "output_layout", p->out_row_major ? "row-major" : "tile");
    cJSON_AddBoolToObject(o, "snap", p->snap);
    cJSON_AddStringToObject(o, "halo_mode", tg_halo_mode_name(p->halo_mode));
    return o;
}

static cJSON *budget(const tg_l1_item *items, int n, size_t total, size_t limit) {
    cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", items[i].name);
        cJSON_AddNumberToObject(j, "bytes", (double)items[i].bytes);
        cJSON_AddItemToArray(a, j);
    }
    cJSON_AddItemToObject(o, "items", a);
    cJSON_AddNumberToObject(o, "total", (double)total);
    cJSON_AddNumberToObject(o, "limit", (double)limit);
    return o;
}

/* Block and width: for each busy row part, which core sends in each turn and which
 * cores receive. */
static cJSON *turns(const tg_conv2d_plan *pl) {
    cJSON *a = cJSON_CreateArray();
    if (pl->p.layout != TG_CONV_BLOCK && pl->p.layout != TG_CONV_WIDTH) return a;
    int P = tg_machine_cores(&pl->m);
    for (int rp = 0; rp < pl->busy_parts; rp++)
        for (int t = 0; t < pl->col_parts; t++) {
            int sender = tg_shard_core_rank(&pl->stage.spec, pl->m.grid,
                                            tg_shard_part_core(&pl->stage.spec, rp, t));
            const tg_conv2d_role *r = &pl->roles[sender];
            cJSON *j = cJSON_CreateObject(), *recv = cJSON_CreateArray();
            cJSON_AddNumberToObject(j, "row_part", rp);
            cJSON_AddNumberToObject(j, "turn", t);
            cJSON_AddNumberToObject(j, "sender", sender);
            cJSON_AddItemToObject(j, "rect", rect(r->a_rect));
            for (int c = 0; c < P; c++) {
                int x = tg_core_x(pl->m.grid, c), y = tg_core_y(pl->m.grid, c);
                if (c != sender && x >= r->a_rect.x0 && x < r->a_rect.x0 + r->a_rect.w &&
                    y >= r->a_rect.y0 && y < r->a_rect.y0 + r->a_rect.h)
                    cJSON_AddItemToArray(recv, cJSON_CreateNumber(c));
            }
            cJSON_AddItemToObject(j, "receivers", recv);
            cJSON_AddItemToArray(a, j);
        }
    return a;
}

static cJSON *conv_core(const tg_conv2d_plan *pl, int c) {
    const tg_conv2d_role *r = &pl->roles[c];
    cJSON *o = cJSON_CreateObject();
    int64_t outs[2] = {r->o_begin, r->o_end};
    cJSON_AddNumberToObject(o, "core", c);
    cJSON_AddNumberToObject(o, "x", tg_core_x(pl->m.grid, c));
    cJSON_AddNumberToObject(o, "y", tg_core_y(pl->m.grid, c));
    cJSON_AddBoolToObject(o, "in_grid", r->in_grid);
    cJSON_AddBoolToObject(o, "busy", r->busy);
    cJSON_AddNumberToObject(o, "row_part", r->rp);
    cJSON_AddNumberToObject(o, "col_part", r->cp);
    cJSON_AddItemToObject(o, "outputs", ints(outs, 2));
    if (pl->p.layout == TG_CONV_DRAM && pl->dram_cols)
        cJSON_AddNumberToObject(o, "first_out_channel", (double)r->c_base);
    if (pl->p.layout != TG_CONV_DRAM) {
        cJSON *w = cJSON_CreateObject();
        cJSON_AddBoolToObject(w, "reads_dram", r->reads_weights);
        cJSON_AddNumberToObject(w, "root", r->w_root);
        cJSON_AddItemToObject(w, "rect", rect(r->w_rect));
        cJSON_AddStringToObject(w, "set", set_name(r->w_set));
        cJSON_AddNumberToObject(w, "mcast_bytes", (double)(r->w_root == c ? r->w_bytes : 0));
        cJSON_AddItemToObject(o, "weights", w);
    }
    if (pl->p.layout == TG_CONV_BLOCK || pl->p.layout == TG_CONV_WIDTH) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "set", set_name(r->a_set));
        cJSON_AddItemToObject(a, "rect", rect(r->a_rect));
        cJSON_AddBoolToObject(a, "idle_set", r->idle_set);
        cJSON_AddItemToObject(o, "activations", a);
    }
    cJSON_AddItemToObject(o, "traffic", traffic(&pl->traffic, c));
    return o;
}

/* The device's modelled time of a materialised plan: the op's cycles, microseconds,
 * bound and TTNN's ideal compute cycles, and each core's part. */
static cJSON *device_time(const tg_timeline *t, const tg_machine *m) {
    cJSON *o = cJSON_CreateObject(), *cores = cJSON_CreateArray();
    double ghz = tg_tl_costs_of(m->arch).clock_ghz;
    cJSON_AddNumberToObject(o, "cycles", t->cycles);
    cJSON_AddNumberToObject(o, "us", t->cycles / ghz / 1e3);
    cJSON_AddStringToObject(o, "bound", tg_tl_bound_name(t->bound));
    cJSON_AddNumberToObject(o, "ideal_cycles", t->ideal_cycles);
    for (int c = 0; c < t->ncores; c++) {
        const tg_tl_core *k = &t->core[c];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "start", k->start);
        cJSON_AddNumberToObject(j, "end", k->end);
        cJSON_AddNumberToObject(j, "reader", k->busy[TG_TL_READER]);
        cJSON_AddNumberToObject(j, "compute", k->busy[TG_TL_COMPUTE]);
        cJSON_AddNumberToObject(j, "writer", k->busy[TG_TL_WRITER]);
        cJSON_AddNumberToObject(j, "wait", k->wait_cycles);
        cJSON_AddNumberToObject(j, "ideal", k->ideal_cycles);
        cJSON_AddStringToObject(j, "bound", tg_tl_bound_name(k->bound));
        cJSON_AddItemToArray(cores, j);
    }
    cJSON_AddItemToObject(o, "cores", cores);
    return o;
}

tg_status tg_cli_json_conv2d(const tg_cli *g, const tg_conv2d_plan *pl, const tg_explain *why,
                             tg_status fit_st) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "ttgrid.plan/1");
    cJSON_AddStringToObject(root, "op", "conv2d");
    cJSON_AddItemToObject(root, "machine", machine(&pl->m, pl->l1.size));
    add_outcome(root, fit_st);
    cJSON_AddItemToObject(root, "params", conv_params(&pl->p));
    int64_t oshape[4] = {pl->p.n, pl->win.out_h, pl->win.out_w, pl->p.cout};
    cJSON_AddItemToObject(root, "output_shape", ints(oshape, 4));
    cJSON_AddStringToObject(root, "layout", tg_conv_layout_name(pl->p.layout));
    cJSON_AddBoolToObject(root, "matmul_path", pl->matmul_path);
    int64_t cg[2] = {pl->cores.w, pl->cores.h};
    cJSON_AddItemToObject(root, "core_grid", ints(cg, 2));
    cJSON_AddNumberToObject(root, "row_parts", pl->row_parts);
    cJSON_AddNumberToObject(root, "col_parts", pl->col_parts);
    cJSON_AddNumberToObject(root, "busy_row_parts", pl->busy_parts);
    cJSON *blocks = cJSON_CreateObject();
    int64_t sub[2] = {pl->sub_h, pl->sub_w};
    cJSON_AddNumberToObject(blocks, "act_block_h", (double)pl->act_block_h);
    cJSON_AddNumberToObject(blocks, "act_block_w", (double)pl->act_block_w);
    cJSON_AddNumberToObject(blocks, "k_blocks_per_turn", (double)pl->kblocks_per_turn);
    cJSON_AddNumberToObject(blocks, "turns", pl->col_parts);
    cJSON_AddNumberToObject(blocks, "k_rows", (double)pl->k_rows);
    cJSON_AddNumberToObject(blocks, "weights_block_w", (double)pl->weights_block_w);
    cJSON_AddNumberToObject(blocks, "weight_blocks", (double)pl->nblocks_w);
    cJSON_AddBoolToObject(blocks, "weights_resident", pl->weights_resident);
    cJSON_AddItemToObject(blocks, "out_subblock", ints(sub, 2));
    if (pl->p.layout == TG_CONV_DRAM) {
        cJSON_AddBoolToObject(blocks, "split_by_channels", pl->dram_cols);
        cJSON_AddNumberToObject(blocks, "out_channels_per_core", (double)pl->cout_part);
    }
    cJSON_AddItemToObject(root, "blocks", blocks);
    cJSON_AddItemToObject(root, "budget",
                          budget(pl->items, pl->nitems, pl->l1_total, pl->l1_limit));
    cJSON_AddItemToObject(root, "input", tensor(&pl->in));
    cJSON_AddBoolToObject(root, "staged", pl->staged);
    if (pl->staged) cJSON_AddItemToObject(root, "staged_as", tensor(&pl->stage));
    cJSON_AddBoolToObject(root, "evict_shortcut", pl->evict_shortcut);
    cJSON_AddBoolToObject(root, "evict_input", pl->evict_input);
    cJSON_AddItemToObject(root, "l1", l1_map(&pl->l1, &pl->m));
    cJSON_AddItemToObject(root, "halo", halo(&pl->halo));
    if (pl->materialised) {
        cJSON_AddItemToObject(root, "device", device_time(&pl->time, &pl->m));
        cJSON_AddItemToObject(root, "turns", turns(pl));
        cJSON *cores = cJSON_CreateArray();
        for (int c = 0; c < tg_machine_cores(&pl->m); c++)
            cJSON_AddItemToArray(cores, conv_core(pl, c));
        cJSON_AddItemToObject(root, "cores", cores);
        cJSON_AddItemToObject(root, "dram_bank_bytes", banks(&pl->traffic));
    }
    cJSON *cands = cJSON_CreateArray();
    for (int i = 0; why && i < why->n; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "candidate", why->c[i].what);
        cJSON_AddStringToObject(j, "reason", why->c[i].why);
        cJSON_AddBoolToObject(j, "chosen", why->c[i].chosen);
        cJSON_AddItemToArray(cands, j);
    }
    cJSON_AddItemToObject(root, "candidates", cands);
    return emit(g, root);
}

tg_status tg_cli_json_maxpool2d(const tg_cli *g, const tg_maxpool2d_plan *pl, tg_status fit_st) {
    const tg_maxpool2d_params *p = &pl->p;
    cJSON *root = cJSON_CreateObject(), *params = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "ttgrid.plan/1");
    cJSON_AddStringToObject(root, "op", "maxpool2d");
    cJSON_AddItemToObject(root, "machine", machine(&pl->m, pl->l1.size));
    add_outcome(root, fit_st);
    int64_t in[4] = {p->n, p->h, p->w, p->c}, k[2] = {p->kh, p->kw}, s[2] = {p->sh, p->sw};
    int64_t pad[4] = {p->pad_t, p->pad_b, p->pad_l, p->pad_r}, d[2] = {p->dh, p->dw};
    cJSON_AddItemToObject(params, "input", ints(in, 4));
    cJSON_AddItemToObject(params, "kernel", ints(k, 2));
    cJSON_AddItemToObject(params, "stride", ints(s, 2));
    cJSON_AddItemToObject(params, "padding", ints(pad, 4));
    cJSON_AddItemToObject(params, "dilation", ints(d, 2));
    cJSON_AddBoolToObject(params, "ceil_mode", p->ceil_mode);
    cJSON_AddStringToObject(params, "dtype", tg_fmt_name(p->fmt));
    cJSON_AddStringToObject(params, "halo_mode", tg_halo_mode_name(p->halo_mode));
    cJSON_AddItemToObject(root, "params", params);
    int64_t oshape[4] = {p->n, pl->win.out_h, pl->win.out_w, p->c};
    cJSON_AddItemToObject(root, "output_shape", ints(oshape, 4));
    cJSON_AddStringToObject(root, "layout", p->dram ? "none" : tg_shard_name(p->layout));
    int64_t cg[2] = {pl->cores.w, pl->cores.h};
    cJSON_AddItemToObject(root, "core_grid", ints(cg, 2));
    cJSON_AddNumberToObject(root, "row_parts", pl->row_parts);
    cJSON_AddNumberToObject(root, "col_parts", pl->col_parts);
    if (p->dram) cJSON_AddNumberToObject(root, "block_rows", (double)pl->block_rows);
    cJSON_AddItemToObject(root, "budget",
                          budget(pl->items, pl->nitems, pl->l1_total, pl->l1_limit));
    cJSON_AddItemToObject(root, "input", tensor(&pl->in));
    cJSON_AddBoolToObject(root, "staged", pl->staged);
    if (pl->staged) cJSON_AddItemToObject(root, "staged_as", tensor(&pl->stage));
    cJSON_AddItemToObject(root, "l1", l1_map(&pl->l1, &pl->m));
    cJSON_AddItemToObject(root, "halo", halo(&pl->halo));
    if (pl->materialised) {
        cJSON_AddItemToObject(root, "device", device_time(&pl->time, &pl->m));
        cJSON *cores = cJSON_CreateArray();
        for (int c = 0; c < tg_machine_cores(&pl->m); c++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "core", c);
            cJSON_AddNumberToObject(o, "x", tg_core_x(pl->m.grid, c));
            cJSON_AddNumberToObject(o, "y", tg_core_y(pl->m.grid, c));
            cJSON_AddItemToObject(o, "traffic", traffic(&pl->traffic, c));
            cJSON_AddItemToArray(cores, o);
        }
        cJSON_AddItemToObject(root, "cores", cores);
        cJSON_AddItemToObject(root, "dram_bank_bytes", banks(&pl->traffic));
    }
    return emit(g, root);
}
