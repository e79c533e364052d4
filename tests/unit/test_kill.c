/* Unit tests of src/noc's kill.c: the files a rank removes when the launcher ends
 * the job with a signal (each case runs in a child process, which the signal ends). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "noc.h"
#include "noc_impl.h"
#include "tg_test.h"
#include "unit.h"

/* In a child: registers `reg` (and forgets `keep` after registering it), then
 * raises sig; returns how the child ended (waitpid status). */
static int child_killed(const char *reg, const char *keep, int sig) {
    pid_t pid = fork();
    if (pid == 0) {
        noc_kill_init();
        if (tg_noc_remove_on_kill(reg) != TG_OK) _exit(3);
        if (keep) {
            if (tg_noc_remove_on_kill(keep) != TG_OK) _exit(3);
            tg_noc_keep_on_kill(keep);
        }
        raise(sig);
        _exit(4); /* not reached: the signal ends the child */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

static void touch(const char *path) {
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
}

static void kill_removes_registered_files_and_dies_of_the_signal(void) {
    char a[] = "/tmp/tg_kill_a_XXXXXX", b[] = "/tmp/tg_kill_b_XXXXXX";
    int fa = mkstemp(a), fb = mkstemp(b);
    CU_ASSERT_FATAL(fa >= 0 && fb >= 0);
    close(fa), close(fb);
    int st = child_killed(a, b, SIGTERM);
    CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    CU_ASSERT_NOT_EQUAL(access(a, F_OK), 0); /* registered: removed */
    CU_ASSERT_EQUAL(access(b, F_OK), 0);     /* forgotten: kept */
    touch(a);
    st = child_killed(a, NULL, SIGINT);
    CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
    CU_ASSERT_NOT_EQUAL(access(a, F_OK), 0);
    touch(a);
    st = child_killed(a, NULL, SIGKILL); /* nothing runs on SIGKILL */
    CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    CU_ASSERT_EQUAL(access(a, F_OK), 0);
    unlink(a), unlink(b);
}

void unit_register_kill(void) {
    tg_test_suite("kill", "kill_removes_registered_files_and_dies_of_the_signal",
                  kill_removes_registered_files_and_dies_of_the_signal, NULL);
}
