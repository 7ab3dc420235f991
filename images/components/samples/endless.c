/* Hostile: "spin" never returns; the monitor's call timeout must end it. */
#include "turnstone.h"

static volatile uint64_t spins;

static noreturn long spin(const void *in, size_t in_len, void *out, size_t out_cap)
{
	(void)in;
	(void)in_len;
	(void)out;
	(void)out_cap;
	for (;;)
		spins++; /* volatile: the loop cannot be optimised away */
}

int main(void)
{
	ts_puts("endless: serving spin\n");
	if (ts_register("spin", spin) < 0) {
		ts_puts("endless: register failed\n");
		return 1;
	}
	ts_serve();
}
