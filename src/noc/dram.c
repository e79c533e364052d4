/* Interleaved DRAM on MPI (DESIGN.md section 1), part of src/noc: the SPMD
 * allocator and the page transfers, through the same generic moves as L1 (so
 * through whichever mechanism is in use, never asking which).
 *
 * Bank b lives on rank b % P, in that rank's DRAM window at (b / P) * bank_bytes.
 * A buffer of `npages` pages takes ceil(npages / banks) page slots in every bank,
 * at the same offset in each (the allocator is SPMD, like L1's). Page i is slot
 * i / banks of bank i % banks, so the pages of one bank within a run of pages are
 * consecutive slots: a run moves in at most `banks` MPI operations, one strided
 * transfer per bank, while each page still counts as one NoC transaction. A bank is
 * placed on the NoC at its host's core for hops and links (tg_tally_dram). */
#include "noc_impl.h"

#include <string.h>

int tg_dram_banks(void) {
    return tg_noc.banks;
}

int tg_dram_bank_host(int bank) {
    return bank % tg_core_self()->nranks;
}

tg_status tg_dram_alloc(const char *name, size_t page_size, int64_t npages, tg_dram_buf *out) {
    memset(out, 0, sizeof *out);
    size_t align = tg_core_self()->arch->dram_align;
    out->page_size = page_size;
    out->page_stride = (page_size + align - 1) / align * align;
    out->npages = npages;
    int64_t slots = (npages + tg_noc.banks - 1) / tg_noc.banks;
    size_t per_bank = (size_t)(slots ? slots : 1) * (out->page_stride ? out->page_stride : align);
    TG_CHECK(tg_l1_alloc(&tg_noc.dram, name, per_bank, &out->base));
    out->allocated = true;
    return TG_OK;
}

void tg_dram_free(tg_dram_buf *b) {
    if (b->allocated) tg_l1_free(&tg_noc.dram, b->base);
    b->allocated = false;
}

/* Moves blen bytes at page_off of pages [first, first + count) to or from `mem`
 * (page k at mem + k*mstride): L1 or host memory, checked by the callers. */
static tg_status dram_move(const tg_dram_buf *b, int64_t first, int64_t count, size_t page_off,
                           size_t blen, uint8_t *mem, size_t mstride, bool write) {
    if (!b->allocated) return tg_err(TG_ERR_RUNTIME, "DRAM transfer on a freed buffer");
    if (first < 0 || count < 0 || first + count > b->npages || page_off + blen > b->page_size)
        return tg_err(TG_ERR_RUNTIME,
                      "DRAM %s: pages %lld..%lld, bytes %zu..%zu are outside the buffer of %lld "
                      "pages of %zu B",
                      write ? "write" : "read", (long long)first, (long long)(first + count - 1),
                      page_off, page_off + blen, (long long)b->npages, b->page_size);
    if (count == 0 || blen == 0) return TG_OK;
    tg_core *c = tg_core_self();
    int banks = tg_noc.banks, P = c->nranks;
    tg_tally t;
    noc_tally(&t);
    tg_tally_dram(&t, c->rank, first, count, blen, write);
    for (int bank = 0; bank < banks; bank++) {
        int64_t i0, n = tg_dram_bank_pages(first, count, banks, bank, &i0);
        if (n == 0) continue;
        size_t disp = (size_t)(bank / P) * c->dram_bank_bytes + b->base +
                      (size_t)(i0 / banks) * b->page_stride + page_off;
        TG_CHECK(noc_move(WIN_DRAM, bank % P, disp, b->page_stride,
                          mem + (size_t)(i0 - first) * mstride, mstride * (size_t)banks, blen, n,
                          write));
    }
    return TG_OK;
}

static tg_status check_l1(size_t off, size_t stride, size_t blen, int64_t count) {
    size_t l1 = tg_core_self()->l1.size;
    if (count <= 0) return TG_OK;
    size_t end = off + (size_t)(count - 1) * stride + blen;
    if (end > l1 || end < off)
        return tg_err(TG_ERR_RUNTIME, "DRAM transfer: L1 address %zu..%zu is beyond its %zu B", off,
                      end, l1);
    return TG_OK;
}

tg_status tg_dram_read(const tg_dram_buf *b, int64_t first, int64_t count, size_t page_off,
                       size_t blen, size_t dst_off, size_t dst_stride) {
    TG_CHECK(check_l1(dst_off, dst_stride, blen, count));
    return dram_move(b, first, count, page_off, blen, tg_noc.base[WIN_L1] + dst_off, dst_stride,
                     false);
}

tg_status tg_dram_write(const tg_dram_buf *b, int64_t first, int64_t count, size_t page_off,
                        size_t blen, size_t src_off, size_t src_stride) {
    TG_CHECK(check_l1(src_off, src_stride, blen, count));
    return dram_move(b, first, count, page_off, blen, tg_noc.base[WIN_L1] + src_off, src_stride,
                     true);
}

tg_status tg_dram_write_host_part(const tg_dram_buf *b, int64_t first, int64_t count,
                                  size_t page_off, size_t blen, const void *src,
                                  size_t src_stride) {
    TG_CHECK(dram_move(b, first, count, page_off, blen, (uint8_t *)src, src_stride, true));
    return tg_noc_write_barrier();
}

tg_status tg_dram_write_host(const tg_dram_buf *b, int64_t first, int64_t count, const void *src,
                             size_t src_stride) {
    return tg_dram_write_host_part(b, first, count, 0, b->page_size, src, src_stride);
}

tg_status tg_dram_read_host(const tg_dram_buf *b, int64_t first, int64_t count, void *dst,
                            size_t dst_stride) {
    TG_CHECK(dram_move(b, first, count, 0, b->page_size, dst, dst_stride, false));
    return tg_noc_read_barrier();
}
