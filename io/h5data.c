/* Datasets and attributes: finding and describing datasets, whole-array and slab
 * reads, arrays held by rank 0, the statistics table, attributes. Every HDF5 call's
 * result is checked, the first failure is recorded naming the file and the object,
 * and each public function returns a status every rank agreed on (io_private.h). */
#include "io_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True when every group on the way to `dset` and the dataset's link exist; an HDF5
 * failure while looking reads as absent (the caller then reports it missing). */
bool tg_io_exists(tg_io_file *f, const char *dset) {
    char buf[TG_IO_DSET_MAX];
    snprintf(buf, sizeof buf, "%s", dset);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        htri_t e = H5Lexists(f->fid, buf, H5P_DEFAULT);
        *p = '/';
        if (e <= 0) return false;
    }
    return H5Lexists(f->fid, buf, H5P_DEFAULT) > 0 &&
           H5Oexists_by_name(f->fid, buf, H5P_DEFAULT) > 0;
}

tg_status io_open_dset(tg_io_file *f, const char *dset, hid_t *out) {
    *out = -1;
    if (!tg_io_exists(f, dset))
        return tg_err(TG_ERR_USAGE, "dataset '%s' not found in '%s'", dset, f->path);
    hid_t d = H5Dopen2(f->fid, dset, H5P_DEFAULT);
    if (d < 0) return tg_err(TG_ERR_USAGE, "'%s' in '%s' is not a dataset", dset, f->path);
    tg_status st = TG_OK;
    hid_t type = H5Dget_type(d);
    H5T_class_t cls = H5T_NO_CLASS;
    if (type < 0) st = io_h5_err(f, dset, "H5Dget_type");
    if (st == TG_OK && (cls = H5Tget_class(type)) == H5T_NO_CLASS)
        st = io_h5_err(f, dset, "H5Tget_class");
    st = io_close(st, type, f, dset);
    if (st == TG_OK && cls != H5T_FLOAT)
        st = tg_err(TG_ERR_USAGE, "dataset '%s' in '%s' is not floating point", dset, f->path);
    if (st != TG_OK) {
        io_close(TG_ERR_RUNTIME, d, f, dset); /* the failure above is the one to report */
        return st;
    }
    *out = d;
    return TG_OK;
}

static tg_status attr_err(const tg_io_file *f, const char *obj, const char *name,
                          const char *what) {
    return tg_err(TG_ERR_RUNTIME, "%s failed on attribute '%s' of '%s' in '%s'", what, name, obj,
                  f->path);
}

/* Reads the string attribute `name` of obj (path objname), fixed or variable
 * length, into out; *found is false when it is absent or not a string. An attribute
 * holding more or fewer than one string is TG_ERR_USAGE (found by fuzzing: an array
 * of strings read as one overran the buffer). */
