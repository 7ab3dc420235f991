/* Hostile: hlt at CPL 3 (#GP); the monitor must end the VM. */
#include "turnstone.h"

int main(void)
{
	ts_puts("privileged: executing hlt\n");
	__asm__ volatile("hlt");
	return 0;
}
