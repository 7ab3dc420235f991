/* Prints, asks the host's "echo" function for an answer, prints that. */
#include "turnstone.h"

int main(void)
{
	static const char ping[] = "ping";
	char answer[64];

	ts_puts("hello from a Turnstone component\n");
	long n = ts_host_call("echo", ping, sizeof ping - 1, answer, sizeof answer);
	if (n < 0) {
		ts_puts("host call failed: ");
		ts_print_i64(n);
		ts_puts("\n");
		return 3;
	}
	ts_puts("host answered: ");
	ts_print(answer, (size_t)n);
	ts_puts("\n");
	return 0;
}
