/* HDF5 files: opening for input, temporary output files, attributes, whole-array
 * and hyperslab reads, and the commit/abort of outputs. Sharded tensor transfers
 * are in h5tensor.c.
 *
 * Departure from DESIGN.md section 2 ("io talks to MPI only through parallel
 * HDF5"): making the temporary copy of an existing output and renaming it are file
 * system operations done by rank 0 alone, so the others wait for them in one
 * MPI_Bcast of rank 0's status; no tensor data moves that way. */
#include "io_private.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

tg_status tg_io_ref_parse(const char *s, tg_io_ref *out) {
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || colon[1] != '/' || colon[2] == '\0')
        return tg_err(TG_ERR_USAGE, "bad dataset reference '%s': expected FILE.h5:/dataset", s);
    size_t flen = (size_t)(colon - s);
    if (flen >= sizeof out->file || strlen(colon + 1) >= sizeof out->dset)
        return tg_err(TG_ERR_USAGE, "dataset reference '%s' is too long", s);
    memcpy(out->file, s, flen);
    out->file[flen] = '\0';
    snprintf(out->dset, sizeof out->dset, "%s", colon + 1);
    return TG_OK;
}

static void io_quiet(void) {
    static bool done;
    if (!done) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported by us, in one line */
        done = true;
    }
}

static hid_t io_fapl(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, tg_noc_comm(), MPI_INFO_NULL);
    return fapl;
}

tg_status tg_io_open(const char *path, tg_io_file **out) {
    io_quiet();
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return tg_err(TG_ERR_USAGE, "cannot open '%s': %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) return tg_err(TG_ERR_USAGE, "'%s' is not a file", path);
    if (H5Fis_hdf5(path) <= 0) return tg_err(TG_ERR_USAGE, "'%s' is not an HDF5 file", path);
    hid_t fapl = io_fapl();
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (fid < 0) return tg_err(TG_ERR_RUNTIME, "cannot open '%s' with parallel HDF5", path);
    tg_io_file *f = calloc(1, sizeof *f);
    if (!f) {
        H5Fclose(fid);
        return tg_err(TG_ERR_RUNTIME, "out of host memory opening '%s'", path);
    }
    f->fid = fid;
    snprintf(f->path, sizeof f->path, "%s", path);
    *out = f;
    return TG_OK;
}

void tg_io_close(tg_io_file *f) {
    if (!f) return;
    H5Fclose(f->fid);
    free(f);
}

/* True when every group on the way to `dset` and the dataset's link exist. */
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
    if (!tg_io_exists(f, dset))
        return tg_err(TG_ERR_USAGE, "dataset '%s' not found in '%s'", dset, f->path);
    hid_t d = H5Dopen2(f->fid, dset, H5P_DEFAULT);
    if (d < 0) return tg_err(TG_ERR_USAGE, "'%s' in '%s' is not a dataset", dset, f->path);
    hid_t type = H5Dget_type(d);
    H5T_class_t cls = H5Tget_class(type);
    H5Tclose(type);
    if (cls != H5T_FLOAT) {
        H5Dclose(d);
        return tg_err(TG_ERR_USAGE, "dataset '%s' in '%s' is not floating point", dset, f->path);
    }
    *out = d;
    return TG_OK;
}

/* Reads a string attribute, fixed or variable length; false when absent. */
static bool io_attr_string(hid_t obj, const char *name, char *out, size_t cap) {
    if (H5Aexists(obj, name) <= 0) return false;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    bool ok = false;
    if (H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            char *s = NULL;
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(t)); /* h5py writes UTF-8 */
            if (H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(out, cap, "%s", s);
                H5free_memory(s);
                ok = true;
            }
            H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(t);
            char *s = calloc(n + 1, 1);
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, n + 1);
            H5Tset_cset(mt, H5Tget_cset(t));
            if (s && H5Aread(a, mt, s) >= 0) {
                snprintf(out, cap, "%s", s);
                ok = true;
            }
            free(s);
            H5Tclose(mt);
        }
    }
    H5Tclose(t);
    H5Aclose(a);
    return ok;
}

