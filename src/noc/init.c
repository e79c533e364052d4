/* The machine on MPI: starting and stopping MPI, making this core with its L1
 * window, the communicators, the node and its barriers, the watchdog and the DRAM
 * window, and choosing the transfer mechanism (part of src/noc).
 *
 * The L1 arena is the memory of an MPI window made with MPI_Win_allocate, exactly
 * l1_size bytes per rank, because the NoC reads and writes other cores' L1 through
 * it (DESIGN.md section 1: MPI_Get from such a window runs at memory-copy speed).
 * Bank b of DRAM lives on rank b % P, in that rank's DRAM window at (b / P) *
 * bank_bytes. Nothing here moves tensor bytes; `ttgrid info` gathers host names.
 *
 * Every MPI object made here returns its errors (MPI_ERRORS_RETURN) instead of
 * aborting the job with Open MPI's text: a window that cannot be made is one error
 * line naming its size and, when the size fits the machine, the one-sided component
 * a cluster needs. */
#include "noc_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "noc_mpi.h"

void tg_noc_start(int *argc, char ***argv) {
    MPI_Init(argc, argv);
    noc_kill_init();
    /* the communicators ttgrid makes from it inherit this */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
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

/* MPI_Win_allocate of `bytes` on every rank into *win and *base, returning its
 * errors; MPI's return code. */
static int window(size_t bytes, MPI_Win *win, uint8_t **base) {
    void *b = NULL;
    MPI_Info info;
    MPI_Info_create(&info);
    /* windows are addressed by (core, offset) only; no ordering between accumulates */
    MPI_Info_set(info, "accumulate_ordering", "none");
    int rc = MPI_Win_allocate((MPI_Aint)bytes, 1, info, tg_noc.world, &b, win);
    MPI_Info_free(&info);
    if (rc == MPI_SUCCESS) rc = MPI_Win_set_errhandler(*win, MPI_ERRORS_RETURN);
    *base = b;
    return rc;
}

/* Whether Open MPI may back the windows with files in a shared-memory folder: its
 * osc sm component does when every rank is on one machine, unless OMPI_MCA_osc
 * leaves it out. */
static bool osc_sm_possible(void) {
    const char *osc = getenv("OMPI_MCA_osc");
    if (!osc || !*osc) return true;
    bool listed = strstr(osc, "sm") != NULL;
    return osc[0] == '^' ? !listed : listed;
}

const char *noc_osc_sm_dir(void) {
    const char *dir = getenv("OMPI_MCA_osc_sm_backing_directory");
    return dir && *dir ? dir : "/dev/shm";
}

/* The windows' bytes summed over the ranks of this machine must fit its memory and,
 * when Open MPI backs them with files (osc sm), the free space of its folder (a
 * window there beyond the free space would crash the first rank that touches it).
 * Checked before MPI is asked, so that a size too large is one line naming it. */
static tg_status check_machine(size_t l1, size_t dram_here, bool *one_machine) {
    tg_core *c = tg_core_self();
    MPI_Comm machine;
    int rc = MPI_Comm_split_type(tg_noc.world, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &machine);
    if (rc != MPI_SUCCESS) return noc_mpi_err(rc, "finding the ranks of this machine");
    double mine = (double)l1 + (double)dram_here, need = 0;
    int local = 1;
    rc = MPI_Allreduce(&mine, &need, 1, MPI_DOUBLE, MPI_SUM, machine);
    MPI_Comm_size(machine, &local);
    MPI_Comm_free(&machine);
    if (rc != MPI_SUCCESS) return noc_mpi_err(rc, "summing the windows of this machine");
    double memory = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    const char *dir = noc_osc_sm_dir();
    struct statvfs fs;
    *one_machine = local == c->nranks;
    bool in_files = *one_machine && osc_sm_possible() && statvfs(dir, &fs) == 0;
    double room = in_files ? (double)fs.f_bavail * (double)fs.f_frsize : memory;
    if (memory > 0 && (need > memory || need > room))
        return tg_err(TG_ERR_RUNTIME,
                      "L1 of %zu B per core (--l1-size) and DRAM of %zu B per bank (--dram-size): "
                      "the windows of the %d cores on this machine need %.0f B, more than its "
                      "%.0f B of %s",
                      l1, c->dram_bank_bytes, local, need, need > memory ? memory : room,
                      need > memory ? "memory" : "free space in the shared-memory folder");
    return TG_OK;
}

/* The error line of a window MPI could not make, whose size fits the machine: the
 * likely cause is a network that Open MPI's default one-sided component cannot use. */
static tg_status window_err(int rc, const char *what) {
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, text, &len);
    return tg_err(TG_ERR_RUNTIME,
                  "one-sided MPI windows failed (MPI_Win_allocate of %s: %s); Open MPI needs a "
                  "one-sided component for this network (osc rdma for RDMA, osc ucx for UCX): on "
                  "a cluster without RDMA run with OMPI_MCA_osc=sm,pt2pt",
                  what, text);
}

static const noc_transport *transport(tg_noc_mode mode) {
    return mode == TG_NOC_TWO_SIDED ? &noc_msg : &noc_rma;
}

static void free_comms(void) {
    MPI_Comm *comms[] = {&tg_noc.row, &tg_noc.col, &tg_noc.comm};
    for (int i = 0; i < 3; i++)
        if (*comms[i] != MPI_COMM_NULL) MPI_Comm_free(comms[i]);
}

