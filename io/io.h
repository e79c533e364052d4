/* io — tensors, weights, results and statistics in HDF5 (DESIGN.md section 8).
 *
 * Every rank reads and writes exactly its own shard of a tensor, with hyperslab
 * selections and collective transfers through parallel HDF5; ranks with an empty
 * shard still take part. Datasets are NHWC float32; a dataset with the attribute
 * layout="NCHW" is read as NHWC. Output files are written under a temporary name
 * in the same folder (an existing file is copied there first, so its other datasets
 * survive) and renamed over the final name only by tg_io_commit(); a run that fails
 * calls tg_io_abort() and leaves the final name untouched.
 *
 * All functions here are collective over the core's communicator unless they say
 * otherwise; errors are recorded with the file and dataset names. */
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
/* Reads this core's shard of the dataset into t's L1 shard, rounding to t's format.
 * t must already be allocated with the dataset's NHWC shape. */
tg_status tg_io_read_tensor(tg_io_file *f, const char *dset, tg_tensor *t);
/* Reads rows [r0, r1) of the [N*H*W, C] view of a 4-D tensor dataset (all
 * channels) into buf [(r1 - r0), C], NCHW files transposed. Each rank asks for its
 * own rows (an empty range takes part without reading). */
tg_status tg_io_read_rows(tg_io_file *f, const char *dset, int64_t r0, int64_t r1, float *buf);
/* Reads a whole float dataset into host memory on every rank (weights, bias);
 * `count` elements are expected. Independent transfer. */
tg_status tg_io_read_all(tg_io_file *f, const char *dset, float *buf, int64_t count);
/* Reads the hyperslab [start, start+count) of a float dataset of `ndims` dims into
 * buf, on this rank only; count of all zero elements selects nothing but the call
 * is still collective. */
tg_status tg_io_read_slab(tg_io_file *f, const char *dset, int ndims, const int64_t *start,
                          const int64_t *count, float *buf);
bool tg_io_exists(tg_io_file *f, const char *dset);
void tg_io_close(tg_io_file *f);

/* Output: opens (copying the existing file, if any) the temporary file for path. */
tg_status tg_io_create(const char *path, tg_io_file **out);
/* Writes the tensor from the L1 shards as an NHWC float32 dataset (replacing one of
 * the same name) with attributes layout, format and producer; with producer NULL it
 * writes no attributes (see tg_io_copy_attrs). */
tg_status tg_io_write_tensor(tg_io_file *f, const char *dset, const tg_tensor *t,
                             const char *producer);
/* Creates an NHWC float32 tensor dataset (replacing one of the same name), with the
 * layout/format/producer attributes unless producer is NULL; then each rank writes
 * its rows [r0, r1) from buf [(r1 - r0), C] with tg_io_write_rows. */
tg_status tg_io_create_tensor(tg_io_file *f, const char *dset, const int64_t nhwc[4], tg_fmt fmt,
                              const char *producer);
tg_status tg_io_write_rows(tg_io_file *f, const char *dset, int64_t r0, int64_t r1,
                           const float *buf);
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
/* Closes the temporary file and renames it over the final name. */
tg_status tg_io_commit(tg_io_file *f);
/* Closes and removes the temporary file; the final name is left as it was. */
void tg_io_abort(tg_io_file *f);

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
