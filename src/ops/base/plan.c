/* The parts every op's plan shares: the L1 map and the traffic; see plan.h. Pure. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tg_machine tg_machine_self(void) {
    tg_core *c = tg_core_self();
    return (tg_machine){c->arch, c->grid, c->l1.size, c->l1.size - c->l1.hi};
}

tg_machine tg_machine_of(const tg_arch *arch, tg_grid grid) {
    return (tg_machine){arch, grid, arch->l1_size, 0};
}

void tg_machine_empty_l1(const tg_machine *m, tg_l1 *l1) {
    tg_l1_init_device(l1, NULL, m->l1_size, m->arch->l1_unreserved, m->l1_small, m->arch->l1_align,
                      m->arch->dram_align, 0, 0);
}

void tg_core_range_name(tg_grid cores, char out[48]) {
    snprintf(out, 48, "[(x=0,y=0) - (x=%d,y=%d)]", cores.w - 1, cores.h - 1);
}

/* ---- the L1 map ---- */

void tg_l1_map_init(tg_l1_map *m) {
    memset(m, 0, sizeof *m);
    m->failed = -1;
}

void tg_l1_map_destroy(tg_l1_map *m) {
    free(m->ev);
    free(m->cbs);
    tg_l1_map_init(m);
}

static tg_l1_event *push(tg_l1_map *m) {
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 16;
        tg_l1_event *e = realloc(m->ev, (size_t)cap * sizeof *e);
        if (!e) {
            m->oom = true;
            return NULL;
        }
        m->ev = e, m->cap = cap;
    }
    tg_l1_event *e = &m->ev[m->n++];
    memset(e, 0, sizeof *e);
    e->of = -1;
    return e;
}

static int alloc_event(tg_l1_map *m, tg_l1_event_kind kind, const char *name, size_t bytes,
                       int banks) {
    tg_l1_event *e = push(m);
    if (!e) return -1;
    e->kind = kind;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->bytes = bytes;
    e->banks = banks;
    return m->n - 1;
}

int tg_l1_map_alloc(tg_l1_map *m, const char *name, size_t bytes) {
    return alloc_event(m, TG_L1_ALLOC, name, bytes, 0);
}

int tg_l1_map_alloc_banks(tg_l1_map *m, const char *name, size_t bytes, int banks) {
    return alloc_event(m, TG_L1_ALLOC, name, bytes, banks);
}

int tg_l1_map_alloc_small(tg_l1_map *m, const char *name, size_t bytes, int banks) {
    return alloc_event(m, TG_L1_ALLOC_SMALL, name, bytes, banks);
}

void tg_l1_map_free(tg_l1_map *m, int of) {
    if (of < 0) return;
    tg_l1_event *e = push(m);
    if (!e) return;
    e->kind = TG_L1_FREE;
    e->of = of;
    snprintf(e->name, sizeof e->name, "%s", m->ev[of].name);
}

void tg_l1_map_free_old(tg_l1_map *m, const char *name, size_t off) {
    tg_l1_event *e = push(m);
    if (!e) return;
    e->kind = TG_L1_FREE_OLD;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->off = off;
}

int tg_l1_map_program(tg_l1_map *m, const char *name, const char *range) {
    tg_l1_event *e = push(m);
    if (!e) return -1;
    e->kind = TG_L1_PROGRAM;
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->range, sizeof e->range, "%s", range);
    e->cb0 = m->ncbs;
    return m->n - 1;
}

static int add_cb(tg_l1_map *m, const char *name, size_t bytes, int alias);

int tg_l1_map_cb(tg_l1_map *m, const char *name, size_t bytes) {
    return add_cb(m, name, bytes, -1);
}

int tg_l1_map_cb_alias(tg_l1_map *m, const char *name, size_t bytes, int of) {
    int i = add_cb(m, name, bytes, of < 0 ? -2 : of);
    if (i >= 0 && of < 0) m->cbs[i].off = (size_t)-1;
    return i;
}

int tg_l1_map_cb_alias_at(tg_l1_map *m, const char *name, size_t bytes, size_t off) {
    int i = add_cb(m, name, bytes, -2);
    if (i >= 0) m->cbs[i].off = off;
    return i;
}

static int add_cb(tg_l1_map *m, const char *name, size_t bytes, int alias) {
    if (m->ncbs == m->capcbs) {
        int cap = m->capcbs ? 2 * m->capcbs : 16;
        tg_l1_cb *c = realloc(m->cbs, (size_t)cap * sizeof *c);
        if (!c) {
            m->oom = true;
            return -1;
        }
        m->cbs = c, m->capcbs = cap;
    }
    tg_l1_cb *c = &m->cbs[m->ncbs];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->bytes = bytes;
    c->alias = alias;
    /* the program event that owns it is the last one opened */
    for (int i = m->n - 1; i >= 0; i--)
        if (m->ev[i].kind == TG_L1_PROGRAM) {
            m->ev[i].ncbs = m->ncbs + 1 - m->ev[i].cb0;
            break;
        }
    return m->ncbs++;
}

