/* Hostile: writes to an unmapped address; the page fault must end the VM. */
#include "turnstone.h"

int main(void)
{
	ts_puts("wild_write: writing to 0x7f0000000000\n");
	*(volatile uint8_t *)0x00007f0000000000 = 1;
	return 0;
}
