/* The machine on MPI: starting and stopping MPI, making this core with its L1
 * window, the communicators, the node-local barriers and the DRAM window, and
 * choosing the transfer mechanism (part of src/noc).
 *
 * The L1 arena is the memory of an MPI window made with MPI_Win_allocate, exactly
 * l1_size bytes per rank, because the NoC reads and writes other cores' L1 through
 * it (DESIGN.md section 1: MPI_Get from such a window runs at memory-copy speed).
 * Bank b of DRAM lives on rank b % P, in that rank's DRAM window at (b / P) *
 * bank_bytes. Nothing here moves tensor bytes; `ttgrid info` gathers host names. */
#include "noc_impl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "noc_mpi.h"

void tg_noc_start(int *argc, char ***argv) {
    MPI_Init(argc, argv);
}

void tg_noc_stop(void) {
    MPI_Finalize();
}

int tg_noc_world_rank(void) {
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int tg_noc_world_size(void) {
    int n = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

MPI_Comm tg_noc_comm(void) {
    return tg_noc.world;
}

/* True when this node runs more ranks than it has processors: then every wait in
 * src/noc sleeps politely (DESIGN.md section 1, "waiting"). TTGRID_POLITE=0|1
 * forces it either way. */
static bool detect_oversubscribed(MPI_Comm comm) {
    const char *env = getenv("TTGRID_POLITE");
    if (env && *env) return atoi(env) != 0;
    MPI_Comm node;
    int local = 1;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_size(node, &local);
        MPI_Comm_free(&node);
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 && local > cpus;
}

/* MPI_Win_allocate of `bytes` on every rank into *win and *base; false on failure. */
static bool window(size_t bytes, MPI_Win *win, uint8_t **base) {
    void *b = NULL;
    MPI_Info info;
    MPI_Info_create(&info);
    /* windows are addressed by (core, offset) only; no ordering between accumulates */
    MPI_Info_set(info, "accumulate_ordering", "none");
    int rc = MPI_Win_allocate((MPI_Aint)bytes, 1, info, tg_noc.world, &b, win);
    MPI_Info_free(&info);
    *base = b;
    return rc == MPI_SUCCESS;
}

static const noc_transport *transport(tg_noc_mode mode) {
    return mode == TG_NOC_TWO_SIDED ? &noc_msg : &noc_rma;
}

tg_status tg_noc_init(const tg_core_opts *opts, tg_noc_mode mode) {
    memset(&tg_noc, 0, sizeof tg_noc);
    int rank, nranks;
    MPI_Comm_dup(MPI_COMM_WORLD, &tg_noc.world);
    MPI_Comm_rank(tg_noc.world, &rank);
    MPI_Comm_size(tg_noc.world, &nranks);
    tg_status st = tg_core_init(opts, rank, nranks, detect_oversubscribed(tg_noc.world));
    if (st != TG_OK) {
        MPI_Comm_free(&tg_noc.world);
        return st;
    }
    tg_core *c = tg_core_self();
    if (!window(c->l1.size, &tg_noc.win[WIN_L1], &tg_noc.base[WIN_L1])) {
        tg_core_finalize();
        MPI_Comm_free(&tg_noc.world);
        return tg_err(TG_ERR_RUNTIME, "cannot allocate the L1 window of %zu B per core",
                      c->l1.size);
    }
    tg_noc.size[WIN_L1] = c->l1.size;
    tg_core_attach_l1(tg_noc.base[WIN_L1]);
    noc_sync_init();

    tg_noc.banks = c->arch->dram_banks;
    MPI_Comm_dup(tg_noc.world, &tg_noc.comm);
    MPI_Comm_split(tg_noc.world, c->y, c->x, &tg_noc.row);
    MPI_Comm_split(tg_noc.world, c->x, c->y, &tg_noc.col);
    /* This rank hosts banks rank, rank + P, ...: one bank_bytes slab each. */
    int hosted = 0;
    for (int b = c->rank; b < tg_noc.banks; b += c->nranks) hosted++;
    tg_noc.size[WIN_DRAM] = (size_t)hosted * c->dram_bank_bytes;
    bool dram_ok = window(tg_noc.size[WIN_DRAM], &tg_noc.win[WIN_DRAM], &tg_noc.base[WIN_DRAM]);
    st = tg_noc_agree(dram_ok ? TG_OK
                              : tg_err(TG_ERR_RUNTIME,
                                       "cannot allocate the DRAM window (%d banks x %zu B here)",
                                       hosted, c->dram_bank_bytes));
    if (st != TG_OK) {
        if (dram_ok) MPI_Win_free(&tg_noc.win[WIN_DRAM]);
        MPI_Comm_free(&tg_noc.row);
        MPI_Comm_free(&tg_noc.col);
        MPI_Comm_free(&tg_noc.comm);
        noc_sync_finalize();
        tg_core_finalize();
        MPI_Win_free(&tg_noc.win[WIN_L1]);
        MPI_Comm_free(&tg_noc.world);
        return st;
    }
    tg_l1_init(&tg_noc.dram, NULL, c->dram_bank_bytes, c->arch->dram_align, 0, 0);
    tg_l1_set_label(&tg_noc.dram, "DRAM (bytes per bank; --dram-size)");
    for (int w = 0; w < NWIN; w++) MPI_Win_lock_all(MPI_MODE_NOCHECK, tg_noc.win[w]);
    tg_noc.t = transport(mode);
    tg_noc.t->start();
    tg_noc.ready = true;
    return TG_OK;
}

/* Completes every transfer of the current mechanism and meets every core. */
static void drain(void) {
    tg_noc_read_barrier();
    tg_noc_write_barrier();
    tg_noc_barrier(TG_SET_ALL);
}

tg_status tg_noc_set_mode(tg_noc_mode mode) {
    if (!tg_noc.ready) return tg_err(TG_ERR_RUNTIME, "NoC: set_mode before tg_noc_init");
    drain();
    tg_noc.t->stop();
    tg_noc.t = transport(mode);
    tg_noc.t->start();
    return TG_OK;
}

void tg_noc_finalize(void) {
    if (!tg_noc.ready) return;
    drain();
    for (int w = 0; w < NWIN; w++) MPI_Win_unlock_all(tg_noc.win[w]);
    tg_noc.t->stop();
    MPI_Win_free(&tg_noc.win[WIN_DRAM]);
    tg_l1_destroy(&tg_noc.dram);
    MPI_Comm_free(&tg_noc.row);
    MPI_Comm_free(&tg_noc.col);
    MPI_Comm_free(&tg_noc.comm);
    noc_sync_finalize();
    tg_core_finalize();
    MPI_Win_free(&tg_noc.win[WIN_L1]);
    MPI_Comm_free(&tg_noc.world);
    memset(&tg_noc, 0, sizeof tg_noc);
}

char *tg_noc_host_names(void) {
    tg_core *c = tg_core_self();
    char host[TG_NOC_HOST_MAX] = "";
    gethostname(host, sizeof host - 1);
    char *hosts = c->rank == 0 ? malloc((size_t)c->nranks * sizeof host) : NULL;
    int ok = c->rank != 0 || hosts != NULL;
    MPI_Bcast(&ok, 1, MPI_INT, 0, tg_noc.world);
    if (!ok) return NULL;
    /* Where each rank runs is only known to that rank: one gather, for printing. */
    MPI_Gather(host, (int)sizeof host, MPI_CHAR, hosts, (int)sizeof host, MPI_CHAR, 0,
               tg_noc.world);
    return hosts;
}
