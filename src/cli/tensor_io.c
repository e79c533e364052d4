/* Moving tensors between HDF5 files and the grid for the commands, as the host does
 * it on the device: through interleaved DRAM, each rank carrying its share of the
 * rows (one hyperslab per rank, collective). */
#include <stdlib.h>

#include "cli.h"
#include "io.h"
#include "reshard.h"

tg_status tg_cli_load(tg_io_file *f, const char *dset, const int64_t shape[4], tg_fmt fmt,
                      const char *name, tg_tensor *out) {
    int64_t r0, r1;
    TG_CHECK(tg_tensor_alloc_dram(out, name, shape, fmt));
    tg_tensor_host_rows(out, &r0, &r1);
    float *rows = malloc((size_t)((r1 - r0) * shape[3] + 1) * sizeof *rows);
    tg_status st = tg_noc_agree(rows ? TG_OK : tg_err(TG_ERR_RUNTIME, "out of host memory"));
    if (st == TG_OK) st = tg_io_read_rows(f, dset, r0, r1, rows);
    if (st == TG_OK) st = tg_noc_sync(tg_tensor_write_host_rows(out, r0, r1, rows));
    free(rows);
    if (st != TG_OK) tg_tensor_free(out);
    return st;
}

tg_status tg_cli_host_rows(const tg_tensor *t, int64_t *r0, int64_t *r1, float **rows) {
    int64_t shape[4] = {t->n, t->h, t->w, t->c};
    tg_tensor d = {0};
    const tg_tensor *src = t;
    *rows = NULL;
    if (t->place == TG_PLACE_L1) {
        TG_CHECK(tg_tensor_alloc_dram(&d, "host:interleaved", shape, t->fmt));
        tg_status st = tg_tensor_reshard(t, &d);
        if (st != TG_OK) {
            tg_tensor_free(&d);
            return st;
        }
        src = &d;
    }
    tg_tensor_host_rows(src, r0, r1);
    *rows = malloc((size_t)((*r1 - *r0) * t->c + 1) * sizeof **rows);
    tg_status st = tg_noc_agree(*rows ? TG_OK : tg_err(TG_ERR_RUNTIME, "out of host memory"));
    if (st == TG_OK) st = tg_noc_sync(tg_tensor_read_host_rows(src, *r0, *r1, *rows));
    tg_tensor_free(&d);
    return st;
}

tg_status tg_cli_store(const tg_tensor *t, tg_io_file *f, const char *dset, const char *producer) {
    int64_t r0, r1, shape[4] = {t->n, t->h, t->w, t->c};
    float *rows = NULL;
    tg_status st = tg_cli_host_rows(t, &r0, &r1, &rows);
    if (st == TG_OK) st = tg_io_create_tensor(f, dset, shape, t->fmt, producer);
    if (st == TG_OK) st = tg_io_write_rows(f, dset, r0, r1, rows);
    free(rows);
    return st;
}
