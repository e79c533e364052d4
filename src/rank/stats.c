/* Per-op, per-core statistics; see stats.h. */
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
    uint64_t *links; /* [ncores][TG_STATS_DIRS] bytes leaving each core */
    uint64_t *banks; /* [banks] bytes served by each DRAM bank */
    double t0;
} record;

enum { TG_STATS_DIRS = 4 };

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
    r->links = calloc((size_t)ncores() * TG_STATS_DIRS, sizeof *r->links);
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

tg_counters *tg_stats_now(void) {
    static tg_counters sink; /* when the host is out of memory, counts go nowhere */
    record *r = current();
    return r ? &r->c : &sink;
}

const tg_counters *tg_stats_last(void) {
    static const tg_counters none;
    return last_rec >= 0 ? &recs[last_rec].c : &none;
}

void tg_stats_link(int core, int dir, uint64_t bytes) {
    record *r = current();
    if (r && core >= 0 && core < ncores()) r->links[core * TG_STATS_DIRS + dir] += bytes;
}

void tg_stats_bank(int bank, uint64_t bytes) {
    record *r = current();
    if (r && bank >= 0 && bank < nbanks()) r->banks[bank] += bytes;
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

tg_status tg_stats_gather(tg_stats_table *t) {
    memset(t, 0, sizeof *t);
    tg_stats_end();
    ensure_other();
    tg_core *c = tg_core_self();
    int P = c->nranks, B = nbanks();
    int n = nrecs, n0 = n;
    MPI_Bcast(&n0, 1, MPI_INT, 0, c->comm);
    int same = n == n0, all_same;
    MPI_Allreduce(&same, &all_same, 1, MPI_INT, MPI_LAND, c->comm);
    if (!all_same)
        return tg_err(TG_ERR_RUNTIME, "statistics: ranks recorded different numbers of ops");
    size_t csz = sizeof(tg_counters);
    uint8_t *mine = malloc((size_t)(n ? n : 1) * csz);
    uint64_t *links = malloc((size_t)(n ? n : 1) * (size_t)P * TG_STATS_DIRS * sizeof *links);
    uint64_t *banks = malloc((size_t)(n ? n : 1) * (size_t)B * sizeof *banks);
    bool root = c->rank == 0;
    uint8_t *all = root ? malloc((size_t)(n ? n : 1) * csz * (size_t)P) : NULL;
    uint64_t *links_sum = root ? malloc((size_t)(n ? n : 1) * (size_t)P * TG_STATS_DIRS * 8) : NULL;
    uint64_t *banks_sum = root ? malloc((size_t)(n ? n : 1) * (size_t)B * 8) : NULL;
    int ok = mine && links && banks && (!root || (all && links_sum && banks_sum)), all_ok;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, c->comm);
    tg_status st = TG_OK;
    if (!all_ok) {
        st = tg_err(TG_ERR_RUNTIME, "statistics: out of host memory for %d ops", n);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        memcpy(mine + (size_t)i * csz, &recs[i].c, csz);
        memcpy(links + (size_t)i * P * TG_STATS_DIRS, recs[i].links,
               (size_t)P * TG_STATS_DIRS * sizeof *links);
        memcpy(banks + (size_t)i * B, recs[i].banks, (size_t)B * sizeof *banks);
    }
    MPI_Gather(mine, (int)(n * csz), MPI_BYTE, all, (int)(n * csz), MPI_BYTE, 0, c->comm);
    MPI_Reduce(links, links_sum, n * P * TG_STATS_DIRS, MPI_UINT64_T, MPI_SUM, 0, c->comm);
    MPI_Reduce(banks, banks_sum, n * B, MPI_UINT64_T, MPI_SUM, 0, c->comm);
    t->ncols = NCOLS;
    t->names = columns;
    t->nrows = (int64_t)n * P;
    if (!root) goto done;
    t->data = calloc((size_t)(t->nrows ? t->nrows : 1) * NCOLS, sizeof *t->data);
    t->labels = calloc((size_t)(t->nrows ? t->nrows : 1), sizeof *t->labels);
    if (!t->data || !t->labels) {
        st = tg_err(TG_ERR_RUNTIME, "statistics: out of host memory for the table");
        goto done;
    }
    for (int i = 0; i < n; i++)
        for (int r = 0; r < P; r++) {
            const tg_counters *k = (const tg_counters *)(all + ((size_t)r * n + i) * csz);
            const uint64_t *lk = links_sum + ((size_t)i * P + r) * TG_STATS_DIRS;
            double served = 0;
            for (int b = r; b < B; b += P) served += (double)banks_sum[(size_t)i * B + b];
            double row[NCOLS] = {i,
                                 r,
                                 tg_core_x(c->grid, r),
                                 tg_core_y(c->grid, r),
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
                                 (double)lk[0],
                                 (double)lk[1],
                                 (double)lk[2],
                                 (double)lk[3],
                                 (double)k->halo_pad_sticks,
                                 (double)k->halo_local_sticks,
                                 (double)k->halo_remote_sticks,
                                 (double)k->halo_remote_bytes,
                                 (double)k->halo_cores,
                                 (double)k->l1_high_water};
            int64_t at = (int64_t)i * P + r;
            memcpy(t->data + at * NCOLS, row, sizeof row);
            t->labels[at] = strdup(recs[i].name);
        }
done:
    free(mine), free(links), free(banks), free(all), free(links_sum), free(banks_sum);
    return st;
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
