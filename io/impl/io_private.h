/* Private to io/. */
#ifndef TG_IO_PRIVATE_H
#define TG_IO_PRIVATE_H

#include <hdf5.h>

#include "io.h"
#include "noc_mpi.h" /* tg_noc_comm: the communicator of parallel HDF5 */

struct tg_io_file {
    hid_t fid;
    bool output;
    char path[TG_IO_PATH_MAX]; /* the final name */
    char temp[TG_IO_PATH_MAX]; /* outputs: the name written until commit */
};

tg_status io_open_dset(tg_io_file *f, const char *dset, hid_t *out);
tg_status io_create_dset(tg_io_file *f, const char *dset, hid_t type, int ndims,
                         const int64_t *dims, hid_t *out);
tg_status io_set_attr(hid_t obj, const char *name, const char *value);

#endif
