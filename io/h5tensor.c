/* Sharded tensor transfers: each rank reads or writes exactly its own shard.
 *
 * A shard is rows [r0, r1) and channels [c0, c1) of the matrix [N*H*W, C]. A row
 * range of the flattened N*H*W index is not one box of the 4-D dataset, but it is at
 * most five: the tail of a first image row, the rest of a first image, whole images,
 * the head of a last image, the head of a last image row. Their union, ORed into one
 * selection, is iterated by HDF5 in row-major file order, which for NHWC is exactly
 * the shard's row order. For NCHW files the order is image, channel, position, so
 * the shard is transposed after reading. Outputs are always NHWC. */
#include "io_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* Selects rows [r0, r1) x channels [c0, c1) of an [N, H, W, C] tensor in the file
 * space (dims as stored: NHWC, or NCHW when nchw). */
static void select_rows(hid_t space, const int64_t nhwc[4], bool nchw, int64_t r0, int64_t r1,
                        int64_t c0, int64_t c1) {
    int64_t H = nhwc[1], W = nhwc[2], HW = H * W;
    H5Sselect_none(space);
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
        hsize_t start[4], count[4];
        if (nchw) {
            hsize_t s[4] = {(hsize_t)n, (hsize_t)c0, (hsize_t)h, (hsize_t)w};
            hsize_t k[4] = {(hsize_t)box_n, (hsize_t)(c1 - c0), (hsize_t)box_h, (hsize_t)box_w};
            memcpy(start, s, sizeof s);
            memcpy(count, k, sizeof k);
        } else {
            hsize_t s[4] = {(hsize_t)n, (hsize_t)h, (hsize_t)w, (hsize_t)c0};
            hsize_t k[4] = {(hsize_t)box_n, (hsize_t)box_h, (hsize_t)box_w, (hsize_t)(c1 - c0)};
            memcpy(start, s, sizeof s);
            memcpy(count, k, sizeof k);
        }
        H5Sselect_hyperslab(space, H5S_SELECT_OR, start, NULL, count, NULL);
        r += box_n * box_h * box_w;
    }
}

/* Reorders an NCHW shard from file order (image, channel, position) to shard order
 * (row, channel). */
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

/* Shard geometry of this core for tensor t. */
typedef struct shard_io {
    tg_shard_range r;
    int64_t nr, nc;
    bool empty;
} shard_io;

static shard_io shard_of(const tg_tensor *t) {
    shard_io s;
    s.r = tg_tensor_my_range(t);
    s.empty = tg_shard_range_empty(s.r);
    s.nr = s.empty ? 0 : s.r.r1 - s.r.r0;
    s.nc = s.empty ? 0 : s.r.c1 - s.r.c0;
    return s;
}

/* Sets up the file and memory selections of this core's shard. */
static void shard_spaces(hid_t fs, const tg_tensor *t, bool nchw, const shard_io *s, hid_t *ms) {
    int64_t nhwc[4] = {t->n, t->h, t->w, t->c};
    hsize_t total = (hsize_t)(s->nr * s->nc);
    hsize_t one = 1;
    *ms = H5Screate_simple(1, total ? &total : &one, NULL);
    if (s->empty) {
        H5Sselect_none(fs);
        H5Sselect_none(*ms);
    } else {
        select_rows(fs, nhwc, nchw, s->r.r0, s->r.r1, s->r.c0, s->r.c1);
    }
}

