/* Slicing-by-8 CRC-32: eight bytes per step through eight 1 KiB tables. */
#include "crc32.h"

static uint32_t table[8][256];
static int table_ready;

void crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
		table[0][i] = c;
	}
	/* table[t][i]: the CRC of byte i followed by t zero bytes. */
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
	table_ready = 1;
}

/* Assembled bytewise so it reads little-endian on any host; gcc -O2 turns
 * it into one (unaligned) load on x86-64. */
static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t c = ~crc;

	if (!table_ready)
		crc32_init();
	for (; len >= 8; p += 8, len -= 8) {
		uint32_t lo = load_le32(p) ^ c;
		uint32_t hi = load_le32(p + 4);
		c = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^
		    table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^
		    table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^
		    table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
	}
	for (; len > 0; p++, len--)
		c = table[0][(c ^ *p) & 0xFF] ^ (c >> 8);
	return ~c;
}

uint32_t crc32_repeat(const void *payload, size_t payload_len, uint64_t total)
{
	uint32_t crc = 0;
	if (payload_len == 0)
		return crc;
	while (total > 0) {
		size_t n = total < payload_len ? (size_t)total : payload_len;
		crc = crc32_update(crc, payload, n);
		total -= n;
	}
	return crc;
}
