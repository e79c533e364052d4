/* src/noc's MPI face, for io and the tests only: the communicator of every core,
 * which parallel HDF5 needs and test checks may reduce over. Nothing under src/ops,
 * src/model or src/cli may include it (they talk to other cores only through
 * noc.h); tensor bytes never travel on this communicator except inside HDF5's
 * collective I/O. */
#ifndef TG_NOC_MPI_H
#define TG_NOC_MPI_H

#include <mpi.h>

#include "noc.h"

/* Every core, in rank order (a duplicate of MPI_COMM_WORLD that ttgrid owns, made
 * by tg_noc_init, freed by tg_noc_finalize). */
MPI_Comm tg_noc_comm(void);

#endif
