/* Unit tests of conv2d as TTNN sizes it (src/ops/conv2d_ttnn.h) against the conformance
 * table tests/ttnn/expected.json: 258 configs worked out by an independent Python
 * transcription of TTNN's sources (tests/ttnn/conv2d_l1.py). For every row the plan
 * must equal the table: the layout, the parallel and block configuration, every
 * buffer's name, kind and bytes in TTNN's order, the auto-shard estimates; a TT_FATAL
 * row must be TG_ERR_USAGE with TTNN's words. Whether it fits, where each CB and L1
 * buffer lands and TTNN's error text come from replaying the plan's events on the
 * test's own small reference L1 model below (to be replaced by ttgrid's L1 model).
 *
 * The table's path: TTGRID_TTNN_EXPECTED in the environment, else the source tree's
 * (a compile definition). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "conv2d.h"
#include "conv2d_ttnn.h"
#include "tg_test.h"
#include "unit.h"

/* ---- the test's reference L1 replay (issue 10's L1 map, as tests/ttnn/conv2d_l1.py
 * models it; ttgrid's own L1 model replaces it later) ----
 * L1 buffers top-down in [base, top), top = l1_size - l1_small_size: each into the
 * highest free block that fits, at its top. L1_SMALL buffers the same way in
 * [top, l1_size). A program's CBs from base upward, each at the DRAM alignment; its
 * region must end below l1_size and the lowest L1 buffer. The first error wins; the
 * replay goes on (a buffer that did not fit is not placed) so the map stays
 * comparable. */

typedef struct ref_l1 {
    const tg_ttnn_conv2d_plan *p;
    size_t top;
    size_t addr[TG_TTNN_MAX_BUFFERS];
    bool live[TG_TTNN_MAX_BUFFERS];
    size_t cb_end; /* of the last program */
    char error[TG_ERR_MSG_MAX];
} ref_l1;

/* Allocates buffer i in [lo, hi) among the live buffers of the same kind. */
static void ref_alloc(ref_l1 *m, int i, size_t lo, size_t hi, const char *region) {
    const tg_ttnn_conv2d_plan *p = m->p;
    tg_ttnn_kind kind = p->buffers[i].kind;
    size_t size = p->buffers[i].bytes, used = 0, largest = 0;
    size_t best_hi = 0;
    bool found = false;
    /* walk the free blocks from the bottom, the gaps between live buffers; the last
     * one that fits is the highest */
    size_t cur = lo;
    for (;;) {
        int at = -1; /* the next live buffer above cur */
        for (int j = 0; j < p->nbuffers; j++)
            if (m->live[j] && p->buffers[j].kind == kind && m->addr[j] >= cur &&
                (at < 0 || m->addr[j] < m->addr[at]))
                at = j;
        size_t next = at < 0 ? hi : m->addr[at];
        if (next - cur > largest) largest = next - cur;
        if (next - cur >= size) {
            found = true;
            best_hi = next;
        }
        if (at < 0) break;
        used += p->buffers[at].bytes;
        cur = next + p->buffers[at].bytes;
    }
    if (found) {
        m->addr[i] = (best_hi - size) / p->l1.l1_align * p->l1.l1_align;
        m->live[i] = true;
        return;
    }
    if (!m->error[0])
        tg_l1_ttnn_oom_text(m->error, sizeof m->error, region, size, p->num_banks, hi - lo, used,
                            (hi - lo) - used, largest);
}

static void ref_program(ref_l1 *m, const tg_ttnn_event *e) {
    const tg_ttnn_conv2d_plan *p = m->p;
    size_t addr = p->l1.base;
    for (int i = e->cb0; i < e->cb0 + e->ncbs; i++) {
        if (p->buffers[i].kind != TG_TTNN_CB) continue;
        addr = (addr + p->l1.dram_align - 1) / p->l1.dram_align * p->l1.dram_align;
        m->addr[i] = addr;
        addr += p->buffers[i].bytes;
    }
    m->cb_end = addr;
    size_t lowest = SIZE_MAX;
    for (int j = 0; j < p->nbuffers; j++)
        if (m->live[j] && p->buffers[j].kind == TG_TTNN_L1_BUFFER && m->addr[j] < lowest)
            lowest = m->addr[j];
    char msg[TG_ERR_MSG_MAX];
    if (tg_l1_ttnn_cb_text(msg, sizeof msg, "{id}", p->core_range, addr, p->l1.l1_size, lowest) &&
        !m->error[0])
        snprintf(m->error, sizeof m->error, "%s", msg);
}

static void ref_replay(ref_l1 *m, const tg_ttnn_conv2d_plan *p) {
    memset(m, 0, sizeof *m);
    m->p = p;
    m->top = p->l1.l1_size - p->l1_small_size;
    for (int k = 0; k < p->nevents; k++) {
        const tg_ttnn_event *e = &p->events[k];
        if (e->kind == TG_TTNN_EV_PROGRAM) {
            ref_program(m, e);
        } else if (e->kind == TG_TTNN_EV_FREE) {
            m->live[e->buffer] = false;
        } else if (p->buffers[e->buffer].kind == TG_TTNN_L1_SMALL) {
            ref_alloc(m, e->buffer, m->top, p->l1.l1_size, "L1_SMALL");
        } else {
            ref_alloc(m, e->buffer, p->l1.base, m->top, "L1");
        }
    }
}

