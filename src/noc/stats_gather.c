/* The statistics table: every core's records gathered to rank 0 (DESIGN.md section
 * 8), part of src/noc. The records, the columns and the rows are src/rank's
 * (stats.h); this file only moves them, so it carries counters, never tensor data.
 * Link and bank counts are kept by the core that moved the bytes, for every link
 * and bank, so they are summed over cores here. */
#include "noc_impl.h"

#include <stdlib.h>
#include <string.h>

tg_status tg_noc_stats_gather(tg_stats_table *t) {
    memset(t, 0, sizeof *t);
    int n = tg_stats_close(), n0 = n;
    tg_core *c = tg_core_self();
    int P = c->nranks, B = c->arch->dram_banks, L = TG_STATS_LINK_DIRS;
    MPI_Comm comm = tg_noc.world;
    int rc = MPI_Bcast(&n0, 1, MPI_INT, 0, comm);
    int same = n == n0, all_same = 0;
    if (rc == MPI_SUCCESS) rc = MPI_Allreduce(&same, &all_same, 1, MPI_INT, MPI_LAND, comm);
    if (rc != MPI_SUCCESS) return noc_mpi_err(rc, "gathering the statistics");
    if (!all_same)
        return tg_err(TG_ERR_RUNTIME, "statistics: ranks recorded different numbers of ops");
    size_t csz = sizeof(tg_counters);
    uint8_t *mine = malloc((size_t)(n ? n : 1) * csz);
    uint64_t *links = malloc((size_t)(n ? n : 1) * (size_t)P * L * sizeof *links);
    uint64_t *banks = malloc((size_t)(n ? n : 1) * (size_t)B * sizeof *banks);
    bool root = c->rank == 0;
    uint8_t *all = root ? malloc((size_t)(n ? n : 1) * csz * (size_t)P) : NULL;
    uint64_t *links_sum = root ? malloc((size_t)(n ? n : 1) * (size_t)P * L * 8) : NULL;
    uint64_t *banks_sum = root ? malloc((size_t)(n ? n : 1) * (size_t)B * 8) : NULL;
    int ok = mine && links && banks && (!root || (all && links_sum && banks_sum)), all_ok = 0;
    rc = MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, comm);
    tg_status st = TG_OK;
    if (rc != MPI_SUCCESS) {
        st = noc_mpi_err(rc, "gathering the statistics");
        goto done;
    }
    if (!all_ok) {
        st = tg_err(TG_ERR_RUNTIME, "statistics: out of host memory for %d ops", n);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        tg_stats_record r = tg_stats_record_at(i);
        memcpy(mine + (size_t)i * csz, r.k, csz);
        memcpy(links + (size_t)i * P * L, r.links, (size_t)P * L * sizeof *links);
        memcpy(banks + (size_t)i * B, r.banks, (size_t)B * sizeof *banks);
    }
    rc = MPI_Gather(mine, (int)(n * csz), MPI_BYTE, all, (int)(n * csz), MPI_BYTE, 0, comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Reduce(links, links_sum, n * P * L, MPI_UINT64_T, MPI_SUM, 0, comm);
    if (rc == MPI_SUCCESS) rc = MPI_Reduce(banks, banks_sum, n * B, MPI_UINT64_T, MPI_SUM, 0, comm);
    if (rc != MPI_SUCCESS) {
        st = noc_mpi_err(rc, "gathering the statistics");
        goto done;
    }
    t->ncols = tg_stats_columns(&t->names);
    t->nrows = (int64_t)n * P;
    if (!root) goto done;
    t->data = calloc((size_t)(t->nrows ? t->nrows : 1) * (size_t)t->ncols, sizeof *t->data);
    t->labels = calloc((size_t)(t->nrows ? t->nrows : 1), sizeof *t->labels);
    if (!t->data || !t->labels) {
        st = tg_err(TG_ERR_RUNTIME, "statistics: out of host memory for the table");
        goto done;
    }
    for (int i = 0; i < n; i++)
        for (int r = 0; r < P; r++) {
            const tg_counters *k = (const tg_counters *)(all + ((size_t)r * n + i) * csz);
            double served = 0;
            for (int b = r; b < B; b += P) served += (double)banks_sum[(size_t)i * B + b];
            int64_t at = (int64_t)i * P + r;
            tg_stats_row(t->data + at * t->ncols, i, r, tg_core_x(c->grid, r),
                         tg_core_y(c->grid, r), k, links_sum + ((size_t)i * P + r) * L, served);
            t->labels[at] = strdup(tg_stats_record_at(i).name);
        }
done:
    free(mine), free(links), free(banks), free(all), free(links_sum), free(banks_sum);
    return st;
}
