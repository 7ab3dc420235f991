/*
 * CRC-32 as zlib computes it (IEEE 802.3, reflected polynomial 0xEDB88320,
 * init and final xor 0xFFFFFFFF). Freestanding, so the same file builds the
 * checksum component and the host baseline crc32_host.
 */
#ifndef CRC32_H
#define CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Fills the tables. crc32_update does it on first use; calling it early
 * keeps that work out of the first measured call (and, in a component,
 * puts the tables into the snapshot taken at the first READY). */
void crc32_init(void);

/* Continues crc (0 to start) over len more bytes, like zlib's crc32(). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

/* The CRC of the stream payload, payload, ... cut off after total bytes (the
 * last copy may be partial). An empty payload processes nothing. */
uint32_t crc32_repeat(const void *payload, size_t payload_len, uint64_t total);

#endif
