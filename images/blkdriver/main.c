/*
 * turnstone-blkdriver: a bare-metal virtio-blk benchmark guest.
 *
 * One PVH ELF that both QEMU (-kernel, -M q35) and Turnstone (--kernel)
 * boot. entry.S enters long mode; kmain (CPL 0) reads the PVH start info,
 * sets up the TSS, IDT, LAPIC and page attributes, reads ACPI (MCFG, FADT,
 * \_S5_), finds the virtio-blk PCI function and maps its BARs, then drops
 * to CPL 3 with IOPL 3. user_main (CPL 3) calibrates the TSC, initialises
 * the device and runs the workloads (workloads.c), then powers off.
 *
 * Parameters: the PVH command line (QEMU: -append), space-separated:
 *   bytes=SIZE        region touched and bytes per sequential workload,
 *                     whole MiB, K/M/G suffixes (default 64M)
 *   rand_ops=N        requests per random workload (default 4000)
 *   qd=LIST           queue depths, 1..64 (default 1,4,16,64)
 *   modes=LIST        poll,msix (default both, in that order)
 *   workloads=LIST    seq-write,seq-read,rand-read,rand-write (default, order kept)
 *   seconds=S         stop issuing after S seconds per workload (decimals ok)
 *   seed=N            random offsets and block body (default 1)
 *   seg=SIZE          split each request's data into segments of SIZE
 *                     (default: one segment; seg=4K looks like Linux)
 *   verify=stamp|full check each 4 KiB block's stamp (default) or all of it
 *   fill=0|1          0: the disk already holds the pattern (same seed and
 *                     region) from an earlier run; reads need no fill first
 * Unknown words are ignored with a warning line.
 *
 * Output on COM1, one line each, all starting "turnstone-blkdriver: ":
 *   boot start_info=0x.. ram_mib=N cmdline="..."
 *   platform tsc_hz=N tsc_source=S acpi_pm1a_cnt=0x.. s5_slp_typ=N ecam=0x.. lapic_id=N
 *   device pci=BB:DD.F id=VVVV:DDDD config=ecam|cf8 capacity=BYTES queue_size=N features_offered=0x..
 *          features=0x.. event_idx=0|1 indirect=0|1 flush=0|1 size_max=N seg_max=N msix=0|1
 *   workload=W mode=M qd=N block=B ops=N bytes=N seconds=S mbps=M iops=I verify=V segs=N kicks=N irqs=N
 *   done workloads=N failures=N io_traps=N
 * and "warning: ..." / "error: ..." lines. In a workload line the fields
 * are always in this order, single spaces: W is seq-write, seq-read,
 * rand-read or rand-write; M poll or msix; qd the depth used (a lowered
 * depth is announced by a warning line first); block the request size in
 * bytes; ops completed requests; bytes = ops * block; seconds with 6
 * decimals, TSC from first submission to last completion (and the FLUSH
 * after writes); mbps = 10^6 bytes per second and iops, 2 decimals each;
 * verify ok|fail on reads, n/a on writes (the reads check them); segs data
 * descriptors per request; kicks queue notifications written; irqs MSI-X
 * interrupts taken. An error line is followed by power-off; `done` is the
 * last line of a complete run.
 */
#include "blkdriver.h"

#define HVM_START_MAGIC 0x336ec578
#define E820_RAM 1

struct boot_info boot;
static char cmdline_copy[1024];
static struct params params;
static struct virtio_blk *device;
static u64 heap_next, heap_end;

extern char _image_end[];

struct hvm_start_info {
	u32 magic, version, flags, nr_modules;
	u64 modlist_paddr, cmdline_paddr, rsdp_paddr;
	u64 memmap_paddr;   /* version >= 1 */
	u32 memmap_entries, reserved;
};

struct hvm_memmap_entry {
	u64 addr, size;
	u32 type, reserved;
};

