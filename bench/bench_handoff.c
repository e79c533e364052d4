/* bench_handoff — the price of one process handing the processor to another, the
 * step an oversubscribed grid takes at every wait for another core (issue "Emulation
 * speed"). Two processes share one processor (both bound to the processor this one
 * starts on) and pass a turn back and forth through a futex word in shared memory, as
 * src/noc/node.c's waits do: the one whose turn it is takes it, hands it on, wakes the
 * other and sleeps until the turn comes back. The time per handoff is one wake-up, one
 * sleep and one context switch. No MPI and no ttgrid code: it measures the machine
 * (a virtual machine's context switches can cost several times a bare machine's).
 *
 * Usage: bench_handoff [HANDOFFS]   (default 200000). Prints `handoff_us=` for drivers
 * (bench/run_resnet50.sh multiplies it by a pass's context switches). */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Sleeps while *w == val (returns at once when it has moved on). */
static void futex_wait(_Atomic uint32_t *w, uint32_t val) {
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w) {
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Process `me` (0 or 1) takes turns 2i + me of the 2n: it waits for the word to reach
 * its turn, then moves it on and wakes the other. */
static void play(_Atomic uint32_t *w, int me, long n) {
    for (long i = 0; i < n; i++) {
        uint32_t mine = (uint32_t)(2 * i + me), v;
        while ((v = atomic_load(w)) != mine) futex_wait(w, v);
        atomic_store(w, mine + 1);
        futex_wake(w);
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n < 1000 || n > 100000000) {
        fprintf(stderr, "usage: bench_handoff [HANDOFFS: 1000..100000000]\n");
        return 2;
    }
    n /= 2; /* round trips */
    _Atomic uint32_t *w =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED) {
        perror("bench_handoff: mmap");
        return 1;
    }
    atomic_store(w, 0);
    int cpu = sched_getcpu();
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu < 0 ? 0 : cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) perror("bench_handoff: sched_setaffinity");
    double t0 = now();
    pid_t child = fork();
    if (child < 0) {
        perror("bench_handoff: fork");
        return 1;
    }
    play(w, child == 0, n);
    if (child == 0) _exit(0);
    double t = now() - t0;
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_handoff: the other process failed\n");
        return 1;
    }
    double us = t / (2.0 * (double)n) * 1e6;
    printf("bench_handoff: %ld handoffs between two processes on one processor in %.3f s: "
           "%.2f us each (a futex wake, a sleep and a context switch)\n",
           2 * n, t, us);
    printf("handoff_us=%.3f\n", us);
    return 0;
}
