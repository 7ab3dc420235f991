/*
 * turnstone-blkbench: block I/O throughput of a device or file, measured the
 * same way inside a guest (on /dev/vdb) and on the host (on the file behind
 * /dev/vdb), so the two figures compare directly. Self-contained and linked
 * statically: the guest's root file system has no C library.
 *
 * usage: turnstone-blkbench [options] PATH
 *   --modes LIST      workloads, comma-separated, run in the order given
 *                     (default seq-write,seq-read,rand-read: the write lays
 *                     down the data the reads fetch, so no read of a sparse
 *                     scratch file is served from a hole):
 *                       seq-write  1 MiB pwrites from offset 0, then
 *                                  fdatasync (timed); afterwards, untimed,
 *                                  reads the data back and verifies it
 *                       seq-read   1 MiB preads from offset 0
 *                       rand-read  4 KiB preads at 4 KiB-aligned offsets from
 *                                  a fixed-seed generator
 *                     The sequential ones wrap around to offset 0 at the end
 *                     of the region.
 *   --size BYTES      the region [0, BYTES) of PATH the workloads touch; a
 *                     whole number of MiB, at most PATH's size (default: the
 *                     sequential budget, or PATH's size rounded down to MiB
 *                     if that is smaller)
 *   --seq-bytes BYTES bytes each sequential workload moves, a whole number
 *                     of MiB (default 64M)
 *   --rand-ops N      reads of the random workload (default 2000)
 *   --seconds S       ends any workload after S seconds even if its budget
 *                     is not spent (default: no limit); checked after each
 *                     request, so at least one request runs
 *   --seed N          seed of the random offsets (default 1)
 *   --allow-buffered  if PATH's file system refuses O_DIRECT, measure
 *                     buffered I/O instead (direct=0): each read workload
 *                     then starts with fdatasync and a page-cache drop
 *                     (POSIX_FADV_DONTNEED), so it still reads from the disk
 * BYTES take a K, M or G suffix (powers of 1024).
 *
 * Output: one line per workload on stdout, fields in this order, separated
 * by single spaces (parsed by
 * src/Turnstone.Bench/VirtioBlock/VirtioBlockBenchParser.cs):
 *   turnstone-blkbench: workload=W block=B ops=N bytes=N seconds=S mbps=M iops=I direct=0|1[ verify=ok|fail]
 * verify appears on (and only on) seq-write lines. seconds has 6 decimals,
 * mbps (10^6 bytes per second) and iops 2.
 * Failures: "turnstone-blkbench: error: <what>[: <errno text>]" on stderr and
 * exit status 1 (after a verify=fail line for a verification failure); usage
 * errors exit with 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define SEQ_BLOCK MIB
#define RAND_BLOCK 4096
/* O_DIRECT needs buffers, offsets and lengths aligned to the logical block
 * size; 4 KiB covers every device we meet. */
#define ALIGNMENT 4096
/* Every 4 KiB block written starts with this magic and its own offset, so
 * the read-back notices data that landed at the wrong place. */
#define STAMP_MAGIC UINT64_C(0x6b6274736e727574) /* "turnstbk" in memory */

struct options {
	const char *path;
	char modes[64];
	uint64_t size;     /* 0: not given, choose_size decides */
	uint64_t seq_bytes;
	uint64_t rand_ops;
	double seconds;    /* 0: no limit */
	uint64_t seed;
	int allow_buffered;
};

struct target {
	int fd;
	int direct;
	uint64_t size;     /* the region the workloads touch */
	unsigned char *buffer;  /* SEQ_BLOCK bytes, ALIGNMENT-aligned */
	unsigned char *check;   /* the same, for the read-back */
	unsigned char body[RAND_BLOCK]; /* what follows the stamp in each block */
};

static const char *program = "turnstone-blkbench";

