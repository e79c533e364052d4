/* What a rank leaves behind when the job is ended from outside, part of src/noc
 * (DESIGN.md section 10: nothing half-written).
 *
 * When one rank dies (a crash, kill -9) or calls MPI_Abort (the watchdog), the
 * launcher ends the others: Open MPI's mpirun sends SIGTERM, then SIGKILL a second
 * later (odls_base_sigkill_timeout); Slurm sends SIGTERM, then SIGKILL after
 * KillWait. A rank caught by SIGTERM or SIGINT removes the files registered with
 * tg_noc_remove_on_kill (io's temporary outputs, whose names every rank knows) and
 * dies of the same signal, so the job still ends as the launcher wants. A process
 * killed by SIGKILL runs nothing: a job whose only rank is killed that way, or all
 * of whose ranks are, leaves its temporary files. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "noc_impl.h"

#define KILL_FILES 16
#define KILL_PATH_MAX 4096

static char paths[KILL_FILES][KILL_PATH_MAX];
static volatile sig_atomic_t used[KILL_FILES];

void noc_kill_remove_files(void) {
    for (int i = 0; i < KILL_FILES; i++)
        if (used[i]) unlink(paths[i]);
}

static void on_signal(int sig) {
    noc_kill_remove_files();
    signal(sig, SIG_DFL);
    raise(sig);
}

void noc_kill_init(void) {
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        /* a handler someone installed before (a debugger, a profiler) stays */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            sigaction(sigs[i], &sa, NULL);
    }
}

tg_status tg_noc_remove_on_kill(const char *path) {
    if (strlen(path) >= KILL_PATH_MAX)
        return tg_err(TG_ERR_RUNTIME, "NoC: path of %zu characters is too long to register",
                      strlen(path));
    for (int i = 0; i < KILL_FILES; i++)
        if (!used[i]) {
            snprintf(paths[i], KILL_PATH_MAX, "%s", path);
            atomic_signal_fence(memory_order_seq_cst); /* the path before the flag */
            used[i] = 1;
            return TG_OK;
        }
    return tg_err(TG_ERR_RUNTIME, "NoC: more than %d files to remove on a kill", KILL_FILES);
}

void tg_noc_keep_on_kill(const char *path) {
    for (int i = 0; i < KILL_FILES; i++)
        if (used[i] && !strcmp(paths[i], path)) used[i] = 0;
}
