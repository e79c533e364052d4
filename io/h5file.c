/* HDF5 files: opening inputs, the temporary output file and its commit or abort,
 * and the recording of HDF5 failures. Datasets and attributes are in h5data.c, the
 * collective transfer in h5transfer.c, tensors in h5tensor.c.
 *
 * Departure from DESIGN.md section 2 ("io talks to MPI only through parallel
 * HDF5"): making the temporary copy of an existing output and renaming it are file
 * system operations done by rank 0 alone, so the others learn what it found and its
 * status by MPI_Bcast (io_root_bcast, also used for the width of the /stats op
 * names); no tensor data moves that way. Every use of MPI in io goes through
 * io_comm(). */
#include "io_private.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The communicator of the grid, for parallel HDF5 and rank 0's broadcasts. */
static MPI_Comm io_comm(void) {
    return tg_noc_comm();
}

void io_root_bcast(void *buf, size_t bytes) {
    MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, io_comm());
}

tg_status io_h5_err(const tg_io_file *f, const char *obj, const char *what) {
    if (!obj) return tg_err(TG_ERR_RUNTIME, "%s failed on '%s'", what, f->path);
    return tg_err(TG_ERR_RUNTIME, "%s failed on '%s' in '%s'", what, obj, f->path);
}

tg_status io_close(tg_status st, hid_t h, const tg_io_file *f, const char *obj) {
    if (h < 0) return st;
    herr_t rc;
    const char *what;
    switch (H5Iget_type(h)) {
    case H5I_DATASET:
        rc = H5Dclose(h), what = "H5Dclose";
        break;
    case H5I_GROUP:
        rc = H5Gclose(h), what = "H5Gclose";
        break;
    case H5I_DATASPACE:
        rc = H5Sclose(h), what = "H5Sclose";
        break;
    case H5I_DATATYPE:
        rc = H5Tclose(h), what = "H5Tclose";
        break;
    case H5I_ATTR:
        rc = H5Aclose(h), what = "H5Aclose";
        break;
    case H5I_GENPROP_LST:
        rc = H5Pclose(h), what = "H5Pclose";
        break;
    default:
        rc = -1, what = "H5Iget_type";
        break;
    }
    return rc < 0 && st == TG_OK ? io_h5_err(f, obj, what) : st;
}

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

/* Errors are reported by us, in one line, not by HDF5's stack printer (should
 * turning it off fail, the next call tries again; HDF5 then prints more, no harm). */
static void io_quiet(void) {
    static bool done;
    if (!done) done = H5Eset_auto2(H5E_DEFAULT, NULL, NULL) >= 0;
}

/* A new tg_io_file for path, or NULL (out of host memory, recorded). */
static tg_io_file *io_file_new(const char *path, bool output) {
    tg_io_file *f = calloc(1, sizeof *f);
    if (!f) {
        tg_err(TG_ERR_RUNTIME, "out of host memory %s '%s'", output ? "creating" : "opening", path);
        return NULL;
    }
    f->fid = -1;
    f->output = output;
    snprintf(f->path, sizeof f->path, "%s", path);
    return f;
}

/* File access through MPI-IO on the grid's communicator, in two steps: the
 * property list is created rank-locally (io_fapl_new), then given the communicator
 * (io_fapl_mpio), which is collective because HDF5 duplicates the communicator, so
 * every rank reaches it after an agreement and only then. *fapl is closed by the
 * caller (io_close) on every path. */
