/*
 * Guest library for Turnstone components. ABI.md (this folder) is the
 * definition of everything here; this header only names it.
 *
 * Included by start.S too, so the C part is hidden from the assembler and
 * the constants are plain integers (no U/L suffixes).
 */
#ifndef TURNSTONE_H
#define TURNSTONE_H

#define TS_HYPERCALL_PORT 0xE8

#define TS_CALL_BLOCK  0x100000
#define TS_INPUT_AREA  0x101000
#define TS_OUTPUT_AREA 0x201000
#define TS_AREA_MAX    0x100000 /* input and output area: at most 1 MiB each */
#define TS_IMAGE_BASE  0x400000

/* Longer names end the VM; the library refuses them with TS_EINVAL instead. */
#define TS_NAME_MAX 64

#define TS_HC_EXIT         0
#define TS_HC_PRINT        1
#define TS_HC_HOST_CALL    2
#define TS_HC_REGISTER     3
#define TS_HC_CLOCK        4
#define TS_HC_HALT         5
#define TS_HC_TIMER        6
#define TS_HC_TIMER_RETURN 7
#define TS_HC_READY        8

#define TS_EINVAL (-1)
#define TS_ENOENT (-2)
#define TS_E2BIG  (-3)
#define TS_EHOST  (-4)

#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

/*
 * A function the host can call. Returns the number of bytes written to out
 * (at most out_cap: more ends the VM) or a negative TS_E* code.
 */
typedef long (*ts_function)(const void *in, size_t in_len, void *out, size_t out_cap);

/* Runs asynchronously, like a signal handler: touch only volatile state. */
typedef void (*ts_timer_handler)(uint64_t ticks);

noreturn void ts_exit(int status);

/* Both return the number of bytes printed. ts_puts adds no newline. */
long ts_print(const char *s, size_t len);
long ts_puts(const char *s);
void ts_print_u64(uint64_t value);
void ts_print_i64(int64_t value);
void ts_print_hex(uint64_t value); /* "0x" and at least one lowercase digit */

/* Bytes the host wrote to out, or a negative TS_E* code. */
long ts_host_call(const char *name, const void *in, size_t in_len, void *out, size_t out_cap);

int ts_register(const char *name, ts_function fn);

/* Nanoseconds since the component started. */
uint64_t ts_clock_ns(void);

/* Sleeps for timeout_ns, or until the next timer tick if 0 (a tick ends either). */
void ts_halt(uint64_t timeout_ns);

/* period_ns must be at least 100 us (else TS_EINVAL). One timer per component. */
int ts_timer_start(uint64_t period_ns, ts_timer_handler handler);
int ts_timer_stop(void);

/* Ends initialisation and answers calls from the host, forever. */
noreturn void ts_serve(void);

/* gcc emits calls to these even with -ffreestanding, so the library has them. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif /* __ASSEMBLER__ */
#endif /* TURNSTONE_H */
