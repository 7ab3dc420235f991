/*
 * Host baseline for the checksum_repeat benchmark: the same CRC code
 * (crc32.c, crc32_repeat) as the checksum component, run natively.
 *
 *   crc32_host BYTES_TOTAL PAYLOAD_SIZE
 *
 * Prints one line; mbps is 10^6 bytes per second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crc32.h"

static uint64_t parse_size(const char *text, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
		fprintf(stderr, "crc32_host: %s: not a number: %s\n", what, text);
		exit(2);
	}
	return value;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: crc32_host BYTES_TOTAL PAYLOAD_SIZE\n");
		return 2;
	}
	uint64_t total = parse_size(argv[1], "BYTES_TOTAL");
	uint64_t payload_size = parse_size(argv[2], "PAYLOAD_SIZE");
	if (payload_size == 0) {
		fprintf(stderr, "crc32_host: PAYLOAD_SIZE must be at least 1\n");
		return 2;
	}
	uint8_t *payload = malloc(payload_size);
	if (payload == NULL) {
		fprintf(stderr, "crc32_host: cannot allocate %llu bytes\n", (unsigned long long)payload_size);
		return 1;
	}
	for (uint64_t i = 0; i < payload_size; i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	crc32_init(); /* as the component does before its snapshot */

	double start = now_seconds();
	uint32_t crc = crc32_repeat(payload, payload_size, total);
	double seconds = now_seconds() - start;

	printf("crc32_host: bytes=%llu seconds=%.6f mbps=%.1f crc=%08x\n", (unsigned long long)total,
	       seconds, seconds > 0 ? (double)total / seconds / 1e6 : 0.0, crc);
	free(payload);
	return 0;
}