/* ---- the table ---- */

static int json_int(const cJSON *o, const char *key, int dflt) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(x) ? x->valueint : dflt;
}

static int64_t json_i64(const cJSON *x) {
    return (int64_t)x->valuedouble;
}

/* A bool, or -1 when absent or null (the Python's None). */
static int json_tri(const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsBool(x) ? cJSON_IsTrue(x) : -1;
}

/* An int or a list: pair[0..n). */
static void json_pair(const cJSON *o, const char *key, int dflt, int *v, int n) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsArray(x)) {
        for (int i = 0; i < n; i++) v[i] = cJSON_GetArrayItem(x, i)->valueint;
    } else {
        for (int i = 0; i < n; i++) v[i] = cJSON_IsNumber(x) ? x->valueint : dflt;
    }
}

static const char *json_str(const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static tg_fmt fmt_of(const char *s) {
    tg_fmt f = TG_BFLOAT16;
    if (s) tg_fmt_parse(s, &f);
    return f;
}

static int layout_of(const char *s) {
    if (!s) return -1;
    tg_shard_layout l;
    return tg_shard_parse(s, &l) == TG_OK ? (int)l : -1;
}

/* The row's inputs over the Python's DEFAULTS (which are TTNN's, as tg_ttnn_conv2d_defaults). */
static void config_of(const cJSON *in, tg_ttnn_conv2d_config *c) {
    tg_ttnn_conv2d_defaults(c);
    const char *arch = json_str(in, "arch");
    if (arch) c->arch = tg_arch_find(arch);
    int grid[2] = {0, 0};
    json_pair(in, "grid", 0, grid, 2);
    c->grid = (tg_grid){grid[0], grid[1]};
    c->batch = json_int(in, "batch", 1);
    c->in_h = json_int(in, "in_h", 0);
    c->in_w = json_int(in, "in_w", 0);
    c->in_c = json_int(in, "in_c", 0);
    c->out_c = json_int(in, "out_c", 0);
    int k[2], s[2], d[2], pad[4];
    json_pair(in, "kernel", 1, k, 2);
    json_pair(in, "stride", 1, s, 2);
    json_pair(in, "dilation", 1, d, 2);
    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(in, "padding");
    if (cJSON_IsArray(pj) && cJSON_GetArraySize(pj) == 4) {
        json_pair(in, "padding", 0, pad, 4);
    } else {
        int p2[2];
        json_pair(in, "padding", 0, p2, 2);
        pad[0] = pad[1] = p2[0], pad[2] = pad[3] = p2[1];
    }
    c->kh = k[0], c->kw = k[1], c->sh = s[0], c->sw = s[1], c->dh = d[0], c->dw = d[1];
    c->pad_t = pad[0], c->pad_b = pad[1], c->pad_l = pad[2], c->pad_r = pad[3];
    if (json_tri(in, "bias") >= 0) c->bias = json_tri(in, "bias");
    c->layout = layout_of(json_str(in, "shard_layout"));
    c->input_dtype = fmt_of(json_str(in, "input_dtype"));
    c->weights_tensor_dtype = fmt_of(json_str(in, "weights_tensor_dtype"));
    if (json_str(in, "weights_dtype"))
        c->weights_dtype = (int)fmt_of(json_str(in, "weights_dtype"));
    if (json_str(in, "output_dtype")) c->output_dtype = (int)fmt_of(json_str(in, "output_dtype"));
    const char *il = json_str(in, "input_layout"), *ol = json_str(in, "output_layout");
    if (il) c->input_layout = strcmp(il, "TILE") ? TG_TTNN_ROW_MAJOR : TG_TTNN_TILE;
    if (ol) c->output_layout = strcmp(ol, "TILE") ? TG_TTNN_ROW_MAJOR : TG_TTNN_TILE;
    c->act_block_h_override = json_int(in, "act_block_h_override", 0);
    c->act_block_w_div = json_int(in, "act_block_w_div", 1);
    c->act_double_buffer = json_tri(in, "enable_act_double_buffer") == 1;
    c->weights_double_buffer = json_tri(in, "enable_weights_double_buffer") == 1;
    c->full_inner_dim = json_tri(in, "full_inner_dim") == 1;
    c->activation_reuse = json_tri(in, "enable_activation_reuse") == 1;
    c->force_split_reader = json_tri(in, "force_split_reader");
    c->config_tensors_in_dram = json_tri(in, "config_tensors_in_dram") == 1;
    c->deallocate_activation = json_tri(in, "deallocate_activation") == 1;
    if (json_tri(in, "reallocate_halo_output") >= 0)
        c->reallocate_halo_output = json_tri(in, "reallocate_halo_output");
    c->fp32_dest_acc = json_tri(in, "fp32_dest_acc_en");
    c->packer_l1_acc = json_tri(in, "packer_l1_acc") == 1;
    c->l1_small_size = (size_t)json_int(in, "l1_small_size", 0);
    const cJSON *shard = cJSON_GetObjectItemCaseSensitive(in, "input_shard");
    if (shard) {
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(shard, "shape");
        c->has_input_shard = true;
        c->input_num_cores_nhw = json_int(shard, "num_cores_nhw", 1);
        c->input_num_cores_c = json_int(shard, "num_cores_c", 1);
        c->input_shard_h = json_i64(cJSON_GetArrayItem(shape, 0));
        c->input_shard_w = json_i64(cJSON_GetArrayItem(shape, 1));
    }
}

/* ---- comparing one row ---- */

typedef struct row_check {
    const char *name;
    int mismatches;
} row_check;

static void expect_i64(row_check *r, const char *what, int64_t got, int64_t want) {
    if (got == want) return;
    if (r->mismatches++ < 4)
        printf("\n  %s: %s is %lld, the table has %lld", r->name, what, (long long)got,
               (long long)want);
}

static void expect_str(row_check *r, const char *what, const char *got, const char *want) {
    if (got && want && !strcmp(got, want)) return;
    if (r->mismatches++ < 4)
        printf("\n  %s: %s is '%s', the table has '%s'", r->name, what, got ? got : "(none)",
               want ? want : "(none)");
}

/* A JSON number, or a bool as 0/1. */
static int64_t num(const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsBool(x)) return cJSON_IsTrue(x);
    return cJSON_IsNumber(x) ? json_i64(x) : INT64_MIN;
}