tg_status tg_io_info_get(tg_io_file *f, const char *dset, tg_io_info *info) {
    memset(info, 0, sizeof *info);
    hid_t d = -1;
    TG_CHECK(io_open_dset(f, dset, &d));
    hid_t space = H5Dget_space(d);
    int nd = H5Sget_simple_extent_ndims(space);
    hsize_t dims[8];
    if (nd < 0 || nd > 8) {
        H5Sclose(space);
        H5Dclose(d);
        return tg_err(TG_ERR_USAGE, "dataset '%s' in '%s' has %d dimensions", dset, f->path, nd);
    }
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    info->ndims = nd;
    for (int i = 0; i < nd; i++) info->dims[i] = (int64_t)dims[i];
    char layout[32] = "";
    if (io_attr_string(d, "layout", layout, sizeof layout)) info->nchw = !strcmp(layout, "NCHW");
    H5Dclose(d);
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

tg_status tg_io_tensor_shape(tg_io_file *f, const char *dset, int64_t nhwc[4]) {
    tg_io_info info;
    TG_CHECK(tg_io_info_get(f, dset, &info));
    if (info.ndims != 4)
        return tg_err(TG_ERR_USAGE,
                      "dataset '%s' in '%s' has %d dimensions; a tensor has 4 (NHWC, or NCHW "
                      "with attribute layout=\"NCHW\")",
                      dset, f->path, info.ndims);
    char what[TG_IO_DSET_MAX + 64];
    snprintf(what, sizeof what, "dataset '%s'", dset);
    TG_CHECK(tg_shape_check(info.nhwc, what));
    memcpy(nhwc, info.nhwc, sizeof info.nhwc);
    return TG_OK;
}

tg_status tg_io_read_slab(tg_io_file *f, const char *dset, int ndims, const int64_t *start,
                          const int64_t *count, float *buf) {
    hid_t d = -1;
    TG_CHECK(io_open_dset(f, dset, &d));
    hid_t fs = H5Dget_space(d);
    hsize_t st[8], ct[8], total = 1;
    for (int i = 0; i < ndims; i++) {
        st[i] = (hsize_t)start[i];
        ct[i] = (hsize_t)count[i];
        total *= ct[i];
    }
    hid_t ms = H5Screate_simple(1, &total, NULL);
    if (total == 0) {
        H5Sselect_none(fs);
        H5Sselect_none(ms);
    } else {
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, NULL, ct, NULL);
    }
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, dxpl, buf);
    H5Pclose(dxpl);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(d);
    if (rc < 0) return tg_err(TG_ERR_RUNTIME, "reading '%s' from '%s' failed", dset, f->path);
    return TG_OK;
}

tg_status tg_io_read_all(tg_io_file *f, const char *dset, float *buf, int64_t count) {
    tg_io_info info;
    TG_CHECK(tg_io_info_get(f, dset, &info));
    int64_t total = 1;
    for (int i = 0; i < info.ndims; i++) total *= info.dims[i];
    if (total != count)
        return tg_err(TG_ERR_USAGE, "dataset '%s' in '%s' has %lld elements, expected %lld", dset,
                      f->path, (long long)total, (long long)count);
    hid_t d = -1;
    TG_CHECK(io_open_dset(f, dset, &d));
    herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(d);
    if (rc < 0) return tg_err(TG_ERR_RUNTIME, "reading '%s' from '%s' failed", dset, f->path);
    return TG_OK;
}

/* ---- outputs ---- */

/* The temporary name of an output: ".NAME.partial" in the same folder, so that the
 * final rename stays on one file system. */
