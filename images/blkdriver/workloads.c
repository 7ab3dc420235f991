/*
 * The workloads and their result lines. Runs at CPL 3: on hosts where guest
 * CPL 0 is emulated, the figures then measure the device model, not the
 * instruction emulator.
 *
 * Disk pattern. Every 4 KiB block at byte offset o holds a 16-byte stamp
 * (the magic "TSBLKDRV", then o / 512, both little-endian u64) followed by
 * 4080 bytes of a fixed pseudo-random body (splitmix64 of seed=). Writes
 * lay it down; every read checks the stamps of every block it fetched (and
 * with verify=full also the body), after clearing the stamps in its buffer
 * so a read the device never performed cannot pass. Reads of a region no
 * write has covered yet in this run are preceded by an untimed fill
 * (seq-write at qd 16, no result line) unless fill=0 says the disk already
 * holds the pattern (of the same seed) from an earlier run.
 *
 * Per workload: seq-write / seq-read move `bytes=` in 1 MiB requests from
 * offset 0 (the whole region once); rand-read / rand-write do `rand_ops=`
 * 4 KiB requests at 4 KiB-aligned offsets in the region (splitmix64 of
 * seed=). The queue is kept full: each completion is refilled at once.
 * Writes end with a FLUSH (timed, when the device offers FLUSH), like the
 * fdatasync of blkbench. Time: TSC from the first submission to the last
 * completion.
 */
#include "blkdriver.h"

#define SEQ_BLOCK (1u << 20)
#define RAND_BLOCK 4096u
#define STAMP_MAGIC 0x5652444B4C425354ull /* "TSBLKDRV" */

const char *const workload_names[4] = { "seq-write", "seq-read", "rand-read", "rand-write" };
static const char *const mode_names[2] = { "poll", "msix" };

static u8 body[RAND_BLOCK] __attribute__((aligned(64)));
static int region_written;
static unsigned failures;