tg_status tg_io_read_tensor(tg_io_file *f, const char *dset, tg_tensor *t) {
    tg_io_info info;
    TG_CHECK(tg_io_info_get(f, dset, &info));
    int64_t want[4] = {t->n, t->h, t->w, t->c};
    if (info.ndims != 4 || memcmp(info.nhwc, want, sizeof want) != 0)
        return tg_err(TG_ERR_USAGE,
                      "dataset '%s' in '%s': expected NHWC [%lld, %lld, %lld, %lld], found %s "
                      "[%lld, %lld, %lld, %lld]",
                      dset, f->path, (long long)t->n, (long long)t->h, (long long)t->w,
                      (long long)t->c, info.nchw ? "NCHW-as-NHWC" : "", (long long)info.nhwc[0],
                      (long long)info.nhwc[1], (long long)info.nhwc[2], (long long)info.nhwc[3]);
    shard_io s = shard_of(t);
    size_t n = (size_t)(s.nr * s.nc);
    float *buf = malloc((n ? n : 1) * sizeof *buf);
    float *tmp = info.nchw ? malloc((n ? n : 1) * sizeof *tmp) : NULL;
    float *row = malloc((size_t)t->spec.shard_w * sizeof *row);
    if (!buf || (info.nchw && !tmp) || !row) {
        free(buf), free(tmp), free(row);
        return tg_err(TG_ERR_RUNTIME, "out of host memory reading '%s' (%zu values)", dset, n);
    }
    hid_t d = -1;
    tg_status st = io_open_dset(f, dset, &d);
    if (st != TG_OK) {
        free(buf), free(tmp), free(row);
        return st;
    }
    hid_t fs = H5Dget_space(d), ms;
    shard_spaces(fs, t, info.nchw, &s, &ms);
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, dxpl, info.nchw ? tmp : buf);
    H5Pclose(dxpl);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(d);
    if (rc < 0) st = tg_err(TG_ERR_RUNTIME, "reading '%s' from '%s' failed", dset, f->path);
    if (st == TG_OK && !s.empty) {
        if (info.nchw) {
            int64_t nhwc[4] = {t->n, t->h, t->w, t->c};
            nchw_to_rows(tmp, buf, nhwc, s.r.r0, s.r.r1, s.nc);
        }
        /* Pack row by row into the L1 shard; columns past the shard's part stay 0. */
        for (int64_t i = 0; i < s.nr; i++) {
            memset(row, 0, (size_t)t->spec.shard_w * sizeof *row);
            memcpy(row, buf + i * s.nc, (size_t)s.nc * sizeof *row);
            tg_fmt_pack(t->fmt, row, t->spec.shard_w, tg_tensor_row(t, i));
        }
    }
    free(buf), free(tmp), free(row);
    return st;
}

tg_status tg_io_write_tensor(tg_io_file *f, const char *dset, const tg_tensor *t,
                             const char *producer) {
    int64_t dims[4] = {t->n, t->h, t->w, t->c};
    shard_io s = shard_of(t);
    size_t n = (size_t)(s.nr * s.nc);
    float *buf = malloc((n ? n : 1) * sizeof *buf);
    float *row = malloc((size_t)t->spec.shard_w * sizeof *row);
    if (!buf || !row) {
        free(buf), free(row);
        return tg_err(TG_ERR_RUNTIME, "out of host memory writing '%s' (%zu values)", dset, n);
    }
    for (int64_t i = 0; i < s.nr; i++) {
        tg_fmt_unpack(t->fmt, tg_tensor_row(t, i), t->spec.shard_w, row);
        memcpy(buf + i * s.nc, row, (size_t)s.nc * sizeof *row);
    }
    free(row);
    hid_t d = -1;
    tg_status st = tg_io_create_tensor(f, dset, dims, t->fmt, producer);
    if (st == TG_OK) st = io_open_dset(f, dset, &d);
    if (st != TG_OK) {
        free(buf);
        return st;
    }
    hid_t fs = H5Dget_space(d), ms;
    shard_spaces(fs, t, false, &s, &ms);
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    herr_t rc = H5Dwrite(d, H5T_NATIVE_FLOAT, ms, fs, dxpl, buf);
    H5Pclose(dxpl), H5Sclose(ms), H5Sclose(fs), H5Dclose(d);
    free(buf);
    if (rc < 0) return tg_err(TG_ERR_RUNTIME, "writing '%s' to '%s' failed", dset, f->path);
    return TG_OK;
}

