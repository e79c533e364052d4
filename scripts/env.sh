# Sourced by ttgrid's scripts: the Open MPI settings this project needs on a
# workstation (DEVELOPERS.md, "Open MPI on these machines"). Defines TG_MPIRUN.
# Anything already set in the environment is kept.

# More ranks than cores is the normal case (64 cores emulated on a laptop).
TG_MPIRUN="mpirun --oversubscribe --bind-to none"
if [ "$(id -u)" -eq 0 ]; then
  # CI runs as root; Open MPI refuses to unless told twice.
  export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
  export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
fi
# Collective HDF5 I/O with oversubscribed ranks: romio is ~12x faster than ompio.
export OMPI_MCA_io=${OMPI_MCA_io:-romio321}
# vader's CMA single copy fails in some containers ("Read -1 ... errno = 1").
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
# One rank is one core: BLAS single-threaded per rank.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
# Python scripts need Debian's numpy/h5py/torch, which live under /usr/bin/python3.
TG_PYTHON=/usr/bin/python3
export TG_MPIRUN TG_PYTHON
