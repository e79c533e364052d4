/* Traffic accounting: what one transfer adds to the counters, the links and the
 * DRAM banks (DESIGN.md section 9, "Counted" and "Planned"). Pure: no MPI, no
 * state, no allocation, so that the NoC's live counting and an op plan's
 * prediction are the same arithmetic and agree by construction. It never counts
 * `messages`: how many MPI operations a transfer takes is the transport's business,
 * not the device's. */
#include "noc.h"

_Static_assert(TG_LINK_DIRS == TG_STATS_LINK_DIRS, "stats records keep one count per link");

typedef struct link_add {
    const tg_tally *t;
    uint64_t bytes;
} link_add;

static void add_link(void *ctx, tg_link l) {
    const link_add *a = ctx;
    size_t core = (size_t)tg_core_rank(a->t->grid, l.x, l.y);
    a->t->links[core * TG_LINK_DIRS + (size_t)l.dir] += a->bytes;
}

/* `ntrans` transactions carrying `bytes` in all from core `from` to core `to`: all
 * take the route of the NoC with fewer hops, so every link of it carries all the
 * bytes. */
static void unicast(const tg_tally *t, int from, int to, uint64_t bytes, uint64_t ntrans) {
    tg_grid g = t->grid;
    int fx = tg_core_x(g, from), fy = tg_core_y(g, from);
    int tx = tg_core_x(g, to), ty = tg_core_y(g, to);
    int noc = tg_route_pick_unicast(g, fx, fy, tx, ty);
    link_add a = {t, bytes};
    int hops = tg_route_unicast_visit(g, noc, fx, fy, tx, ty, t->links ? add_link : NULL, &a);
    t->k->noc_transactions += ntrans;
    t->k->hops += (uint64_t)hops * ntrans;
}

void tg_tally_read(const tg_tally *t, int me, int src, uint64_t bytes, uint64_t ntrans) {
    if (bytes == 0) return;
    t->k->noc_read_bytes += bytes;
    unicast(t, src, me, bytes, ntrans);
}

void tg_tally_write(const tg_tally *t, int me, int dst, uint64_t bytes, uint64_t ntrans) {
    if (bytes == 0) return;
    t->k->noc_write_bytes += bytes;
    unicast(t, me, dst, bytes, ntrans);
}

void tg_tally_mcast(const tg_tally *t, int me, tg_rect r, uint64_t bytes) {
    if (bytes == 0) return;
    tg_grid g = t->grid;
    int x = tg_core_x(g, me), y = tg_core_y(g, me);
    int noc = tg_route_pick_mcast(g, x, y, r);
    link_add a = {t, bytes};
    int n = tg_route_mcast_visit(g, noc, x, y, r, t->links ? add_link : NULL, &a);
    t->k->noc_mcast_bytes += bytes;
    t->k->noc_transactions++;
    t->k->hops += (uint64_t)n;
}

int64_t tg_dram_bank_pages(int64_t first, int64_t count, int nbanks, int bank, int64_t *i0) {
    *i0 = first + ((bank - first % nbanks) % nbanks + nbanks) % nbanks;
    if (*i0 >= first + count) return 0;
    return (first + count - 1 - *i0) / nbanks + 1;
}

void tg_tally_dram(const tg_tally *t, int me, int64_t first, int64_t count, uint64_t blen,
                   bool write) {
    if (count <= 0 || blen == 0) return;
    int ncores = tg_grid_size(t->grid);
    for (int bank = 0; bank < t->nbanks; bank++) {
        int64_t i0, n = tg_dram_bank_pages(first, count, t->nbanks, bank, &i0);
        if (n == 0) continue;
        int host = bank % ncores;
        uint64_t bytes = (uint64_t)n * blen;
        if (write)
            t->k->dram_write_bytes += bytes;
        else
            t->k->dram_read_bytes += bytes;
        if (t->banks) t->banks[bank] += bytes;
        unicast(t, write ? me : host, write ? host : me, bytes, (uint64_t)n);
    }
}
