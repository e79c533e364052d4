/* Private to io/: the file handle, HDF5 error recording, and the one collective
 * hyperslab transfer every sharded read and write goes through (h5transfer.c).
 *
 * The rule of every function here (issue 12, "Every failure is agreed before the
 * next collective step"): a rank-local step that can fail (an HDF5 call, stat, open,
 * allocate, copy) is followed by an agreement (tg_noc_agree) before the next step
 * that needs every rank, so one rank's failure becomes the same error on every rank,
 * never a hang. Internal helpers that take a `tg_status st` are called by every
 * rank even after a local failure: they skip their own work and join the agreement.
 * Public functions (io.h) return a status agreed by every rank. */
#ifndef TG_IO_PRIVATE_H
#define TG_IO_PRIVATE_H

#include <hdf5.h>

#include "io.h"
#include "noc_mpi.h" /* tg_noc_comm: the communicator of parallel HDF5 */

struct tg_io_file {
    hid_t fid;                 /* HDF5 files; -1 for a text output */
    bool output, text;         /* an output; a text output (written by rank 0) */
    char path[TG_IO_PATH_MAX]; /* the final name */
    char temp[TG_IO_PATH_MAX]; /* outputs: the name written until commit, unique per run */
    int lock_fd;               /* rank 0, HDF5 outputs: the lock on the final name, or -1 */
    int64_t known_end;         /* rank 0: the end of what HDF5 allocated in the file */
};

/* ---- fault injection (fault.c; TTGRID_IO_FAULT) ---- */

/* The rank-local steps of io that can fail, as TTGRID_IO_FAULT names them. */
typedef enum {
    IO_STEP_STAT,   /* stat of an input or of an output's folder or temporary file */
    IO_STEP_OPEN,   /* opening an input for reading */
    IO_STEP_CREATE, /* making an output's temporary file */
    IO_STEP_ALLOC,  /* host memory for a transfer */
    IO_STEP_WRITE,  /* reserving the disk space a collective write will fill */
    IO_STEP_CLOSE,  /* closing an output */
    IO_STEP_COPY,   /* copying an existing output to its temporary file (rank 0) */
    IO_STEP_RENAME, /* renaming a complete output over its final name (rank 0) */
    IO_STEP_COUNT
} io_step;

/* 0, or, when TTGRID_IO_FAULT makes this rank's step fail now, the errno that
 * failure gives (errno is set too). Rank-local. */
int io_fault(io_step step);
/* strerror(e), saying so when the failure was injected. */
const char *io_strerror(int e);
/* " (injected by TTGRID_IO_FAULT)" after an injected failure, else "". */
const char *io_fault_note(void);

/* ---- files (h5file.c) ---- */

/* Turns off HDF5's own error printing (we report one line). */
void io_quiet(void);
/* A new tg_io_file for path, or NULL (out of host memory, recorded). */
tg_io_file *io_file_new(const char *path, bool output);
/* File access through MPI-IO on the grid's communicator, in two steps: the
 * property list is created rank-locally (io_fapl_new), then given the communicator
 * (io_fapl_mpio), which is collective because HDF5 duplicates the communicator, so
 * every rank reaches it after an agreement and only then. */
tg_status io_fapl_new(const tg_io_file *f, hid_t *fapl);
tg_status io_fapl_mpio(const tg_io_file *f, hid_t fapl);
/* After a step done by rank 0 alone: every rank returns the agreed status (rank
 * 0's failure and message among them), and *flag (when not NULL) takes rank 0's
 * value. Collective. */
tg_status io_root_status(tg_status st, bool *flag);

/* Records the failure of the HDF5 call `what` on object `obj` (a dataset, group or
 * attribute path) of f as one line, and returns TG_ERR_RUNTIME. */
tg_status io_h5_err(const tg_io_file *f, const char *obj, const char *what);
/* Closes any HDF5 handle h (dataset, group, dataspace, datatype, attribute,
 * property list; a negative h is nothing to close). A failed close is recorded
 * with io_h5_err only when st is TG_OK, so the first failure keeps its message.
 * Returns the status so far. */
tg_status io_close(tg_status st, hid_t h, const tg_io_file *f, const char *obj);

