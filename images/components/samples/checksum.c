/*
 * CRC-32 (zlib's) for the host:
 *   checksum         in: the data                          out: CRC, 4 bytes LE
 *   checksum_repeat  in: u64 LE bytes_total, then payload  out: CRC, 4 bytes LE
 * checksum_repeat feeds the payload again and again until bytes_total bytes
 * went through, as one stream: a benchmark whose input stays small.
 */
#include "turnstone.h"
#include "crc32.h"

static long put_crc(uint32_t crc, void *out, size_t out_cap)
{
	uint8_t *o = out;
	if (out_cap < 4)
		return TS_E2BIG;
	for (int i = 0; i < 4; i++)
		o[i] = (uint8_t)(crc >> (8 * i));
	return 4;
}

static long checksum(const void *in, size_t in_len, void *out, size_t out_cap)
{
	return put_crc(crc32_update(0, in, in_len), out, out_cap);
}

static long checksum_repeat(const void *in, size_t in_len, void *out, size_t out_cap)
{
	const uint8_t *p = in;
	uint64_t total = 0;
	if (in_len < 8)
		return TS_EINVAL;
	for (int i = 0; i < 8; i++)
		total |= (uint64_t)p[i] << (8 * i);
	/* An empty payload could never add up to a non-zero total. */
	if (in_len == 8 && total != 0)
		return TS_EINVAL;
	return put_crc(crc32_repeat(p + 8, in_len - 8, total), out, out_cap);
}

int main(void)
{
	/* Before ts_serve, so the tables are part of the snapshot. */
	crc32_init();
	if (ts_register("checksum", checksum) < 0 || ts_register("checksum_repeat", checksum_repeat) < 0) {
		ts_puts("checksum: register failed\n");
		return 1;
	}
	ts_serve();
}