void tg_l1_map_program_end(tg_l1_map *m) {
    tg_l1_event *e = push(m);
    if (!e) return;
    e->kind = TG_L1_PROGRAM_END;
}

/* Places a program's circular buffers from the allocator's base, each at the DRAM
 * alignment as the device does (tt_metal/impl/program/program.cpp @ 5cd3a453,
 * allocate_circular_buffers), and sets the region's size. */
static void place_cbs(tg_l1_map *m, tg_l1_event *e, const tg_l1 *l1) {
    size_t at = l1->lo;
    for (int k = e->cb0; k < e->cb0 + e->ncbs; k++) {
        tg_l1_cb *c = &m->cbs[k];
        if (c->alias != -1) { /* on a buffer (-2: one that existed before the op) */
            if (c->alias >= 0) c->off = m->ev[c->alias].off;
            continue;
        }
        if (c->bytes) at = (at + l1->cb_align - 1) / l1->cb_align * l1->cb_align;
        c->off = at;
        at += c->bytes;
    }
    e->bytes = at - l1->lo;
}

/* Runs the events on `l1`; stops at the first one without room when `stop`. */
static tg_status run_events(tg_l1_map *m, tg_l1 *l1, bool stop) {
    for (int i = 0; i < m->n; i++) {
        tg_l1_event *e = &m->ev[i];
        tg_status st = TG_OK;
        switch (e->kind) {
        case TG_L1_ALLOC:
        case TG_L1_ALLOC_SMALL: {
            size_t off;
            int banks = e->banks > 0 ? e->banks : m->banks;
            st = e->kind == TG_L1_ALLOC ? tg_l1_alloc_banks(l1, e->name, e->bytes, banks, &off)
                                        : tg_l1_alloc_small(l1, e->name, e->bytes, banks, &off);
            if (st == TG_OK) e->off = off;
            break;
        }
        case TG_L1_FREE:
            if (m->ev[e->of].off != (size_t)-1) st = tg_l1_free(l1, m->ev[e->of].off);
            break;
        case TG_L1_FREE_OLD:
            st = tg_l1_free(l1, e->off);
            break;
        case TG_L1_PROGRAM:
            place_cbs(m, e, l1);
            st = tg_l1_cb_open(l1, e->bytes, e->name, e->range);
            break;
        case TG_L1_PROGRAM_END:
            tg_l1_cb_close(l1);
            break;
        }
        if (st != TG_OK && stop) {
            if (e->kind == TG_L1_ALLOC || e->kind == TG_L1_ALLOC_SMALL) e->off = (size_t)-1;
            if (m->failed < 0) {
                m->failed = i;
                snprintf(m->why, sizeof m->why, "%s", tg_err_msg());
            }
            tg_err_clear();
            return st;
        }
        if (st != TG_OK) return st;
    }
    return TG_OK;
}

tg_status tg_l1_map_replay(tg_l1_map *m, const tg_l1 *snapshot) {
    if (m->oom) return tg_err(TG_ERR_RUNTIME, "planning: out of host memory for the L1 map");
    tg_l1 sim;
    TG_CHECK(tg_l1_clone(&sim, snapshot));
    m->failed = -1;
    m->why[0] = '\0';
    m->size = sim.size;
    m->lo = sim.lo, m->hi = sim.hi;
    m->start_in_use = sim.in_use;
    tg_l1_reset_high_water(&sim);
    for (int i = 0; i < m->n; i++)
        if (m->ev[i].kind == TG_L1_ALLOC || m->ev[i].kind == TG_L1_ALLOC_SMALL)
            m->ev[i].off = (size_t)-1;
    run_events(m, &sim, true);
    m->high_water = sim.high_water;
    m->end_in_use = sim.in_use;
    tg_l1_destroy(&sim);
    return TG_OK;
}

tg_status tg_l1_map_check(const tg_l1_map *m, int i, size_t off) {
    if (i < 0 || i >= m->n || (m->ev[i].kind != TG_L1_ALLOC && m->ev[i].kind != TG_L1_ALLOC_SMALL))
        return tg_err(TG_ERR_RUNTIME, "plan and run disagree: L1 event %d is not an allocation", i);
    if (m->ev[i].off != off)
        return tg_err(TG_ERR_RUNTIME,
                      "plan and run disagree: '%s' (%zu B) is at L1 offset %zu, planned at %zu",
                      m->ev[i].name, m->ev[i].bytes, off, m->ev[i].off);
    return TG_OK;
}