static tg_status io_attr_string(tg_io_file *f, hid_t obj, const char *objname, const char *name,
                                char *out, size_t cap, bool *found) {
    *found = false;
    htri_t e = H5Aexists(obj, name);
    if (e < 0) return attr_err(f, objname, name, "H5Aexists");
    if (e == 0) return TG_OK;
    tg_status st = TG_OK;
    hid_t a = -1, t = -1, mt = -1;
    H5T_class_t cls = H5T_NO_CLASS;
    if ((a = H5Aopen(obj, name, H5P_DEFAULT)) < 0) st = attr_err(f, objname, name, "H5Aopen");
    if (st == TG_OK && (t = H5Aget_type(a)) < 0) st = attr_err(f, objname, name, "H5Aget_type");
    if (st == TG_OK && (cls = H5Tget_class(t)) == H5T_NO_CLASS)
        st = attr_err(f, objname, name, "H5Tget_class");
    if (st == TG_OK && cls == H5T_STRING) {
        hid_t sp = H5Aget_space(a);
        hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
        if (np < 0) st = attr_err(f, objname, name, "H5Sget_simple_extent_npoints");
        st = io_close(st, sp, f, objname);
        if (st == TG_OK && np != 1)
            st = tg_err(TG_ERR_USAGE,
                        "attribute '%s' of '%s' in '%s' holds %lld strings; expected one", name,
                        objname, f->path, (long long)np);
    }
    if (st == TG_OK && cls == H5T_STRING) {
        htri_t var = H5Tis_variable_str(t);
        H5T_cset_t cset = H5Tget_cset(t); /* h5py writes UTF-8 */
        size_t n = var > 0 ? 0 : H5Tget_size(t);
        if (var < 0) st = attr_err(f, objname, name, "H5Tis_variable_str");
        if (st == TG_OK && cset == H5T_CSET_ERROR) st = attr_err(f, objname, name, "H5Tget_cset");
        if (st == TG_OK && var == 0 && n == 0) st = attr_err(f, objname, name, "H5Tget_size");
        if (st == TG_OK && (mt = H5Tcopy(H5T_C_S1)) < 0) st = attr_err(f, objname, name, "H5Tcopy");
        if (st == TG_OK && H5Tset_size(mt, var > 0 ? H5T_VARIABLE : n + 1) < 0)
            st = attr_err(f, objname, name, "H5Tset_size");
        if (st == TG_OK && H5Tset_cset(mt, cset) < 0)
            st = attr_err(f, objname, name, "H5Tset_cset");
        if (st == TG_OK && var > 0) {
            char *s = NULL;
            if (H5Aread(a, mt, &s) < 0) st = attr_err(f, objname, name, "H5Aread");
            if (st == TG_OK && s) snprintf(out, cap, "%s", s), *found = true;
            if (s && H5free_memory(s) < 0 && st == TG_OK)
                st = attr_err(f, objname, name, "H5free_memory");
        } else if (st == TG_OK) {
            char *s = calloc(n + 1, 1);
            if (!s)
                st = tg_err(TG_ERR_RUNTIME, "out of host memory reading attribute '%s' of '%s'",
                            name, objname);
            if (st == TG_OK && H5Aread(a, mt, s) < 0) st = attr_err(f, objname, name, "H5Aread");
            if (st == TG_OK) snprintf(out, cap, "%s", s), *found = true;
            free(s);
        }
    }
    st = io_close(st, mt, f, objname);
    st = io_close(st, t, f, objname);
    return io_close(st, a, f, objname);
}

