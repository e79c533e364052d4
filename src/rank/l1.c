/* The L1 allocator: named live blocks over one arena, in the device's model or first fit.
 *
 * The device's L1 allocator places every buffer of an op at the same address on all
 * cores of its grid; ttgrid gets the same property for free because every rank runs
 * the same allocation sequence (SPMD) — except where a core has nothing to hold,
 * which is why callers allocate full shard sizes even for short or empty shards.
 * Blocks are kept sorted by offset so that a fit and the free-space report are one
 * pass. The device model (rank.h) follows TTNN's allocator: buffers top-down between
 * the unreserved base and L1_SMALL, each in the highest free block that fits, at its
 * top (tt_metal/impl/allocator/l1_banking_allocator.cpp and bank_manager.cpp: L1 banks
 * allocate top-down; tests/ttnn/NOTES.md section 2), and circular buffers from the
 * unreserved base upward (tt_metal/impl/program/program.cpp @ 5cd3a453,
 * ProgramImpl::allocate_circular_buffers / validate_circular_buffer_region). */
#include "rank.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tg_l1_init(tg_l1 *l1, uint8_t *base, size_t size, size_t align, int core_x, int core_y) {
    memset(l1, 0, sizeof *l1);
    l1->base = base;
    l1->size = size;
    l1->lo = 0;
    l1->hi = size;
    l1->align = align ? align : 1;
    l1->cb_align = l1->align;
    snprintf(l1->what, sizeof l1->what, "L1 on core (%d,%d)", core_x, core_y);
}

void tg_l1_init_device(tg_l1 *l1, uint8_t *base, size_t size, size_t unreserved, size_t l1_small,
                       size_t align, size_t cb_align, int core_x, int core_y) {
    tg_l1_init(l1, base, size, align, core_x, core_y);
    l1->lo = unreserved < size ? unreserved : size;
    l1->hi = l1_small < size - l1->lo ? size - l1_small : l1->lo;
    l1->cb_align = cb_align ? cb_align : l1->align;
    l1->top_down = true;
}

void tg_l1_set_label(tg_l1 *l1, const char *what) {
    snprintf(l1->what, sizeof l1->what, "%s", what);
}

void tg_l1_destroy(tg_l1 *l1) {
    free(l1->blocks);
    l1->blocks = NULL;
    l1->n = l1->cap = 0;
    l1->nsmall = 0;
    l1->in_use = 0;
}

tg_status tg_l1_clone(tg_l1 *dst, const tg_l1 *src) {
    *dst = *src;
    dst->blocks = malloc((size_t)(src->cap ? src->cap : 1) * sizeof *dst->blocks);
    if (!dst->blocks) return tg_err(TG_ERR_RUNTIME, "L1 allocator: host out of memory");
    if (src->n) memcpy(dst->blocks, src->blocks, (size_t)src->n * sizeof *src->blocks);
    return TG_OK;
}

static size_t round_up(size_t v, size_t a) {
    return (v + a - 1) / a * a;
}

/* Bytes held by buffers (the open circular-buffer region aside). */
static size_t buffer_bytes(const tg_l1 *l1) {
    return l1->in_use - l1->cb_bytes;
}

size_t tg_l1_free_bytes(const tg_l1 *l1) {
    return (l1->hi - l1->lo) - buffer_bytes(l1);
}

/* The free gap before block i (i == n: the gap up to hi). */
static void gap(const tg_l1 *l1, int i, size_t *from, size_t *to) {
    *from = i > 0 ? l1->blocks[i - 1].off + l1->blocks[i - 1].size : l1->lo;
    *to = i < l1->n ? l1->blocks[i].off : l1->hi;
    if (*to < *from) *to = *from;
}

size_t tg_l1_largest_free(const tg_l1 *l1) {
    size_t best = 0, from, to;
    for (int i = 0; i <= l1->n; i++) {
        gap(l1, i, &from, &to);
        if (to - from > best) best = to - from;
    }
    return best;
}

size_t tg_l1_lowest(const tg_l1 *l1) {
    return l1->n ? l1->blocks[0].off : l1->hi;
}