static void io_temp_name(const char *path, char *out, size_t cap) {
    char a[TG_IO_PATH_MAX], b[TG_IO_PATH_MAX];
    snprintf(a, sizeof a, "%s", path);
    snprintf(b, sizeof b, "%s", path);
    snprintf(out, cap, "%s/.%s.partial", dirname(a), basename(b));
}

static tg_status io_copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY);
    if (in < 0) return tg_err(TG_ERR_RUNTIME, "cannot read '%s': %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        close(in);
        return tg_err(TG_ERR_RUNTIME, "cannot create '%s': %s", to, strerror(errno));
    }
    char buf[1 << 16];
    ssize_t n;
    tg_status st = TG_OK;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            st = tg_err(TG_ERR_RUNTIME, "cannot write '%s': %s", to, strerror(errno));
            break;
        }
    }
    if (n < 0) st = tg_err(TG_ERR_RUNTIME, "cannot read '%s': %s", from, strerror(errno));
    close(in);
    if (close(out) != 0 && st == TG_OK)
        st = tg_err(TG_ERR_RUNTIME, "cannot write '%s': %s", to, strerror(errno));
    return st;
}

/* Runs on rank 0 what must happen once; the others learn its status and message. */
static tg_status io_root_status(tg_status st) {
    tg_core *c = tg_core_self();
    struct {
        int code;
        char msg[TG_ERR_MSG_MAX];
    } m;
    memset(&m, 0, sizeof m);
    if (c->rank == 0) {
        m.code = (int)st;
        if (st != TG_OK) snprintf(m.msg, sizeof m.msg, "%s", tg_err_msg());
    }
    MPI_Bcast(&m, (int)sizeof m, MPI_BYTE, 0, tg_noc_comm());
    if (m.code != TG_OK && c->rank != 0) tg_err((tg_status)m.code, "%s", m.msg);
    return (tg_status)m.code;
}

tg_status tg_io_create(const char *path, tg_io_file **out) {
    io_quiet();
    *out = NULL;
    tg_io_file *f = calloc(1, sizeof *f);
    if (!f) return tg_err(TG_ERR_RUNTIME, "out of host memory creating '%s'", path);
    snprintf(f->path, sizeof f->path, "%s", path);
    io_temp_name(path, f->temp, sizeof f->temp);
    f->output = true;
    struct stat sb;
    bool existing = stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && H5Fis_hdf5(path) > 0;

    tg_status st = TG_OK;
    if (tg_core_self()->rank == 0) {
        if (existing)
            st = io_copy_file(path, f->temp);
        else if (unlink(f->temp) != 0 && errno != ENOENT)
            st = tg_err(TG_ERR_RUNTIME, "cannot replace '%s': %s", f->temp, strerror(errno));
    }
    st = io_root_status(st);
    if (st != TG_OK) {
        free(f);
        return tg_err_prefix(st, "output '%s': ", path);
    }
    hid_t fapl = io_fapl();
    f->fid = existing ? H5Fopen(f->temp, H5F_ACC_RDWR, fapl)
                      : H5Fcreate(f->temp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f->fid < 0) {
        free(f);
        return tg_err(TG_ERR_RUNTIME, "cannot create output '%s' (temporary '%s')", path, f->temp);
    }
    *out = f;
    return TG_OK;
}

tg_status tg_io_commit(tg_io_file *f) {
    herr_t rc = H5Fclose(f->fid);
    tg_status st = TG_OK;
    if (tg_core_self()->rank == 0) {
        if (rc < 0)
            st = tg_err(TG_ERR_RUNTIME, "writing '%s' failed", f->temp);
        else if (rename(f->temp, f->path) != 0)
            st = tg_err(TG_ERR_RUNTIME, "cannot rename '%s' to '%s': %s", f->temp, f->path,
                        strerror(errno));
        if (st != TG_OK) unlink(f->temp);
    }
    st = io_root_status(st);
    free(f);
    return st;
}

void tg_io_abort(tg_io_file *f) {
    if (!f) return;
    H5Fclose(f->fid);
    if (tg_core_self()->rank == 0) unlink(f->temp);
    free(f);
}