static u64 splitmix64(u64 *state)
{
	u64 z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

struct run {
	struct virtio_blk *vb;
	const struct params *p;
	enum workload_kind kind;
	unsigned qd, block;
	u8 *buf[64];
	u64 offset[64];
	u64 region, issued, completed, target;
	u64 seq_next, rng;
	u64 deadline;          /* TSC; 0: none */
	int verify_failed;
	int stop_issuing;
};

static int is_read(enum workload_kind k) { return k == W_SEQ_READ || k == W_RAND_READ; }

static void stamp(u8 *buf, u64 offset, u64 bytes)
{
	for (u64 b = 0; b < bytes; b += RAND_BLOCK) {
		u64 *s = (u64 *)(buf + b);
		s[0] = STAMP_MAGIC;
		s[1] = (offset + b) / 512;
	}
}

static void clear_stamps(u8 *buf, u64 bytes)
{
	for (u64 b = 0; b < bytes; b += RAND_BLOCK) {
		u64 *s = (u64 *)(buf + b);
		s[0] = s[1] = 0;
	}
}

static void report_mismatch(struct run *r, u64 offset, const u8 *block, const char *what)
{
	if (r->verify_failed++) return; /* the first one says enough */
	const u64 *s = (const u64 *)block;
	put_str(LINE_PREFIX "error: verify failed workload=");
	put_str(workload_names[r->kind]);
	put_str(" offset=");
	put_dec(offset);
	put_str(" what=");
	put_str(what);
	put_str(" stamp=");
	put_hex(s[0]);
	put_char(',');
	put_hex(s[1]);
	put_char('\n');
}

static void verify(struct run *r, const u8 *buf, u64 offset, u64 bytes)
{
	for (u64 b = 0; b < bytes; b += RAND_BLOCK) {
		const u64 *s = (const u64 *)(buf + b);
		if (s[0] != STAMP_MAGIC || s[1] != (offset + b) / 512) report_mismatch(r, offset + b, buf + b, "stamp");
		else if (r->p->verify_full && memcmp(buf + b + 16, body + 16, RAND_BLOCK - 16))
			report_mismatch(r, offset + b, buf + b, "body");
	}
}

static u64 next_offset(struct run *r)
{
	if (r->kind == W_SEQ_WRITE || r->kind == W_SEQ_READ) {
		u64 o = r->seq_next;
		r->seq_next = (r->seq_next + r->block) % r->region;
		return o;
	}
	return (splitmix64(&r->rng) % (r->region / RAND_BLOCK)) * RAND_BLOCK;
}

static void issue(struct run *r, unsigned slot)
{
	u64 o = next_offset(r);
	r->offset[slot] = o;
	if (is_read(r->kind)) {
		clear_stamps(r->buf[slot], r->block);
		virtio_blk_submit(r->vb, slot, VIRTIO_BLK_T_IN, o / 512, r->buf[slot], r->block);
	} else {
		stamp(r->buf[slot], o, r->block);
		virtio_blk_submit(r->vb, slot, VIRTIO_BLK_T_OUT, o / 512, r->buf[slot], r->block);
	}
	r->issued++;
}

static void on_done(void *ctx, unsigned slot, u8 status)
{
	struct run *r = ctx;
	if (status != 0) {
		put_str(LINE_PREFIX "error: request failed workload=");
		put_str(workload_names[r->kind]);
		put_str(" offset=");
		put_dec(r->offset[slot]);
		put_str(" status=");
		put_dec(status);
		put_char('\n');
		fatal("virtio-blk request failed");
	}
	if (is_read(r->kind)) verify(r, r->buf[slot], r->offset[slot], r->block);
	r->completed++;
	if (!r->stop_issuing && r->issued < r->target) issue(r, slot);
}

static void on_flush_done(void *ctx, unsigned slot, u8 status)
{
	(void)slot;
	*(int *)ctx = status;
}

/* FLUSH in slot 0, waited for: the end of every write workload. */
static void flush(struct virtio_blk *vb)
{
	if (!virtio_blk_has_flush(vb)) return;
	int status = -1;
	virtio_blk_prepare_slots(vb, 1, 0, 0);
	virtio_blk_submit(vb, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	virtio_blk_kick(vb);
	while (!virtio_blk_reap(vb, on_flush_done, &status)) virtio_blk_wait(vb);
	if (status != 0) fatal("virtio-blk FLUSH failed");
}

/* (a * b) / c without overflow for the sizes here. */
static u64 muldiv(u64 a, u64 b, u64 c)
{
	return (u64)((unsigned __int128)a * b / c);
}

/* Runs one workload; prints its line unless `quiet`. */
static void run_one(struct virtio_blk *vb, const struct params *p, enum workload_kind kind, enum completion_mode mode,
		    unsigned qd_wanted, int quiet)
{
	struct run r = { .vb = vb, .p = p, .kind = kind, .region = p->region_bytes, .rng = p->seed ^ 0xA5A5A5A5ull };
	r.block = (kind == W_SEQ_WRITE || kind == W_SEQ_READ) ? SEQ_BLOCK : RAND_BLOCK;
	r.target = r.block == SEQ_BLOCK ? p->region_bytes / SEQ_BLOCK : p->rand_ops;

	/* Bounded by the ring: qd requests of `cost` descriptors each. */
	unsigned cost = virtio_blk_ring_cost(vb, r.block, p->seg_bytes);
	if (!cost) fatal("the device cannot take a request of this size");
	unsigned qd = qd_wanted;
	if (qd * cost > virtio_blk_queue_size(vb)) qd = virtio_blk_queue_size(vb) / cost;
	if (qd > r.target) qd = (unsigned)r.target;
	if (qd != qd_wanted && !quiet) {
		put_str(LINE_PREFIX "warning: qd=");
		put_dec(qd_wanted);
		put_str(" lowered to ");
		put_dec(qd);
		put_str(" (queue size and descriptors per request, or fewer requests than that)\n");
	}
	r.qd = qd;

	u64 mark;
	alloc_mark(&mark);
	for (unsigned i = 0; i < qd; i++) {
		r.buf[i] = alloc_pages(r.block, 4096);
		if (!r.buf[i]) fatal("not enough RAM for the request buffers (qd x block); give the VM more memory");
		/* The body once per buffer; requests then only re-stamp. */
		if (!is_read(kind))
			for (u64 b = 0; b < r.block; b += RAND_BLOCK) memcpy(r.buf[i] + b, body, RAND_BLOCK);
	}
	virtio_blk_prepare_slots(vb, qd, r.block, p->seg_bytes);

	u64 kicks0 = kick_count, irqs0 = irq_count;
	u64 t0 = rdtsc();
	if (p->seconds_limit_ms) r.deadline = t0 + muldiv(tsc_hz, p->seconds_limit_ms, 1000);
	for (unsigned i = 0; i < qd; i++) issue(&r, i);
	virtio_blk_kick(vb);
	while (r.completed < r.issued) {
		if (!virtio_blk_reap(vb, on_done, &r)) {
			virtio_blk_wait(vb);
			continue;
		}
		virtio_blk_kick(vb);
		if (r.deadline && !r.stop_issuing && rdtsc() > r.deadline) r.stop_issuing = 1;
	}
	if (!is_read(kind)) flush(vb);
	u64 t1 = rdtsc();
	alloc_reset(mark);
	if (!is_read(kind) && r.completed * r.block >= p->region_bytes) region_written = 1;
	if (quiet) return;

	u64 ticks = t1 - t0 ? t1 - t0 : 1, bytes = r.completed * r.block;
	put_str(LINE_PREFIX "workload=");
	put_str(workload_names[kind]);
	put_str(" mode=");
	put_str(mode_names[mode]);
	put_str(" qd=");
	put_dec(qd);
	put_str(" block=");
	put_dec(r.block);
	put_str(" ops=");
	put_dec(r.completed);
	put_str(" bytes=");
	put_dec(bytes);
	put_str(" seconds=");
	put_fixed(muldiv(ticks, 1000000, tsc_hz), 6);
	put_str(" mbps=");
	put_fixed(muldiv(bytes, tsc_hz, ticks) / 10000, 2);  /* 10^6 B/s, 2 decimals */
	put_str(" iops=");
	put_fixed(muldiv(r.completed * 100, tsc_hz, ticks), 2);
	put_str(" verify=");
	put_str(!is_read(kind) ? "n/a" : r.verify_failed ? "fail" : "ok");
	put_str(" segs=");
	put_dec(virtio_blk_segments(vb, r.block, p->seg_bytes));
	put_str(" kicks=");
	put_dec(kick_count - kicks0);
	put_str(" irqs=");
	put_dec(irq_count - irqs0);
	put_char('\n');
	if (r.verify_failed) failures++;
}

static const struct {
	const char *name;
	enum workload_kind kind;
} workload_table[] = {
	{ "seq-write", W_SEQ_WRITE }, { "seq-read", W_SEQ_READ }, { "rand-read", W_RAND_READ }, { "rand-write", W_RAND_WRITE },
};

static int parse_u64(const char **s, u64 *out)
{
	const char *p = *s;
	u64 v = 0;
	if (*p < '0' || *p > '9') return 0;
	while (*p >= '0' && *p <= '9') v = v * 10 + (u64)(*p++ - '0');
	*s = p;
	*out = v;
	return 1;
}

static int parse_size(const char **s, u64 *out)
{
	if (!parse_u64(s, out)) return 0;
	switch (**s) {
	case 'K': case 'k': *out <<= 10; (*s)++; break;
	case 'M': case 'm': *out <<= 20; (*s)++; break;
	case 'G': case 'g': *out <<= 30; (*s)++; break;
	}
	return 1;
}

static int at_end(const char *s) { return *s == 0 || *s == ' '; }

static int word_is(const char *s, const char *w)
{
	usize n = strlen(w);
	return !memcmp(s, w, n) && (s[n] == ',' || at_end(s + n));
}

static const char *skip_word(const char *s)
{
	while (!at_end(s) && *s != ',') s++;
	return s;
}

static void bad_param(const char *token)
{
	put_str(LINE_PREFIX "error: bad parameter: ");
	while (!at_end(token)) put_char(*token++);
	put_char('\n');
}

int parse_params(const char *s, struct params *p)
{
	*p = (struct params){ .region_bytes = 64ull << 20, .rand_ops = 4000, .qd = { 1, 4, 16, 64 }, .qd_count = 4,
			      .modes = 3, .workloads = { W_SEQ_WRITE, W_SEQ_READ, W_RAND_READ, W_RAND_WRITE },
			      .workload_count = 4, .seed = 1 };
	while (s && *s) {
		while (*s == ' ') s++;
		if (!*s) break;
		const char *token = s, *v;
		if (str_starts(s, "bytes=")) {
			v = s + 6;
			if (!parse_size(&v, &p->region_bytes) || !at_end(v) || !p->region_bytes || p->region_bytes % SEQ_BLOCK)
				return bad_param(token), 0;
		} else if (str_starts(s, "rand_ops=")) {
			v = s + 9;
			if (!parse_u64(&v, &p->rand_ops) || !at_end(v) || !p->rand_ops) return bad_param(token), 0;
		} else if (str_starts(s, "seconds=")) {
			u64 whole, frac = 0, scale = 1000;
			v = s + 8;
			if (!parse_u64(&v, &whole)) return bad_param(token), 0;
			if (*v == '.')
				for (v++; *v >= '0' && *v <= '9'; v++)
					if (scale > 1) frac += (u64)(*v - '0') * (scale /= 10);
			if (!at_end(v)) return bad_param(token), 0;
			p->seconds_limit_ms = whole * 1000 + frac;
		} else if (str_starts(s, "fill=")) {
			v = s + 5;
			if (word_is(v, "1")) p->no_fill = 0;
			else if (word_is(v, "0")) p->no_fill = 1;
			else return bad_param(token), 0;
			v = skip_word(v);
		} else if (str_starts(s, "seed=")) {
			v = s + 5;
			if (!parse_u64(&v, &p->seed) || !at_end(v)) return bad_param(token), 0;
		} else if (str_starts(s, "seg=")) {
			v = s + 4;
			if (!parse_size(&v, &p->seg_bytes) || !at_end(v) || p->seg_bytes % 512) return bad_param(token), 0;
		} else if (str_starts(s, "verify=")) {
			v = s + 7;
			if (word_is(v, "full")) p->verify_full = 1;
			else if (word_is(v, "stamp")) p->verify_full = 0;
			else return bad_param(token), 0;
			v = skip_word(v);
		} else if (str_starts(s, "qd=")) {
			v = s + 3;
			p->qd_count = 0;
			for (;;) {
				u64 q;
				if (!parse_u64(&v, &q) || q < 1 || q > 64 || p->qd_count == ARRAY_SIZE(p->qd)) return bad_param(token), 0;
				p->qd[p->qd_count++] = (unsigned)q;
				if (*v != ',') break;
				v++;
			}
			if (!at_end(v)) return bad_param(token), 0;
		} else if (str_starts(s, "modes=")) {
			v = s + 6;
			p->modes = 0;
			for (;;) {
				if (word_is(v, "poll")) p->modes |= 1;
				else if (word_is(v, "msix")) p->modes |= 2;
				else return bad_param(token), 0;
				v = skip_word(v);
				if (*v != ',') break;
				v++;
			}
		} else if (str_starts(s, "workloads=")) {
			v = s + 10;
			p->workload_count = 0;
			for (;;) {
				unsigned i;
				for (i = 0; i < ARRAY_SIZE(workload_table); i++)
					if (word_is(v, workload_table[i].name)) break;
				if (i == ARRAY_SIZE(workload_table) || p->workload_count == ARRAY_SIZE(p->workloads))
					return bad_param(token), 0;
				p->workloads[p->workload_count++] = workload_table[i].kind;
				v = skip_word(v);
				if (*v != ',') break;
				v++;
			}
		} else {
			/* Not ours (a loader may add its own words): say so, go on. */
			put_str(LINE_PREFIX "warning: ignoring parameter ");
			for (v = s; !at_end(v); v++) put_char(*v);
			put_char('\n');
			v = s;
			while (!at_end(v)) v++;
		}
		s = v;
	}
	return 1;
}

int run_workloads(struct virtio_blk *vb, const struct params *p)
{
	u64 rng = p->seed;
	for (unsigned i = 0; i < RAND_BLOCK; i += 8) {
		u64 x = splitmix64(&rng);
		memcpy(body + i, &x, 8);
	}
	memset(body, 0, 16); /* the stamp's place */
	if (virtio_blk_capacity_bytes(vb) < p->region_bytes) fatal("the disk is smaller than bytes=");

	unsigned count = 0;
	for (unsigned m = 0; m < 2; m++) {
		if (!(p->modes & (1u << m))) continue;
		virtio_blk_start(vb, (enum completion_mode)m);
		for (unsigned w = 0; w < p->workload_count; w++) {
			enum workload_kind k = p->workloads[w];
			if (is_read(k) && !region_written && !p->no_fill) run_one(vb, p, W_SEQ_WRITE, (enum completion_mode)m, 16, 1);
			for (unsigned q = 0; q < p->qd_count; q++, count++) run_one(vb, p, k, (enum completion_mode)m, p->qd[q], 0);
		}
	}
	put_str(LINE_PREFIX "done workloads=");
	put_dec(count);
	put_str(" failures=");
	put_dec(failures);
	put_str(" io_traps=");
	put_dec(io_traps);
	put_char('\n');
	return failures == 0;
}
