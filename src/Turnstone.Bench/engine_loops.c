/* The loops of `turnstone bench engine` (LoopGuest.cs) as C, compiled with gcc -O2 and run on the
 * host: the same work, so wall times compare. Usage: engine_loops <integer iterations>
 * <memory passes> <elements per pass> <repeats>. Prints the best of the repeats in seconds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* noinline: the iteration count stays a run-time value, so gcc cannot fold the loop away. */
static __attribute__((noinline)) uint64_t integer_loop(uint64_t iterations)
{
    uint64_t rax = 1, rbx = 0;
    for (uint64_t rcx = iterations; rcx != 0; rcx--) {
        uint64_t rdx = rax >> 3;
        rax += rdx;
        rax ^= rcx;
        rbx += rax * 2;
    }
    return rax ^ rbx;
}

static __attribute__((noinline)) uint64_t memory_loop(const uint64_t *source, uint64_t *destination, uint64_t passes, uint64_t elements)
{
    uint64_t rax = 1;
    for (uint64_t pass = 0; pass < passes; pass++) {
        for (uint64_t rcx = elements; rcx != 0; rcx--) {
            destination[rcx] = source[rcx] + rax;
            rax += 3;
        }
        __asm__ volatile("" ::: "memory"); /* every pass's stores happen */
    }
    return rax ^ destination[elements / 2];
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s integer-iterations memory-passes elements repeats\n", argv[0]);
        return 2;
    }
    uint64_t iterations = strtoull(argv[1], NULL, 10), passes = strtoull(argv[2], NULL, 10), elements = strtoull(argv[3], NULL, 10);
    int repeats = atoi(argv[4]);
    uint64_t *source = calloc(elements + 1, sizeof *source), *destination = calloc(elements + 1, sizeof *destination);
    if (source == NULL || destination == NULL || repeats < 1) {
        return 2;
    }
    for (uint64_t i = 0; i <= elements; i++) {
        source[i] = i * 7;
        destination[i] = 1; /* touched before timing, like the guest's memory after the first pass */
    }
    uint64_t sink = 0;
    double integer_best = 1e30, memory_best = 1e30;
    for (int r = 0; r < repeats; r++) {
        double start = now();
        sink += integer_loop(iterations);
        double seconds = now() - start;
        integer_best = seconds < integer_best ? seconds : integer_best;
        start = now();
        sink += memory_loop(source, destination, passes, elements);
        seconds = now() - start;
        memory_best = seconds < memory_best ? seconds : memory_best;
    }
    printf("integer_seconds=%.9f\nmemory_seconds=%.9f\nsink=%llu\n", integer_best, memory_best, (unsigned long long)sink);
    return 0;
}
