/* Waits for five ticks of a 2 ms timer, then stops it and exits. */
#include "turnstone.h"

static volatile uint64_t ticks_seen;

static void on_tick(uint64_t ticks)
{
	(void)ticks; /* ticks merged while a handler ran count once here */
	ticks_seen++;
}

int main(void)
{
	int err = ts_timer_start(2000000, on_tick);
	if (err < 0) {
		ts_puts("ticker: timer failed: ");
		ts_print_i64(err);
		ts_puts("\n");
		return 1;
	}
	while (ticks_seen < 5)
		ts_halt(0);
	ts_puts("ticker: 5 ticks\n");
	ts_timer_stop();
	return 0;
}