/* Undoes a tg_noc_init that failed after the core was made; returns st. */
static tg_status init_failed(tg_status st, bool l1_win, bool dram_win) {
    if (dram_win) MPI_Win_free(&tg_noc.win[WIN_DRAM]);
    free_comms();
    noc_node_finalize();
    tg_core_finalize();
    if (l1_win) MPI_Win_free(&tg_noc.win[WIN_L1]);
    MPI_Comm_free(&tg_noc.world);
    return st;
}

tg_status tg_noc_init(const tg_core_opts *opts, tg_noc_mode mode) {
    memset(&tg_noc, 0, sizeof tg_noc);
    tg_noc.comm = tg_noc.row = tg_noc.col = MPI_COMM_NULL;
    int rank, nranks;
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &tg_noc.world);
    if (rc != MPI_SUCCESS) return noc_mpi_err(rc, "duplicating MPI_COMM_WORLD");
    MPI_Comm_set_errhandler(tg_noc.world, MPI_ERRORS_RETURN);
    MPI_Comm_rank(tg_noc.world, &rank);
    MPI_Comm_size(tg_noc.world, &nranks);
    tg_status st = tg_core_init(opts, rank, nranks, detect_oversubscribed(tg_noc.world));
    if (st == TG_OK) {
        st = noc_watch_init();
        if (st != TG_OK) tg_core_finalize();
    }
    if (st != TG_OK) {
        MPI_Comm_free(&tg_noc.world);
        return st;
    }
    tg_core *c = tg_core_self();
    st = noc_node_init();
    if (st != TG_OK) {
        tg_core_finalize();
        MPI_Comm_free(&tg_noc.world);
        return st;
    }
    tg_noc.banks = c->arch->dram_banks;
    /* This rank hosts banks rank, rank + P, ...: one bank_bytes slab each. */
    int hosted = 0;
    for (int b = c->rank; b < tg_noc.banks; b += c->nranks) hosted++;
    tg_noc.size[WIN_L1] = c->l1.size;
    tg_noc.size[WIN_DRAM] = (size_t)hosted * c->dram_bank_bytes;
    bool one_machine = false;
    st = tg_noc_agree(check_machine(tg_noc.size[WIN_L1], tg_noc.size[WIN_DRAM], &one_machine));
    if (st != TG_OK) return init_failed(st, false, false);
    /* Open MPI picks osc sm, plain loads and stores, whenever every rank is on one
     * machine (its highest priority); any other component may need the target's
     * progress (node.c). */
    noc_node_progress(!(one_machine && osc_sm_possible()));

    char what[96];
    snprintf(what, sizeof what, "the L1, %zu B per core", c->l1.size);
    rc = window(c->l1.size, &tg_noc.win[WIN_L1], &tg_noc.base[WIN_L1]);
    st = tg_noc_agree(rc == MPI_SUCCESS ? TG_OK : window_err(rc, what));
    if (st != TG_OK) return init_failed(st, rc == MPI_SUCCESS, false);
    tg_core_attach_l1(tg_noc.base[WIN_L1]);

    rc = MPI_Comm_dup(tg_noc.world, &tg_noc.comm);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_split(tg_noc.world, c->y, c->x, &tg_noc.row);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_split(tg_noc.world, c->x, c->y, &tg_noc.col);
    st = tg_noc_agree(rc == MPI_SUCCESS ? TG_OK
                                        : noc_mpi_err(rc, "making the grid's communicators"));
    if (st != TG_OK) return init_failed(st, true, false);
    snprintf(what, sizeof what, "the DRAM, %d banks x %zu B here", hosted, c->dram_bank_bytes);
    rc = window(tg_noc.size[WIN_DRAM], &tg_noc.win[WIN_DRAM], &tg_noc.base[WIN_DRAM]);
    st = tg_noc_agree(rc == MPI_SUCCESS ? TG_OK : window_err(rc, what));
    if (st != TG_OK) return init_failed(st, true, rc == MPI_SUCCESS);
    tg_l1_init(&tg_noc.dram, NULL, c->dram_bank_bytes, c->arch->dram_align, 0, 0);
    tg_l1_set_label(&tg_noc.dram, "DRAM (bytes per bank; --dram-size)");
    for (int w = 0; w < NWIN && rc == MPI_SUCCESS; w++)
        rc = MPI_Win_lock_all(MPI_MODE_NOCHECK, tg_noc.win[w]);
    st = tg_noc_agree(rc == MPI_SUCCESS ? TG_OK : noc_mpi_err(rc, "locking the windows"));
    if (st != TG_OK) {
        tg_l1_destroy(&tg_noc.dram);
        return init_failed(st, true, true);
    }
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
    free_comms();
    noc_node_finalize();
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
    if (MPI_Bcast(&ok, 1, MPI_INT, 0, tg_noc.world) != MPI_SUCCESS) ok = 0;
    /* Where each rank runs is only known to that rank: one gather, for printing. */
    if (ok && MPI_Gather(host, (int)sizeof host, MPI_CHAR, hosts, (int)sizeof host, MPI_CHAR, 0,
                         tg_noc.world) != MPI_SUCCESS)
        ok = 0;
    if (!ok) {
        free(hosts);
        return NULL;
    }
    return hosts;
}