static tg_status io_fapl_new(const tg_io_file *f, hid_t *fapl) {
    if ((*fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0) return io_h5_err(f, NULL, "H5Pcreate");
    return TG_OK;
}

static tg_status io_fapl_mpio(const tg_io_file *f, hid_t fapl) {
    if (H5Pset_fapl_mpio(fapl, io_comm(), MPI_INFO_NULL) < 0)
        return io_h5_err(f, NULL, "H5Pset_fapl_mpio");
    return TG_OK;
}

tg_status tg_io_open(const char *path, tg_io_file **out) {
    io_quiet();
    *out = NULL;
    tg_io_file *f = io_file_new(path, false);
    tg_status st = f ? TG_OK : TG_ERR_RUNTIME;
    struct stat sb;
    hid_t fapl = -1;
    if (st == TG_OK && stat(path, &sb) != 0)
        st = tg_err(TG_ERR_USAGE, "cannot open '%s': %s", path, strerror(errno));
    if (st == TG_OK && !S_ISREG(sb.st_mode)) st = tg_err(TG_ERR_USAGE, "'%s' is not a file", path);
    if (st == TG_OK && H5Fis_hdf5(path) <= 0)
        st = tg_err(TG_ERR_USAGE, "'%s' is not an HDF5 file", path);
    if (st == TG_OK) st = io_fapl_new(f, &fapl);
    /* Each rank looked at the path alone: agree before anything collective. */
    st = tg_noc_agree(st);
    if (st == TG_OK) st = tg_noc_agree(io_fapl_mpio(f, fapl));
    if (st == TG_OK && (f->fid = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0)
        st = tg_err(TG_ERR_RUNTIME, "cannot open '%s' with parallel HDF5", path);
    st = tg_noc_agree(io_close(st, fapl, f, NULL));
    if (st != TG_OK) {
        tg_io_close(f);
        return st;
    }
    *out = f;
    return TG_OK;
}

void tg_io_close(tg_io_file *f) {
    if (!f) return;
    /* An input is open read-only: closing it cannot lose data, and this runs on the
     * commands' cleanup paths, whose status is already decided; a failure here is
     * not reported (it would replace the message of the failure being reported). */
    if (f->fid >= 0) (void)H5Fclose(f->fid);
    free(f);
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

/* After a step done by rank 0 alone: every rank returns its status and message,
 * and *flag (when not NULL) takes rank 0's value. Collective. */
static tg_status io_root_status(tg_status st, bool *flag) {
    bool root = tg_core_self()->rank == 0;
    struct {
        int code, flag;
        char msg[TG_ERR_MSG_MAX];
    } m;
    memset(&m, 0, sizeof m);
    if (root) {
        m.code = (int)st;
        m.flag = flag && *flag;
        if (st != TG_OK) snprintf(m.msg, sizeof m.msg, "%s", tg_err_msg());
    }
    io_root_bcast(&m, sizeof m);
    if (flag) *flag = m.flag;
    if (m.code != TG_OK && !root) tg_err((tg_status)m.code, "%s", m.msg);
    return (tg_status)m.code;
}

tg_status tg_io_create(const char *path, tg_io_file **out) {
    io_quiet();
    *out = NULL;
    tg_io_file *f = io_file_new(path, true);
    hid_t fapl = -1;
    tg_status st = f ? io_fapl_new(f, &fapl) : TG_ERR_RUNTIME;
    st = tg_noc_agree(st);
    if (st != TG_OK) {
        if (f) io_close(st, fapl, f, NULL);
        free(f);
        return st;
    }
    io_temp_name(path, f->temp, sizeof f->temp);
    /* Rank 0 alone looks at the final name and makes the temporary file (a copy of
     * an existing HDF5 file, so its other datasets survive); the others learn what
     * it found, so that every rank opens or creates alike. */
    bool existing = false;
    if (tg_core_self()->rank == 0) {
        struct stat sb;
        existing = stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && H5Fis_hdf5(path) > 0;
        if (existing)
            st = io_copy_file(path, f->temp);
        else if (unlink(f->temp) != 0 && errno != ENOENT)
            st = tg_err(TG_ERR_RUNTIME, "cannot replace '%s': %s", f->temp, strerror(errno));
    }
    st = io_root_status(st, &existing);
    if (st != TG_OK) {
        io_close(st, fapl, f, NULL);
        free(f);
        return tg_err_prefix(st, "output '%s': ", path);
    }
    st = tg_noc_agree(io_fapl_mpio(f, fapl));
    if (st == TG_OK) {
        f->fid = existing ? H5Fopen(f->temp, H5F_ACC_RDWR, fapl)
                          : H5Fcreate(f->temp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        if (f->fid < 0)
            st =
                tg_err(TG_ERR_RUNTIME, "cannot create output '%s' (temporary '%s')", path, f->temp);
    }
    st = tg_noc_agree(io_close(st, fapl, f, NULL));
    if (st != TG_OK) {
        tg_io_abort(f);
        return st;
    }
    *out = f;
    return TG_OK;
}

tg_status tg_io_commit(tg_io_file *f) {
    tg_status st = TG_OK;
    if (H5Fclose(f->fid) < 0) st = tg_err(TG_ERR_RUNTIME, "writing '%s' failed", f->temp);
    st = tg_noc_agree(st);
    if (tg_core_self()->rank == 0) {
        if (st == TG_OK && rename(f->temp, f->path) != 0)
            st = tg_err(TG_ERR_RUNTIME, "cannot rename '%s' to '%s': %s", f->temp, f->path,
                        strerror(errno));
        if (st != TG_OK) unlink(f->temp);
    }
    st = io_root_status(st, NULL);
    free(f);
    return st;
}

void tg_io_abort(tg_io_file *f) {
    if (!f) return;
    /* The temporary file is removed: what a failed close left in it does not matter. */
    if (f->fid >= 0) (void)H5Fclose(f->fid);
    if (tg_core_self()->rank == 0) unlink(f->temp);
    free(f);
}
