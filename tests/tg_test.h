/* The test runner shared by ttgrid's CUnit programs.
 *
 * CUnit's basic runner returns 0 even when tests fail; tg_test_main returns non-zero
 * when any assertion failed. Under MPI every rank runs the same suites silently,
 * prints its own failures (prefixed with its rank), the failure counts are summed
 * over ranks, and rank 0 prints the one "Run Summary". */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <stdbool.h>

#include <CUnit/CUnit.h>

/* Registers the program's suites (CU_add_suite / CU_add_test). */
typedef void (*tg_test_register)(void);

/* Exit code of a test program that cannot run on this machine (ctest's
 * SKIP_RETURN_CODE). */
#define TG_TEST_SKIP 77

/* Runs the suites. With `mpi`, starts MPI, this core (default arch) and the NoC
 * (one-sided, or TTGRID_NOC_MODE) around them. The matrix kernel is the one
 * TTGRID_KERNEL names, else the widest this processor runs; a named one this
 * processor cannot run makes the program print why and return TG_TEST_SKIP, which
 * ctest's forced-kernel entries count as skipped (tests/CMakeLists.txt). */
int tg_test_main(int argc, char **argv, tg_test_register reg, bool mpi);

/* Runs body once with each NoC mechanism (one-sided, then two-sided); MPI only. */
void tg_test_each_noc_mode(void (*body)(void));

/* Adds a suite with the given tests (NULL-terminated name/function pairs). */
void tg_test_suite(const char *name, ...);

/* Deterministic pseudo-random numbers for test inputs (xorshift64*). */
typedef struct {
    unsigned long long s;
} tg_rng;
void tg_rng_seed(tg_rng *r, unsigned long long seed);
unsigned long long tg_rng_next(tg_rng *r);
int tg_rng_int(tg_rng *r, int lo, int hi); /* uniform in [lo, hi] */
float tg_rng_float(tg_rng *r);             /* uniform in [-1, 1) */

#endif
