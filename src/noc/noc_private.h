/* Private to src/noc: the state shared by the transfer, synchronisation and DRAM
 * code. */
#ifndef TG_NOC_PRIVATE_H
#define TG_NOC_PRIVATE_H

#include "noc.h"
#include "stats.h"

enum { WIN_L1 = 0, WIN_DRAM = 1, NWIN = 2 };

typedef struct noc_pending {
    MPI_Request req;
    uint8_t *pack; /* two-sided strided read: packed reply to scatter, then free */
    uint8_t *dst;  /* where the packed blocks go */
    size_t blen, dst_stride;
    int64_t count;
} noc_pending;

typedef struct noc_state {
    bool ready;
    tg_noc_mode mode;
    MPI_Comm comm; /* NoC traffic (two-sided) and barriers */
    MPI_Comm row, col;
    MPI_Win win[NWIN];
    uint8_t *base[NWIN];
    size_t size[NWIN]; /* this rank's window bytes */
    int banks;
    tg_l1 dram; /* allocator over one bank's address space */
    /* outstanding transfers */
    bool reads_open, writes_open; /* one-sided: something to flush */
    noc_pending *pend;            /* two-sided reads and write acks */
    int npend, cappend;
    int next_tag;
} noc_state;

extern noc_state tg_noc;

/* Moves `count` blocks of `blen` bytes between my memory and window `win` of rank
 * `target` (disp + k*tstride there, mem + k*mstride here); `write` pushes. Counts
 * nothing: callers count. */
tg_status noc_move(int win, int target, size_t disp, size_t tstride, uint8_t *mem, size_t mstride,
                   size_t blen, int64_t count, bool write);
/* Counts a transfer of `bytes` in `ntrans` transactions moving from core `from`
 * to core `to` on the NoC with fewer hops. */
void noc_count_unicast(int from, int to, uint64_t bytes, uint64_t ntrans);
/* Waits for requests, serving other cores' two-sided requests meanwhile. */
void noc_wait(int n, MPI_Request *reqs);

#endif
