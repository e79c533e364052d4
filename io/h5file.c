/* HDF5 files: opening inputs, the file access property list, and the recording of
 * HDF5 failures. Outputs (temporary names, commit, abort) are in h5output.c,
 * datasets and attributes in h5data.c, the collective transfer in h5transfer.c,
 * tensors in h5tensor.c.
 *
 * Departure from DESIGN.md section 2 ("io talks to MPI only through parallel
 * HDF5"): an output's temporary file, the copy of an existing output and the final
 * rename are file system operations done by rank 0 alone, so the others learn what
 * it found and its status by MPI_Bcast (io_root_bcast, also used for the width of
 * the /stats op names); no tensor data moves that way. Every use of MPI in io goes
 * through io_comm(). */
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
void io_quiet(void) {
    static bool done;
    if (!done) done = H5Eset_auto2(H5E_DEFAULT, NULL, NULL) >= 0;
}

tg_io_file *io_file_new(const char *path, bool output) {
    tg_io_file *f = calloc(1, sizeof *f);
    if (!f) {
        tg_err(TG_ERR_RUNTIME, "out of host memory %s '%s'", output ? "creating" : "opening", path);
        return NULL;
    }
    f->fid = -1;
    f->lock_fd = -1;
    f->output = output;
    snprintf(f->path, sizeof f->path, "%s", path);
    return f;
}

/* *fapl is closed by the caller (io_close) on every path. */
tg_status io_fapl_new(const tg_io_file *f, hid_t *fapl) {
    if ((*fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0) return io_h5_err(f, NULL, "H5Pcreate");
    return TG_OK;
}

tg_status io_fapl_mpio(const tg_io_file *f, hid_t fapl) {
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
    int fd = -1, e;
    /* Each rank looks at the path alone (on a cluster, an input under a node-local
     * folder is seen by some ranks only), so the ranks agree before anything
     * collective; the message names the first rank that failed. */
    int rank = tg_core_self()->rank;
    if (st == TG_OK && ((e = io_fault(IO_STEP_STAT)) || stat(path, &sb) != 0))
        st =
            tg_err(TG_ERR_USAGE, "cannot open '%s' on rank %d: %s", path, rank, io_strerror(errno));
    if (st == TG_OK && S_ISDIR(sb.st_mode)) st = tg_err(TG_ERR_USAGE, "'%s' is a folder", path);
    if (st == TG_OK && !S_ISREG(sb.st_mode)) st = tg_err(TG_ERR_USAGE, "'%s' is not a file", path);
    if (st == TG_OK && ((e = io_fault(IO_STEP_OPEN)) || (fd = open(path, O_RDONLY)) < 0))
        st =
            tg_err(TG_ERR_USAGE, "cannot read '%s' on rank %d: %s", path, rank, io_strerror(errno));
    if (fd >= 0) close(fd);
    if (st == TG_OK && H5Fis_hdf5(path) <= 0)
        st = tg_err(TG_ERR_USAGE, "'%s' is not an HDF5 file", path);
    if (st == TG_OK) st = io_fapl_new(f, &fapl);
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

tg_status io_root_status(tg_status st, bool *flag) {
    /* an agreement, not a broadcast of the status: the others wait in it without
     * spinning while rank 0 works (or waits for another run's lock) */
    st = tg_noc_agree(st);
    if (flag) {
        int v = *flag;
        io_root_bcast(&v, sizeof v);
        *flag = v != 0;
    }
    return st;
}
