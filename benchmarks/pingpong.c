/* A cache line's round trip between two CPUs: a thread on each, taking
 * turns to write one shared counter.  Prints the median round trip in ns of
 * `windows` windows of `seconds` each.  Built and run by benchmarks/cores.py:
 *     cc -O2 -pthread pingpong.c -o pingpong && ./pingpong CPU_A CPU_B SECONDS WINDOWS */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Alignas(64) _Atomic long turn;
static _Atomic int done;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *answer(void *cpu) {  /* turns 1, 3, 5, ... -> 2, 4, 6, ... */
    pin(*(int *)cpu);
    for (long v = 1; !atomic_load(&done);) {
        if (atomic_load_explicit(&turn, memory_order_acquire) == v) {
            atomic_store_explicit(&turn, v + 1, memory_order_release);
            v += 2;
        }
    }
    return NULL;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s CPU_A CPU_B SECONDS WINDOWS\n", argv[0]);
        return 2;
    }
    int a = atoi(argv[1]), b = atoi(argv[2]), windows = atoi(argv[4]);
    double seconds = atof(argv[3]), ns[1000];
    if (windows < 1 || windows > 1000) return 2;
    pthread_t other;
    pin(a);
    pthread_create(&other, NULL, answer, &b);
    long v = 0;
    for (int w = 0; w < windows; w++) {
        double start = now();
        long trips = 0;
        while (now() - start < seconds) {
            for (int i = 0; i < 1000; i++, v += 2) {
                atomic_store_explicit(&turn, v + 1, memory_order_release);
                while (atomic_load_explicit(&turn, memory_order_acquire) != v + 2) {}
            }
            trips += 1000;
        }
        ns[w] = 1e9 * (now() - start) / trips;
    }
    atomic_store(&done, 1);
    pthread_join(other, NULL);
    qsort(ns, windows, sizeof ns[0], by_value);
    printf("%.1f\n", ns[windows / 2]);
    return 0;
}