tg_status io_info(tg_io_file *f, const char *dset, tg_io_info *info) {
    memset(info, 0, sizeof *info);
    hid_t d = -1, space = -1;
    hsize_t dims[8];
    int nd = 0;
    char layout[32] = "";
    bool found = false;
    tg_status st = io_open_dset(f, dset, &d);
    if (st == TG_OK && (space = H5Dget_space(d)) < 0) st = io_h5_err(f, dset, "H5Dget_space");
    if (st == TG_OK && (nd = H5Sget_simple_extent_ndims(space)) < 0)
        st = io_h5_err(f, dset, "H5Sget_simple_extent_ndims");
    if (st == TG_OK && nd > 8)
        st = tg_err(TG_ERR_USAGE, "dataset '%s' in '%s' has %d dimensions", dset, f->path, nd);
    if (st == TG_OK && H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        st = io_h5_err(f, dset, "H5Sget_simple_extent_dims");
    if (st == TG_OK) st = io_attr_string(f, d, dset, "layout", layout, sizeof layout, &found);
    st = io_close(st, space, f, dset);
    st = io_close(st, d, f, dset);
    if (st != TG_OK) return st;
    info->ndims = nd;
    for (int i = 0; i < nd; i++) info->dims[i] = (int64_t)dims[i];
    info->nchw = found && !strcmp(layout, "NCHW");
    if (nd == 4) {
        if (info->nchw) {
            info->nhwc[0] = info->dims[0], info->nhwc[1] = info->dims[2];
            info->nhwc[2] = info->dims[3], info->nhwc[3] = info->dims[1];
        } else {
            for (int i = 0; i < 4; i++) info->nhwc[i] = info->dims[i];
        }
    }
    return TG_OK;
}

tg_status tg_io_info_get(tg_io_file *f, const char *dset, tg_io_info *info) {
    return tg_noc_agree(io_info(f, dset, info));
}

tg_status tg_io_tensor_shape(tg_io_file *f, const char *dset, int64_t nhwc[4]) {
    tg_io_info info;
    tg_status st = io_info(f, dset, &info);
    if (st == TG_OK && info.ndims != 4)
        st = tg_err(TG_ERR_USAGE,
                    "dataset '%s' in '%s' has %d dimensions; a tensor has 4 (NHWC, or NCHW "
                    "with attribute layout=\"NCHW\")",
                    dset, f->path, info.ndims);
    if (st == TG_OK) {
        char what[TG_IO_DSET_MAX + 64];
        snprintf(what, sizeof what, "dataset '%s'", dset);
        st = tg_shape_check(info.nhwc, what);
    }
    if (st == TG_OK) memcpy(nhwc, info.nhwc, sizeof info.nhwc);
    return tg_noc_agree(st);
}

tg_status tg_io_read_slab(tg_io_file *f, const char *dset, int ndims, const int64_t *start,
                          const int64_t *count, float *buf) {
    tg_status st = TG_OK;
    hid_t d = -1;
    io_sel sel;
    io_sel_init(&sel, ndims);
    if (ndims < 1 || ndims > IO_SEL_DIMS)
        st = tg_err(TG_ERR_RUNTIME, "reading '%s' from '%s': %d dimensions", dset, f->path, ndims);
    if (st == TG_OK) st = io_open_dset(f, dset, &d);
    if (st == TG_OK) io_sel_add(&sel, start, count);
    return io_transfer(st, f, dset, d, IO_READ, H5T_NATIVE_FLOAT, &sel, buf);
}

tg_status tg_io_read_all(tg_io_file *f, const char *dset, float *buf, int64_t count) {
    tg_io_info info;
    hid_t d = -1;
    tg_status st = io_info(f, dset, &info);
    int64_t total = 1;
    bool over = false; /* more elements than an int64_t counts (found by fuzzing) */
    for (int i = 0; st == TG_OK && i < info.ndims; i++)
        over |= __builtin_mul_overflow(total, info.dims[i], &total);
    if (st == TG_OK && over)
        st = tg_err(TG_ERR_USAGE, "dataset '%s' in '%s' has more than 2^63 elements, expected %lld",
                    dset, f->path, (long long)count);
    if (st == TG_OK && total != count)
        st = tg_err(TG_ERR_USAGE, "dataset '%s' in '%s' has %lld elements, expected %lld", dset,
                    f->path, (long long)total, (long long)count);
    if (st == TG_OK) st = io_open_dset(f, dset, &d);
    /* every rank reads the whole array: an independent transfer */
    if (st == TG_OK && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        st = tg_err(TG_ERR_RUNTIME, "reading '%s' from '%s' failed", dset, f->path);
    return tg_noc_agree(io_close(st, d, f, dset));
}

/* ---- outputs ---- */

/* Makes the groups on the way to `path` in an output file. Rank-local. */
static tg_status io_make_parents(tg_io_file *f, const char *path) {
    char buf[TG_IO_DSET_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    tg_status st = TG_OK;
    for (char *p = buf + 1; *p && st == TG_OK; p++) {
        if (*p != '/') continue;
        *p = '\0';
        htri_t e = H5Lexists(f->fid, buf, H5P_DEFAULT);
        if (e < 0) st = io_h5_err(f, buf, "H5Lexists");
        if (e == 0) {
            hid_t g = H5Gcreate2(f->fid, buf, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (g < 0)
                st = tg_err(TG_ERR_RUNTIME, "cannot create group '%s' in '%s'", buf, f->path);
            st = io_close(st, g, f, buf);
        }
        *p = '/';
    }
    return st;
}

tg_status io_create_dset(tg_status st, tg_io_file *f, const char *dset, hid_t type, int ndims,
                         const int64_t *dims, hid_t *out) {
    *out = -1;
    hid_t space = -1;
    hsize_t hd[IO_SEL_DIMS];
    if (st == TG_OK && (ndims < 1 || ndims > IO_SEL_DIMS))
        st = tg_err(TG_ERR_RUNTIME, "cannot create dataset '%s' in '%s' with %d dimensions", dset,
                    f->path, ndims);
    /* Changing the file's metadata (groups, links, the dataset) is done by every rank
     * alike or by none: agreed first, with room reserved for what it will write. */
    st = tg_noc_agree(io_reserve_room(st, f, -1));
    if (st == TG_OK) st = io_make_parents(f, dset);
    if (st == TG_OK) {
        htri_t e = H5Lexists(f->fid, dset, H5P_DEFAULT);
        if (e < 0) st = io_h5_err(f, dset, "H5Lexists");
        if (e > 0 && H5Ldelete(f->fid, dset, H5P_DEFAULT) < 0) st = io_h5_err(f, dset, "H5Ldelete");
    }
    for (int i = 0; st == TG_OK && i < ndims; i++) hd[i] = (hsize_t)dims[i];
    if (st == TG_OK && (space = H5Screate_simple(ndims, hd, NULL)) < 0)
        st = io_h5_err(f, dset, "H5Screate_simple");
    /* Creating a dataset may allocate and fill it collectively. */
    st = tg_noc_agree(st);
    if (st == TG_OK &&
        (*out = H5Dcreate2(f->fid, dset, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        st = tg_err(TG_ERR_RUNTIME, "cannot create dataset '%s' in '%s'", dset, f->path);
    /* attributes and data follow on every rank alike, or on none */
    st = tg_noc_agree(io_reserve_room(st, f, *out));
    return io_close(st, space, f, dset);
}

tg_status io_set_attr(tg_io_file *f, hid_t obj, const char *objname, const char *name,
                      const char *value) {
    tg_status st = TG_OK;
    hid_t t = -1, s = -1, a = -1;
    if ((t = H5Tcopy(H5T_C_S1)) < 0) st = attr_err(f, objname, name, "H5Tcopy");
    if (st == TG_OK && H5Tset_size(t, strlen(value) + 1) < 0)
        st = attr_err(f, objname, name, "H5Tset_size");
    if (st == TG_OK && H5Tset_strpad(t, H5T_STR_NULLTERM) < 0)
        st = attr_err(f, objname, name, "H5Tset_strpad");
    if (st == TG_OK && (s = H5Screate(H5S_SCALAR)) < 0)
        st = attr_err(f, objname, name, "H5Screate");
    if (st == TG_OK) {
        htri_t e = H5Aexists(obj, name);
        if (e < 0) st = attr_err(f, objname, name, "H5Aexists");
        if (e > 0 && H5Adelete(obj, name) < 0) st = attr_err(f, objname, name, "H5Adelete");
    }
    if (st == TG_OK && (a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        st = attr_err(f, objname, name, "H5Acreate2");
    if (st == TG_OK && H5Awrite(a, t, value) < 0) st = attr_err(f, objname, name, "H5Awrite");
    st = io_close(st, a, f, objname);
    st = io_close(st, s, f, objname);
    return io_close(st, t, f, objname);
}

tg_status tg_io_attr(tg_io_file *f, const char *obj, const char *name, const char *value) {
    tg_status st = TG_OK;
    hid_t o = H5Oopen(f->fid, obj, H5P_DEFAULT);
    if (o < 0) st = tg_err(TG_ERR_RUNTIME, "no object '%s' in '%s'", obj, f->path);
    if (st == TG_OK) st = io_set_attr(f, o, obj, name, value);
    return tg_noc_agree(io_close(st, o, f, obj));
}

/* Writes an array of `ndims` dims held whole by rank 0 as a new dataset of file
 * type ftype (memory type mtype). Every rank calls it, even after a local failure in
 * st; returns the agreed status. */
static tg_status io_write_root(tg_status st, tg_io_file *f, const char *dset, hid_t ftype,
                               hid_t mtype, int ndims, const int64_t *dims, const void *buf) {
    hid_t d = -1;
    io_sel sel;
    st = io_create_dset(st, f, dset, ftype, ndims, dims, &d);
    io_sel_init(&sel, ndims);
    if (st == TG_OK && tg_core_self()->rank == 0) {
        const int64_t zero[IO_SEL_DIMS] = {0};
        io_sel_add(&sel, zero, dims);
    }
    return io_transfer(st, f, dset, d, IO_WRITE, mtype, &sel, (void *)buf);
}

tg_status tg_io_write_root(tg_io_file *f, const char *dset, int ndims, const int64_t *dims,
                           const float *buf) {
    return io_write_root(TG_OK, f, dset, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ndims, dims, buf);
}

tg_status tg_io_write_root_i64(tg_io_file *f, const char *dset, int64_t rows, int64_t cols,
                               const int64_t *buf) {
    int64_t dims[2] = {rows, cols};
    return io_write_root(TG_OK, f, dset, H5T_STD_I64LE, H5T_NATIVE_INT64, 2, dims, buf);
}

tg_status tg_io_write_table(tg_io_file *f, const char *group, const tg_io_table *table) {
    bool root = tg_core_self()->rank == 0;
    int64_t nrows = table->nrows;
    double *col = root ? malloc((size_t)(nrows ? nrows : 1) * sizeof *col) : NULL;
    tg_status st = tg_noc_agree(
        root && !col ? tg_err(TG_ERR_RUNTIME, "out of host memory writing '%s'", group) : TG_OK);
    char name[TG_IO_DSET_MAX];
    for (int c = 0; c < table->ncols && st == TG_OK; c++) {
        snprintf(name, sizeof name, "%s/%s", group, table->names[c]);
        if (root)
            for (int64_t r = 0; r < nrows; r++) col[r] = table->data[r * table->ncols + c];
        st = io_write_root(st, f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &nrows, col);
    }
    free(col);
    if (st != TG_OK || !table->has_labels) return st;
    /* Row labels (op names) as one fixed-length string dataset; only rank 0 holds
     * them, so it tells the others the string width the dataset type needs. */
    size_t w = 1;
    if (root)
        for (int64_t r = 0; r < nrows; r++)
            if (strlen(table->row_labels[r]) + 1 > w) w = strlen(table->row_labels[r]) + 1;
    io_root_bcast(&w, sizeof w);
    char *labels = root ? calloc((size_t)(nrows ? nrows : 1), w) : NULL;
    if (root && !labels) st = tg_err(TG_ERR_RUNTIME, "out of host memory writing '%s'", group);
    for (int64_t r = 0; st == TG_OK && root && r < nrows; r++)
        memcpy(labels + (size_t)r * w, table->row_labels[r], strlen(table->row_labels[r]));
    snprintf(name, sizeof name, "%s/op", group);
    hid_t t = -1;
    if (st == TG_OK && (t = H5Tcopy(H5T_C_S1)) < 0) st = io_h5_err(f, name, "H5Tcopy");
    if (st == TG_OK && H5Tset_size(t, w) < 0) st = io_h5_err(f, name, "H5Tset_size");
    st = io_write_root(st, f, name, t, t, 1, &nrows, labels);
    free(labels);
    return tg_noc_agree(io_close(st, t, f, name));
}

/* Copies attribute number i of object so (path src) to dobj (path dst). */
static tg_status copy_attr(tg_io_file *from, hid_t so, const char *src, tg_io_file *to, hid_t dobj,
                           const char *dst, hsize_t i) {
    tg_status st = TG_OK;
    hid_t a = -1, ft = -1, sp = -1, mt = -1, na = -1;
    char name[256] = "?";
    void *buf = NULL;
    bool vlen = false, read = false;
    /* by creation order when the file tracks it, else by name */
    a = H5Aopen_by_idx(so, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) a = H5Aopen_by_idx(so, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) st = io_h5_err(from, src, "H5Aopen_by_idx");
    if (st == TG_OK) {
        ssize_t len = H5Aget_name(a, sizeof name, name);
        if (len < 0 || (size_t)len >= sizeof name) st = io_h5_err(from, src, "H5Aget_name");
    }
    if (st == TG_OK && (ft = H5Aget_type(a)) < 0) st = attr_err(from, src, name, "H5Aget_type");
    if (st == TG_OK && (sp = H5Aget_space(a)) < 0) st = attr_err(from, src, name, "H5Aget_space");
    if (st == TG_OK && (mt = H5Tget_native_type(ft, H5T_DIR_DEFAULT)) < 0)
        st = attr_err(from, src, name, "H5Tget_native_type");
    hssize_t np = 0;
    size_t size = 0;
    if (st == TG_OK && (np = H5Sget_simple_extent_npoints(sp)) < 0)
        st = attr_err(from, src, name, "H5Sget_simple_extent_npoints");
    if (st == TG_OK && (size = H5Tget_size(mt)) == 0) st = attr_err(from, src, name, "H5Tget_size");
    if (st == TG_OK) {
        htri_t vs = H5Tis_variable_str(mt), vl = H5Tdetect_class(mt, H5T_VLEN);
        if (vs < 0) st = attr_err(from, src, name, "H5Tis_variable_str");
        if (vl < 0 && st == TG_OK) st = attr_err(from, src, name, "H5Tdetect_class");
        vlen = vs > 0 || vl > 0;
    }
    if (st == TG_OK && !(buf = calloc((size_t)(np > 0 ? np : 1), size)))
        st = tg_err(TG_ERR_RUNTIME, "out of host memory reading attribute '%s' of '%s'", name, src);
    if (st == TG_OK && H5Aread(a, mt, buf) < 0)
        st = tg_err(TG_ERR_RUNTIME, "cannot read attribute '%s' of '%s'", name, src);
    read = st == TG_OK;
    if (st == TG_OK) {
        htri_t e = H5Aexists(dobj, name);
        if (e < 0) st = attr_err(to, dst, name, "H5Aexists");
        if (e > 0 && H5Adelete(dobj, name) < 0) st = attr_err(to, dst, name, "H5Adelete");
    }
    if (st == TG_OK && ((na = H5Acreate2(dobj, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
                        H5Awrite(na, mt, buf) < 0))
        st = tg_err(TG_ERR_RUNTIME, "cannot write attribute '%s' of '%s'", name, dst);
    if (read && vlen && H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf) < 0 && st == TG_OK)
        st = attr_err(from, src, name, "H5Dvlen_reclaim");
    free(buf);
    st = io_close(st, na, to, dst);
    st = io_close(st, mt, from, src);
    st = io_close(st, ft, from, src);
    st = io_close(st, sp, from, src);
    return io_close(st, a, from, src);
}

tg_status tg_io_copy_attrs(tg_io_file *from, const char *src, tg_io_file *to, const char *dst) {
    hid_t so = H5Oopen(from->fid, src, H5P_DEFAULT);
    hid_t dobj = H5Oopen(to->fid, dst, H5P_DEFAULT);
    tg_status st = TG_OK;
    if (so < 0 || dobj < 0)
        st = tg_err(TG_ERR_RUNTIME, "cannot copy the attributes of '%s' to '%s'", src, dst);
    H5O_info_t oi;
    if (st == TG_OK && H5Oget_info2(so, &oi, H5O_INFO_NUM_ATTRS) < 0)
        st = io_h5_err(from, src, "H5Oget_info2");
    for (hsize_t i = 0; st == TG_OK && i < oi.num_attrs; i++)
        st = copy_attr(from, so, src, to, dobj, dst, i);
    st = io_close(st, so, from, src);
    return tg_noc_agree(io_close(st, dobj, to, dst));
}
