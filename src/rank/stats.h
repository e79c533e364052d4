/* Per-op, per-core statistics (DESIGN.md sections 8 and 9), part of src/rank.
 *
 * An op opens a scope with tg_stats_begin("conv2d") and closes it with
 * tg_stats_end(); everything counted in between (by src/noc for traffic, by ops for
 * halo sticks and compute) lands in that op's record on this core. Traffic on
 * links and DRAM banks is counted by the core that starts the transfer but belongs
 * to the link's or bank's core, so those counts are kept for every core and summed
 * over ranks when src/noc gathers the table (tg_noc_stats_gather). Work outside any
 * scope goes to an op named "other". Pure: the records live in this process, and
 * nothing here talks to another rank. */
#ifndef TG_STATS_H
#define TG_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Counters of one op on one core. */
typedef struct tg_counters {
    double seconds;         /* wall time between begin and end */
    double compute_seconds; /* time inside compute kernels */
    double model_cycles;    /* modelled device cycles: compute + NoC + DRAM */
    double macs;            /* multiply-accumulates done */
    uint64_t noc_read_bytes, noc_write_bytes, noc_mcast_bytes;
    uint64_t noc_transactions; /* NoC transactions started (pages, blocks, multicasts) */
    uint64_t messages;         /* MPI operations issued for them */
    uint64_t hops;             /* links crossed, summed over transactions */
    uint64_t dram_read_bytes, dram_write_bytes; /* started by this core */
    uint64_t halo_pad_sticks, halo_local_sticks, halo_remote_sticks, halo_remote_bytes;
    uint64_t halo_cores;  /* other cores this core fetched halo sticks from */
    size_t l1_high_water; /* L1 bytes in use at the op's peak */
    /* the device's time of the op on this core, modelled from its plan (timeline.h), in
     * cycles from the op's start; model_cycles is then end - start */
    bool model_set;
    double model_start, model_end, model_op_cycles;
    double model_reader, model_compute, model_writer; /* kernels' busy cycles */
    double model_wait, model_ideal;                   /* waiting; TTNN's ideal compute */
    int model_bound;                                  /* tg_tl_bound: this core's */
    int model_op_bound;                               /* ... and the op's */
} tg_counters;

/* Opens an op scope (nested scopes are not allowed: a second begin closes the first). */
void tg_stats_begin(const char *name);
void tg_stats_end(void);
/* The name of the open scope ("other" outside any): the op that src/noc's
 * watchdog and fault injection (TTGRID_FAULT) name. */
const char *tg_stats_scope(void);
/* The counters of the open scope (or of "other"). */
tg_counters *tg_stats_now(void);
/* The counters of the scope closed last (zeros before any). */
const tg_counters *tg_stats_last(void);
/* Directions of the links leaving a core (src/noc names them TG_LINK_E, S, N, W). */
#define TG_STATS_LINK_DIRS 4
/* Where traffic of the open scope (or of "other") is counted: returns its counters
 * and sets its bytes per directed link, [cores][TG_STATS_LINK_DIRS] indexed
 * core * TG_STATS_LINK_DIRS + dir, and bytes served per DRAM bank, [banks]. When
 * the host is out of memory the counters are a spare record and the arrays NULL. */
tg_counters *tg_stats_sink(uint64_t **links, uint64_t **banks);
/* Adds elapsed seconds since `t0` (tg_stats_clock()) to compute_seconds. */
double tg_stats_clock(void);
void tg_stats_compute(double t0);
/* Forgets every record (tests). */
void tg_stats_reset(void);

/* ---- reading the records (src/noc gathers them over ranks) ---- */

/* Closes the open scope and returns how many records there are: "other" first,
 * then the ops in the order they began. */
int tg_stats_close(void);
/* Record i (0 <= i < tg_stats_close()): its op name, counters, link bytes
 * [cores][TG_STATS_LINK_DIRS] and bank bytes [banks] as tg_stats_sink has them. */
typedef struct tg_stats_record {
    const char *name;
    const tg_counters *k;
    const uint64_t *links;
    const uint64_t *banks;
} tg_stats_record;
tg_stats_record tg_stats_record_at(int i);

/* The gathered table: one row per op per core. Every rank learns the shape and
 * the column names; the data and the op label of each row are on rank 0 only. */
typedef struct tg_stats_table {
    int ncols;
    int64_t nrows;
    const char *const *names;
    double *data;  /* nrows x ncols */
    char **labels; /* op name per row */
} tg_stats_table;

/* The table's columns: returns their number and sets their names. */
int tg_stats_columns(const char *const **names);
/* Fills one row of the table (tg_stats_columns() values): op `op` on core `core` at
 * (x, y), with its counters, the bytes of the 4 links leaving the core and the
 * bytes its DRAM banks served, both summed over every core that moved them. */
void tg_stats_row(double *row, int op, int core, int x, int y, const tg_counters *k,
                  const uint64_t *links, double served);
void tg_stats_table_free(tg_stats_table *t);
/* Writes the table as CSV to path (rank 0; the caller makes it the output by renaming). */
tg_status tg_stats_write_csv(const tg_stats_table *t, const char *path);

#endif
