/* Hostile: claims 4 KiB more output than it was offered. */
#include "turnstone.h"

static long oversized(const void *in, size_t in_len, void *out, size_t out_cap)
{
	(void)in;
	(void)in_len;
	(void)out;
	return (long)(out_cap + 4096);
}

int main(void)
{
	ts_puts("oversized: serving oversized\n");
	if (ts_register("oversized", oversized) < 0) {
		ts_puts("oversized: register failed\n");
		return 1;
	}
	ts_serve();
}
