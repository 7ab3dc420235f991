/*
 * virtio-blk over the virtio 1.x PCI transport ("modern" only), one split
 * virtqueue.
 *
 * Descriptor layout. Data buffers are physically contiguous (identity map),
 * so a request needs header + data + status = 3 descriptors; `seg=` splits
 * the data into smaller segments (seg=4096 looks like a Linux guest's page
 * list), and SIZE_MAX/SEG_MAX from the device bound the segments. A request
 * then costs 2 + segments descriptors, or 1 with INDIRECT_DESC (its chain
 * lives in a per-slot table). Each of the qd slots owns a fixed range of
 * the descriptor table, so there is no free list: the used ring's id gives
 * the slot back directly.
 *
 * Notifications both ways follow EVENT_IDX when the device offers it: the
 * driver kicks only if the device's avail_event says it is waiting, and in
 * interrupt mode sets used_event so the device interrupts on the next
 * completion only.
 */
#include "blkdriver.h"

#define VIRTIO_VENDOR 0x1AF4
#define VIRTIO_BLK_MODERN 0x1042
/* Transitional (legacy + modern) virtio-blk: what QEMU's virtio-blk-pci is
 * on a q35 root bus unless disable-legacy=on. Driven through its modern
 * capabilities all the same. */
#define VIRTIO_BLK_TRANSITIONAL 0x1001

/* Feature bits */
#define F_BLK_SIZE_MAX 1
#define F_BLK_SEG_MAX 2
#define F_BLK_BLK_SIZE 6
#define F_BLK_FLUSH 9
#define F_INDIRECT_DESC 28
#define F_EVENT_IDX 29
#define F_VERSION_1 32
#define BIT(n) (1ull << (n))
#define WANTED_FEATURES (BIT(F_VERSION_1) | BIT(F_EVENT_IDX) | BIT(F_INDIRECT_DESC) | BIT(F_BLK_SIZE_MAX) | \
			 BIT(F_BLK_SEG_MAX) | BIT(F_BLK_BLK_SIZE) | BIT(F_BLK_FLUSH))

/* Device status */
#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 64
#define S_FAILED 128

/* Common configuration registers */
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0C
#define C_MSIX_CONFIG 0x10
#define C_NUM_QUEUES 0x12
#define C_STATUS 0x14
#define C_Q_SELECT 0x16
#define C_Q_SIZE 0x18
#define C_Q_MSIX 0x1A
#define C_Q_ENABLE 0x1C
#define C_Q_NOFF 0x1E
#define C_Q_DESC 0x20
#define C_Q_AVAIL 0x28
#define C_Q_USED 0x30
#define NO_VECTOR 0xFFFF

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2
#define DESC_F_INDIRECT 4
#define USED_F_NO_NOTIFY 1

#define MAX_QUEUE 256
#define MAX_SLOTS 64

struct virtq_desc {
	u64 addr;
	u32 len;
	u16 flags, next;
};

struct virtq_used_elem {
	u32 id, len;
};

struct blk_req_header {
	u32 type, reserved;
	u64 sector;
};

struct blk_req_slot {
	struct blk_req_header hdr;
	u8 status;
	struct virtq_desc *indirect; /* MAX_QUEUE-entry table, with INDIRECT_DESC */
} __attribute__((aligned(32)));

struct virtio_blk {
	struct pci_dev pci;
	u64 common, notify_base, isr, devcfg;
	u32 notify_multiplier;
	u8 msix_cap;
	u64 msix_table;
	u64 offered, features;
	enum completion_mode mode;
	u16 qsize;
	u64 notify_address;
	/* Ring state: free-running indices (qsize is a power of two). */
	u16 avail_idx, kicked_idx, last_used;
	unsigned qd, cost;
	u64 seg_bytes;
	unsigned use_indirect;
};

/* Ring memory: within the identity-mapped image, page-aligned. */
static struct virtq_desc desc_table[MAX_QUEUE] __attribute__((aligned(4096)));
static volatile u16 avail_ring[3 + MAX_QUEUE] __attribute__((aligned(4096)));   /* flags idx ring[] used_event */
static volatile u8 used_ring_mem[4 + 8 * MAX_QUEUE + 2] __attribute__((aligned(4096)));
static struct blk_req_slot slots[MAX_SLOTS];
static struct virtio_blk the_device;
u64 kick_count;

