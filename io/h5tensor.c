/* The one road for tensors between HDF5 files and the grid, as the host does it on
 * the device: through interleaved DRAM. Each rank moves its share of the rows of
 * the matrix [N*H*W, C] (tg_tensor_host_rows) between the file (one collective
 * hyperslab transfer) and the DRAM pages; an L1 tensor is resharded from or to a
 * temporary interleaved DRAM tensor through the NoC, with its traffic counted.
 *
 * A row range of the flattened N*H*W index is not one box of the 4-D dataset, but
 * it is at most five: the tail of a first image row, the rest of a first image,
 * whole images, the head of a last image, the head of a last image row. Their
 * union, ORed into one selection, is iterated by HDF5 in row-major file order,
 * which for NHWC is exactly the rows' order. For NCHW files the order is image,
 * channel, position, so the rows are transposed after reading. Outputs are always
 * NHWC. */
#include "io_private.h"
#include "reshard.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* Selects rows [r0, r1) x channels [c0, c1) of an [N, H, W, C] tensor (dims as
 * stored: NHWC, or NCHW when nchw). */
static void rows_sel(io_sel *sel, const int64_t nhwc[4], bool nchw, int64_t r0, int64_t r1,
                     int64_t c0, int64_t c1) {
    int64_t H = nhwc[1], W = nhwc[2], HW = H * W;
    io_sel_init(sel, 4);
    for (int64_t r = r0; r < r1;) {
        int64_t n = r / HW, p = r % HW, h = p / W, w = p % W, left = r1 - r;
        int64_t box_n = 1, box_h = 1, box_w;
        if (w != 0 || left < W) {
            box_w = (W - w < left) ? W - w : left;
        } else if (h != 0 || left < HW) {
            box_h = (H - h < left / W) ? H - h : left / W;
            box_w = W;
        } else {
            box_n = left / HW;
            box_h = H;
            box_w = W;
        }
        assert(sel->nboxes < IO_SEL_BOXES);
        if (nchw) {
            const int64_t start[4] = {n, c0, h, w}, count[4] = {box_n, c1 - c0, box_h, box_w};
            io_sel_add(sel, start, count);
        } else {
            const int64_t start[4] = {n, h, w, c0}, count[4] = {box_n, box_h, box_w, c1 - c0};
            io_sel_add(sel, start, count);
        }
        r += box_n * box_h * box_w;
    }
}

/* Reorders NCHW rows from file order (image, channel, position) to row order (row,
 * channel). */
static void nchw_to_rows(const float *src, float *dst, const int64_t nhwc[4], int64_t r0,
                         int64_t r1, int64_t nc) {
    int64_t HW = nhwc[1] * nhwc[2];
    int64_t done = 0; /* rows before the current image */
    for (int64_t r = r0; r < r1;) {
        int64_t n = r / HW;
        int64_t end = (n + 1) * HW < r1 ? (n + 1) * HW : r1;
        int64_t cnt = end - r;
        const int64_t base = done * nc; /* both orders start image n at the same element */
        for (int64_t c = 0; c < nc; c++)
            for (int64_t i = 0; i < cnt; i++) dst[base + i * nc + c] = src[base + c * cnt + i];
        done += cnt;
        r = end;
    }
}

/* Reads rows [r0, r1) x all channels of tensor dataset dset, which must have the
 * NHWC shape `shape`, into rows [(r1 - r0), C]. Every rank calls it, even after a
 * local failure in st; returns the agreed status. */
static tg_status read_rows(tg_status st, tg_io_file *f, const char *dset, const int64_t shape[4],
                           int64_t r0, int64_t r1, float *rows) {
    tg_io_info info;
    hid_t d = -1;
    float *tmp = NULL;
    int64_t n = (r1 - r0) * shape[3];
    io_sel sel;
    io_sel_init(&sel, 4);
    if (st == TG_OK) st = io_info(f, dset, &info);
    if (st == TG_OK && (info.ndims != 4 || memcmp(info.nhwc, shape, sizeof info.nhwc) != 0))
        st = tg_err(TG_ERR_USAGE,
                    "dataset '%s' in '%s': expected NHWC [%lld, %lld, %lld, %lld], found %s[%lld, "
                    "%lld, %lld, %lld]",
                    dset, f->path, (long long)shape[0], (long long)shape[1], (long long)shape[2],
                    (long long)shape[3], info.nchw ? "NCHW-as-NHWC " : "", (long long)info.nhwc[0],
                    (long long)info.nhwc[1], (long long)info.nhwc[2], (long long)info.nhwc[3]);
    if (st == TG_OK && info.nchw && !(tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp)))
        st = tg_err(TG_ERR_RUNTIME, "out of host memory reading '%s' from '%s' (%lld values)", dset,
                    f->path, (long long)n);
    if (st == TG_OK) st = io_open_dset(f, dset, &d);
    if (st == TG_OK) rows_sel(&sel, info.nhwc, info.nchw, r0, r1, 0, shape[3]);
    st = io_transfer(st, f, dset, d, IO_READ, H5T_NATIVE_FLOAT, &sel, tmp ? tmp : rows);
    if (st == TG_OK && tmp && n) nchw_to_rows(tmp, rows, info.nhwc, r0, r1, shape[3]);
    free(tmp);
    return st;
}

