/* io — tensors, weights, results and statistics in HDF5 (DESIGN.md section 8).
 *
 * Every rank reads and writes exactly its own part of a tensor, with hyperslab
 * selections and collective transfers through parallel HDF5; ranks with nothing to
 * move still take part. Datasets are NHWC float32; a dataset with the attribute
 * layout="NCHW" is read as NHWC. Output files are checked before any computation
 * (tg_io_check_output), written under a temporary name unique to the run in the same
 * folder (an existing file is copied there first, so its other datasets survive; a
 * second run writing the same file waits for the first to publish), and renamed over
 * the final name only by tg_io_commit_all(), together with the run's other outputs;
 * a run that fails calls tg_io_abort() and leaves the final names untouched.
 *
 * All functions here are collective over the core's communicator unless they say
 * otherwise, and return the same status on every rank: a failure on one rank (a
 * file it cannot see, an HDF5 call that failed, host memory) is agreed before the
 * next collective step, so every rank reports it and none is left waiting. Errors
 * are recorded with the file and dataset names. */
#ifndef TG_IO_H
#define TG_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "tensor.h"

#define TG_IO_PATH_MAX 4096
#define TG_IO_DSET_MAX 512

/* "file.h5:/group/dset" split into its parts. */
typedef struct tg_io_ref {
    char file[TG_IO_PATH_MAX];
    char dset[TG_IO_DSET_MAX];
} tg_io_ref;

tg_status tg_io_ref_parse(const char *s, tg_io_ref *out);

typedef struct tg_io_file tg_io_file;

typedef struct tg_io_info {
    int ndims;
    int64_t dims[8]; /* as stored */
    bool nchw;       /* layout attribute says NCHW */
    int64_t nhwc[4]; /* logical NHWC shape (4-D datasets only) */
} tg_io_info;

tg_status tg_io_open(const char *path, tg_io_file **out);
/* Shape and layout of a float dataset; a missing dataset or a non-float one is
 * TG_ERR_USAGE naming the file and the dataset. */
tg_status tg_io_info_get(tg_io_file *f, const char *dset, tg_io_info *info);
/* Checks that a dataset is a 4-D float tensor and returns its NHWC shape. */
tg_status tg_io_tensor_shape(tg_io_file *f, const char *dset, int64_t nhwc[4]);
/* Reads a whole float dataset into host memory on every rank (weights, bias);
 * `count` elements are expected. Independent transfer. */
tg_status tg_io_read_all(tg_io_file *f, const char *dset, float *buf, int64_t count);
/* Reads the hyperslab [start, start+count) of a float dataset of `ndims` dims into
 * buf, on this rank only; count of all zero elements selects nothing but the call
 * is still collective. */
tg_status tg_io_read_slab(tg_io_file *f, const char *dset, int ndims, const int64_t *start,
                          const int64_t *count, float *buf);
/* Not collective; an HDF5 failure while looking reads as absent. */
bool tg_io_exists(tg_io_file *f, const char *dset);
/* Closes an input (nothing to report: it was open read-only). */
void tg_io_close(tg_io_file *f);

/* ---- tensors: the one road between files and the grid ----
 *
 * As the host does it on the device, through interleaved DRAM: each rank moves its
 * share of the rows of [N*H*W, C] (tg_tensor_host_rows) between the file, with one
 * collective hyperslab transfer, and the DRAM pages (counted as its DRAM traffic);
 * an L1 tensor goes through a temporary interleaved DRAM tensor and a reshard over
 * the NoC (counted too). */

/* Reads a 4-D tensor dataset into t, allocated (any placement) with the dataset's
 * NHWC shape (tg_io_tensor_shape) and the format it holds values in (rounded to).
 * Another shape is TG_ERR_USAGE naming the dataset and both shapes. */
tg_status tg_io_load_tensor(tg_io_file *f, const char *dset, tg_tensor *t);
/* Writes t (any placement) as an NHWC float32 dataset of an open output (replacing
 * one of the same name), with the attributes layout, format and producer; with
 * producer NULL it writes no attributes (see tg_io_copy_attrs). */
tg_status tg_io_store_tensor(const tg_tensor *t, tg_io_file *f, const char *dset,
                             const char *producer);

/* ---- outputs ---- */