#define USED_IDX (*(volatile u16 *)(used_ring_mem + 2))
#define USED_ELEM(i) ((volatile struct virtq_used_elem *)(used_ring_mem + 4))[i]
#define AVAIL_EVENT(vb) (*(volatile u16 *)(used_ring_mem + 4 + 8 * (vb)->qsize))
#define USED_FLAGS (*(volatile u16 *)used_ring_mem)
#define USED_EVENT(vb) avail_ring[2 + (vb)->qsize]

static int has(const struct virtio_blk *vb, int bit) { return (vb->features >> bit) & 1; }

static u8 common_status(struct virtio_blk *vb) { return mmio_read8(vb->common + C_STATUS); }
static void set_status(struct virtio_blk *vb, u8 s) { mmio_write8(vb->common + C_STATUS, s); }

static u64 cap_address(struct virtio_blk *vb, u8 cap)
{
	u8 bar = pci_read8(&vb->pci, cap + 4);
	u32 off = pci_read32(&vb->pci, cap + 8);
	if (bar > 5 || vb->pci.bar_is_io[bar] || !vb->pci.bar[bar]) fatal("virtio capability names an unusable BAR");
	return vb->pci.bar[bar] + off;
}

int virtio_blk_probe(struct virtio_blk **out)
{
	struct virtio_blk *vb = &the_device;
	if (!pci_find(VIRTIO_VENDOR, VIRTIO_BLK_MODERN, VIRTIO_BLK_TRANSITIONAL, &vb->pci)) return 0;
	for (u8 cap = pci_find_cap(&vb->pci, 0x09, 0); cap; cap = pci_find_cap(&vb->pci, 0x09, cap)) {
		u8 type = pci_read8(&vb->pci, cap + 3);
		/* The first capability of each type is the preferred one. */
		if (type == 1 && !vb->common) vb->common = cap_address(vb, cap);
		else if (type == 2 && !vb->notify_base) {
			vb->notify_base = cap_address(vb, cap);
			vb->notify_multiplier = pci_read32(&vb->pci, cap + 16);
		} else if (type == 3 && !vb->isr) vb->isr = cap_address(vb, cap);
		else if (type == 4 && !vb->devcfg) vb->devcfg = cap_address(vb, cap);
	}
	if (!vb->common || !vb->notify_base || !vb->devcfg) fatal("virtio-blk lacks a common, notify or device capability");
	vb->msix_cap = pci_find_cap(&vb->pci, 0x11, 0);
	if (vb->msix_cap) {
		u32 t = pci_read32(&vb->pci, vb->msix_cap + 4);
		u8 bir = t & 7;
		if (bir > 5 || !vb->pci.bar[bir]) fatal("MSI-X table in an unusable BAR");
		vb->msix_table = vb->pci.bar[bir] + (t & ~7u);
	}
	/* Indirect tables for every slot, once: taken before any workload
	 * marks the allocator, so resetting it never hands them out again. */
	for (unsigned i = 0; i < MAX_SLOTS; i++)
		if (!(slots[i].indirect = alloc_pages(MAX_QUEUE * sizeof(struct virtq_desc), 4096)))
			fatal("not enough RAM for the indirect descriptor tables");
	*out = vb;
	return 1;
}

static u32 device_cfg32(struct virtio_blk *vb, u32 off) { return mmio_read32(vb->devcfg + off); }

u64 virtio_blk_capacity_bytes(struct virtio_blk *vb)
{
	/* Two halves may tear if the device changed it meanwhile: the
	 * generation counter says so. */
	u8 gen;
	u64 sectors;
	do {
		gen = mmio_read8(vb->common + 0x15);
		sectors = device_cfg32(vb, 0) | ((u64)device_cfg32(vb, 4) << 32);
	} while (gen != mmio_read8(vb->common + 0x15));
	return sectors * 512;
}

u16 virtio_blk_queue_size(struct virtio_blk *vb) { return vb->qsize; }
int virtio_blk_has_flush(struct virtio_blk *vb) { return has(vb, F_BLK_FLUSH); }

/* MSI-X table entry 0 -> our vector on this CPU's LAPIC (physical
 * destination, fixed delivery, edge). Masked unless interrupts are wanted. */
