/* The halo op; see halo.h.
 *
 * Every core computes its own runs from the plan (and, in push mode, the runs of
 * the other parts of its grid column that it owns sticks of), fills padding runs
 * with the pad value, copies local runs within its L1, and moves remote runs with
 * one NoC transfer each. Block-sharded inputs run the plan per grid column: a core
 * exchanges only with the cores holding the same channel slice. */
#include "halo.h"

#include <stdlib.h>
#include <string.h>

#include "stats.h"

tg_status tg_halo_mode_parse(const char *s, tg_halo_mode *out) {
    if (!strcmp(s, "pull"))
        *out = TG_HALO_PULL;
    else if (!strcmp(s, "push"))
        *out = TG_HALO_PUSH;
    else
        return tg_err(TG_ERR_USAGE, "unknown halo mode '%s' (pull, push)", s);
    return TG_OK;
}

tg_split tg_split_of(const tg_shard_spec *s) {
    return (tg_split){s->row_parts, s->shard_h, s->rows};
}

tg_split tg_split_out(const tg_shard_spec *in, int64_t out_rows) {
    int64_t h = (out_rows + in->row_parts - 1) / in->row_parts;
    if (in->snap) h = (h + TG_TILE - 1) / TG_TILE * TG_TILE;
    return (tg_split){in->row_parts, h > 0 ? h : 1, out_rows};
}

void tg_haloed_free(tg_haloed *h) {
    if (h->allocated) tg_core_free(h->l1_off);
    h->allocated = false;
}

/* Runs of part q (caller frees). */
static tg_status part_runs(const tg_window *w, tg_split in, tg_split out, int q,
                           tg_window_bounds *b, tg_halo_run **runs, int64_t *n) {
    *b = tg_window_part(w, out, q);
    *runs = NULL;
    *n = 0;
    if (b->a >= b->b) return TG_OK;
    int64_t cap = tg_window_runs_bound(w, in, b->a, b->b);
    *runs = malloc((size_t)cap * sizeof **runs);
    if (!*runs)
        return tg_err(TG_ERR_RUNTIME, "halo: out of host memory for %lld runs", (long long)cap);
    *n = tg_window_runs(w, in, b->a, b->b, *runs);
    return TG_OK;
}

/* Fills, copies and moves this core's part; returns its status for the final sync. */
static tg_status halo_local(const tg_window *w, const tg_tensor *in, tg_split out, float pad_value,
                            tg_halo_mode mode, tg_haloed *h) {
    tg_core *c = tg_core_self();
    int me = tg_tensor_my_core(in);
    if (me < 0) return TG_OK;
    int rp, cp;
    tg_shard_core_part(&in->spec, me, &rp, &cp);
    tg_split isp = tg_split_of(&in->spec);
    size_t rb = h->row_bytes;
    int64_t my0 = tg_split_start(isp, rp);
    h->part = rp;

    tg_halo_run *runs;
    int64_t n;
    TG_CHECK(part_runs(w, isp, out, rp, &h->bounds, &runs, &n));
    uint8_t *pad = malloc(rb);
    float *padf = malloc((size_t)in->spec.shard_w * sizeof *padf);
    if (!pad || !padf) {
        free(runs), free(pad), free(padf);
        return tg_err(TG_ERR_RUNTIME, "halo: out of host memory");
    }
    for (int64_t j = 0; j < in->spec.shard_w; j++) padf[j] = pad_value;
    tg_fmt_pack(in->fmt, padf, in->spec.shard_w, pad);
    free(padf);

    tg_status st = TG_OK;
    tg_counters *k = tg_stats_now();
    tg_halo_counts hc = tg_halo_count(runs, n, rp);
    k->halo_pad_sticks += (uint64_t)hc.pad;
    k->halo_local_sticks += (uint64_t)hc.local;
    k->halo_remote_sticks += (uint64_t)hc.remote;
    k->halo_remote_bytes += (uint64_t)hc.remote * rb;
    k->halo_cores += (uint64_t)hc.sources;
    uint8_t *dst = tg_l1_ptr(h->l1_off), *src = tg_l1_ptr(in->l1_off);
    for (int64_t i = 0; i < n && st == TG_OK; i++) {
        const tg_halo_run *r = &runs[i];
        if (r->owner < 0) {
            for (int64_t s = 0; s < r->len; s++) memcpy(dst + (size_t)(r->dst + s) * rb, pad, rb);
        } else if (r->owner == rp) {
            memcpy(dst + (size_t)r->dst * rb, src + (size_t)(r->src - my0) * rb,
                   (size_t)r->len * rb);
        } else if (mode == TG_HALO_PULL) {
            int owner =
                tg_shard_core_rank(&in->spec, c->grid, tg_shard_part_core(&in->spec, r->owner, cp));
            size_t at = in->l1_off + (size_t)(r->src - tg_split_start(isp, r->owner)) * rb;
            st = tg_noc_read(owner, at, h->l1_off + (size_t)r->dst * rb, (size_t)r->len * rb);
        }
    }
    free(runs);
    free(pad);
    if (st == TG_OK && mode == TG_HALO_PUSH) {
        /* Push what the other parts of this column need from me. */
        for (int q = 0; q < isp.parts && st == TG_OK; q++) {
            if (q == rp) continue;
            tg_window_bounds qb;
            tg_halo_run *qr;
            int64_t qn;
            st = part_runs(w, isp, out, q, &qb, &qr, &qn);
            int dest = tg_shard_core_rank(&in->spec, c->grid, tg_shard_part_core(&in->spec, q, cp));
            for (int64_t i = 0; i < qn && st == TG_OK; i++)
                if (qr[i].owner == rp)
                    st = tg_noc_write(dest, h->l1_off + (size_t)qr[i].dst * rb,
                                      in->l1_off + (size_t)(qr[i].src - my0) * rb,
                                      (size_t)qr[i].len * rb);
            free(qr);
        }
        if (st == TG_OK) st = tg_noc_write_barrier();
    }
    if (st == TG_OK && mode == TG_HALO_PULL) st = tg_noc_read_barrier();
    return st;
}

tg_status tg_halo_exchange(const tg_window *w, const tg_tensor *in, tg_split out, float pad_value,
                           tg_halo_mode mode, tg_haloed *h) {
    memset(h, 0, sizeof *h);
    h->part = -1;
    h->row_bytes = in->row_bytes;
    h->cap = tg_window_max_halo(w, out);
    /* Every core asks the same size in the same allocation sequence, so every core
     * gets the same answer: no agreement needed. */
    TG_CHECK(tg_core_alloc("halo:haloed_shard", (size_t)h->cap * h->row_bytes, &h->l1_off));
    h->allocated = true;
    tg_status st = tg_noc_sync(halo_local(w, in, out, pad_value, mode, h));
    if (st != TG_OK) tg_haloed_free(h);
    return st;
}
