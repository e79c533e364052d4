/* This core: arch, grid identity and the L1 window, made once per process.
 *
 * The L1 arena is the memory of an MPI window made with MPI_Win_allocate, exactly
 * l1_size bytes per rank, because the NoC reads and writes other cores' L1 through
 * it (DESIGN.md section 1: MPI_Get from such a window runs at memory-copy speed).
 * Nothing here moves bytes between ranks. */
#include "rank.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Emulated bytes per DRAM bank unless --dram-size says otherwise: the device has a
 * GiB or more per bank, but here a bank is host memory, so the default is what
 * ResNet-50 in float32 needs with room to spare. */
#define TG_DRAM_BANK_DEFAULT ((size_t)96 << 20)

static tg_core self;
static bool self_ready;

tg_core *tg_core_self(void) {
    return self_ready ? &self : NULL;
}

tg_l1 *tg_core_l1(void) {
    return &self.l1;
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

tg_status tg_core_init(const tg_core_opts *opts) {
    memset(&self, 0, sizeof self);
    /* Ops allocate their host scratch (blocks, unpacked weights) per run; keep freed
     * memory in the process instead of returning it to the kernel, so the next op
     * does not fault in and zero fresh pages (measured: 3-5% of a 64-rank ResNet-50
     * pass went to page faults). */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    self.arch = opts->arch ? tg_arch_find(opts->arch) : tg_arch_default();
    if (!self.arch)
        return tg_err(TG_ERR_USAGE, "unknown arch '%s' (grayskull, wormhole_b0, blackhole)",
                      opts->arch);
    MPI_Comm_dup(MPI_COMM_WORLD, &self.comm);
    MPI_Comm_rank(self.comm, &self.rank);
    MPI_Comm_size(self.comm, &self.nranks);
    tg_status st = tg_grid_choose(self.arch, self.nranks, opts->grid, &self.grid);
    if (st != TG_OK) {
        MPI_Comm_free(&self.comm);
        return st;
    }
    self.x = tg_core_x(self.grid, self.rank);
    self.y = tg_core_y(self.grid, self.rank);
    self.oversubscribed = detect_oversubscribed(self.comm);
    size_t l1_size = opts->l1_size ? opts->l1_size : self.arch->l1_size;
    self.dram_bank_bytes = opts->dram_bank_size ? opts->dram_bank_size : TG_DRAM_BANK_DEFAULT;

    void *base = NULL;
    MPI_Info info;
    MPI_Info_create(&info);
    /* L1 is addressed by (core, offset) only; no ordering between accumulates. */
    MPI_Info_set(info, "accumulate_ordering", "none");
    int rc = MPI_Win_allocate((MPI_Aint)l1_size, 1, info, self.comm, &base, &self.l1_win);
    MPI_Info_free(&info);
    if (rc != MPI_SUCCESS) {
        MPI_Comm_free(&self.comm);
        return tg_err(TG_ERR_RUNTIME, "cannot allocate the L1 window of %zu B per core", l1_size);
    }
    tg_l1_init(&self.l1, base, l1_size, self.arch->l1_align, self.x, self.y);
    self_ready = true;
    tg_core_sync_init();
    return TG_OK;
}

void tg_core_finalize(void) {
    if (!self_ready) return;
    tg_core_sync_finalize();
    tg_l1_destroy(&self.l1);
    MPI_Win_free(&self.l1_win);
    MPI_Comm_free(&self.comm);
    self_ready = false;
}

tg_status tg_core_alloc(const char *name, size_t bytes, size_t *off) {
    return tg_l1_alloc(&self.l1, name, bytes, off);
}

void tg_core_free(size_t off) {
    /* Freeing what this process allocated cannot fail unless there is a bug; the
     * allocator then keeps its state intact and the message is recorded. */
    (void)tg_l1_free(&self.l1, off);
}