/* Makes the groups on the way to `path` in an output file. */
static tg_status io_make_parents(tg_io_file *f, const char *path) {
    char buf[TG_IO_DSET_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (H5Lexists(f->fid, buf, H5P_DEFAULT) <= 0) {
            hid_t g = H5Gcreate2(f->fid, buf, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (g < 0)
                return tg_err(TG_ERR_RUNTIME, "cannot create group '%s' in '%s'", buf, f->path);
            H5Gclose(g);
        }
        *p = '/';
    }
    return TG_OK;
}

tg_status io_create_dset(tg_io_file *f, const char *dset, hid_t type, int ndims,
                         const int64_t *dims, hid_t *out) {
    TG_CHECK(io_make_parents(f, dset));
    if (H5Lexists(f->fid, dset, H5P_DEFAULT) > 0) H5Ldelete(f->fid, dset, H5P_DEFAULT);
    hsize_t hd[8];
    for (int i = 0; i < ndims; i++) hd[i] = (hsize_t)dims[i];
    hid_t space = H5Screate_simple(ndims, hd, NULL);
    hid_t d = H5Dcreate2(f->fid, dset, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(space);
    if (d < 0) return tg_err(TG_ERR_RUNTIME, "cannot create dataset '%s' in '%s'", dset, f->path);
    *out = d;
    return TG_OK;
}

tg_status io_set_attr(hid_t obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    hid_t s = H5Screate(H5S_SCALAR);
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a >= 0 ? H5Awrite(a, t, value) : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return rc < 0 ? tg_err(TG_ERR_RUNTIME, "cannot write attribute '%s'", name) : TG_OK;
}

tg_status tg_io_attr(tg_io_file *f, const char *obj, const char *name, const char *value) {
    hid_t o = H5Oopen(f->fid, obj, H5P_DEFAULT);
    if (o < 0) return tg_err(TG_ERR_RUNTIME, "no object '%s' in '%s'", obj, f->path);
    tg_status st = io_set_attr(o, name, value);
    H5Oclose(o);
    return st;
}

static tg_status io_write_root_typed(tg_io_file *f, const char *dset, hid_t ftype, hid_t mtype,
                                     int ndims, const int64_t *dims, const void *buf) {
    hid_t d = -1;
    TG_CHECK(io_create_dset(f, dset, ftype, ndims, dims, &d));
    hid_t fs = H5Dget_space(d);
    hsize_t total = 1;
    for (int i = 0; i < ndims; i++) total *= (hsize_t)dims[i];
    hid_t ms = H5Screate_simple(1, &total, NULL);
    if (tg_core_self()->rank != 0 || total == 0) {
        H5Sselect_none(fs);
        H5Sselect_none(ms);
    }
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    herr_t rc = H5Dwrite(d, mtype, ms, fs, dxpl, buf);
    H5Pclose(dxpl);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(d);
    if (rc < 0) return tg_err(TG_ERR_RUNTIME, "writing '%s' to '%s' failed", dset, f->path);
    return TG_OK;
}

tg_status tg_io_write_root(tg_io_file *f, const char *dset, int ndims, const int64_t *dims,
                           const float *buf) {
    return io_write_root_typed(f, dset, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ndims, dims, buf);
}

tg_status tg_io_write_root_i64(tg_io_file *f, const char *dset, int64_t rows, int64_t cols,
                               const int64_t *buf) {
    int64_t dims[2] = {rows, cols};
    return io_write_root_typed(f, dset, H5T_STD_I64LE, H5T_NATIVE_INT64, 2, dims, buf);
}

tg_status tg_io_write_table(tg_io_file *f, const char *group, const tg_io_table *table) {
    bool root = tg_core_self()->rank == 0;
    int64_t nrows = table->nrows;
    double *col = root ? malloc((size_t)(nrows ? nrows : 1) * sizeof *col) : NULL;
    if (root && !col) return tg_err(TG_ERR_RUNTIME, "out of host memory writing '%s'", group);
    tg_status st = TG_OK;
    char name[TG_IO_DSET_MAX];
    for (int c = 0; c < table->ncols && st == TG_OK; c++) {
        snprintf(name, sizeof name, "%s/%s", group, table->names[c]);
        if (root)
            for (int64_t r = 0; r < nrows; r++) col[r] = table->data[r * table->ncols + c];
        st = io_write_root_typed(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &nrows, col);
    }
    free(col);
    if (st != TG_OK || !table->has_labels) return st;
    /* Row labels (op names) as one fixed-length string dataset; only rank 0 holds
     * them, so it tells the others the string width the dataset type needs. */
    size_t w = 1;
    if (root)
        for (int64_t r = 0; r < nrows; r++)
            if (strlen(table->row_labels[r]) + 1 > w) w = strlen(table->row_labels[r]) + 1;
    MPI_Bcast(&w, (int)sizeof w, MPI_BYTE, 0, tg_noc_comm());
    char *labels = root ? calloc((size_t)(nrows ? nrows : 1), w) : NULL;
    if (root && !labels) return tg_err(TG_ERR_RUNTIME, "out of host memory writing '%s'", group);
    if (root)
        for (int64_t r = 0; r < nrows; r++)
            memcpy(labels + (size_t)r * w, table->row_labels[r], strlen(table->row_labels[r]));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, w);
    snprintf(name, sizeof name, "%s/op", group);
    st = io_write_root_typed(f, name, t, t, 1, &nrows, labels);
    H5Tclose(t);
    free(labels);
    return st;
}

tg_status tg_io_copy_attrs(tg_io_file *from, const char *src, tg_io_file *to, const char *dst) {
    hid_t so = H5Oopen(from->fid, src, H5P_DEFAULT);
    hid_t dobj = H5Oopen(to->fid, dst, H5P_DEFAULT);
    tg_status st = TG_OK;
    if (so < 0 || dobj < 0) {
        st = tg_err(TG_ERR_RUNTIME, "cannot copy the attributes of '%s' to '%s'", src, dst);
        goto done;
    }
    H5O_info_t oi;
    H5Oget_info2(so, &oi, H5O_INFO_NUM_ATTRS);
    for (hsize_t i = 0; i < oi.num_attrs && st == TG_OK; i++) {
        hid_t a =
            H5Aopen_by_idx(so, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT);
        if (a < 0)
            a = H5Aopen_by_idx(so, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT);
        char name[256];
        H5Aget_name(a, sizeof name, name);
        hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
        hid_t mt = H5Tget_native_type(ft, H5T_DIR_DEFAULT);
        hssize_t np = H5Sget_simple_extent_npoints(sp);
        void *buf = calloc((size_t)(np > 0 ? np : 1), H5Tget_size(mt));
        bool vlen = H5Tis_variable_str(mt) > 0 || H5Tdetect_class(mt, H5T_VLEN) > 0;
        if (!buf || H5Aread(a, mt, buf) < 0) {
            st = tg_err(TG_ERR_RUNTIME, "cannot read attribute '%s' of '%s'", name, src);
        } else {
            if (H5Aexists(dobj, name) > 0) H5Adelete(dobj, name);
            hid_t na = H5Acreate2(dobj, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT);
            if (na < 0 || H5Awrite(na, mt, buf) < 0)
                st = tg_err(TG_ERR_RUNTIME, "cannot write attribute '%s' of '%s'", name, dst);
            if (na >= 0) H5Aclose(na);
            if (vlen) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
        }
        free(buf);
        H5Tclose(mt);
        H5Tclose(ft);
        H5Sclose(sp);
        H5Aclose(a);
    }
done:
    if (so >= 0) H5Oclose(so);
    if (dobj >= 0) H5Oclose(dobj);
    return st;
}
