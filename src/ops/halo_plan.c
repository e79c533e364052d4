/* The halo's plan: runs per row part and each core's steps; see halo.h. Pure. */
#include "halo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

tg_status tg_halo_mode_parse(const char *s, tg_halo_mode *out) {
    if (!strcmp(s, "pull"))
        *out = TG_HALO_PULL;
    else if (!strcmp(s, "push"))
        *out = TG_HALO_PUSH;
    else
        return tg_err(TG_ERR_USAGE, "unknown halo mode '%s' (pull, push)", s);
    return TG_OK;
}

const char *tg_halo_mode_name(tg_halo_mode m) {
    return m == TG_HALO_PUSH ? "push" : "pull";
}

tg_split tg_split_of(const tg_shard_spec *s) {
    return (tg_split){s->row_parts, s->shard_h, s->rows};
}

tg_split tg_split_out(const tg_shard_spec *in, int64_t out_rows) {
    int64_t h = (out_rows + in->row_parts - 1) / in->row_parts;
    if (in->snap) h = (h + TG_TILE - 1) / TG_TILE * TG_TILE;
    return (tg_split){in->row_parts, h > 0 ? h : 1, out_rows};
}

void tg_halo_plan_free(tg_halo_plan *h) {
    free(h->parts);
    free(h->runs);
    h->parts = NULL;
    h->runs = NULL;
    h->nruns = 0;
}

tg_status tg_halo_plan_make(const tg_window *w, const tg_shard_spec *spec, tg_fmt fmt, tg_split out,
                            float pad_value, tg_halo_mode mode, tg_halo_plan *h) {
    memset(h, 0, sizeof *h);
    h->win = *w;
    h->spec = *spec;
    h->fmt = fmt;
    h->in = tg_split_of(spec);
    h->out = out;
    h->mode = mode;
    h->pad_value = pad_value;
    h->row_bytes = tg_fmt_row_bytes(fmt, spec->shard_w);
    h->cap = tg_window_max_halo(w, out);
    int parts = h->in.parts;
    int64_t total = 0;
    h->parts = calloc((size_t)parts, sizeof *h->parts);
    if (!h->parts) return tg_err(TG_ERR_RUNTIME, "halo: out of host memory for %d parts", parts);
    for (int q = 0; q < parts; q++) {
        tg_window_bounds b = tg_window_part(w, out, q);
        h->parts[q].bounds = b;
        if (b.a < b.b) total += tg_window_runs_bound(w, h->in, b.a, b.b);
    }
    h->runs = malloc((size_t)(total ? total : 1) * sizeof *h->runs);
    if (!h->runs) {
        tg_halo_plan_free(h);
        return tg_err(TG_ERR_RUNTIME, "halo: out of host memory for %lld runs", (long long)total);
    }
    for (int q = 0; q < parts; q++) {
        tg_halo_part *p = &h->parts[q];
        p->run0 = h->nruns;
        if (p->bounds.a < p->bounds.b)
            p->nruns = tg_window_runs(w, h->in, p->bounds.a, p->bounds.b, h->runs + h->nruns);
        p->counts = tg_halo_count(h->runs + p->run0, p->nruns, q);
        h->nruns += p->nruns;
    }
    return TG_OK;
}

int tg_halo_core_part(const tg_halo_plan *h, const tg_machine *m, int core, int *col_part) {
    /* a core of the spec's rectangle beyond its parts (TTNN's row-wise core ranges,
     * tg_shard_spec_make_shape) builds nothing and exchanges nothing */
    int i = tg_shard_rank_core(&h->spec, m->grid, core), rp = -1, cp = -1;
    bool holds = i >= 0 && tg_shard_core_holds(&h->spec, i);
    if (holds) tg_shard_core_part(&h->spec, i, &rp, &cp);
    if (col_part) *col_part = cp;
    return holds ? rp : -1;
}

