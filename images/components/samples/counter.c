/*
 * "next" counts its calls and returns the count (8 bytes LE). With the
 * monitor restoring the snapshot before each call, every call returns 1.
 */
#include "turnstone.h"

static uint64_t calls;

static long next(const void *in, size_t in_len, void *out, size_t out_cap)
{
	uint8_t *o = out;
	(void)in;
	(void)in_len;
	if (out_cap < 8)
		return TS_E2BIG;
	calls++;
	for (int i = 0; i < 8; i++)
		o[i] = (uint8_t)(calls >> (8 * i));
	return 8;
}

int main(void)
{
	if (ts_register("next", next) < 0) {
		ts_puts("counter: register failed\n");
		return 1;
	}
	ts_serve();
}