/* Reads rows [r0, r1) x all channels of the tensor dataset into buf [(r1 - r0), C]. */
tg_status tg_io_read_rows(tg_io_file *f, const char *dset, int64_t r0, int64_t r1, float *buf) {
    tg_io_info info;
    TG_CHECK(tg_io_info_get(f, dset, &info));
    if (info.ndims != 4)
        return tg_err(TG_ERR_USAGE, "dataset '%s' in '%s' has %d dimensions, expected 4", dset,
                      f->path, info.ndims);
    int64_t C = info.nhwc[3], n = r1 > r0 ? (r1 - r0) * C : 0;
    float *tmp = info.nchw ? malloc((size_t)(n ? n : 1) * sizeof *tmp) : NULL;
    if (info.nchw && !tmp) return tg_err(TG_ERR_RUNTIME, "out of host memory reading '%s'", dset);
    hid_t d = -1;
    tg_status st = io_open_dset(f, dset, &d);
    if (st != TG_OK) {
        free(tmp);
        return st;
    }
    hid_t fs = H5Dget_space(d);
    hsize_t total = (hsize_t)n, one = 1;
    hid_t ms = H5Screate_simple(1, total ? &total : &one, NULL);
    if (n == 0) {
        H5Sselect_none(fs);
        H5Sselect_none(ms);
    } else {
        select_rows(fs, info.nhwc, info.nchw, r0, r1, 0, C);
    }
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, dxpl, info.nchw ? tmp : buf);
    H5Pclose(dxpl), H5Sclose(ms), H5Sclose(fs), H5Dclose(d);
    if (rc < 0) st = tg_err(TG_ERR_RUNTIME, "reading '%s' from '%s' failed", dset, f->path);
    if (st == TG_OK && info.nchw && n) nchw_to_rows(tmp, buf, info.nhwc, r0, r1, C);
    free(tmp);
    return st;
}

tg_status tg_io_create_tensor(tg_io_file *f, const char *dset, const int64_t nhwc[4], tg_fmt fmt,
                              const char *producer) {
    hid_t d = -1;
    TG_CHECK(io_create_dset(f, dset, H5T_IEEE_F32LE, 4, nhwc, &d));
    tg_status st = TG_OK;
    if (producer) {
        st = io_set_attr(d, "layout", "NHWC");
        if (st == TG_OK) st = io_set_attr(d, "format", tg_fmt_name(fmt));
        if (st == TG_OK) st = io_set_attr(d, "producer", producer);
    }
    H5Dclose(d);
    return st;
}

tg_status tg_io_write_rows(tg_io_file *f, const char *dset, int64_t r0, int64_t r1,
                           const float *buf) {
    hid_t d = -1;
    TG_CHECK(io_open_dset(f, dset, &d));
    hid_t fs = H5Dget_space(d);
    hsize_t dims[4];
    H5Sget_simple_extent_dims(fs, dims, NULL);
    int64_t nhwc[4] = {(int64_t)dims[0], (int64_t)dims[1], (int64_t)dims[2], (int64_t)dims[3]};
    int64_t n = r1 > r0 ? (r1 - r0) * nhwc[3] : 0;
    hsize_t total = (hsize_t)n, one = 1;
    hid_t ms = H5Screate_simple(1, total ? &total : &one, NULL);
    if (n == 0) {
        H5Sselect_none(fs);
        H5Sselect_none(ms);
    } else {
        select_rows(fs, nhwc, false, r0, r1, 0, nhwc[3]);
    }
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    herr_t rc = H5Dwrite(d, H5T_NATIVE_FLOAT, ms, fs, dxpl, buf);
    H5Pclose(dxpl), H5Sclose(ms), H5Sclose(fs), H5Dclose(d);
    if (rc < 0) return tg_err(TG_ERR_RUNTIME, "writing '%s' to '%s' failed", dset, f->path);
    return TG_OK;
}
