/*
 * Hostile: a PRINT whose pointer is unmapped, issued by hand so no library
 * check stands between it and the monitor.
 */
#include "turnstone.h"

int main(void)
{
	long ret;
	ts_puts("bad_pointer: printing from 0x7f0000000000\n");
	__asm__ volatile("outb %%al, %[port]"
			 : "=a"(ret)
			 : "0"((long)TS_HC_PRINT), "D"(0x7f0000000000L), "S"(16L),
			   [port] "N"(TS_HYPERCALL_PORT)
			 : "memory");
	(void)ret;
	return 0;
}