static void die(const char *format, ...)
{
	va_list args;
	fprintf(stderr, "%s: error: ", program);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

static void usage_error(const char *format, ...)
{
	va_list args;
	fprintf(stderr, "%s: error: ", program);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

static const char usage_text[] =
	"usage: turnstone-blkbench [--modes seq-write,seq-read,rand-read] [--size BYTES]\n"
	"           [--seq-bytes BYTES] [--rand-ops N] [--seconds S] [--seed N]\n"
	"           [--allow-buffered] PATH\n"
	"BYTES take a K, M or G suffix. Defaults: all three modes, --seq-bytes 64M,\n"
	"--rand-ops 2000, --size the sequential budget (at most PATH's size).\n";

/* splitmix64: a tiny generator with a fixed sequence for a given seed, so
 * guest and host read the same offsets. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t parse_count(const char *flag, const char *text, int allow_suffix)
{
	char *end;
	uint64_t value, scale = 1;
	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		usage_error("%s %s: not a number", flag, text);
	value = strtoull(text, &end, 10);
	if (errno != 0)
		usage_error("%s %s: %s", flag, text, strerror(errno));
	if (allow_suffix && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'K': scale = 1024; end++; break;
		case 'M': scale = MIB; end++; break;
		case 'G': scale = (uint64_t)MIB * 1024; end++; break;
		}
	}
	if (*end != '\0')
		usage_error("%s %s: not a %s", flag, text,
			    allow_suffix ? "size (digits, optionally K, M or G)" : "whole number");
	if (value > UINT64_MAX / scale)
		usage_error("%s %s: too large", flag, text);
	return value * scale;
}

static int known_mode(const char *mode, size_t length)
{
	static const char *const modes[] = { "seq-write", "seq-read", "rand-read" };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (strlen(modes[i]) == length && memcmp(modes[i], mode, length) == 0)
			return 1;
	return 0;
}

static void check_modes(const char *list)
{
	const char *mode = list;
	for (;;) {
		size_t length = strcspn(mode, ",");
		if (!known_mode(mode, length))
			usage_error("--modes %s: unknown workload '%.*s' (known: seq-write, seq-read, rand-read)",
				    list, (int)length, mode);
		if (mode[length] == '\0')
			return;
		mode += length + 1;
	}
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { MODES = 256, SIZE, SEQ_BYTES, RAND_OPS, SECONDS, SEED, ALLOW_BUFFERED, HELP };
	static const struct option longs[] = {
		{ "modes", required_argument, 0, MODES },
		{ "size", required_argument, 0, SIZE },
		{ "seq-bytes", required_argument, 0, SEQ_BYTES },
		{ "rand-ops", required_argument, 0, RAND_OPS },
		{ "seconds", required_argument, 0, SECONDS },
		{ "seed", required_argument, 0, SEED },
		{ "allow-buffered", no_argument, 0, ALLOW_BUFFERED },
		{ "help", no_argument, 0, HELP },
		{ 0, 0, 0, 0 },
	};
	char *end;
	int c;

	*o = (struct options){ .seq_bytes = 64 * MIB, .rand_ops = 2000, .seed = 1 };
	strcpy(o->modes, "seq-write,seq-read,rand-read");
	opterr = 0; /* our own messages, with the flag named */
	while ((c = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
		switch (c) {
		case MODES:
			if (strlen(optarg) >= sizeof o->modes)
				usage_error("--modes %s: too long", optarg);
			strcpy(o->modes, optarg);
			check_modes(o->modes);
			break;
		case SIZE:
			o->size = parse_count("--size", optarg, 1);
			if (o->size == 0 || o->size % MIB != 0)
				usage_error("--size %s: give a whole number of MiB, at least 1M", optarg);
			break;
		case SEQ_BYTES:
			o->seq_bytes = parse_count("--seq-bytes", optarg, 1);
			if (o->seq_bytes == 0 || o->seq_bytes % SEQ_BLOCK != 0)
				usage_error("--seq-bytes %s: give a whole number of MiB, at least 1M", optarg);
			break;
		case RAND_OPS:
			o->rand_ops = parse_count("--rand-ops", optarg, 0);
			if (o->rand_ops == 0)
				usage_error("--rand-ops %s: give at least 1", optarg);
			break;
		case SECONDS:
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || end == optarg || !(o->seconds > 0 && o->seconds < 1e9))
				usage_error("--seconds %s: give a positive number of seconds", optarg);
			break;
		case SEED:
			o->seed = parse_count("--seed", optarg, 0);
			break;
		case ALLOW_BUFFERED:
			o->allow_buffered = 1;
			break;
		case HELP:
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			usage_error("%s needs a value", argv[optind - 1]);
			break;
		default:
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		usage_error(optind == argc ? "no PATH given" : "more than one PATH given");
	o->path = argv[optind];
}

static int opens_for_writing(const char *modes)
{
	return strstr(modes, "seq-write") != NULL;
}

static void open_target(const struct options *o, struct target *t)
{
	int flags = (opens_for_writing(o->modes) ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	t->fd = open(o->path, flags | O_DIRECT);
	t->direct = 1;
	if (t->fd < 0 && errno == EINVAL) {
		if (!o->allow_buffered)
			die("%s: the file system refuses O_DIRECT (%s); pass --allow-buffered to measure buffered I/O instead",
			    o->path, strerror(EINVAL));
		fprintf(stderr, "%s: note: %s: the file system refuses O_DIRECT; measuring buffered I/O (direct=0)\n",
			program, o->path);
		t->fd = open(o->path, flags);
		t->direct = 0;
	}
	if (t->fd < 0)
		die("cannot open %s: %s", o->path, strerror(errno));
}

/* The region: --size, or the sequential budget capped by PATH's size. */
static void choose_size(const struct options *o, struct target *t)
{
	off_t end = lseek(t->fd, 0, SEEK_END);
	if (end < 0)
		die("cannot find the size of %s: %s", o->path, strerror(errno));
	uint64_t available = (uint64_t)end - (uint64_t)end % MIB;
	if (o->size > (uint64_t)end)
		die("%s holds %jd bytes, less than --size %" PRIu64, o->path, (intmax_t)end, o->size);
	if (available == 0)
		die("%s holds %jd bytes; the workloads need at least 1 MiB", o->path, (intmax_t)end);
	t->size = o->size ? o->size : (o->seq_bytes < available ? o->seq_bytes : available);
}

static void allocate_buffers(struct target *t, uint64_t seed)
{
	int error = posix_memalign((void **)&t->buffer, ALIGNMENT, SEQ_BLOCK);
	if (error == 0)
		error = posix_memalign((void **)&t->check, ALIGNMENT, SEQ_BLOCK);
	if (error != 0)
		die("cannot allocate I/O buffers: %s", strerror(error));
	/* Random bytes rather than a constant: a back end that compresses or
	 * deduplicates could not shortcut them. */
	uint64_t state = seed ^ STAMP_MAGIC;
	for (size_t i = 0; i < sizeof t->body; i += 8) {
		uint64_t word = next_random(&state);
		memcpy(t->body + i, &word, 8);
	}
	for (size_t i = 0; i < SEQ_BLOCK; i += RAND_BLOCK)
		memcpy(t->buffer + i, t->body, RAND_BLOCK);
}

/* Only the 16-byte stamps change between requests: cheap enough not to show
 * in the timing. */
static void stamp(unsigned char *buffer, uint64_t offset)
{
	for (size_t i = 0; i < SEQ_BLOCK; i += RAND_BLOCK) {
		uint64_t words[2] = { STAMP_MAGIC, offset + i };
		memcpy(buffer + i, words, sizeof words);
	}
}

static void transfer(const struct options *o, struct target *t, int writing, unsigned char *buffer, size_t length,
		     uint64_t offset)
{
	ssize_t done = writing ? pwrite(t->fd, buffer, length, (off_t)offset)
			       : pread(t->fd, buffer, length, (off_t)offset);
	if (done < 0)
		die("%s of %zu bytes at offset %" PRIu64 " of %s failed: %s", writing ? "write" : "read", length, offset,
		    o->path, strerror(errno));
	if ((size_t)done != length)
		die("short %s at offset %" PRIu64 " of %s: %zd of %zu bytes", writing ? "write" : "read", offset, o->path,
		    done, length);
}

static void flush(const struct options *o, struct target *t)
{
	if (fdatasync(t->fd) != 0)
		die("fdatasync of %s failed: %s", o->path, strerror(errno));
}

/* Buffered mode only: reads must come from the disk, not from the pages the
 * writes left in the cache. */
static void drop_cache(const struct options *o, struct target *t)
{
	if (t->direct)
		return;
	flush(o, t);
	int error = posix_fadvise(t->fd, 0, 0, POSIX_FADV_DONTNEED);
	if (error != 0)
		die("cannot drop the page cache of %s: %s", o->path, strerror(error));
}

static int time_is_up(const struct options *o, double started)
{
	return o->seconds > 0 && now() - started >= o->seconds;
}

static void report(const struct target *t, const char *workload, size_t block, uint64_t ops, double seconds,
		   const char *verify)
{
	uint64_t bytes = ops * block;
	if (seconds <= 0)
		seconds = 1e-9; /* a clock too coarse for one request; never 0 */
	printf("turnstone-blkbench: workload=%s block=%zu ops=%" PRIu64 " bytes=%" PRIu64
	       " seconds=%.6f mbps=%.2f iops=%.2f direct=%d",
	       workload, block, ops, bytes, seconds, (double)bytes / 1e6 / seconds, (double)ops / seconds, t->direct);
	if (verify)
		printf(" verify=%s", verify);
	putchar('\n');
	fflush(stdout);
}

/* Runs one sequential workload; returns the number of requests made. */
static uint64_t run_sequential(const struct options *o, struct target *t, int writing, double *seconds)
{
	uint64_t ops = 0, offset = 0;
	double started = now();
	while (ops * SEQ_BLOCK < o->seq_bytes) {
		if (writing)
			stamp(t->buffer, offset);
		transfer(o, t, writing, t->buffer, SEQ_BLOCK, offset);
		ops++;
		offset = (offset + SEQ_BLOCK) % t->size;
		if (time_is_up(o, started))
			break;
	}
	if (writing)
		flush(o, t);
	*seconds = now() - started;
	return ops;
}

/* Reads back what seq-write left in [0, written) and compares it with the
 * stamp and body it wrote; returns 0 and describes the first difference in
 * `problem` if anything differs. */
static int verify_written(const struct options *o, struct target *t, uint64_t written, char *problem, size_t size)
{
	drop_cache(o, t);
	for (uint64_t offset = 0; offset < written; offset += SEQ_BLOCK) {
		transfer(o, t, 0, t->check, SEQ_BLOCK, offset);
		stamp(t->buffer, offset);
		for (size_t i = 0; i < SEQ_BLOCK; i += RAND_BLOCK) {
			if (memcmp(t->check + i, t->buffer + i, RAND_BLOCK) == 0)
				continue;
			size_t byte = 0;
			while (t->check[i + byte] == t->buffer[i + byte])
				byte++;
			uint64_t found[2];
			memcpy(found, t->check + i, sizeof found);
			snprintf(problem, size,
				 "the 4 KiB block at offset %" PRIu64 " of %s differs from what seq-write wrote, "
				 "first at its byte %zu (its stamp: magic %#" PRIx64 ", offset %" PRIu64 ")",
				 offset + i, o->path, byte, found[0], found[1]);
			return 0;
		}
	}
	return 1;
}

static void run_seq_write(const struct options *o, struct target *t)
{
	double seconds;
	uint64_t ops = run_sequential(o, t, 1, &seconds);
	uint64_t written = ops * SEQ_BLOCK < t->size ? ops * SEQ_BLOCK : t->size;
	char problem[256];
	int ok = verify_written(o, t, written, problem, sizeof problem);
	report(t, "seq-write", SEQ_BLOCK, ops, seconds, ok ? "ok" : "fail");
	if (!ok)
		die("verify failed: %s", problem);
}

static void run_seq_read(const struct options *o, struct target *t)
{
	double seconds;
	drop_cache(o, t);
	uint64_t ops = run_sequential(o, t, 0, &seconds);
	report(t, "seq-read", SEQ_BLOCK, ops, seconds, NULL);
}

static void run_rand_read(const struct options *o, struct target *t)
{
	uint64_t state = o->seed, blocks = t->size / RAND_BLOCK, ops = 0;
	drop_cache(o, t);
	double started = now();
	while (ops < o->rand_ops) {
		uint64_t offset = next_random(&state) % blocks * RAND_BLOCK;
		transfer(o, t, 0, t->check, RAND_BLOCK, offset);
		ops++;
		if (time_is_up(o, started))
			break;
	}
	report(t, "rand-read", RAND_BLOCK, ops, now() - started, NULL);
}

int main(int argc, char **argv)
{
	struct options o;
	static struct target t; /* static: the body buffer stays off the stack */
	parse_options(argc, argv, &o);
	open_target(&o, &t);
	choose_size(&o, &t);
	allocate_buffers(&t, o.seed);

	for (char *mode = strtok(o.modes, ","); mode; mode = strtok(NULL, ",")) {
		if (strcmp(mode, "seq-write") == 0)
			run_seq_write(&o, &t);
		else if (strcmp(mode, "seq-read") == 0)
			run_seq_read(&o, &t);
		else
			run_rand_read(&o, &t);
	}
	if (close(t.fd) != 0)
		die("closing %s failed: %s", o.path, strerror(errno));
	return 0;
}
