/* The halo's run: performs this core's steps of the plan; see halo.h. */
#include "halo.h"

#include <stdlib.h>
#include <string.h>

#include "stats.h"

void tg_haloed_free(tg_haloed *h) {
    if (h->allocated) tg_core_free(h->l1_off);
    h->allocated = false;
}

typedef struct halo_exec {
    const tg_halo_plan *h;
    const tg_tensor *in;
    tg_haloed *out;
    uint8_t *pad; /* one stick of the pad value, packed */
    tg_status st;
} halo_exec;

static void exec_step(void *ctx, const tg_halo_step *s) {
    halo_exec *e = ctx;
    size_t rb = e->h->row_bytes;
    if (s->kind == TG_HALO_STEP_XFER) {
        e->st = tg_xfer_run(&s->x, NULL, e->st);
        return;
    }
    if (e->st != TG_OK) return;
    uint8_t *dst = tg_l1_ptr(e->out->l1_off) + (size_t)s->dst * rb;
    if (s->kind == TG_HALO_STEP_PAD)
        for (int64_t i = 0; i < s->len; i++) memcpy(dst + (size_t)i * rb, e->pad, rb);
    else
        memcpy(dst, tg_tensor_row(e->in, s->src), (size_t)s->len * rb);
}

tg_status tg_halo_alloc(const tg_halo_plan *h, const char *name, tg_haloed *out) {
    memset(out, 0, sizeof *out);
    out->part = -1;
    out->row_bytes = h->row_bytes;
    out->cap = h->cap;
    /* Every core asks the same size in the same allocation sequence, so every core
     * gets the same answer: no agreement needed. */
    TG_CHECK(tg_core_alloc(name, tg_halo_bytes(h), &out->l1_off));
    out->allocated = true;
    return TG_OK;
}

tg_status tg_halo_run(const tg_halo_plan *h, const tg_tensor *in, tg_haloed *out) {
    TG_CHECK(tg_halo_alloc(h, "halo:haloed_shard", out));
    tg_status st = tg_halo_build(h, in, out);
    if (st != TG_OK) tg_haloed_free(out);
    return st;
}

tg_status tg_halo_build(const tg_halo_plan *h, const tg_tensor *in, tg_haloed *out) {
    tg_core *c = tg_core_self();
    tg_machine m = tg_machine_self();
    if (in->place != TG_PLACE_L1 || in->row_bytes != h->row_bytes ||
        !tg_tensor_same_spec(in, &h->spec))
        return tg_err(TG_ERR_RUNTIME, "halo: the input is not sharded as the plan says");
    int cp, rp = tg_halo_core_part(h, &m, c->rank, &cp);
    out->part = rp;
    halo_exec e = {h, in, out, malloc(h->row_bytes ? h->row_bytes : 1), TG_OK};
    float *padf = malloc((size_t)h->spec.shard_w * sizeof *padf);
    if (!e.pad || !padf) {
        e.st = tg_err(TG_ERR_RUNTIME, "halo: out of host memory");
    } else {
        for (int64_t j = 0; j < h->spec.shard_w; j++) padf[j] = h->pad_value;
        tg_fmt_pack(h->fmt, padf, h->spec.shard_w, e.pad);
    }
    free(padf);
    if (rp >= 0) {
        const tg_halo_part *p = &h->parts[rp];
        out->bounds = p->bounds;
        tg_counters *k = tg_stats_now();
        k->halo_pad_sticks += (uint64_t)p->counts.pad;
        k->halo_local_sticks += (uint64_t)p->counts.local;
        k->halo_remote_sticks += (uint64_t)p->counts.remote;
        k->halo_remote_bytes += (uint64_t)p->counts.remote * h->row_bytes;
        k->halo_cores += (uint64_t)p->counts.sources;
    }
    tg_halo_schedule(h, &m, c->rank, in->l1_off, out->l1_off, exec_step, &e);
    free(e.pad);
    return e.st;
}
