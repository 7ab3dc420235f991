/* The few C library functions the driver (and gcc's own struct copies) need. */
#include "blkdriver.h"

void *memset(void *d, int c, usize n)
{
	u8 *p = d;
	/* Word stores for the bulk: buffers here are megabytes. */
	u64 w = 0x0101010101010101ull * (u8)c;
	while (n && ((usize)p & 7)) { *p++ = (u8)c; n--; }
	for (; n >= 8; n -= 8, p += 8) *(u64 *)p = w;
	while (n--) *p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, usize n)
{
	u8 *dp = d;
	const u8 *sp = s;
	if ((((usize)dp | (usize)sp) & 7) == 0)
		for (; n >= 8; n -= 8, dp += 8, sp += 8) *(u64 *)dp = *(const u64 *)sp;
	while (n--) *dp++ = *sp++;
	return d;
}

int memcmp(const void *a, const void *b, usize n)
{
	const u8 *pa = a, *pb = b;
	if ((((usize)pa | (usize)pb) & 7) == 0)
		for (; n >= 8 && *(const u64 *)pa == *(const u64 *)pb; n -= 8, pa += 8, pb += 8) {}
	for (; n; n--, pa++, pb++)
		if (*pa != *pb) return *pa < *pb ? -1 : 1;
	return 0;
}

usize strlen(const char *s)
{
	usize n = 0;
	while (s[n]) n++;
	return n;
}

int str_starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++) return 0;
	return 1;
}