tg_status tg_l1_alloc(tg_l1 *l1, const char *name, size_t bytes, size_t *off) {
    return tg_l1_alloc_banks(l1, name, bytes, 1, off);
}

tg_status tg_l1_alloc_banks(tg_l1 *l1, const char *name, size_t bytes, int banks, size_t *off) {
    size_t need = round_up(bytes ? bytes : 1, l1->align);
    if (bytes > l1->size) need = bytes; /* no rounding overflow on absurd sizes */
    int pos = -1;
    size_t at = 0, from, to;
    if (l1->top_down) {
        /* the highest gap that fits, at its top */
        for (int i = l1->n; i >= 0 && pos < 0; i--) {
            gap(l1, i, &from, &to);
            if (to - from >= need) pos = i, at = to - need;
        }
    } else {
        for (int i = 0; i <= l1->n && pos < 0; i++) {
            gap(l1, i, &from, &to);
            if (to - from >= need) pos = i, at = from;
        }
    }
    if (pos < 0) {
        size_t bank = l1->hi - l1->lo, held = buffer_bytes(l1);
        char ttnn[400];
        tg_l1_ttnn_oom_text(ttnn, sizeof ttnn, "L1", need, banks > 0 ? banks : 1, bank, held,
                            bank - held, tg_l1_largest_free(l1));
        return tg_err(TG_ERR_RUNTIME,
                      "out of memory in %s: '%s' asks %zu B, %zu B free of %zu B "
                      "(largest free block %zu B) [TTNN: %s]",
                      l1->what, name, bytes, tg_l1_free_bytes(l1), bank, tg_l1_largest_free(l1),
                      ttnn);
    }
    if (l1->n == l1->cap) {
        int cap = l1->cap ? 2 * l1->cap : 16;
        tg_l1_block *b = realloc(l1->blocks, (size_t)cap * sizeof *b);
        if (!b) return tg_err(TG_ERR_RUNTIME, "L1 allocator: host out of memory");
        l1->blocks = b;
        l1->cap = cap;
    }
    memmove(&l1->blocks[pos + 1], &l1->blocks[pos], (size_t)(l1->n - pos) * sizeof *l1->blocks);
    tg_l1_block *b = &l1->blocks[pos];
    b->off = at;
    b->size = need;
    snprintf(b->name, sizeof b->name, "%s", name);
    l1->n++;
    l1->in_use += need;
    if (l1->in_use > l1->high_water) l1->high_water = l1->in_use;
    *off = at;
    return TG_OK;
}

void tg_l1_ttnn_oom_text(char *msg, size_t cap, const char *region, size_t bank_bytes, int banks,
                         size_t bank_size, size_t allocated, size_t free, size_t largest) {
    snprintf(msg, cap,
             "Out of Memory: Not enough space to allocate %zu B %s buffer across %d banks, where "
             "each bank needs to store %zu B, but bank size is %zu B (allocated: %zu B, free: %zu "
             "B, largest free block: %zu B)",
             bank_bytes * (size_t)banks, region, banks, bank_bytes, bank_size, allocated, free,
             largest);
}

bool tg_l1_ttnn_cb_text(char *msg, size_t cap, const char *program, const char *range,
                        size_t cb_end, size_t l1_size, size_t lowest) {
    if (cb_end > l1_size) {
        snprintf(msg, cap,
                 "Statically allocated circular buffers on core range %s grow to %zu B which is "
                 "beyond max L1 size of %zu B",
                 range, cb_end, l1_size);
        return true;
    }
    if (lowest != SIZE_MAX && lowest < cb_end) {
        snprintf(msg, cap,
                 "Statically allocated circular buffers in program %s clash with L1 buffers on "
                 "core range %s. L1 buffer allocated at %zu and static circular buffer region "
                 "ends at %zu",
                 program, range, lowest, cb_end);
        return true;
    }
    return false;
}

