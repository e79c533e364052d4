/* Per-op, per-core statistics: the records of this process; see stats.h. Pure:
 * src/noc gathers them over ranks. */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rank.h"

#define NAME_MAX_LEN 64

typedef struct record {
    char name[NAME_MAX_LEN];
    tg_counters c;
    uint64_t *links; /* [ncores][TG_STATS_LINK_DIRS] bytes leaving each core */
    uint64_t *banks; /* [banks] bytes served by each DRAM bank */
    double t0;
} record;

static record *recs;
static int nrecs, caprecs;
static int open_rec = -1; /* index of the open scope, or -1 */
static int last_rec = -1; /* index of the scope closed last */
static int other_rec = -1;

double tg_stats_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int ncores(void) {
    tg_core *c = tg_core_self();
    return c ? c->nranks : 1;
}

static int nbanks(void) {
    tg_core *c = tg_core_self();
    return c ? c->arch->dram_banks : 1;
}

static int new_record(const char *name) {
    if (nrecs == caprecs) {
        int cap = caprecs ? 2 * caprecs : 64;
        record *r = realloc(recs, (size_t)cap * sizeof *r);
        if (!r) return -1;
        recs = r;
        caprecs = cap;
    }
    record *r = &recs[nrecs];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->links = calloc((size_t)ncores() * TG_STATS_LINK_DIRS, sizeof *r->links);
    r->banks = calloc((size_t)nbanks(), sizeof *r->banks);
    if (!r->links || !r->banks) {
        free(r->links);
        free(r->banks);
        return -1;
    }
    r->t0 = tg_stats_clock();
    tg_core *c = tg_core_self();
    if (c) tg_l1_reset_high_water(&c->l1);
    return nrecs++;
}

/* Closes record i: wall time, L1 peak and the modelled NoC and DRAM cycles. */
static void close_record(int i) {
    record *r = &recs[i];
    r->c.seconds += tg_stats_clock() - r->t0;
    tg_core *c = tg_core_self();
    if (!c) return;
    if (c->l1.high_water > r->c.l1_high_water) r->c.l1_high_water = c->l1.high_water;
    const tg_arch *a = c->arch;
    /* NoC: bytes over one link's width, plus the router latency of every hop.
     * DRAM: bytes over one bank's share of the chip's bandwidth, in core cycles. */
    double noc_bytes = (double)(r->c.noc_read_bytes + r->c.noc_write_bytes + r->c.noc_mcast_bytes);
    double noc_cycles = noc_bytes / a->noc_bytes_per_cycle + (double)r->c.hops * a->noc_hop_cycles;
    double bank_bytes_per_cycle = a->dram_gbps / a->dram_banks / a->clock_ghz;
    double dram_cycles =
        (double)(r->c.dram_read_bytes + r->c.dram_write_bytes) / bank_bytes_per_cycle;
    r->c.model_cycles += noc_cycles + dram_cycles;
}

/* "other" is always record 0, made before the first op's record on every rank, so
 * that the records line up across ranks whatever each rank did outside scopes. */
static void ensure_other(void) {
    if (other_rec < 0) other_rec = new_record("other");
}

void tg_stats_begin(const char *name) {
    if (open_rec >= 0) tg_stats_end();
    ensure_other();
    open_rec = new_record(name);
}

void tg_stats_end(void) {
    if (open_rec < 0) return;
    close_record(open_rec);
    last_rec = open_rec;
    open_rec = -1;
}

static record *current(void) {
    if (open_rec >= 0) return &recs[open_rec];
    ensure_other();
    return other_rec >= 0 ? &recs[other_rec] : NULL;
}

const char *tg_stats_scope(void) {
    return open_rec >= 0 ? recs[open_rec].name : "other";
}

tg_counters *tg_stats_now(void) {
    uint64_t *links, *banks;
    return tg_stats_sink(&links, &banks);
}

const tg_counters *tg_stats_last(void) {
    static const tg_counters none;
    return last_rec >= 0 ? &recs[last_rec].c : &none;
}