/* Rank 0's `bytes` at buf reach every rank (collective; control data only). */
void io_root_bcast(void *buf, size_t bytes);

/* The dataset `dset` (missing: TG_ERR_USAGE; not floating point: TG_ERR_USAGE).
 * Rank-local. */
tg_status io_open_dset(tg_io_file *f, const char *dset, hid_t *out);
/* Shape and layout of a float dataset (tg_io_info_get without the agreement).
 * Rank-local. */
tg_status io_info(tg_io_file *f, const char *dset, tg_io_info *info);
/* Creates dataset `dset` of `type` and dims (replacing one of the same name, making
 * the groups on the way); *out is the open dataset, or negative on failure. Every
 * rank calls it with the same arguments, even after a local failure in st (then it
 * only joins the agreements). The ranks agree before the create (groups, links and
 * datasets change the file's metadata, which every rank must change alike) and after
 * it, with the disk space rank 0 reserves for it (io_reserve_room), so the status
 * returned is the same on every rank. */
tg_status io_create_dset(tg_status st, tg_io_file *f, const char *dset, hid_t type, int ndims,
                         const int64_t *dims, hid_t *out);
/* Writes the string attribute name=value on object obj (path `objname` in f, for
 * the message). Rank-local. */
tg_status io_set_attr(tg_io_file *f, hid_t obj, const char *objname, const char *name,
                      const char *value);

/* ---- the collective hyperslab transfer (h5transfer.c) ---- */

/* The part of a dataset one rank moves: up to IO_SEL_BOXES boxes of the file space,
 * ORed into one selection, which HDF5 walks in row-major file order; no box selects
 * nothing (the rank still takes part in the collective transfer). */
#define IO_SEL_BOXES 5
#define IO_SEL_DIMS 8

typedef struct io_sel {
    int ndims, nboxes;
    hsize_t start[IO_SEL_BOXES][IO_SEL_DIMS];
    hsize_t count[IO_SEL_BOXES][IO_SEL_DIMS];
} io_sel;

void io_sel_init(io_sel *s, int ndims);
/* Adds the box [start, start + count); a box of no element is not added. At most
 * IO_SEL_BOXES boxes. */
void io_sel_add(io_sel *s, const int64_t *start, const int64_t *count);
/* Elements selected (the buffer's length in elements). */
int64_t io_sel_elements(const io_sel *s);

typedef enum { IO_READ, IO_WRITE } io_dir;

/* One collective transfer (H5FD_MPIO_COLLECTIVE) of this rank's selection `sel` of
 * dataset d to or from buf, which holds io_sel_elements(sel) values of memory type
 * mtype contiguously, in file order. `st` is this rank's status so far; d is open
 * unless st failed. Every rank calls it: the transfer happens only when every rank
 * prepared its part, and d is closed here on every path. Returns the status agreed
 * by every rank, naming `dset` and the file on failure. */
tg_status io_transfer(tg_status st, tg_io_file *f, const char *dset, hid_t d, io_dir dir,
                      hid_t mtype, const io_sel *sel, void *buf);

/* Room on disk for the metadata HDF5 writes when an output is closed: a close that
 * fails on some ranks only stops the job inside HDF5 (so does a collective write), so
 * rank 0 keeps reserved, past everything HDF5 allocated so far, this margin, before
 * and after each step that changes the file's metadata (blocks past the end are
 * reserved without changing the file's size, and dropped at commit). */
#define IO_META_MARGIN (64 * 1024)

/* Rank 0 reserves everything allocated in f so far (with the new dataset d when d is
 * not negative, whose data is allocated when it is created) plus IO_META_MARGIN; the
 * others return st. Rank-local: the caller agrees on the result before the next
 * collective step. */
tg_status io_reserve_room(tg_status st, tg_io_file *f, hid_t d);

/* Reserves on disk, before a collective write, the bytes this rank's selection sel
 * of dataset d will fill, so that a full disk fails here, on the ranks it concerns,
 * and is agreed before the write: parallel HDF5 cannot end a collective write that
 * failed on some ranks only (the others wait in it for ever). A file system without
 * fallocate is not reserved on. Rank-local; returns this rank's status. */
tg_status io_reserve(tg_status st, tg_io_file *f, const char *dset, hid_t d, hid_t fs,
                     const io_sel *sel);

#endif