tg_status tg_l1_map_open(const tg_l1_map *m, int i) {
    if (i < 0 || i >= m->n || m->ev[i].kind != TG_L1_PROGRAM)
        return tg_err(TG_ERR_RUNTIME, "plan and run disagree: L1 event %d is not a program", i);
    return tg_core_cb_open(m->ev[i].bytes, m->ev[i].name, m->ev[i].range);
}

tg_status tg_l1_map_apply(const tg_l1_map *m, tg_l1 *l1) {
    tg_l1_map copy = *m;
    copy.ev = malloc((size_t)(m->n ? m->n : 1) * sizeof *copy.ev);
    copy.cbs = malloc((size_t)(m->ncbs ? m->ncbs : 1) * sizeof *copy.cbs);
    tg_status st = TG_OK;
    if (!copy.ev || !copy.cbs) {
        st = tg_err(TG_ERR_RUNTIME, "planning: out of host memory");
    } else {
        if (m->n) memcpy(copy.ev, m->ev, (size_t)m->n * sizeof *copy.ev);
        if (m->ncbs) memcpy(copy.cbs, m->cbs, (size_t)m->ncbs * sizeof *copy.cbs);
        st = run_events(&copy, l1, false);
    }
    free(copy.ev);
    free(copy.cbs);
    return st;
}

/* ---- the traffic ---- */

tg_status tg_traffic_init(tg_traffic *t, const tg_machine *m) {
    memset(t, 0, sizeof *t);
    t->grid = m->grid;
    t->ncores = tg_machine_cores(m);
    t->nbanks = m->arch->dram_banks;
    t->core = calloc((size_t)t->ncores, sizeof *t->core);
    t->links = calloc((size_t)t->ncores * TG_LINK_DIRS, sizeof *t->links);
    t->banks = calloc((size_t)t->nbanks, sizeof *t->banks);
    if (!t->core || !t->links || !t->banks) {
        tg_traffic_destroy(t);
        return tg_err(TG_ERR_RUNTIME, "planning: out of host memory for the traffic of %d cores",
                      m->grid.w * m->grid.h);
    }
    return TG_OK;
}

void tg_traffic_destroy(tg_traffic *t) {
    free(t->core), free(t->links), free(t->banks);
    memset(t, 0, sizeof *t);
}

void tg_traffic_clear(tg_traffic *t) {
    memset(t->core, 0, (size_t)t->ncores * sizeof *t->core);
    memset(t->links, 0, (size_t)t->ncores * TG_LINK_DIRS * sizeof *t->links);
    memset(t->banks, 0, (size_t)t->nbanks * sizeof *t->banks);
}

tg_tally tg_traffic_tally(tg_traffic *t, int core) {
    return (tg_tally){t->grid, t->nbanks, &t->core[core], t->links, t->banks};
}

void tg_traffic_add(tg_traffic *dst, const tg_traffic *src) {
    for (int i = 0; i < dst->ncores; i++) {
        tg_counters *d = &dst->core[i];
        const tg_counters *s = &src->core[i];
        d->noc_read_bytes += s->noc_read_bytes;
        d->noc_write_bytes += s->noc_write_bytes;
        d->noc_mcast_bytes += s->noc_mcast_bytes;
        d->noc_transactions += s->noc_transactions;
        d->hops += s->hops;
        d->dram_read_bytes += s->dram_read_bytes;
        d->dram_write_bytes += s->dram_write_bytes;
    }
    for (int i = 0; i < dst->ncores * TG_LINK_DIRS; i++) dst->links[i] += src->links[i];
    for (int i = 0; i < dst->nbanks; i++) dst->banks[i] += src->banks[i];
}

void tg_xfer_tally(tg_traffic *t, int me, const tg_xfer *x) {
    tg_tally k = tg_traffic_tally(t, me);
    uint64_t bytes = (uint64_t)x->blen * (uint64_t)(x->count > 0 ? x->count : 0);
    switch (x->kind) {
    case TG_XF_READ:
        if (bytes) tg_tally_read(&k, me, x->peer, bytes, (uint64_t)x->count);
        break;
    case TG_XF_WRITE:
        if (bytes) tg_tally_write(&k, me, x->peer, bytes, (uint64_t)x->count);
        break;
    case TG_XF_MCAST:
        /* the root's one transaction; receivers count nothing */
        if (me == x->peer && x->blen) tg_tally_mcast(&k, me, x->rect, x->blen);
        break;
    case TG_XF_DRAM_READ:
    case TG_XF_DRAM_WRITE:
        if (bytes) tg_tally_dram(&k, me, x->first, x->count, x->blen, x->kind == TG_XF_DRAM_WRITE);
        break;
    default:
        break;
    }
}
