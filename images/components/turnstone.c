/* Guest library for Turnstone components: see turnstone.h and ABI.md. */
#include "turnstone.h"

/*
 * One `outb` to the hypercall port. The monitor preserves every register
 * but RAX, so RAX is the only output; "memory" because the monitor reads
 * and writes guest memory through the pointer arguments. Unused arguments
 * are passed as 0.
 */
static inline long hypercall3(long nr, uint64_t a, uint64_t b, uint64_t c)
{
	long ret;
	__asm__ volatile("outb %%al, %[port]"
			 : "=a"(ret)
			 : "0"(nr), "D"(a), "S"(b), "d"(c), [port] "N"(TS_HYPERCALL_PORT)
			 : "memory");
	return ret;
}

static inline long hypercall6(long nr, uint64_t a, uint64_t b, uint64_t c,
			      uint64_t d, uint64_t e, uint64_t f)
{
	long ret;
	/* R8 and R9 have no constraint letters. */
	register uint64_t r8 __asm__("r8") = e;
	register uint64_t r9 __asm__("r9") = f;
	__asm__ volatile("outb %%al, %[port]"
			 : "=a"(ret)
			 : "0"(nr), "D"(a), "S"(b), "d"(c), "c"(d), "r"(r8), "r"(r9),
			   [port] "N"(TS_HYPERCALL_PORT)
			 : "memory");
	return ret;
}

noreturn void ts_exit(int status)
{
	/* ud2: should the monitor ever resume us, fault instead of running on. */
	__asm__ volatile("outb %%al, %[port]\n\tud2"
			 :
			 : "a"((long)TS_HC_EXIT), "D"((int64_t)status), [port] "N"(TS_HYPERCALL_PORT)
			 : "memory");
	__builtin_unreachable();
}

long ts_print(const char *s, size_t len)
{
	return hypercall3(TS_HC_PRINT, (uintptr_t)s, len, 0);
}

long ts_puts(const char *s)
{
	return ts_print(s, strlen(s));
}

void ts_print_u64(uint64_t value)
{
	char buf[20]; /* 2^64 - 1 has 20 digits */
	size_t i = sizeof buf;
	do {
		buf[--i] = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	ts_print(buf + i, sizeof buf - i);
}

void ts_print_i64(int64_t value)
{
	if (value < 0) {
		ts_print("-", 1);
		/* Negate as unsigned: -INT64_MIN overflows int64_t. */
		ts_print_u64(-(uint64_t)value);
	} else {
		ts_print_u64((uint64_t)value);
	}
}

void ts_print_hex(uint64_t value)
{
	char buf[18];
	size_t i = sizeof buf;
	do {
		buf[--i] = "0123456789abcdef"[value & 0xF];
		value >>= 4;
	} while (value != 0);
	buf[--i] = 'x';
	buf[--i] = '0';
	ts_print(buf + i, sizeof buf - i);
}

long ts_host_call(const char *name, const void *in, size_t in_len, void *out, size_t out_cap)
{
	size_t name_len = strlen(name);
	if (name_len > TS_NAME_MAX)
		return TS_EINVAL;
	return hypercall6(TS_HC_HOST_CALL, (uintptr_t)name, name_len, (uintptr_t)in, in_len,
			  (uintptr_t)out, out_cap);
}

int ts_register(const char *name, ts_function fn)
{
	size_t name_len = strlen(name);
	if (name_len > TS_NAME_MAX)
		return TS_EINVAL;
	return (int)hypercall3(TS_HC_REGISTER, (uintptr_t)name, name_len, (uintptr_t)fn);
}

uint64_t ts_clock_ns(void)
{
	return (uint64_t)hypercall3(TS_HC_CLOCK, 0, 0, 0);
}

void ts_halt(uint64_t timeout_ns)
{
	hypercall3(TS_HC_HALT, timeout_ns, 0, 0);
}

/* Read by ts_timer_trampoline (start.S), hence not static. */
ts_timer_handler ts_timer_handler_fn;

void ts_timer_trampoline(uint64_t ticks); /* start.S; not a C function, only its address is used */

int ts_timer_start(uint64_t period_ns, ts_timer_handler handler)
{
	/* Set before the hypercall: the first tick may come right after it. */
	ts_timer_handler_fn = handler;
	return (int)hypercall3(TS_HC_TIMER, period_ns, (uintptr_t)ts_timer_trampoline, 0);
}

int ts_timer_stop(void)
{
	/*
	 * The entry is passed again although a zero period ignores it, so a
	 * monitor that validates the address regardless still accepts it. The
	 * handler stays set: a tick already on its way still finds it.
	 */
	return (int)hypercall3(TS_HC_TIMER, 0, (uintptr_t)ts_timer_trampoline, 0);
}

noreturn void ts_serve(void)
{
	long result = 0; /* the first READY reports 0: initialisation is over */
	for (;;) {
		uint64_t fn, in, in_len, out, out_cap;
		/*
		 * READY returns the next call in five registers. With snapshots
		 * the monitor resumes the first READY's state, not the latest:
		 * harmless, the loop carries nothing from one call to the next.
		 */
		__asm__ volatile("outb %%al, %[port]"
				 : "=a"(fn), "=D"(in), "=S"(in_len), "=d"(out), "=c"(out_cap)
				 : "0"((long)TS_HC_READY), "1"(result), [port] "N"(TS_HYPERCALL_PORT)
				 : "memory");
		result = ((ts_function)fn)((const void *)in, in_len, (void *)out, out_cap);
	}
}

/*
 * The string instructions keep gcc from recognising these loops as memcpy
 * or memset and compiling them into calls to themselves.
 */
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	void *d = dst;
	if ((uintptr_t)dst - (uintptr_t)src >= n) {
		/* dst below src or no overlap: a forward copy never reads a byte it wrote. */
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	} else {
		/* dst inside [src, src + n): copy backwards, last byte first. */
		d = (char *)d + n - 1;
		src = (const char *)src + n - 1;
		__asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != q[i])
			return p[i] < q[i] ? -1 : 1;
	}
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;
	while (*p != '\0')
		p++;
	return (size_t)(p - s);
}