tg_status tg_io_load_tensor(tg_io_file *f, const char *dset, tg_tensor *t) {
    int64_t shape[4] = {t->n, t->h, t->w, t->c}, r0 = 0, r1 = 0;
    tg_tensor host = {0};
    tg_tensor *dram = t;
    float *rows = NULL;
    tg_status st = TG_OK;
    if (t->place == TG_PLACE_L1) {
        st = tg_tensor_alloc_dram(&host, "host:interleaved", shape, t->fmt);
        dram = &host;
    }
    if (st == TG_OK) {
        tg_tensor_host_rows(dram, &r0, &r1);
        rows =
            io_fault(IO_STEP_ALLOC) ? NULL : malloc((size_t)((r1 - r0) * t->c + 1) * sizeof *rows);
        if (!rows)
            st = tg_err(TG_ERR_RUNTIME, "out of host memory loading '%s' from '%s' (%lld B)%s",
                        dset, f->path, (long long)((r1 - r0) * t->c * 4), io_fault_note());
    }
    st = read_rows(st, f, dset, shape, r0, r1, rows);
    if (st == TG_OK) st = tg_noc_sync(tg_tensor_write_host_rows(dram, r0, r1, rows));
    free(rows);
    if (st == TG_OK && dram != t) st = tg_tensor_reshard(dram, t);
    tg_tensor_free(&host);
    return st;
}

tg_status tg_io_store_tensor(const tg_tensor *t, tg_io_file *f, const char *dset,
                             const char *producer) {
    int64_t shape[4] = {t->n, t->h, t->w, t->c}, r0 = 0, r1 = 0;
    tg_tensor host = {0};
    const tg_tensor *dram = t;
    float *rows = NULL;
    tg_status st = TG_OK;
    if (t->place == TG_PLACE_L1) {
        st = tg_noc_agree(tg_tensor_alloc_dram(&host, "host:interleaved", shape, t->fmt));
        if (st == TG_OK) st = tg_tensor_reshard(t, &host);
        dram = &host;
    }
    if (st == TG_OK) {
        tg_tensor_host_rows(dram, &r0, &r1);
        rows =
            io_fault(IO_STEP_ALLOC) ? NULL : malloc((size_t)((r1 - r0) * t->c + 1) * sizeof *rows);
        if (!rows)
            st = tg_err(TG_ERR_RUNTIME, "out of host memory storing '%s' to '%s' (%lld B)%s", dset,
                        f->path, (long long)((r1 - r0) * t->c * 4), io_fault_note());
        /* every rank ends the step, so that one rank's failure reaches all */
        st = tg_noc_sync(st == TG_OK ? tg_tensor_read_host_rows(dram, r0, r1, rows) : st);
    }
    tg_tensor_free(&host);
    hid_t d = -1;
    st = io_create_dset(st, f, dset, H5T_IEEE_F32LE, 4, shape, &d);
    if (st == TG_OK && producer) {
        st = io_set_attr(f, d, dset, "layout", "NHWC");
        if (st == TG_OK) st = io_set_attr(f, d, dset, "format", tg_fmt_name(t->fmt));
        if (st == TG_OK) st = io_set_attr(f, d, dset, "producer", producer);
    }
    io_sel sel;
    io_sel_init(&sel, 4);
    if (st == TG_OK) rows_sel(&sel, shape, false, r0, r1, 0, shape[3]);
    st = io_transfer(st, f, dset, d, IO_WRITE, H5T_NATIVE_FLOAT, &sel, rows);
    free(rows);
    return st;
}
