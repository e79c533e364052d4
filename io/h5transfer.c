/* The one collective hyperslab transfer of io: every read or write of part of a
 * dataset (tensor rows, a weight slab, an array held by rank 0) goes through
 * io_transfer, so the selection, the collective transfer property and the checks of
 * every HDF5 call are written once (DESIGN.md section 8: "Ranks read and write their
 * own shards collectively through parallel HDF5").
 *
 * Collective: a rank with nothing to move selects nothing and still calls H5Dread
 * or H5Dwrite, as MPI-IO's collective calls need every rank. This file must never
 * start a collective call before every rank has agreed that its preparation
 * succeeded; a rank that failed earlier only joins the agreements. */
#include "io_private.h"

#include <string.h>

void io_sel_init(io_sel *s, int ndims) {
    memset(s, 0, sizeof *s);
    s->ndims = ndims;
}

void io_sel_add(io_sel *s, const int64_t *start, const int64_t *count) {
    int64_t n = 1;
    for (int i = 0; i < s->ndims; i++) n *= count[i];
    if (n == 0) return;
    for (int i = 0; i < s->ndims; i++) {
        s->start[s->nboxes][i] = (hsize_t)start[i];
        s->count[s->nboxes][i] = (hsize_t)count[i];
    }
    s->nboxes++;
}

int64_t io_sel_elements(const io_sel *s) {
    int64_t total = 0;
    for (int b = 0; b < s->nboxes; b++) {
        int64_t n = 1;
        for (int i = 0; i < s->ndims; i++) n *= (int64_t)s->count[b][i];
        total += n;
    }
    return total;
}

tg_status io_transfer(tg_status st, tg_io_file *f, const char *dset, hid_t d, io_dir dir,
                      hid_t mtype, const io_sel *sel, void *buf) {
    hid_t fs = -1, ms = -1, dxpl = -1;
    hsize_t n = (hsize_t)io_sel_elements(sel), one = 1;
    if (st == TG_OK && (fs = H5Dget_space(d)) < 0) st = io_h5_err(f, dset, "H5Dget_space");
    if (st == TG_OK && H5Sget_simple_extent_ndims(fs) != sel->ndims)
        st = tg_err(TG_ERR_RUNTIME, "dataset '%s' in '%s' does not have %d dimensions", dset,
                    f->path, sel->ndims);
    if (st == TG_OK && H5Sselect_none(fs) < 0) st = io_h5_err(f, dset, "H5Sselect_none");
    for (int b = 0; st == TG_OK && b < sel->nboxes; b++)
        if (H5Sselect_hyperslab(fs, H5S_SELECT_OR, sel->start[b], NULL, sel->count[b], NULL) < 0)
            st = io_h5_err(f, dset, "H5Sselect_hyperslab");
    if (st == TG_OK && (ms = H5Screate_simple(1, n ? &n : &one, NULL)) < 0)
        st = io_h5_err(f, dset, "H5Screate_simple");
    if (st == TG_OK && n == 0 && H5Sselect_none(ms) < 0) st = io_h5_err(f, dset, "H5Sselect_none");
    if (st == TG_OK && (dxpl = H5Pcreate(H5P_DATASET_XFER)) < 0)
        st = io_h5_err(f, dset, "H5Pcreate");
    if (st == TG_OK && H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) < 0)
        st = io_h5_err(f, dset, "H5Pset_dxpl_mpio");
    if (dir == IO_WRITE) st = io_reserve(st, f, dset, d, fs, sel);
    st = tg_noc_agree(st);
    if (st == TG_OK) {
        herr_t rc = dir == IO_READ ? H5Dread(d, mtype, ms, fs, dxpl, buf)
                                   : H5Dwrite(d, mtype, ms, fs, dxpl, buf);
        if (rc < 0)
            st = dir == IO_READ
                     ? tg_err(TG_ERR_RUNTIME, "reading '%s' from '%s' failed", dset, f->path)
                     : tg_err(TG_ERR_RUNTIME, "writing '%s' to '%s' failed", dset, f->path);
    }
    st = io_close(st, dxpl, f, dset);
    st = io_close(st, ms, f, dset);
    st = io_close(st, fs, f, dset);
    st = io_close(st, d, f, dset);
    return tg_noc_agree(st);
}
