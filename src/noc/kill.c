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
 * of whose ranks are, leaves its temporary files.
 *
 * The same handler removes Open MPI's own files of this job in the one-sided
 * component's folder. Open MPI 4.1's osc sm backs a window on one machine with a
 * file `osc_sm.HOST.JOBID.VPID.CID` (JOBID in hex) that the window's first rank
 * creates and unlinks only after every rank has attached to it; Open MPI does not
 * register it for removal at the job's end as it does its btl's segments. A rank
 * killed while the windows are being made (in tg_noc_init) leaves that file in
 * /dev/shm for good: the survivors are then waiting for it in MPI_Win_allocate
 * when the launcher's SIGTERM comes, so any of them removes every such file of the
 * job. The job's id is OMPI_MCA_ess_base_jobid, which mpirun (ORTE) gives its
 * ranks; without it (a direct launch by srun) nothing is removed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "noc_impl.h"

#define KILL_FILES 16
#define KILL_PATH_MAX 4096

static char paths[KILL_FILES][KILL_PATH_MAX];
static volatile sig_atomic_t used[KILL_FILES];

/* Open MPI's folder of window files and the part of their names that names this
 * job (".JOBID." in hex); empty when unknown. Set before the handlers. */
static char osc_dir[KILL_PATH_MAX];
static char osc_job[32];

/* The linux_dirent64 records getdents64 fills (the kernel's layout, which glibc
 * declares only as struct dirent64). */
struct kill_dirent {
    unsigned long long ino;
    long long off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

/* Removes the osc sm files of this job: open, getdents64 and unlinkat only, so that
 * it may run in a signal handler (opendir allocates). */
static void remove_window_files(void) {
    if (!osc_job[0]) return;
    int dir = open(osc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return;
    /* long for the records' alignment */
    long buf[1024];
    long n;
    while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0)
        for (long at = 0; at < n;) {
            const struct kill_dirent *d = (const void *)((const char *)buf + at);
            at += d->reclen;
            static const char prefix[] = "osc_sm.";
            if (!strncmp(d->name, prefix, sizeof prefix - 1) &&
                strstr(d->name + sizeof prefix - 1, osc_job))
                unlinkat(dir, d->name, 0);
        }
    close(dir);
}

void noc_kill_remove_files(void) {
    for (int i = 0; i < KILL_FILES; i++)
        if (used[i]) unlink(paths[i]);
    remove_window_files();
}

/* The folder and job id of Open MPI's window files (see the head of the file). */
static void window_files_init(void) {
    const char *job = getenv("OMPI_MCA_ess_base_jobid");
    char *end = NULL;
    unsigned long id = job && *job ? strtoul(job, &end, 10) : 0;
    if (!job || !*job || *end || id > 0xffffffffUL) return;
    const char *dir = noc_osc_sm_dir();
    if (strlen(dir) >= sizeof osc_dir) return;
    snprintf(osc_dir, sizeof osc_dir, "%s", dir);
    snprintf(osc_job, sizeof osc_job, ".%lx.", id);
}

static void on_signal(int sig) {
    noc_kill_remove_files();
    signal(sig, SIG_DFL);
    raise(sig);
}

void noc_kill_init(void) {
    window_files_init();
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
