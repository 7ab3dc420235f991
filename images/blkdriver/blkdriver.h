/*
 * turnstone-blkdriver: shared declarations of the bare-metal virtio-blk
 * driver guest. See main.c for the big picture and the output format.
 *
 * Everything is identity-mapped (virtual == physical), so a pointer is also
 * the address a device must be given for DMA.
 */
#ifndef BLKDRIVER_H
#define BLKDRIVER_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned long usize;

#define NULL ((void *)0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((u64)(a) - 1))

/* --- port and memory-mapped I/O (usable at CPL 3: IOPL is 3) ---------- */

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline u8 mmio_read8(u64 a) { return *(volatile u8 *)a; }
static inline u16 mmio_read16(u64 a) { return *(volatile u16 *)a; }
static inline u32 mmio_read32(u64 a) { return *(volatile u32 *)a; }
static inline void mmio_write8(u64 a, u8 v) { *(volatile u8 *)a = v; }
static inline void mmio_write16(u64 a, u16 v) { *(volatile u16 *)a = v; }
static inline void mmio_write32(u64 a, u32 v) { *(volatile u32 *)a = v; }
/* Two 32-bit halves: the virtio spec allows a driver to do this, and some
 * device models only decode 32-bit accesses. */
static inline void mmio_write64(u64 a, u64 v)
{
	mmio_write32(a, (u32)v);
	mmio_write32(a + 4, (u32)(v >> 32));
}

/* x86 keeps stores ordered with stores and loads with loads (TSO); only the
 * compiler must be stopped from reordering around ring index updates. A
 * store followed by a load of another location needs mfence (EVENT_IDX). */
