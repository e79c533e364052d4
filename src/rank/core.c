/* This core: arch, grid identity and the L1 allocator, made once per process.
 *
 * Pure: the options and the core's place among the ranks go in, the core comes
 * out. The L1 arena's memory is src/noc's L1 window (MPI_Win_allocate, exactly
 * l1_size bytes per rank, because the NoC reads and writes other cores' L1 through
 * it), handed in by tg_core_attach_l1. Nothing here talks to another rank. */
#include "rank.h"

#include <malloc.h>
#include <string.h>

/* Emulated bytes per DRAM bank unless --dram-size says otherwise: the device has a
 * GiB or more per bank, but here a bank is host memory, so the default is what
 * ResNet-50 in float32 needs with room to spare. */
#define TG_DRAM_BANK_DEFAULT ((size_t)96 << 20)
/* The largest L1 a core may have here: one NoC transfer moves up to all of it in one
 * MPI call, whose counts are int (the devices have 1-1.5 MiB). */
#define TG_L1_SIZE_MAX ((size_t)1 << 30)
/* The smallest L1: a few circular buffers must fit. */
#define TG_L1_SIZE_MIN ((size_t)4096)
/* The largest emulated DRAM bank: far above any machine's memory (the window sizes
 * must also fit the machine, checked by src/noc), far below where offsets overflow. */
#define TG_DRAM_BANK_MAX ((size_t)1 << 40)

static tg_core self;
static bool self_ready;

tg_core *tg_core_self(void) {
    return self_ready ? &self : NULL;
}

tg_l1 *tg_core_l1(void) {
    return &self.l1;
}

tg_status tg_core_init(const tg_core_opts *opts, int rank, int nranks, bool oversubscribed) {
    memset(&self, 0, sizeof self);
    self_ready = false;
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
    self.rank = rank;
    self.nranks = nranks;
    TG_CHECK(tg_grid_choose(self.arch, nranks, opts->grid, &self.grid));
    self.x = tg_core_x(self.grid, rank);
    self.y = tg_core_y(self.grid, rank);
    self.oversubscribed = oversubscribed;
    size_t l1_size = opts->l1_size ? opts->l1_size : self.arch->l1_size;
    if (l1_size < TG_L1_SIZE_MIN || l1_size > TG_L1_SIZE_MAX)
        return tg_err(TG_ERR_USAGE, "L1 of %zu B per core (--l1-size) is outside [%zu, %zu] B",
                      l1_size, TG_L1_SIZE_MIN, TG_L1_SIZE_MAX);
    if (l1_size < self.arch->l1_unreserved ||
        l1_size - self.arch->l1_unreserved <= opts->l1_small_size)
        return tg_err(TG_ERR_USAGE,
                      "L1 of %zu B leaves no room for buffers: %s reserves the %zu B below its "
                      "unreserved base and L1_SMALL takes %zu B",
                      l1_size, self.arch->name, self.arch->l1_unreserved, opts->l1_small_size);
    self.dram_bank_bytes = opts->dram_bank_size ? opts->dram_bank_size : TG_DRAM_BANK_DEFAULT;
    if (self.dram_bank_bytes > TG_DRAM_BANK_MAX)
        return tg_err(TG_ERR_USAGE, "DRAM of %zu B per bank (--dram-size) is above %zu B",
                      self.dram_bank_bytes, TG_DRAM_BANK_MAX);
    tg_l1_init_device(&self.l1, NULL, l1_size, self.arch->l1_unreserved, opts->l1_small_size,
                      self.arch->l1_align, self.arch->dram_align, self.x, self.y);
    self_ready = true;
    return TG_OK;
}

void tg_core_attach_l1(uint8_t *base) {
    self.l1.base = base;
}

void tg_core_finalize(void) {
    if (!self_ready) return;
    tg_l1_destroy(&self.l1);
    self_ready = false;
}

tg_status tg_core_alloc(const char *name, size_t bytes, size_t *off) {
    return tg_l1_alloc(&self.l1, name, bytes, off);
}

tg_status tg_core_cb_open(size_t bytes, const char *program, const char *range) {
    return tg_l1_cb_open(&self.l1, bytes, program, range);
}

tg_status tg_core_alloc_small(const char *name, size_t bytes, size_t *off) {
    return tg_l1_alloc_small(&self.l1, name, bytes, 1, off);
}

void tg_core_cb_close(void) {
    tg_l1_cb_close(&self.l1);
}

void tg_core_free(size_t off) {
    /* Freeing what this process allocated cannot fail unless there is a bug; the
     * allocator then keeps its state intact and the message is recorded. */
    (void)tg_l1_free(&self.l1, off);
}