/* The machine core holding row part rp, column part cp of the input. */
static int part_rank(const tg_halo_plan *h, const tg_machine *m, int rp, int cp) {
    return tg_shard_core_rank(&h->spec, m->grid, tg_shard_part_core(&h->spec, rp, cp));
}

void tg_halo_schedule(const tg_halo_plan *h, const tg_machine *m, int core, size_t in_off,
                      size_t h_off, tg_halo_step_fn fn, void *ctx) {
    int cp, rp = tg_halo_core_part(h, m, core, &cp);
    size_t rb = h->row_bytes;
    tg_halo_step s;
    if (rp >= 0) {
        const tg_halo_part *p = &h->parts[rp];
        int64_t my0 = tg_split_start(h->in, rp);
        for (int64_t i = 0; i < p->nruns; i++) {
            const tg_stick_run *r = &h->runs[p->run0 + i];
            memset(&s, 0, sizeof s);
            s.dst = r->dst, s.len = r->len;
            if (r->owner < 0) {
                s.kind = TG_HALO_STEP_PAD;
            } else if (r->owner == rp) {
                s.kind = TG_HALO_STEP_LOCAL;
                s.src = r->src - my0;
            } else if (h->mode == TG_HALO_PULL) {
                s.kind = TG_HALO_STEP_XFER;
                s.x = (tg_xfer){.kind = TG_XF_READ,
                                .peer = part_rank(h, m, r->owner, cp),
                                .count = 1,
                                .peer_off = in_off +
                                            (size_t)(r->src - tg_split_start(h->in, r->owner)) * rb,
                                .off = h_off + (size_t)r->dst * rb,
                                .blen = (size_t)r->len * rb};
                s.x.peer_stride = s.x.stride = s.x.blen;
            } else {
                continue; /* pushed by its owner */
            }
            fn(ctx, &s);
        }
        memset(&s, 0, sizeof s);
        s.kind = TG_HALO_STEP_XFER;
        if (h->mode == TG_HALO_PUSH) {
            /* what the other parts of this column need from me */
            for (int q = 0; q < h->in.parts; q++) {
                if (q == rp) continue;
                const tg_halo_part *qp = &h->parts[q];
                for (int64_t i = 0; i < qp->nruns; i++) {
                    const tg_stick_run *r = &h->runs[qp->run0 + i];
                    if (r->owner != rp) continue;
                    s.x = (tg_xfer){.kind = TG_XF_WRITE,
                                    .peer = part_rank(h, m, q, cp),
                                    .count = 1,
                                    .peer_off = h_off + (size_t)r->dst * rb,
                                    .off = in_off + (size_t)(r->src - my0) * rb,
                                    .blen = (size_t)r->len * rb};
                    s.x.peer_stride = s.x.stride = s.x.blen;
                    fn(ctx, &s);
                }
            }
            s.x = (tg_xfer){.kind = TG_XF_WRITE_BARRIER};
        } else {
            s.x = (tg_xfer){.kind = TG_XF_READ_BARRIER};
        }
        fn(ctx, &s);
    }
    memset(&s, 0, sizeof s);
    s.kind = TG_HALO_STEP_XFER;
    s.x = (tg_xfer){.kind = TG_XF_SYNC, .set = TG_SET_ALL};
    fn(ctx, &s);
}

typedef struct tally_ctx {
    tg_traffic *t;
    int core;
} tally_ctx;

static void tally_step(void *ctx, const tg_halo_step *s) {
    tally_ctx *c = ctx;
    if (s->kind == TG_HALO_STEP_XFER) tg_xfer_tally(c->t, c->core, &s->x);
}

void tg_halo_traffic(const tg_halo_plan *h, const tg_machine *m, tg_traffic *t) {
    for (int core = 0; core < tg_machine_cores(m); core++) {
        tally_ctx c = {t, core};
        tg_halo_schedule(h, m, core, 0, 0, tally_step, &c);
    }
}