static int64_t item(const cJSON *o, const char *key, int i) {
    return json_i64(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, key), i));
}

static void check_parallel(row_check *r, const tg_ttnn_conv2d_plan *p, const cJSON *par) {
    expect_i64(r, "num_cores_nhw", p->num_cores_nhw, num(par, "num_cores_nhw"));
    expect_i64(r, "num_cores_c_in", p->num_cores_c_in, num(par, "num_cores_c_in"));
    expect_i64(r, "num_cores_c_out", p->num_cores_c_out, num(par, "num_cores_c_out"));
    expect_i64(r, "grid x", p->grid.w, item(par, "grid_size", 0));
    expect_i64(r, "grid y", p->grid.h, item(par, "grid_size", 1));
    expect_i64(r, "input shard h", p->input_shard_h, item(par, "input_shard", 0));
    expect_i64(r, "input shard w", p->input_shard_w, item(par, "input_shard", 1));
    expect_i64(r, "output shard h", p->output_shard_h, item(par, "output_shard", 0));
    expect_i64(r, "output shard w", p->output_shard_w, item(par, "output_shard", 1));
    expect_i64(r, "per-core out h", p->per_core_out_h_ntiles,
               num(par, "per_core_out_matrix_height_ntiles"));
    expect_i64(r, "per-core out w", p->per_core_out_w_ntiles,
               num(par, "per_core_out_matrix_width_ntiles"));
    expect_i64(r, "in_c padded", p->in_c_padded, num(par, "in_channels_padded"));
    expect_i64(r, "out_c padded", p->out_c_padded, num(par, "out_channels_padded"));
    expect_i64(r, "channel alignment", p->in_c_alignment, num(par, "input_channels_alignment"));
}

static void check_block(row_check *r, const tg_ttnn_conv2d_plan *p, const cJSON *b) {
    expect_i64(r, "act_block_h", p->act_block_h_ntiles, num(b, "act_block_h_ntiles"));
    expect_i64(r, "act_block_w", p->act_block_w_ntiles, num(b, "act_block_w_ntiles"));
    expect_i64(r, "subblock h", p->out_subblock_h_ntiles, num(b, "out_subblock_h_ntiles"));
    expect_i64(r, "subblock w", p->out_subblock_w_ntiles, num(b, "out_subblock_w_ntiles"));
    expect_i64(r, "weights block h", p->act_block_w_ntiles, item(b, "weights_block_ntiles", 0));
    expect_i64(r, "weights block w", p->per_core_out_w_ntiles, item(b, "weights_block_ntiles", 1));
    expect_i64(r, "num_blocks_act_h", p->num_blocks_act_h, num(b, "num_blocks_act_h"));
    expect_i64(r, "num_blocks_act_w", p->num_blocks_act_w, num(b, "num_blocks_act_w"));
    if (cJSON_GetObjectItemCaseSensitive(b, "in0_num_blocks_w"))
        expect_i64(r, "in0_num_blocks_w", p->in0_num_blocks_w, num(b, "in0_num_blocks_w"));
    expect_i64(r, "split_reader", p->split_reader, num(b, "split_reader"));
    expect_i64(r, "packer_l1_acc_en", p->packer_l1_acc_en, num(b, "packer_l1_acc_en"));
    expect_str(r, "partials dtype", tg_fmt_name(p->partials_dtype), json_str(b, "partials_dtype"));
    expect_i64(r, "fp32_dest_acc", p->fp32_dest_acc, num(b, "fp32_dest_acc_en"));
    expect_str(r, "weights dtype", tg_fmt_name(p->weights_dtype), json_str(b, "weights_dtype"));
    expect_i64(r, "weights rows", p->weights_rows, item(b, "weights_matrix_shape", 2));
    expect_i64(r, "weights cols", p->weights_cols, item(b, "weights_matrix_shape", 3));
    const cJSON *mm = cJSON_GetObjectItemCaseSensitive(b, "matmul");
    if (mm) {
        expect_i64(r, "matmul num_blocks", p->num_blocks_act_w, num(mm, "num_blocks"));
        expect_str(r, "interm0 dtype", tg_fmt_name(p->partials_dtype),
                   json_str(mm, "interm0_dtype"));
        expect_i64(r, "interm0 shares out", p->mm_interm0_shares_out,
                   num(mm, "interm0_shares_out"));
        expect_i64(r, "mcast_in0", p->mm_mcast_in0, num(mm, "mcast_in0"));
    }
}