tg_status tg_l1_alloc_small(tg_l1 *l1, const char *name, size_t bytes, int banks, size_t *off) {
    size_t need = round_up(bytes ? bytes : 1, l1->align);
    if (bytes > l1->size) need = bytes;
    size_t top = l1->size, held = 0, largest = 0;
    int pos = -1;
    /* the highest gap that fits, at its top (gaps between hi and size, from the top) */
    for (int i = l1->nsmall; i >= 0; i--) {
        size_t from = i > 0 ? l1->small[i - 1].off + l1->small[i - 1].size : l1->hi;
        size_t to = i < l1->nsmall ? l1->small[i].off : top;
        if (to - from > largest) largest = to - from;
        if (pos < 0 && to - from >= need) pos = i, *off = to - need;
    }
    for (int i = 0; i < l1->nsmall; i++) held += l1->small[i].size;
    if (pos < 0 || l1->nsmall == TG_L1_SMALL_MAX) {
        size_t bank = l1->size - l1->hi;
        char ttnn[400];
        tg_l1_ttnn_oom_text(ttnn, sizeof ttnn, "L1_SMALL", need, banks > 0 ? banks : 1, bank, held,
                            bank - held, largest);
        return tg_err(TG_ERR_RUNTIME,
                      "out of memory in the L1_SMALL region of %s: '%s' asks %zu B of %zu B "
                      "(open the device with a larger --l1-small-size, e.g. 24576 as TTNN's "
                      "ResNet-50 tests do) [TTNN: %s]",
                      l1->what, name, bytes, bank - held, ttnn);
    }
    memmove(&l1->small[pos + 1], &l1->small[pos], (size_t)(l1->nsmall - pos) * sizeof *l1->small);
    l1->small[pos].off = *off;
    l1->small[pos].size = need;
    snprintf(l1->small[pos].name, sizeof l1->small[pos].name, "%s", name);
    l1->nsmall++;
    return TG_OK;
}

tg_status tg_l1_free(tg_l1 *l1, size_t off) {
    for (int i = 0; i < l1->nsmall; i++)
        if (l1->small[i].off == off) {
            memmove(&l1->small[i], &l1->small[i + 1],
                    (size_t)(l1->nsmall - i - 1) * sizeof *l1->small);
            l1->nsmall--;
            return TG_OK;
        }
    for (int i = 0; i < l1->n; i++) {
        if (l1->blocks[i].off == off) {
            l1->in_use -= l1->blocks[i].size;
            memmove(&l1->blocks[i], &l1->blocks[i + 1],
                    (size_t)(l1->n - i - 1) * sizeof *l1->blocks);
            l1->n--;
            return TG_OK;
        }
    }
    return tg_err(TG_ERR_RUNTIME, "free in %s: offset %zu is not allocated", l1->what, off);
}

void tg_l1_reset_high_water(tg_l1 *l1) {
    l1->high_water = l1->in_use;
}

tg_status tg_l1_cb_open(tg_l1 *l1, size_t bytes, const char *program, const char *range) {
    if (l1->cb_bytes)
        return tg_err(TG_ERR_RUNTIME, "%s: a circular-buffer region is already open", l1->what);
    size_t lowest = l1->n ? l1->blocks[0].off : SIZE_MAX;
    size_t end = bytes > SIZE_MAX - l1->lo ? SIZE_MAX : l1->lo + bytes;
    char ttnn[400];
    if (tg_l1_ttnn_cb_text(ttnn, sizeof ttnn, program, range, end, l1->size, lowest))
        return tg_err(TG_ERR_RUNTIME,
                      "%s: %s's circular buffers need %zu B from %zu, %s [TTNN: %s]", l1->what,
                      program, bytes, l1->lo,
                      end > l1->size ? "past the end of L1" : "past the lowest L1 buffer", ttnn);
    l1->cb_bytes = bytes;
    l1->in_use += bytes;
    if (l1->in_use > l1->high_water) l1->high_water = l1->in_use;
    return TG_OK;
}

void tg_l1_cb_close(tg_l1 *l1) {
    l1->in_use -= l1->cb_bytes;
    l1->cb_bytes = 0;
}
