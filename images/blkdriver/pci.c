/*
 * PCI configuration space through ECAM (the MCFG window) or, without MCFG,
 * the legacy ports 0xCF8/0xCFC (which reach only the first 256 bytes; the
 * virtio capabilities live there, so that is enough).
 *
 * Under QEMU, SeaBIOS has assigned every BAR before the PVH entry runs;
 * Turnstone assigns them before boot too. A loader that leaves BARs at 0
 * gets them assigned here, above everything already decoded (RAM, ECAM,
 * other BARs) and below the IOAPIC/LAPIC area at 0xFEC00000: a heuristic,
 * not a resource allocator (it does not read the host bridge's _CRS and
 * handles only devices on bus 0, where no bridge window needs programming).
 */
#include "blkdriver.h"

#define PCI_COMMAND 0x04
#define PCI_CMD_IO 0x1
#define PCI_CMD_MEMORY 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_CMD_INTX_DISABLE 0x400

const char *pci_access_method = "none";

static u64 ecam_address(const struct pci_dev *d, u16 off)
{
	return acpi.ecam_base + ((u64)(d->bus - acpi.ecam_bus_start) << 20) + ((u64)d->dev << 15) +
	       ((u64)d->fn << 12) + off;
}

static void cf8_select(const struct pci_dev *d, u16 off)
{
	outl(0xCF8, 0x80000000u | ((u32)d->bus << 16) | ((u32)d->dev << 11) | ((u32)d->fn << 8) | (off & 0xFC));
}

u32 pci_read32(const struct pci_dev *d, u16 off)
{
	if (acpi.ecam_base) return mmio_read32(ecam_address(d, off));
	cf8_select(d, off);
	return inl(0xCFC);
}

u16 pci_read16(const struct pci_dev *d, u16 off)
{
	if (acpi.ecam_base) return mmio_read16(ecam_address(d, off));
	cf8_select(d, off);
	return inw(0xCFC + (off & 2));
}

u8 pci_read8(const struct pci_dev *d, u16 off)
{
	if (acpi.ecam_base) return mmio_read8(ecam_address(d, off));
	cf8_select(d, off);
	return inb(0xCFC + (off & 3));
}

void pci_write32(const struct pci_dev *d, u16 off, u32 v)
{
	if (acpi.ecam_base) {
		mmio_write32(ecam_address(d, off), v);
		return;
	}
	cf8_select(d, off);
	outl(0xCFC, v);
}

void pci_write16(const struct pci_dev *d, u16 off, u16 v)
{
	if (acpi.ecam_base) {
		mmio_write16(ecam_address(d, off), v);
		return;
	}
	cf8_select(d, off);
	outw(0xCFC + (off & 2), v);
}

u8 pci_find_cap(const struct pci_dev *d, u8 id, u8 after)
{
	if (!(pci_read16(d, 0x06) & 0x10)) return 0; /* no capability list */
	u8 p = after ? pci_read8(d, after + 1) : pci_read8(d, 0x34);
	for (int guard = 0; p >= 0x40 && guard < 48; guard++) {
		p &= 0xFC;
		if (pci_read8(d, p) == id) return p;
		p = pci_read8(d, p + 1);
	}
	return 0;
}

/* Reads (and sizes) the six BARs, with decoding off while all-ones are in
 * them, so the device never answers at a bogus address. */
