/* A plan's L1 as TTNN would show it; see plan_l1.h. */
#include "plan_l1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tg_cli_buf_kind_name(tg_cli_buf_kind k) {
    static const char *names[] = {"l1_buffer", "l1_small", "cb", "cb_alias"};
    return names[k];
}

/* Whether the replay ran event i (it stops at the first event without room). */
static bool reached(const tg_l1_map *m, int i) {
    return !m->oom && (m->failed < 0 || i <= m->failed);
}

/* The entry of `name` of that kind (and program), or NULL. */
static tg_cli_buf *find(tg_cli_l1 *v, const char *name, tg_cli_buf_kind kind, const char *program) {
    for (int i = 0; i < v->n; i++)
        if (v->buf[i].kind == kind && !strcmp(v->buf[i].name, name) &&
            (!program || !strcmp(v->buf[i].program, program)))
            return &v->buf[i];
    return NULL;
}

static tg_cli_buf *add(tg_cli_l1 *v, const char *name, tg_cli_buf_kind kind, const char *program) {
    tg_cli_buf *b = find(v, name, kind, program);
    if (b) return b;
    b = &v->buf[v->n++];
    memset(b, 0, sizeof *b);
    b->name = name, b->kind = kind, b->program = program;
    return b;
}

/* The lowest L1 buffer alive when event `at` runs: the map's allocations not yet freed
 * (the plans printed here start from an empty L1, so they are all there is). */
static void lowest_at(const tg_l1_map *m, int at, tg_cli_l1 *v) {
    if (m->start_in_use != 0) return; /* blocks from before the op: not in the map */
    v->has_lowest = true;
    for (int i = 0; i < at; i++) {
        const tg_l1_event *e = &m->ev[i];
        if (e->kind != TG_L1_ALLOC || e->off == (size_t)-1) continue;
        bool freed = false;
        for (int j = i + 1; j < at && !freed; j++)
            freed = m->ev[j].kind == TG_L1_FREE && m->ev[j].of == i;
        if (freed) continue;
        if (!v->any_buffer || e->off < v->lowest) v->lowest = e->off;
        v->any_buffer = true;
    }
}

/* TTNN's words are the text inside "[TTNN: ...]" (they hold brackets of their own). */
static void ttnn_words(const char *why, char *out, size_t cap) {
    out[0] = '\0';
    const char *p = strstr(why, "[TTNN: ");
    if (!p) return;
    p += strlen("[TTNN: ");
    const char *end = strrchr(p, ']');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    snprintf(out, cap, "%.*s", (int)len, p);
}

tg_status tg_cli_l1_make(const tg_l1_map *m, size_t l1_align, tg_cli_l1 *out) {
    memset(out, 0, sizeof *out);
    out->buf = malloc((size_t)(m->n + m->ncbs + 1) * sizeof *out->buf);
    if (!out->buf) return tg_err(TG_ERR_RUNTIME, "plan: out of host memory for the L1 map");
    int program = -1;
    for (int i = 0; i < m->n; i++) {
        const tg_l1_event *e = &m->ev[i];
        if (e->kind == TG_L1_ALLOC || e->kind == TG_L1_ALLOC_SMALL) {
            tg_cli_buf *b = add(out, e->name,
                                e->kind == TG_L1_ALLOC ? TG_CLI_L1_BUFFER : TG_CLI_L1_SMALL, NULL);
            /* as the allocator takes it: rounded to the alignment, at least one unit */
            size_t bytes = e->bytes ? e->bytes : 1;
            b->bytes = (bytes + l1_align - 1) / l1_align * l1_align;
            b->placed = reached(m, i) && e->off != (size_t)-1;
            b->address = b->placed ? e->off : 0;
        } else if (e->kind == TG_L1_PROGRAM) {
            program = i;
            if (reached(m, i) && e->bytes > out->cb_total) out->cb_total = e->bytes;
            for (int k = e->cb0; k < e->cb0 + e->ncbs; k++) {
                const tg_l1_cb *c = &m->cbs[k];
                if (c->alias == -1 && c->bytes == 0) continue; /* TTNN makes no such CB */
                tg_cli_buf *b =
                    add(out, c->name, c->alias == -1 ? TG_CLI_CB : TG_CLI_CB_ALIAS, e->name);
                b->bytes = c->bytes;
                b->placed = reached(m, i) && c->off != (size_t)-1;
                b->address = b->placed ? c->off : 0;
            }
        }
    }
    if (m->failed >= 0 && m->ev[m->failed].kind == TG_L1_PROGRAM) program = m->failed;
    if (program >= 0) {
        out->program = m->ev[program].name;
        if (reached(m, program)) {
            out->has_cb_end = true;
            out->cb_end = m->lo + m->ev[program].bytes;
            lowest_at(m, program, out);
        }
    }
    if (!tg_l1_map_fits(m)) ttnn_words(m->why, out->error, sizeof out->error);
    return TG_OK;
}

void tg_cli_l1_free(tg_cli_l1 *v) {
    free(v->buf);
    memset(v, 0, sizeof *v);
}