void *alloc_pages(u64 bytes, u64 align)
{
	u64 a = ALIGN_UP(heap_next, align);
	if (a + bytes > heap_end || a + bytes < a) return NULL;
	heap_next = a + bytes;
	return (void *)a;
}

void alloc_mark(u64 *mark) { *mark = heap_next; }
void alloc_reset(u64 mark) { heap_next = mark; }

static void read_start_info(u32 address)
{
	const struct hvm_start_info *si = (const struct hvm_start_info *)(u64)address;
	if (!address || si->magic != HVM_START_MAGIC) fatal_hex("not started by a PVH loader: bad hvm_start_info magic at", address);
	boot.rsdp = si->rsdp_paddr;
	if (si->cmdline_paddr) {
		const char *c = (const char *)si->cmdline_paddr;
		usize i = 0;
		for (; c[i] && i + 1 < sizeof(cmdline_copy); i++) cmdline_copy[i] = c[i];
		cmdline_copy[i] = 0;
	}
	boot.cmdline = cmdline_copy;
	if (si->version >= 1 && si->memmap_paddr) {
		const struct hvm_memmap_entry *m = (const struct hvm_memmap_entry *)si->memmap_paddr;
		for (u32 i = 0; i < si->memmap_entries && boot.ram_count < MAX_RAM_RANGES; i++)
			if (m[i].type == E820_RAM && m[i].size) boot.ram[boot.ram_count++] = (struct ram_range){ m[i].addr, m[i].size };
	}
	if (!boot.ram_count) {
		/* No memory map (version 0 start info): assume the PC minimum. */
		put_str(LINE_PREFIX "warning: no memory map in hvm_start_info; assuming RAM 1 MiB .. 64 MiB\n");
		boot.ram[boot.ram_count++] = (struct ram_range){ 0x100000, 63ull << 20 };
	}
	boot.image_end = ALIGN_UP((u64)_image_end, 4096);

	/* Heap: the largest RAM below 4 GiB (identity-mapped) above the image. */
	for (unsigned i = 0; i < boot.ram_count; i++) {
		u64 b = boot.ram[i].base, e = b + boot.ram[i].size;
		if (e > (4ull << 30)) e = 4ull << 30;
		if (b < boot.image_end) b = boot.image_end;
		if (e > b && e - b > heap_end - heap_next) {
			heap_next = b;
			heap_end = e;
		}
	}
}

static u64 ram_mib(void)
{
	u64 total = 0;
	for (unsigned i = 0; i < boot.ram_count; i++) total += boot.ram[i].size;
	return total >> 20;
}

static void user_main(void) __attribute__((noreturn));
static void user_main(void)
{
	timing_init();
	put_str(LINE_PREFIX "platform tsc_hz=");
	put_dec(tsc_hz);
	put_str(" tsc_source=");
	put_str(tsc_source);
	put_str(" acpi_pm1a_cnt=");
	put_hex(acpi.pm1a_cnt);
	put_str(" s5_slp_typ=");
	if (acpi.have_s5) put_dec(acpi.slp_typ_s5a);
	else put_str("none");
	put_str(" ecam=");
	put_hex(acpi.ecam_base);
	put_str(" lapic_id=");
	put_dec(lapic_id);
	put_char('\n');
	virtio_blk_start(device, MODE_POLL);
	virtio_blk_describe(device);
	run_workloads(device, &params);
	power_off();
}

void kmain(u32 start_info);
void kmain(u32 start_info)
{
	serial_init();
	read_start_info(start_info);
	put_str(LINE_PREFIX "boot start_info=");
	put_hex(start_info);
	put_str(" ram_mib=");
	put_dec(ram_mib());
	put_str(" cmdline=\"");
	put_str(boot.cmdline);
	put_str("\"\n");
	cpu_init();
	acpi_init();
	if (!parse_params(boot.cmdline, &params)) fatal("bad command line");
	if (!virtio_blk_probe(&device)) fatal("no virtio-blk PCI function (1af4:1042, or transitional 1af4:1001) found");
	enter_user(user_main);
}