static void check_buffers(row_check *r, const tg_ttnn_conv2d_plan *p, const cJSON *bufs) {
    expect_i64(r, "buffers", p->nbuffers, cJSON_GetArraySize(bufs));
    int i = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, bufs) {
        if (i >= p->nbuffers) break;
        const tg_ttnn_buffer *x = &p->buffers[i++];
        char what[80];
        snprintf(what, sizeof what, "buffer %d name", i - 1);
        expect_str(r, what, x->name, json_str(b, "name"));
        snprintf(what, sizeof what, "%s kind", x->name);
        expect_str(r, what, tg_ttnn_kind_name(x->kind), json_str(b, "kind"));
        snprintf(what, sizeof what, "%s bytes", x->name);
        expect_i64(r, what, (int64_t)x->bytes, num(b, "bytes"));
        snprintf(what, sizeof what, "%s program", x->name);
        const char *prog = json_str(b, "program");
        if (prog || x->program) expect_str(r, what, x->program, prog);
    }
}

static void check_auto(row_check *r, const tg_ttnn_conv2d_plan *p, const cJSON *est) {
    expect_i64(r, "auto layout", p->auto_layout, est != NULL);
    if (!est) return;
    static const char *names[3] = {"height", "width", "block"};
    for (int l = 0; l < 3; l++) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(est, names[l]);
        const tg_ttnn_estimate *x = &p->est[l];
        char what[64];
        snprintf(what, sizeof what, "%s estimate valid", names[l]);
        bool valid = cJSON_GetObjectItemCaseSensitive(e, "total") != NULL;
        expect_i64(r, what, x->valid, valid);
        if (!valid) {
            const char *why = json_str(e, "error");
            if (!why || !strstr(x->why, why)) expect_str(r, what, x->why, why);
            continue;
        }
        snprintf(what, sizeof what, "%s estimate CBs", names[l]);
        expect_i64(r, what, (int64_t)x->cb_bytes, num(e, "cb"));
        snprintf(what, sizeof what, "%s estimate output", names[l]);
        expect_i64(r, what, (int64_t)x->output_bytes, num(e, "output"));
        snprintf(what, sizeof what, "%s estimate halo", names[l]);
        expect_i64(r, what, (int64_t)x->halo_bytes, num(e, "halo_output"));
        snprintf(what, sizeof what, "%s estimate cores", names[l]);
        expect_i64(r, what, x->core_count, num(e, "core_count"));
    }
}

/* The reference replay's map against the table's l1_map. */
static void check_map(row_check *r, const tg_ttnn_conv2d_plan *p, const ref_l1 *m,
                      const cJSON *row) {
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(row, "l1_map");
    expect_i64(r, "cb base", (int64_t)p->l1.base, num(map, "cb_base"));
    expect_i64(r, "l1 size", (int64_t)p->l1.l1_size, num(map, "l1_size"));
    expect_i64(r, "l1 buffer top", (int64_t)m->top, num(map, "l1_buffer_top"));
    expect_i64(r, "cb end", (int64_t)m->cb_end, num(map, "cb_end"));
    expect_i64(r, "cb total", (int64_t)(m->cb_end - p->l1.base), num(row, "cb_total"));
    /* the last program's CBs, by address */
    const tg_ttnn_event *prog = NULL;
    for (int k = 0; k < p->nevents; k++)
        if (p->events[k].kind == TG_TTNN_EV_PROGRAM) prog = &p->events[k];
    const cJSON *cbs = cJSON_GetObjectItemCaseSensitive(map, "cbs"), *cbj;
    int j = prog ? prog->cb0 : 0;
    cJSON_ArrayForEach(cbj, cbs) {
        while (prog && j < prog->cb0 + prog->ncbs && p->buffers[j].kind != TG_TTNN_CB) j++;
        if (!prog || j >= prog->cb0 + prog->ncbs) {
            expect_str(r, "placed CB", NULL, cJSON_GetArrayItem(cbj, 0)->valuestring);
            break;
        }
        expect_str(r, "placed CB", p->buffers[j].name, cJSON_GetArrayItem(cbj, 0)->valuestring);
        expect_i64(r, "CB address", (int64_t)m->addr[j], json_i64(cJSON_GetArrayItem(cbj, 1)));
        j++;
    }
    /* the live L1 buffers, sorted by address in the table */
    size_t total = 0;
    int live = 0;
    for (int k = 0; k < p->nbuffers; k++)
        if (m->live[k] && p->buffers[k].kind == TG_TTNN_L1_BUFFER) {
            total += p->buffers[k].bytes;
            live++;
        }
    expect_i64(r, "live L1 buffers", live,
               cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(map, "l1_buffers")));
    expect_i64(r, "L1 buffers total", (int64_t)total, num(row, "l1_buffers_total"));
    const cJSON *lb;
    cJSON_ArrayForEach(lb, cJSON_GetObjectItemCaseSensitive(map, "l1_buffers")) {
        const char *name = cJSON_GetArrayItem(lb, 0)->valuestring;
        const tg_ttnn_buffer *x = tg_ttnn_plan_buffer(p, name);
        int k = x ? (int)(x - p->buffers) : -1;
        expect_i64(r, name, k >= 0 && m->live[k] ? (int64_t)m->addr[k] : -1,
                   json_i64(cJSON_GetArrayItem(lb, 1)));
    }
}

