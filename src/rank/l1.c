/* The L1 allocator: first fit over one arena, with named live blocks.
 *
 * The device's L1 allocator places every buffer of an op at the same address on all
 * cores of its grid; ttgrid gets the same property for free because every rank runs
 * the same allocation sequence (SPMD) — except where a core has nothing to hold,
 * which is why callers allocate full shard sizes even for short or empty shards.
 * Blocks are kept sorted by offset so that first fit and the free-space report are
 * one pass. */
#include "rank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tg_l1_init(tg_l1 *l1, uint8_t *base, size_t size, size_t align, int core_x, int core_y) {
    memset(l1, 0, sizeof *l1);
    l1->base = base;
    l1->size = size;
    l1->align = align ? align : 1;
    snprintf(l1->what, sizeof l1->what, "L1 on core (%d,%d)", core_x, core_y);
}

void tg_l1_set_label(tg_l1 *l1, const char *what) {
    snprintf(l1->what, sizeof l1->what, "%s", what);
}

void tg_l1_destroy(tg_l1 *l1) {
    free(l1->blocks);
    l1->blocks = NULL;
    l1->n = l1->cap = 0;
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

size_t tg_l1_free_bytes(const tg_l1 *l1) {
    return l1->size - l1->in_use;
}

size_t tg_l1_largest_free(const tg_l1 *l1) {
    size_t best = 0, at = 0;
    for (int i = 0; i < l1->n; i++) {
        if (l1->blocks[i].off - at > best) best = l1->blocks[i].off - at;
        at = l1->blocks[i].off + l1->blocks[i].size;
    }
    if (l1->size - at > best) best = l1->size - at;
    return best;
}

tg_status tg_l1_alloc(tg_l1 *l1, const char *name, size_t bytes, size_t *off) {
    size_t need = round_up(bytes ? bytes : 1, l1->align);
    if (bytes > l1->size) need = bytes; /* no rounding overflow on absurd sizes */
    size_t at = 0;
    int pos = 0;
    for (; pos <= l1->n; pos++) {
        size_t end = pos < l1->n ? l1->blocks[pos].off : l1->size;
        if (end >= at && end - at >= need) break;
        if (pos < l1->n) at = l1->blocks[pos].off + l1->blocks[pos].size;
    }
    if (pos > l1->n) {
        return tg_err(TG_ERR_RUNTIME,
                      "out of memory in %s: '%s' asks %zu B, %zu B free of %zu B "
                      "(largest free block %zu B)",
                      l1->what, name, bytes, tg_l1_free_bytes(l1), l1->size,
                      tg_l1_largest_free(l1));
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

tg_status tg_l1_free(tg_l1 *l1, size_t off) {
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