tg_counters *tg_stats_sink(uint64_t **links, uint64_t **banks) {
    static tg_counters spare; /* when the host is out of memory, counts go nowhere */
    record *r = current();
    *links = r ? r->links : NULL;
    *banks = r ? r->banks : NULL;
    return r ? &r->c : &spare;
}

void tg_stats_compute(double t0) {
    tg_stats_now()->compute_seconds += tg_stats_clock() - t0;
}

void tg_stats_reset(void) {
    for (int i = 0; i < nrecs; i++) {
        free(recs[i].links);
        free(recs[i].banks);
    }
    free(recs);
    recs = NULL;
    nrecs = caprecs = 0;
    open_rec = other_rec = last_rec = -1;
}

static const char *const columns[] = {
    "op_index",
    "core",
    "x",
    "y",
    "seconds",
    "compute_seconds",
    "model_cycles",
    "macs",
    "noc_read_bytes",
    "noc_write_bytes",
    "noc_mcast_bytes",
    "noc_transactions",
    "messages",
    "hops",
    "dram_read_bytes",
    "dram_write_bytes",
    "dram_served_bytes",
    "link_e_bytes",
    "link_s_bytes",
    "link_n_bytes",
    "link_w_bytes",
    "halo_pad_sticks",
    "halo_local_sticks",
    "halo_remote_sticks",
    "halo_remote_bytes",
    "halo_cores",
    "l1_high_water",
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))

int tg_stats_close(void) {
    tg_stats_end();
    ensure_other();
    return nrecs;
}

tg_stats_record tg_stats_record_at(int i) {
    return (tg_stats_record){recs[i].name, &recs[i].c, recs[i].links, recs[i].banks};
}

int tg_stats_columns(const char *const **names) {
    *names = columns;
    return NCOLS;
}

void tg_stats_row(double *row, int op, int core, int x, int y, const tg_counters *k,
                  const uint64_t *links, double served) {
    double v[NCOLS] = {op,
                       core,
                       x,
                       y,
                       k->seconds,
                       k->compute_seconds,
                       k->model_cycles,
                       k->macs,
                       (double)k->noc_read_bytes,
                       (double)k->noc_write_bytes,
                       (double)k->noc_mcast_bytes,
                       (double)k->noc_transactions,
                       (double)k->messages,
                       (double)k->hops,
                       (double)k->dram_read_bytes,
                       (double)k->dram_write_bytes,
                       served,
                       (double)links[0],
                       (double)links[1],
                       (double)links[2],
                       (double)links[3],
                       (double)k->halo_pad_sticks,
                       (double)k->halo_local_sticks,
                       (double)k->halo_remote_sticks,
                       (double)k->halo_remote_bytes,
                       (double)k->halo_cores,
                       (double)k->l1_high_water};
    memcpy(row, v, sizeof v);
}

void tg_stats_table_free(tg_stats_table *t) {
    for (int64_t i = 0; t->labels && i < t->nrows; i++) free(t->labels[i]);
    free(t->labels);
    free(t->data);
    memset(t, 0, sizeof *t);
}

tg_status tg_stats_write_csv(const tg_stats_table *t, const char *path) {
    /* written as PATH.partial and renamed when complete, like every output */
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.partial", path) >= sizeof tmp)
        return tg_err(TG_ERR_USAGE, "statistics path '%s' is too long", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return tg_err(TG_ERR_RUNTIME, "cannot write statistics to '%s'", path);
    fprintf(f, "op");
    for (int c = 0; c < t->ncols; c++) fprintf(f, ",%s", t->names[c]);
    fprintf(f, "\n");
    for (int64_t r = 0; r < t->nrows; r++) {
        fprintf(f, "%s", t->labels[r]);
        for (int c = 0; c < t->ncols; c++) {
            double v = t->data[r * t->ncols + c];
            if (v == (double)(int64_t)v && v < 9e15 && v > -9e15)
                fprintf(f, ",%lld", (long long)v);
            else
                fprintf(f, ",%.9g", v);
        }
        fprintf(f, "\n");
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return tg_err(TG_ERR_RUNTIME, "cannot write statistics to '%s'", path);
    }
    return TG_OK;
}