/* Returns the number of mismatches of one row. */
static int check_row(const cJSON *row) {
    row_check r = {json_str(row, "name"), 0};
    tg_ttnn_conv2d_config c;
    config_of(cJSON_GetObjectItemCaseSensitive(row, "inputs"), &c);
    static tg_ttnn_conv2d_plan p;
    tg_status st = tg_ttnn_conv2d_plan_make(&c, &p);
    const char *error = json_str(row, "error");
    if (error && !strncmp(error, "TT_FATAL: ", 10)) {
        expect_i64(&r, "status", st, TG_ERR_USAGE);
        if (st != TG_OK && !strstr(tg_err_msg(), error + 10))
            expect_str(&r, "TT_FATAL", tg_err_msg(), error);
        return r.mismatches;
    }
    expect_i64(&r, "status", st, TG_OK);
    if (st != TG_OK) {
        printf(" (%s)", tg_err_msg());
        return r.mismatches;
    }
    expect_str(&r, "layout", tg_shard_name((tg_shard_layout)p.layout), json_str(row, "layout"));
    expect_i64(&r, "mm_conv", p.mm_conv, num(row, "mm_conv"));
    check_parallel(&r, &p, cJSON_GetObjectItemCaseSensitive(row, "parallel"));
    check_block(&r, &p, cJSON_GetObjectItemCaseSensitive(row, "block_config"));
    check_buffers(&r, &p, cJSON_GetObjectItemCaseSensitive(row, "buffers"));
    check_auto(&r, &p, cJSON_GetObjectItemCaseSensitive(row, "auto_shard"));
    ref_l1 m;
    ref_replay(&m, &p);
    expect_i64(&r, "fits", m.error[0] == 0, num(row, "fits"));
    if (error || m.error[0]) expect_str(&r, "error", m.error[0] ? m.error : NULL, error);
    check_map(&r, &p, &m, row);
    return r.mismatches;
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static void ttnn_plan_equals_conformance_table(void) {
    const char *path = getenv("TTGRID_TTNN_EXPECTED");
    if (!path) path = TG_TTNN_EXPECTED;
    char *text = read_text(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    cJSON *rows = cJSON_Parse(text);
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(rows), 258);
    /* per group: rows and rows passed */
    const char *groups[8];
    int total[8] = {0}, passed[8] = {0}, ng = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const char *g = json_str(row, "group");
        int gi = 0;
        while (gi < ng && strcmp(groups[gi], g)) gi++;
        if (gi == ng && ng < 8) groups[ng++] = g;
        int bad = check_row(row);
        total[gi]++;
        passed[gi] += bad == 0;
        CU_ASSERT_EQUAL(bad, 0);
    }
    printf("\n  TTNN conformance rows passed:");
    for (int i = 0; i < ng; i++) printf(" %s %d/%d", groups[i], passed[i], total[i]);
    printf("\n");
    cJSON_Delete(rows);
}

/* ---- ttgrid's conv2d planner against the same table ----
 * The planner (tg_conv2d_plan_fit, as `ttgrid plan conv2d` and the run use it) takes a
 * row as ttgrid parameters on a machine of the row's arch, grid and L1_SMALL, with the
 * input in DRAM, or already sharded in L1 where the row pins its input shard. Its plan
 * must carry TTNN's configuration and buffers as the table has them, and ttgrid's own
 * L1 model, replaying the plan's L1 map, must agree with the table on whether the conv
 * fits, TTNN's error words, where every CB of the conv's program lands and where the L1
 * buffers live while it runs. */

