/* Transfers of a plan's schedule, performed through src/noc; see plan.h. */
#include "plan.h"

tg_status tg_xfer_run(const tg_xfer *x, const tg_dram_buf *const *bufs, tg_status st) {
    if (st != TG_OK && !tg_xfer_collective(x)) return st;
    tg_status s = TG_OK;
    switch (x->kind) {
    case TG_XF_READ:
        s = tg_noc_read_strided(x->peer, x->peer_off, x->peer_stride, x->off, x->stride, x->blen,
                                x->count);
        break;
    case TG_XF_WRITE:
        for (int64_t i = 0; i < x->count && s == TG_OK; i++)
            s = tg_noc_write(x->peer, x->peer_off + (size_t)i * x->peer_stride,
                             x->off + (size_t)i * x->stride, x->blen);
        break;
    case TG_XF_MCAST:
        s = x->fence_before || x->fence_after
                ? tg_noc_mcast_group_fenced(x->set, x->rect, x->peer, x->off, x->peer_off, x->blen,
                                            x->fence_before, x->fence_after, x->one_root)
                : tg_noc_mcast_group(x->set, x->rect, x->peer, x->off, x->peer_off, x->blen);
        break;
    case TG_XF_DRAM_READ:
        s = tg_dram_read(bufs[x->buf], x->first, x->count, x->peer_off, x->blen, x->off, x->stride);
        break;
    case TG_XF_DRAM_WRITE:
        s = tg_dram_write(bufs[x->buf], x->first, x->count, x->peer_off, x->blen, x->off,
                          x->stride);
        break;
    case TG_XF_READ_BARRIER:
        s = tg_noc_read_barrier();
        break;
    case TG_XF_WRITE_BARRIER:
        s = tg_noc_write_barrier();
        break;
    case TG_XF_BARRIER:
        s = tg_noc_barrier(x->set);
        break;
    case TG_XF_SYNC:
        return tg_noc_sync(st);
    }
    return st != TG_OK ? st : s;
}