static void read_bars(struct pci_dev *d)
{
	memset(d->bar, 0, sizeof(d->bar));
	memset(d->bar_size, 0, sizeof(d->bar_size));
	memset(d->bar_is_io, 0, sizeof(d->bar_is_io));
	u16 cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	for (int i = 0; i < 6; i++) {
		u16 off = 0x10 + 4 * i;
		u32 orig = pci_read32(d, off);
		pci_write32(d, off, 0xFFFFFFFF);
		u32 probe = pci_read32(d, off);
		pci_write32(d, off, orig);
		if (!probe) continue;
		if (orig & 1) {
			d->bar_is_io[i] = 1;
			d->bar[i] = orig & ~3u;
			d->bar_size[i] = (u16)(~(probe & ~3u) + 1);
			continue;
		}
		u64 addr = orig & ~0xFull, mask = probe & ~0xFull;
		if (((orig >> 1) & 3) == 2 && i < 5) { /* 64-bit: the next BAR is the high half */
			u32 orig_hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, 0xFFFFFFFF);
			u32 probe_hi = pci_read32(d, off + 4);
			pci_write32(d, off + 4, orig_hi);
			addr |= (u64)orig_hi << 32;
			mask |= (u64)probe_hi << 32;
		} else {
			mask |= 0xFFFFFFFF00000000ull;
		}
		d->bar[i] = addr;
		d->bar_size[i] = ~mask + 1;
		if (((orig >> 1) & 3) == 2) i++;
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

typedef int (*visit_fn)(struct pci_dev *d, void *ctx);

/* Depth-first over bus `bus` and the buses behind its bridges. */
static int walk_bus(u8 bus, visit_fn visit, void *ctx, int depth)
{
	struct pci_dev d = { .bus = bus };
	for (u8 dev = 0; dev < 32; dev++) {
		for (u8 fn = 0; fn < 8; fn++) {
			d.dev = dev;
			d.fn = fn;
			u32 id = pci_read32(&d, 0);
			if ((id & 0xFFFF) == 0xFFFF) {
				if (fn == 0) break;
				continue;
			}
			d.vendor = (u16)id;
			d.device = (u16)(id >> 16);
			if (visit(&d, ctx)) return 1;
			u8 header = pci_read8(&d, 0x0E);
			if ((header & 0x7F) == 1 && depth < 8) {
				u8 secondary = pci_read8(&d, 0x19);
				if (secondary > bus && walk_bus(secondary, visit, ctx, depth + 1)) return 1;
			}
			if (fn == 0 && !(header & 0x80)) break; /* single-function */
		}
	}
	return 0;
}

struct find_ctx {
	u16 vendor, device, device_alt;
	struct pci_dev *out;
};

static int visit_find(struct pci_dev *d, void *ctx)
{
	struct find_ctx *c = ctx;
	if (d->vendor != c->vendor || (d->device != c->device && d->device != c->device_alt)) return 0;
	*c->out = *d;
	return 1;
}

/* High-water mark of what is decoded below 4 GiB, for the BAR heuristic. */
static int visit_highwater(struct pci_dev *d, void *ctx)
{
	u64 *top = ctx;
	if ((pci_read8(d, 0x0E) & 0x7F) != 0) return 0;
	read_bars(d);
	for (int i = 0; i < 6; i++)
		if (!d->bar_is_io[i] && d->bar[i] && d->bar[i] < (4ull << 30) && d->bar[i] + d->bar_size[i] > *top)
			*top = d->bar[i] + d->bar_size[i];
	return 0;
}

static void assign_bars(struct pci_dev *d)
{
	u64 top = 0xC0000000ull;
	for (unsigned i = 0; i < boot.ram_count; i++) {
		u64 e = boot.ram[i].base + boot.ram[i].size;
		if (e <= (4ull << 30) && e > top) top = e;
	}
	if (acpi.ecam_base && acpi.ecam_base < (4ull << 30)) {
		u64 e = acpi.ecam_base + ((u64)(acpi.ecam_bus_end - acpi.ecam_bus_start + 1) << 20);
		if (e > top) top = e;
	}
	walk_bus(0, visit_highwater, &top, 0);
	read_bars(d);
	for (int i = 0; i < 6; i++) {
		if (d->bar_is_io[i] || !d->bar_size[i] || d->bar[i]) continue;
		u64 size = d->bar_size[i], a = ALIGN_UP(top, size);
		if (a + size > 0xFEC00000ull) fatal("no room below 4 GiB to assign a BAR");
		u16 off = 0x10 + 4 * i;
		u32 lo = pci_read32(d, off);
		pci_write32(d, off, (u32)a | (lo & 0xF));
		if (((lo >> 1) & 3) == 2) pci_write32(d, off + 4, 0);
		put_str(LINE_PREFIX "assigned BAR");
		put_dec(i);
		put_str(" at ");
		put_hex(a);
		put_char('\n');
		top = a + size;
	}
}

int pci_find(u16 vendor, u16 device, u16 device_alt, struct pci_dev *out)
{
	pci_access_method = acpi.ecam_base ? "ecam" : "cf8";
	if (acpi.ecam_base && acpi.ecam_base + ((u64)(acpi.ecam_bus_end - acpi.ecam_bus_start + 1) << 20) > (4ull << 30))
		map_mmio(acpi.ecam_base, (u64)(acpi.ecam_bus_end - acpi.ecam_bus_start + 1) << 20);
	struct find_ctx c = { vendor, device, device_alt, out };
	if (!walk_bus(acpi.ecam_base ? acpi.ecam_bus_start : 0, visit_find, &c, 0)) return 0;
	read_bars(out);
	int unassigned = 0;
	for (int i = 0; i < 6; i++)
		if (!out->bar_is_io[i] && out->bar_size[i] && !out->bar[i]) unassigned = 1;
	if (unassigned) {
		if (out->bus != 0) fatal("device behind a bridge has unassigned BARs; assigning bridge windows is not implemented");
		assign_bars(out);
		read_bars(out);
	}
	for (int i = 0; i < 6; i++)
		if (!out->bar_is_io[i] && out->bar[i]) map_mmio(out->bar[i], out->bar_size[i]);
	u16 cmd = pci_read16(out, PCI_COMMAND);
	pci_write16(out, PCI_COMMAND, cmd | PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
	return 1;
}