static void params_of(const tg_ttnn_conv2d_config *c, tg_conv2d_params *p, tg_machine *m) {
    tg_conv2d_params_default(p);
    *m = tg_machine_of(c->arch,
                       c->grid.w > 0 ? c->grid : (tg_grid){c->arch->grid_w, c->arch->grid_h});
    m->l1_small = c->l1_small_size;
    p->n = c->batch, p->h = c->in_h, p->w = c->in_w, p->cin = c->in_c, p->cout = c->out_c;
    p->kh = c->kh, p->kw = c->kw, p->sh = c->sh, p->sw = c->sw, p->dh = c->dh, p->dw = c->dw;
    p->pad_t = c->pad_t, p->pad_b = c->pad_b, p->pad_l = c->pad_l, p->pad_r = c->pad_r;
    p->has_bias = c->bias;
    p->layout = c->layout < 0                 ? TG_CONV_AUTO
                : c->layout == TG_SHARD_WIDTH ? TG_CONV_WIDTH
                : c->layout == TG_SHARD_BLOCK ? TG_CONV_BLOCK
                                              : TG_CONV_HEIGHT;
    p->in_fmt = c->input_dtype;
    p->w_fmt = c->weights_dtype >= 0 ? (tg_fmt)c->weights_dtype : c->weights_tensor_dtype;
    p->out_fmt = c->output_dtype >= 0 ? (tg_fmt)c->output_dtype : c->input_dtype;
    p->in_tile = c->input_layout == TG_TTNN_TILE;
    p->out_row_major = c->output_layout == TG_TTNN_ROW_MAJOR;
    p->act_block_h = c->act_block_h_override;
    p->act_block_w_div = c->act_block_w_div;
    p->act_double_buffer = c->act_double_buffer;
    p->weights_double_buffer = c->weights_double_buffer;
    p->full_inner_dim = c->full_inner_dim;
    p->activation_reuse = c->activation_reuse;
    p->force_split_reader = c->force_split_reader;
    p->config_tensors_in_dram = c->config_tensors_in_dram;
    p->deallocate_activation = c->deallocate_activation;
    p->reallocate_halo_output = c->reallocate_halo_output;
    p->fp32_acc = c->fp32_dest_acc;
    p->packer_l1_acc = c->packer_l1_acc;
}

/* A pinned input shard as the model's previous op left it in L1, at the top of `l1`. */
static tg_status pinned_input(const tg_ttnn_conv2d_config *c, const tg_conv2d_params *p,
                              const tg_machine *m, tg_l1 *l1, tg_tensor *t) {
    tg_shard_layout l = (tg_shard_layout)c->layout;
    int nhw = c->input_num_cores_nhw, nc = c->input_num_cores_c > 0 ? c->input_num_cores_c : 1;
    int n = l == TG_SHARD_HEIGHT ? nhw : nc;
    tg_grid box = l == TG_SHARD_BLOCK
                      ? (tg_grid){nc, nhw}
                      : (tg_grid){n < m->grid.w ? n : m->grid.w, (n + m->grid.w - 1) / m->grid.w};
    int align = c->input_shard_w % 32 == 0 ? 32 : c->input_shard_w % 16 == 0 ? 16 : 8;
    tg_shard_shape sh = {box,
                         l == TG_SHARD_WIDTH ? 1 : nhw,
                         l == TG_SHARD_HEIGHT ? 1 : nc,
                         c->input_shard_h,
                         c->input_shard_w,
                         align};
    tg_shard_spec spec;
    int64_t shape[4] = {p->n, p->h, p->w, p->cin};
    TG_CHECK(tg_shard_spec_make_shape(l, p->n * p->h * p->w, p->cin, &sh, false, &spec));
    TG_CHECK(tg_tensor_describe_spec(t, "input shard", shape, p->in_fmt, &spec));
    t->tile = p->in_tile;
    TG_CHECK(tg_l1_alloc_banks(l1, "input shard", tg_tensor_shard_bytes(t), n, &t->l1_off));
    t->allocated = true;
    return TG_OK;
}

/* The TTNN words inside ttgrid's message ("... [TTNN: words]"), with TTNN's program id
 * written as the table writes it. */
static void ttnn_words(const char *msg, const char *program, char *out, size_t cap) {
    const char *at = strstr(msg, "[TTNN: ");
    out[0] = '\0';
    if (!at) return;
    snprintf(out, cap, "%s", at + 7);
    size_t n = strlen(out);
    if (n && out[n - 1] == ']') out[n - 1] = '\0';
    char key[64];
    snprintf(key, sizeof key, "in program %s ", program);
    char *k = strstr(out, key);
    if (k) {
        char rest[TG_ERR_MSG_MAX];
        snprintf(rest, sizeof rest, "%s", k + strlen(key));
        snprintf(k, cap - (size_t)(k - out), "in program {id} %s", rest);
    }
}

