/* Reshard run: performs this core's steps of the plan; see reshard.h. */
#include "reshard.h"

#include <stdlib.h>
#include <string.h>

typedef struct reshard_exec {
    const tg_reshard_plan *p;
    const tg_dram_buf *bufs[2];
    tg_status st;
} reshard_exec;

static tg_status host_copy(const reshard_exec *e, int64_t first, int64_t count) {
    uint8_t *pages = malloc((size_t)count * e->p->src.row_bytes);
    if (!pages) return tg_err(TG_ERR_RUNTIME, "reshard: out of host memory");
    tg_status st = tg_dram_read_host(e->bufs[0], first, count, pages, e->p->src.row_bytes);
    if (st == TG_OK) st = tg_dram_write_host(e->bufs[1], first, count, pages, e->p->src.row_bytes);
    free(pages);
    return st;
}

/* Zeros into bytes [off, off + bytes) of destination pages [first, first + count). */
static tg_status zero_pages(const reshard_exec *e, const tg_reshard_step *s) {
    uint8_t *zeros = calloc((size_t)s->count, s->bytes);
    if (!zeros) return tg_err(TG_ERR_RUNTIME, "reshard: out of host memory");
    tg_status st =
        tg_dram_write_host_part(e->bufs[1], s->first, s->count, s->off, s->bytes, zeros, s->bytes);
    free(zeros);
    return st;
}

static void exec_step(void *ctx, const tg_reshard_step *s) {
    reshard_exec *e = ctx;
    if (s->kind == TG_RESHARD_STEP_XFER) {
        e->st = tg_xfer_run(&s->x, e->bufs, e->st);
        return;
    }
    if (e->st != TG_OK) return;
    if (s->kind == TG_RESHARD_STEP_ZERO)
        memset(tg_l1_ptr(s->off), 0, s->bytes);
    else if (s->kind == TG_RESHARD_STEP_ZERO_DRAM)
        e->st = zero_pages(e, s);
    else
        e->st = host_copy(e, s->first, s->count);
}

tg_status tg_reshard_run(const tg_reshard_plan *p, const tg_tensor *src, tg_tensor *dst) {
    if (!src->allocated || !dst->allocated || src->place != p->src.place ||
        dst->place != p->dst.place)
        return tg_err(TG_ERR_RUNTIME, "reshard: the tensors are not placed as the plan says");
    tg_machine m = tg_machine_self();
    reshard_exec e = {p,
                      {src->place == TG_PLACE_DRAM ? &src->dram : NULL,
                       dst->place == TG_PLACE_DRAM ? &dst->dram : NULL},
                      TG_OK};
    tg_reshard_schedule(p, &m, tg_core_self()->rank, src->l1_off, dst->l1_off, exec_step, &e);
    return e.st;
}

tg_status tg_tensor_reshard(const tg_tensor *src, tg_tensor *dst) {
    tg_reshard_plan p;
    TG_CHECK(tg_reshard_plan_make(src, dst, &p));
    return tg_reshard_run(&p, src, dst);
}