typedef enum { TG_IO_HDF5, TG_IO_TEXT } tg_io_kind;

/* Checks, before any computation, that `path` can become an output of this kind:
 * its folder exists on every rank and is writable, the path is not a folder, and an
 * existing file there is a regular file and, for HDF5 outputs, a readable HDF5 file
 * (anything else is refused rather than replaced). TG_ERR_USAGE naming `what` (the
 * option) and the path. Collective. */
tg_status tg_io_check_output(const char *what, const char *path, tg_io_kind kind);
/* Refuses an output dataset ttgrid itself writes: /stats and anything under it, and
 * a name ending in '/'. TG_ERR_USAGE. Rank-local (the same on every rank). */
tg_status tg_io_check_output_dset(const char *what, const tg_io_ref *ref);
/* Whether two output paths name the same file (same folder, same name). Rank-local. */
bool tg_io_same_file(const char *a, const char *b);

/* Opens the temporary file for path: rank 0 takes the lock on path (waiting for
 * another run that writes it), makes a temporary name unique to this run, copies an
 * existing HDF5 file there (so its other datasets survive) and tells the others. */
tg_status tg_io_create(const char *path, tg_io_file **out);
/* A text output (the statistics CSV): rank 0 writes tg_io_temp_path(f) itself; it is
 * committed with the others. */
tg_status tg_io_create_text(const char *path, tg_io_file **out);
const char *tg_io_temp_path(const tg_io_file *f);
/* Writes a float array of `ndims` dims held whole by rank 0 (the others pass NULL). */
tg_status tg_io_write_root(tg_io_file *f, const char *dset, int ndims, const int64_t *dims,
                           const float *buf);
/* Writes a 2-D int64 array held by rank 0. */
tg_status tg_io_write_root_i64(tg_io_file *f, const char *dset, int64_t rows, int64_t cols,
                               const int64_t *buf);
/* Copies every attribute of object `src` of `from` to object `dst` of output `to`. */
tg_status tg_io_copy_attrs(tg_io_file *from, const char *src, tg_io_file *to, const char *dst);
/* Writes a string attribute on a dataset or group of an open output. */
tg_status tg_io_attr(tg_io_file *f, const char *obj, const char *name, const char *value);
/* Commits outputs together: closes every one, and only when every rank closed every
 * one without failure, renames them over their final names in the order given
 * (NULL entries are skipped); on failure every temporary file is removed. The files
 * are freed and the entries set to NULL. */
tg_status tg_io_commit_all(tg_io_file **files, int n);
/* tg_io_commit_all of one file. */
tg_status tg_io_commit(tg_io_file *f);
/* Closes and removes the temporary file; the final name is left as it was. NULL is
 * nothing to do. Collective. */
void tg_io_abort(tg_io_file *f);

/* ---- fault injection ----
 *
 * TTGRID_IO_FAULT=RANK:STEP[:N] makes the N-th (default: the first) io step STEP on
 * rank RANK fail as a full disk or a missing file would, so that the handling of
 * rank-local failures is testable without root: stat (ENOENT: an input, an output's
 * folder or its temporary file that rank cannot see), open (EACCES: an input it
 * cannot read), create (ENOSPC: the output's temporary file; rank 0), alloc (ENOMEM:
 * host memory of a transfer), write (ENOSPC: the disk space a collective write
 * reserves), close (ENOSPC: closing an output), copy (ENOSPC half way through copying
 * an existing output; rank 0), rename (EACCES: the final rename; rank 0). A bad
 * spec is TG_ERR_USAGE; NULL or "" injects nothing. Rank-local. */
tg_status tg_io_fault_setup(const char *spec);

/* Columns of a table written under /stats (see tg_io_write_table). */
typedef struct tg_io_table {
    int ncols;
    int64_t nrows;
    const char **names;      /* ncols names */
    const double *data;      /* nrows x ncols, row-major, held by rank 0 */
    const char **row_labels; /* nrows labels (op names), rank 0's */
    bool has_labels;         /* the same on every rank */
} tg_io_table;

/* Writes `table` as group `group` with one dataset per column, and the labels as
 * the string dataset `op` (rank 0's data; ncols, nrows and has_labels must agree
 * on every rank). */
tg_status tg_io_write_table(tg_io_file *f, const char *group, const tg_io_table *table);

#endif