/* ttgrid's L1 map at the conv's program: its CBs in the region, the live L1 buffers. */
static void check_planner_map(row_check *r, const tg_conv2d_plan *pl, const tg_tensor *pinned,
                              const cJSON *row) {
    const tg_l1_map *m = &pl->l1;
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(row, "l1_map");
    const char *names[16];
    size_t offs[16];
    int live = 0;
    if (pinned) names[live] = "input shard", offs[live++] = pinned->l1_off;
    for (int i = 0; i < m->n && i != m->failed; i++) {
        const tg_l1_event *e = &m->ev[i];
        if (e->kind == TG_L1_ALLOC && live < 16) {
            names[live] = e->name, offs[live++] = e->off;
        } else if (e->kind == TG_L1_FREE || e->kind == TG_L1_FREE_OLD) {
            size_t off = e->kind == TG_L1_FREE ? m->ev[e->of].off : e->off;
            for (int k = 0; k < live; k++)
                if (offs[k] == off) names[k] = names[--live], offs[k] = offs[live];
        } else if (e->kind == TG_L1_PROGRAM && i == pl->ev_prog) {
            /* the program's region CBs against the table's, in order */
            const cJSON *cbj;
            int k = e->cb0;
            cJSON_ArrayForEach(cbj, cJSON_GetObjectItemCaseSensitive(map, "cbs")) {
                while (k < e->cb0 + e->ncbs && (m->cbs[k].alias != -1 || !m->cbs[k].bytes)) k++;
                const char *want = cJSON_GetArrayItem(cbj, 0)->valuestring;
                expect_str(r, "planner CB", k < e->cb0 + e->ncbs ? m->cbs[k].name : NULL, want);
                if (k < e->cb0 + e->ncbs)
                    expect_i64(r, "planner CB address", (int64_t)m->cbs[k++].off,
                               json_i64(cJSON_GetArrayItem(cbj, 1)));
            }
            expect_i64(r, "planner cb end", (int64_t)(m->lo + e->bytes), num(map, "cb_end"));
            /* the L1 buffers live while it runs */
            const cJSON *lb;
            expect_i64(r, "planner live L1 buffers", live,
                       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(map, "l1_buffers")));
            cJSON_ArrayForEach(lb, cJSON_GetObjectItemCaseSensitive(map, "l1_buffers")) {
                const char *name = cJSON_GetArrayItem(lb, 0)->valuestring;
                int64_t got = -1;
                for (int j = 0; j < live; j++)
                    if (!strcmp(names[j], name)) got = (int64_t)offs[j];
                expect_i64(r, name, got, json_i64(cJSON_GetArrayItem(lb, 1)));
            }
            return;
        }
    }
}

static int check_planner_row(const cJSON *row) {
    row_check r = {json_str(row, "name"), 0};
    tg_ttnn_conv2d_config c;
    config_of(cJSON_GetObjectItemCaseSensitive(row, "inputs"), &c);
    tg_conv2d_params p;
    tg_machine m;
    params_of(&c, &p, &m);
    tg_l1 snap;
    tg_machine_empty_l1(&m, &snap);
    tg_tensor in;
    tg_status st = TG_OK;
    bool pinned = c.has_input_shard;
    if (pinned) {
        st = pinned_input(&c, &p, &m, &snap, &in);
    } else {
        int64_t shape[4] = {p.n, p.h, p.w, p.cin};
        st = tg_tensor_describe_dram(&in, "input", shape, p.in_fmt);
    }
    expect_i64(&r, "input", st, TG_OK);
    static tg_conv2d_plan pl;
    tg_conv2d_site site = {&in, NULL, false};
    if (st == TG_OK) st = tg_conv2d_plan_fit(&p, &m, &snap, &site, &pl, NULL);
    tg_l1_destroy(&snap);
    const char *error = json_str(row, "error");
    if (error && !strncmp(error, "TT_FATAL: ", 10)) {
        expect_i64(&r, "status", st, TG_ERR_USAGE);
        if (st != TG_OK && !strstr(tg_err_msg(), error + 10))
            expect_str(&r, "TT_FATAL", tg_err_msg(), error);
        tg_conv2d_plan_free(&pl);
        return r.mismatches;
    }
    bool fits = num(row, "fits") == 1;
    expect_i64(&r, "planner status", st, fits ? TG_OK : TG_ERR_RUNTIME);
    if (st == TG_ERR_USAGE) {
        printf(" (%s)", tg_err_msg());
        return r.mismatches;
    }
    if (!pl.ttnn) {
        expect_i64(&r, "planned as TTNN", 0, 1);
        tg_conv2d_plan_free(&pl);
        return r.mismatches;
    }
    expect_str(&r, "planner layout", tg_shard_name((tg_shard_layout)pl.tt.layout),
               json_str(row, "layout"));
    check_parallel(&r, &pl.tt, cJSON_GetObjectItemCaseSensitive(row, "parallel"));
    check_block(&r, &pl.tt, cJSON_GetObjectItemCaseSensitive(row, "block_config"));
    check_buffers(&r, &pl.tt, cJSON_GetObjectItemCaseSensitive(row, "buffers"));
    expect_i64(&r, "planner fits", tg_l1_map_fits(&pl.l1), fits);
    if (!fits) {
        char words[TG_ERR_MSG_MAX];
        const char *prog = pl.l1.failed >= 0 ? pl.l1.ev[pl.l1.failed].name : "";
        ttnn_words(pl.l1.why, prog, words, sizeof words);
        expect_str(&r, "planner error", words, error);
    }
    check_planner_map(&r, &pl, pinned ? &in : NULL, row);
    tg_conv2d_plan_free(&pl);
    return r.mismatches;
}

static void conv2d_planner_equals_conformance_table(void) {
    const char *path = getenv("TTGRID_TTNN_EXPECTED");
    if (!path) path = TG_TTNN_EXPECTED;
    char *text = read_text(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    cJSON *rows = cJSON_Parse(text);
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
    int total = 0, passed = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        int bad = check_planner_row(row);
        total++;
        passed += bad == 0;
        CU_ASSERT_EQUAL(bad, 0);
    }
    printf("\n  ttgrid's conv2d planner equals the table on %d/%d rows\n", passed, total);
    cJSON_Delete(rows);
}

/* The issue's example worked by hand (tests/ttnn/NOTES.md section 6): TTNN takes
 * 598,592 B per core, 0.57 MB. */