#define compiler_barrier() __asm__ volatile("" ::: "memory")
static inline void full_barrier(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* --- lib.c ------------------------------------------------------------- */

void *memset(void *d, int c, usize n);
void *memcpy(void *d, const void *s, usize n);
int memcmp(const void *a, const void *b, usize n);
usize strlen(const char *s);
int str_starts(const char *s, const char *prefix);

/* --- serial.c: COM1, 115200 8N1, polled -------------------------------- */

void serial_init(void);
void put_char(char c);
void put_str(const char *s);
void put_dec(u64 v);
void put_hex(u64 v);
void put_hex2(u8 v); /* two digits, no 0x */
/* v / 10^decimals with exactly `decimals` digits after the point. */
void put_fixed(u64 v, unsigned decimals);
/* "turnstone-blkdriver: error: <what>", then power off. */
void fatal(const char *what) __attribute__((noreturn));
void fatal_hex(const char *what, u64 value) __attribute__((noreturn));

#define LINE_PREFIX "turnstone-blkdriver: "

/* --- boot information (main.c) ----------------------------------------- */

#define MAX_RAM_RANGES 32
struct ram_range {
	u64 base, size;
};

struct boot_info {
	u64 rsdp;      /* 0 if the loader gave none */
	const char *cmdline;
	struct ram_range ram[MAX_RAM_RANGES];
	unsigned ram_count;
	u64 image_end; /* first byte after the loaded image and its .bss */
};
extern struct boot_info boot;

/* Bump allocator over RAM above the image (identity-mapped, below 4 GiB).
 * Never freed: the program allocates at start and for each queue depth. */
void *alloc_pages(u64 bytes, u64 align);
void alloc_mark(u64 *mark);
void alloc_reset(u64 mark);

/* --- cpu.c: CPL 0 prologue ---------------------------------------------- */

void cpu_init(void);                 /* GDT, TSS, IDT, PIC masked, LAPIC */
int is_ram(u64 addr);
void map_mmio(u64 base, u64 size);   /* identity, user, uncached */
void enter_user(void (*fn)(void)) __attribute__((noreturn));
extern volatile u64 irq_count;       /* MSI-X interrupts taken */
extern u64 io_traps;                 /* CPL 3 port accesses the #GP handler did */
extern u8 irq_vector;                /* the vector the device is pointed at */
extern u32 lapic_id;

/* --- acpi.c ------------------------------------------------------------ */

struct acpi_info {
	u64 ecam_base;      /* 0: no MCFG */
	u8 ecam_bus_start, ecam_bus_end;
	u16 pm1a_cnt;       /* 0: no FADT */
	u16 pm1b_cnt;
	u8 slp_typ_s5a, slp_typ_s5b;
	int have_s5;
	u16 reset_port;     /* FADT RESET_REG if it is in I/O space */
	u8 reset_value;
};
extern struct acpi_info acpi;
void acpi_init(void);
void power_off(void) __attribute__((noreturn));

/* --- pci.c ------------------------------------------------------------- */

struct pci_dev {
	u8 bus, dev, fn;
	u16 vendor, device;
	u64 bar[6];       /* address (memory BARs) or port (I/O BARs), 0 if none */
	u64 bar_size[6];
	u8 bar_is_io[6];
};

u32 pci_read32(const struct pci_dev *d, u16 off);
u16 pci_read16(const struct pci_dev *d, u16 off);
u8 pci_read8(const struct pci_dev *d, u16 off);
void pci_write32(const struct pci_dev *d, u16 off, u32 v);
void pci_write16(const struct pci_dev *d, u16 off, u16 v);
/* Finds the first function with this vendor and either device ID, sizes
 * its BARs, assigns unassigned memory BARs, maps them, enables memory
 * decoding and bus mastering. 0 if there is none. */
int pci_find(u16 vendor, u16 device, u16 device_alt, struct pci_dev *out);
/* Offset of the next capability with this ID after `after` (0: first). */
u8 pci_find_cap(const struct pci_dev *d, u8 id, u8 after);
extern const char *pci_access_method;

/* --- timing.c ---------------------------------------------------------- */

extern u64 tsc_hz;
extern const char *tsc_source;
void timing_init(void);

/* --- virtio.c ---------------------------------------------------------- */

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4

struct blk_req_slot;
struct virtio_blk;

/* Completion: by polling the used ring, or by MSI-X interrupt. */
enum completion_mode { MODE_POLL, MODE_MSIX };

int virtio_blk_probe(struct virtio_blk **out);
/* (Re)initialises the device for one mode: reset, features, queue, DRIVER_OK. */
void virtio_blk_start(struct virtio_blk *vb, enum completion_mode mode);
void virtio_blk_describe(struct virtio_blk *vb);
u64 virtio_blk_capacity_bytes(struct virtio_blk *vb);
u16 virtio_blk_queue_size(struct virtio_blk *vb);
/* Descriptors one request of `data_bytes` occupies in the ring (1 with
 * indirect descriptors). */
unsigned virtio_blk_ring_cost(struct virtio_blk *vb, u64 data_bytes, u64 seg_bytes);
int virtio_blk_has_flush(struct virtio_blk *vb);
/* Data descriptors per request of `data_bytes` (seg=, SIZE_MAX, SEG_MAX). */
unsigned virtio_blk_segments(struct virtio_blk *vb, u64 data_bytes, u64 seg_bytes);

/* Requests are issued into numbered slots (0 .. qd-1); a slot is free again
 * once its completion was reaped. */
void virtio_blk_prepare_slots(struct virtio_blk *vb, unsigned qd, u64 data_bytes, u64 seg_bytes);
void virtio_blk_submit(struct virtio_blk *vb, unsigned slot, u32 type, u64 sector, void *data, u64 bytes);
/* Tells the device about everything submitted since the last kick, if
 * EVENT_IDX says it wants to hear. */
void virtio_blk_kick(struct virtio_blk *vb);
/* Reaps completed requests: calls done(ctx, slot, status) for each and
 * returns how many. Never blocks. */
unsigned virtio_blk_reap(struct virtio_blk *vb, void (*done)(void *ctx, unsigned slot, u8 status), void *ctx);
/* Blocks (spinning, at CPL 3) until at least one completion is there: on
 * the used ring (poll) or after an interrupt (msix). */
void virtio_blk_wait(struct virtio_blk *vb);
extern u64 kick_count;

/* --- workloads.c ------------------------------------------------------- */

struct params {
	u64 region_bytes;        /* bytes=   */
	u64 rand_ops;            /* rand_ops= */
	u64 seconds_limit_ms;    /* seconds= (0: none) */
	unsigned qd[8], qd_count;
	unsigned modes;          /* bit 0 poll, bit 1 msix */
	unsigned workloads[8], workload_count;
	u64 seed;
	u64 seg_bytes;           /* seg= (0: one segment per request) */
	int verify_full;         /* verify=full */
	int no_fill;             /* fill=0 */
};
enum workload_kind { W_SEQ_WRITE, W_SEQ_READ, W_RAND_READ, W_RAND_WRITE };
extern const char *const workload_names[4];
int parse_params(const char *cmdline, struct params *p);
int run_workloads(struct virtio_blk *vb, const struct params *p);

#endif