static void program_msix(struct virtio_blk *vb, int unmask)
{
	if (!vb->msix_cap) return;
	u16 ctrl = pci_read16(&vb->pci, vb->msix_cap + 2);
	pci_write16(&vb->pci, vb->msix_cap + 2, (ctrl | 0x8000) & ~0x4000); /* enable, function unmasked */
	mmio_write32(vb->msix_table + 12, 1);                                 /* mask while writing */
	mmio_write32(vb->msix_table + 0, 0xFEE00000u | (lapic_id << 12));
	mmio_write32(vb->msix_table + 4, 0);
	mmio_write32(vb->msix_table + 8, irq_vector);
	mmio_write32(vb->msix_table + 12, unmask ? 0 : 1);
}

void virtio_blk_start(struct virtio_blk *vb, enum completion_mode mode)
{
	if (mode == MODE_MSIX && !vb->msix_cap) fatal("mode msix: the device has no MSI-X capability");
	vb->mode = mode;
	set_status(vb, 0);
	for (int i = 0; common_status(vb) != 0; i++)
		if (i > 1000000) fatal("virtio-blk does not complete its reset");
	set_status(vb, S_ACKNOWLEDGE);
	set_status(vb, S_ACKNOWLEDGE | S_DRIVER);

	mmio_write32(vb->common + C_DFSELECT, 0);
	vb->offered = mmio_read32(vb->common + C_DF);
	mmio_write32(vb->common + C_DFSELECT, 1);
	vb->offered |= (u64)mmio_read32(vb->common + C_DF) << 32;
	if (!(vb->offered & BIT(F_VERSION_1))) fatal("virtio-blk does not offer VIRTIO_F_VERSION_1");
	vb->features = vb->offered & WANTED_FEATURES;
	mmio_write32(vb->common + C_GFSELECT, 0);
	mmio_write32(vb->common + C_GF, (u32)vb->features);
	mmio_write32(vb->common + C_GFSELECT, 1);
	mmio_write32(vb->common + C_GF, (u32)(vb->features >> 32));
	set_status(vb, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	if (!(common_status(vb) & S_FEATURES_OK)) fatal("virtio-blk refused our features (FEATURES_OK did not stick)");

	program_msix(vb, mode == MODE_MSIX);
	mmio_write16(vb->common + C_MSIX_CONFIG, NO_VECTOR); /* no config-change interrupts */

	if (mmio_read16(vb->common + C_NUM_QUEUES) < 1) fatal("virtio-blk has no queue");
	mmio_write16(vb->common + C_Q_SELECT, 0);
	u16 max = mmio_read16(vb->common + C_Q_SIZE);
	if (!max) fatal("virtio-blk queue 0 is not available");
	u16 q = MAX_QUEUE;
	while (q > max) q >>= 1; /* power of two: free-running u16 indices wrap cleanly */
	vb->qsize = q;
	memset(desc_table, 0, sizeof(desc_table));
	memset((void *)avail_ring, 0, sizeof(avail_ring));
	memset((void *)used_ring_mem, 0, sizeof(used_ring_mem));
	vb->avail_idx = vb->kicked_idx = vb->last_used = 0;
	mmio_write16(vb->common + C_Q_SIZE, q);
	mmio_write64(vb->common + C_Q_DESC, (u64)desc_table);
	mmio_write64(vb->common + C_Q_AVAIL, (u64)avail_ring);
	mmio_write64(vb->common + C_Q_USED, (u64)used_ring_mem);
	u16 vector = mode == MODE_MSIX ? 0 : NO_VECTOR;
	mmio_write16(vb->common + C_Q_MSIX, vector);
	if (mmio_read16(vb->common + C_Q_MSIX) != vector) fatal("virtio-blk did not accept the queue's MSI-X vector");
	vb->notify_address = vb->notify_base + (u64)mmio_read16(vb->common + C_Q_NOFF) * vb->notify_multiplier;
	/* Poll mode: keep used_event far ahead so the device has nothing to
	 * signal even by its own rules (there is no vector either). */
	USED_EVENT(vb) = mode == MODE_MSIX ? 0 : 0x8000;
	mmio_write16(vb->common + C_Q_ENABLE, 1);
	set_status(vb, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	if (common_status(vb) & (S_NEEDS_RESET | S_FAILED)) fatal("virtio-blk reports NEEDS_RESET or FAILED after DRIVER_OK");
}

void virtio_blk_describe(struct virtio_blk *vb)
{
	put_str(LINE_PREFIX "device pci=");
	put_hex2(vb->pci.bus);
	put_char(':');
	put_hex2(vb->pci.dev);
	put_char('.');
	put_dec(vb->pci.fn);
	put_str(" id=");
	put_hex2(vb->pci.vendor >> 8);
	put_hex2(vb->pci.vendor & 0xFF);
	put_char(':');
	put_hex2(vb->pci.device >> 8);
	put_hex2(vb->pci.device & 0xFF);
	put_str(" config=");
	put_str(pci_access_method);
	put_str(" capacity=");
	put_dec(virtio_blk_capacity_bytes(vb));
	put_str(" queue_size=");
	put_dec(vb->qsize);
	put_str(" features_offered=");
	put_hex(vb->offered);
	put_str(" features=");
	put_hex(vb->features);
	put_str(" event_idx=");
	put_dec(has(vb, F_EVENT_IDX));
	put_str(" indirect=");
	put_dec(has(vb, F_INDIRECT_DESC));
	put_str(" flush=");
	put_dec(has(vb, F_BLK_FLUSH));
	put_str(" size_max=");
	put_dec(has(vb, F_BLK_SIZE_MAX) ? device_cfg32(vb, 8) : 0);
	put_str(" seg_max=");
	put_dec(has(vb, F_BLK_SEG_MAX) ? device_cfg32(vb, 12) : 0);
	put_str(" msix=");
	put_dec(vb->msix_cap != 0);
	put_char('\n');
}

/* Segment size actually used for `data_bytes` given seg= and the device's
 * SIZE_MAX / SEG_MAX; 0 if the device cannot take such a request. */
static u64 effective_seg(struct virtio_blk *vb, u64 data_bytes, u64 seg_bytes)
{
	if (!data_bytes) return 4096; /* FLUSH: no data, any segment size */
	u64 seg = seg_bytes && seg_bytes < data_bytes ? seg_bytes : data_bytes;
	if (has(vb, F_BLK_SIZE_MAX)) {
		u64 size_max = device_cfg32(vb, 8);
		if (size_max && seg > size_max) seg = size_max & ~4095ull;
	}
	/* The whole chain (header + segments + status) must fit the queue. */
	u64 max_segs = vb->qsize - 2;
	if (has(vb, F_BLK_SEG_MAX) && device_cfg32(vb, 12) && device_cfg32(vb, 12) < max_segs) max_segs = device_cfg32(vb, 12);
	if (seg && (data_bytes + seg - 1) / seg > max_segs) seg = ALIGN_UP((data_bytes + max_segs - 1) / max_segs, 4096);
	return seg;
}

unsigned virtio_blk_ring_cost(struct virtio_blk *vb, u64 data_bytes, u64 seg_bytes)
{
	u64 seg = effective_seg(vb, data_bytes, seg_bytes);
	if (!seg) return 0;
	unsigned segs = (unsigned)((data_bytes + seg - 1) / seg);
	/* Indirect tables only when the chain is longer than the plain
	 * header + data + status, the way Linux decides too. */
	if (has(vb, F_INDIRECT_DESC) && segs > 1) return 1;
	return 2 + segs;
}

unsigned virtio_blk_segments(struct virtio_blk *vb, u64 data_bytes, u64 seg_bytes)
{
	u64 seg = effective_seg(vb, data_bytes, seg_bytes);
	return seg ? (unsigned)((data_bytes + seg - 1) / seg) : 0;
}

void virtio_blk_prepare_slots(struct virtio_blk *vb, unsigned qd, u64 data_bytes, u64 seg_bytes)
{
	if (qd > MAX_SLOTS) fatal("queue depth above 64");
	if (vb->avail_idx != vb->last_used) fatal("prepare_slots with requests in flight");
	vb->seg_bytes = effective_seg(vb, data_bytes, seg_bytes);
	vb->cost = virtio_blk_ring_cost(vb, data_bytes, seg_bytes);
	if (!vb->cost || qd * vb->cost > vb->qsize) fatal("requests do not fit the queue");
	vb->use_indirect = vb->cost == 1 && has(vb, F_INDIRECT_DESC) && vb->seg_bytes < data_bytes;
	vb->qd = qd;
}

void virtio_blk_submit(struct virtio_blk *vb, unsigned slot, u32 type, u64 sector, void *data, u64 bytes)
{
	struct blk_req_slot *s = &slots[slot];
	s->hdr.type = type;
	s->hdr.reserved = 0;
	s->hdr.sector = sector;
	s->status = 0xFF;
	u16 base = vb->use_indirect ? 0 : (u16)(slot * vb->cost);
	struct virtq_desc *t = vb->use_indirect ? s->indirect : desc_table;
	u16 n = 0;
	t[base] = (struct virtq_desc){ (u64)&s->hdr, sizeof(s->hdr), DESC_F_NEXT, (u16)(base + 1) };
	n++;
	u16 write = type == VIRTIO_BLK_T_IN ? DESC_F_WRITE : 0;
	for (u64 off = 0; off < bytes; off += vb->seg_bytes, n++) {
		u64 len = bytes - off < vb->seg_bytes ? bytes - off : vb->seg_bytes;
		t[base + n] = (struct virtq_desc){ (u64)data + off, (u32)len, (u16)(DESC_F_NEXT | write), (u16)(base + n + 1) };
	}
	t[base + n] = (struct virtq_desc){ (u64)&s->status, 1, DESC_F_WRITE, 0 };
	n++;
	u16 head = base;
	if (vb->use_indirect) {
		head = (u16)slot;
		desc_table[head] = (struct virtq_desc){ (u64)t, n * (u32)sizeof(struct virtq_desc), DESC_F_INDIRECT, 0 };
	}
	avail_ring[2 + (vb->avail_idx & (vb->qsize - 1))] = head;
	vb->avail_idx++;
}

/* vring_need_event: did the index move from old past event? */
static int need_event(u16 event, u16 new_idx, u16 old)
{
	return (u16)(new_idx - event - 1) < (u16)(new_idx - old);
}

void virtio_blk_kick(struct virtio_blk *vb)
{
	if (vb->avail_idx == vb->kicked_idx) return;
	compiler_barrier();        /* descriptors and ring entries before idx */
	avail_ring[1] = vb->avail_idx;
	/* The idx store must be visible before we read the device's wish,
	 * or both sides may decide the other will act. */
	full_barrier();
	int notify = has(vb, F_EVENT_IDX) ? need_event(AVAIL_EVENT(vb), vb->avail_idx, vb->kicked_idx)
					  : !(USED_FLAGS & USED_F_NO_NOTIFY);
	vb->kicked_idx = vb->avail_idx;
	if (notify) {
		mmio_write16(vb->notify_address, 0);
		kick_count++;
	}
}

unsigned virtio_blk_reap(struct virtio_blk *vb, void (*done)(void *ctx, unsigned slot, u8 status), void *ctx)
{
	unsigned n = 0;
	u16 used = USED_IDX;
	compiler_barrier();        /* x86 keeps loads ordered: elements after idx */
	while (vb->last_used != used) {
		u32 id = USED_ELEM(vb->last_used & (vb->qsize - 1)).id;
		unsigned slot = vb->use_indirect ? id : id / vb->cost;
		if (slot >= vb->qd) fatal_hex("used ring names an unknown descriptor", id);
		vb->last_used++;
		done(ctx, slot, slots[slot].status);
		n++;
	}
	if (n && has(vb, F_EVENT_IDX))
		USED_EVENT(vb) = vb->mode == MODE_MSIX ? vb->last_used : (u16)(vb->last_used + 0x8000);
	return n;
}

void virtio_blk_wait(struct virtio_blk *vb)
{
	if (vb->mode == MODE_POLL) {
		while (USED_IDX == vb->last_used) cpu_relax();
		return;
	}
	for (;;) {
		u64 seen = irq_count;
		/* used_event == last_used (set by reap): the device interrupts on
		 * the next completion. Publish, then look once more, so a
		 * completion that raced the store is not waited for. */
		if (has(vb, F_EVENT_IDX)) USED_EVENT(vb) = vb->last_used;
		full_barrier();
		if (USED_IDX != vb->last_used) return;
		while (irq_count == seen) cpu_relax();
	}
}