static void ttnn_issue_example_is_057_mb(void) {
    tg_ttnn_conv2d_config c;
    tg_ttnn_conv2d_defaults(&c);
    c.in_h = c.in_w = 7, c.in_c = c.out_c = 512;
    c.kh = c.kw = 3, c.sh = c.sw = 2, c.pad_t = c.pad_b = c.pad_l = c.pad_r = 1;
    c.layout = TG_SHARD_BLOCK;
    c.grid = (tg_grid){2, 2};
    c.l1_small_size = 32768;
    tg_ttnn_conv2d_plan p;
    CU_ASSERT_EQUAL_FATAL(tg_ttnn_conv2d_plan_make(&c, &p), TG_OK);
    size_t cbs = 0, bufs = 0;
    for (int i = 0; i < p.nbuffers; i++) {
        if (p.buffers[i].kind == TG_TTNN_CB && !strcmp(p.buffers[i].program, "conv"))
            cbs += p.buffers[i].bytes;
        if (p.buffers[i].kind == TG_TTNN_L1_BUFFER) bufs += p.buffers[i].bytes;
    }
    CU_ASSERT_EQUAL(cbs, 507968); /* WEIGHTS 393,216 + ACT + ACT_TILIZED 2 x 49,152 + BIAS + 64 */
    CU_ASSERT_EQUAL(bufs, 90624); /* input 32,768 + halo 41,472 + output 16,384 */
    CU_ASSERT_EQUAL(p.grid.w, 2);
    CU_ASSERT_EQUAL(p.grid.h, 1);
    CU_ASSERT_EQUAL(p.halo_sticks, 81);
}

static void ttnn_errors_carry_ttnn_words(void) {
    char msg[512];
    CU_ASSERT_FALSE(tg_l1_ttnn_cb_text(msg, sizeof msg, "7", "[(x=0,y=0) - (x=7,y=7)]", 1000,
                                       1499136, SIZE_MAX));
    CU_ASSERT_TRUE(tg_l1_ttnn_cb_text(msg, sizeof msg, "7", "[(x=0,y=0) - (x=0,y=0)]", 3084736,
                                      1499136, 745472));
    CU_ASSERT_STRING_EQUAL(msg, "Statically allocated circular buffers on core range "
                                "[(x=0,y=0) - (x=0,y=0)] grow to 3084736 B which is beyond max "
                                "L1 size of 1499136 B");
    CU_ASSERT_TRUE(tg_l1_ttnn_cb_text(msg, sizeof msg, "7", "[(x=0,y=0) - (x=7,y=6)]", 1459008,
                                      1499136, 1211392));
    CU_ASSERT_STRING_EQUAL(msg, "Statically allocated circular buffers in program 7 clash with "
                                "L1 buffers on core range [(x=0,y=0) - (x=7,y=6)]. L1 buffer "
                                "allocated at 1211392 and static circular buffer region ends "
                                "at 1459008");
    tg_l1_ttnn_oom_text(msg, sizeof msg, "L1_SMALL", 16, 25, 0, 0, 0, 0);
    CU_ASSERT_STRING_EQUAL(msg, "Out of Memory: Not enough space to allocate 400 B L1_SMALL "
                                "buffer across 25 banks, where each bank needs to store 16 B, "
                                "but bank size is 0 B (allocated: 0 B, free: 0 B, largest free "
                                "block: 0 B)");
    tg_ttnn_l1_figures wh, bh;
    CU_ASSERT_EQUAL(tg_ttnn_l1_figures_of(tg_arch_find("wormhole_b0"), &wh), TG_OK);
    CU_ASSERT_EQUAL(tg_ttnn_l1_figures_of(tg_arch_find("blackhole"), &bh), TG_OK);
    CU_ASSERT_EQUAL(wh.base, 102784);
    CU_ASSERT_EQUAL(bh.base, 111360);
    CU_ASSERT_EQUAL(bh.l1_size, 1572864);
    /* the arch presets carry the same figures */
    const tg_arch *pw = tg_arch_find("wormhole_b0"), *pb = tg_arch_find("blackhole");
    CU_ASSERT(pw->l1_size == wh.l1_size && pw->l1_unreserved == wh.base &&
              pw->dram_align == wh.dram_align && pw->l1_align == wh.l1_align);
    CU_ASSERT(pb->l1_size == bh.l1_size && pb->l1_unreserved == bh.base &&
              pb->dram_align == bh.dram_align && pb->l1_align == bh.l1_align);
    CU_ASSERT_EQUAL(tg_ttnn_l1_figures_of(tg_arch_find("grayskull"), &wh), TG_ERR_USAGE);
}

void unit_register_ttnn_conv2d(void) {
    tg_test_suite("ttnn_conv2d", "ttnn_plan_equals_conformance_table",
                  ttnn_plan_equals_conformance_table, "ttnn_issue_example_is_057_mb",
                  ttnn_issue_example_is_057_mb, "ttnn_errors_carry_ttnn_words",
                  ttnn_errors_carry_ttnn_words, "conv2d_planner_equals_conformance_table",
                  conv2d_planner_equals_conformance_table, NULL);
}
