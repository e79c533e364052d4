/* Fault injection for io's rank-local steps (TTGRID_IO_FAULT, issue 12): makes one
 * rank's step fail as a full disk or a file that rank cannot see would, so that the
 * agreement after every rank-local step is testable without root, a full disk or a
 * cluster.
 *
 * The step itself is not performed when it is made to fail: the caller sees the
 * errno a real failure gives (ENOENT for stat, EACCES for open, ENOSPC for the
 * others, ENOMEM for alloc) and takes its ordinary error path, so the test runs
 * exactly the code a real failure runs. Collective HDF5 calls are never skipped on
 * one rank (that would be a hang of our own making): a step that fails here is
 * always rank-local, and "close" lets the collective close happen and then reports
 * it failed on that rank. The messages say the failure was injected. */
#include "io_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const step_names[IO_STEP_COUNT] = {"stat",  "open",  "create", "alloc",
                                                      "write", "close", "copy",   "rename"};
static const int step_errno[IO_STEP_COUNT] = {ENOENT, EACCES, ENOSPC, ENOMEM,
                                              ENOSPC, ENOSPC, ENOSPC, EACCES};

static struct {
    bool armed;
    int rank;
    io_step step;
    long nth;  /* which occurrence of the step fails (1: the first) */
    long seen; /* occurrences so far on this rank */
} fault;

static bool injected; /* the last failure reported by io_fault was injected */

tg_status tg_io_fault_setup(const char *spec) {
    memset(&fault, 0, sizeof fault);
    injected = false;
    if (!spec || !*spec) return TG_OK;
    char buf[64], *end;
    snprintf(buf, sizeof buf, "%s", spec);
    char *step = strchr(buf, ':');
    long rank = -1, nth = 1;
    if (step && step != buf) {
        *step++ = '\0';
        rank = strtol(buf, &end, 10);
        if (*end != '\0' || rank < 0 || rank > 1 << 20) rank = -1;
        char *count = strchr(step, ':');
        if (count) {
            *count++ = '\0';
            nth = strtol(count, &end, 10);
            if (*end != '\0' || count == end || nth < 1 || nth > 1 << 20) rank = -1;
        }
    }
    int found = -1;
    for (int i = 0; step && i < IO_STEP_COUNT; i++)
        if (!strcmp(step, step_names[i])) found = i;
    if (rank < 0 || found < 0 || strlen(spec) >= sizeof buf)
        return tg_err(TG_ERR_USAGE,
                      "TTGRID_IO_FAULT='%s': expected RANK:STEP[:N] with STEP one of stat, open, "
                      "create, alloc, write, close, copy, rename",
                      spec);
    if (rank >= tg_core_self()->nranks)
        return tg_err(TG_ERR_USAGE, "TTGRID_IO_FAULT='%s': rank %ld, but there are %d ranks", spec,
                      rank, tg_core_self()->nranks);
    fault.armed = true;
    fault.rank = (int)rank;
    fault.step = (io_step)found;
    fault.nth = nth;
    return TG_OK;
}

int io_fault(io_step step) {
    injected = false;
    if (!fault.armed || fault.step != step || tg_core_self()->rank != fault.rank) return 0;
    if (++fault.seen != fault.nth) return 0;
    injected = true;
    errno = step_errno[step];
    return errno;
}

const char *io_fault_note(void) {
    return injected ? " (injected by TTGRID_IO_FAULT)" : "";
}

const char *io_strerror(int e) {
    static char buf[160];
    snprintf(buf, sizeof buf, "%s%s", strerror(e), io_fault_note());
    return buf;
}
