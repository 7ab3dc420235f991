/*
 * Just enough ACPI: the RSDP (from hvm_start_info, else the BIOS area
 * scan), the XSDT (or RSDT) to find MCFG (where the ECAM window is) and
 * FADT (PM1 control ports, reset register, DSDT), and \_S5_'s SLP_TYP from
 * the DSDT by a byte scan rather than an AML interpreter, as small kernels
 * do: `_S5_` NameOp followed by a Package whose first two elements are
 * integers. QEMU's q35 answers 0 (ICH9), Turnstone 5; the scan finds both.
 */
#include "blkdriver.h"

struct acpi_info acpi;

struct sdt_header {
	char signature[4];
	u32 length;
	u8 revision, checksum;
	char oem_id[6], oem_table_id[8];
	u32 oem_revision, creator_id, creator_revision;
} __attribute__((packed));

static int checksum_ok(const void *p, u32 len)
{
	u8 sum = 0;
	for (u32 i = 0; i < len; i++) sum += ((const u8 *)p)[i];
	return sum == 0;
}

static u64 scan_rsdp(u64 from, u64 to)
{
	for (u64 a = from; a + 20 <= to; a += 16)
		if (!memcmp((const void *)a, "RSD PTR ", 8) && checksum_ok((const void *)a, 20)) return a;
	return 0;
}

static const struct sdt_header *table_at(u64 addr)
{
	const struct sdt_header *h = (const struct sdt_header *)addr;
	/* Everything ACPI lives below 4 GiB on the machines we run on: it is
	 * identity-mapped there. */
	if (!addr || addr >= (4ull << 30) || h->length < sizeof(*h) || h->length > (16u << 20)) return NULL;
	return h;
}

/* Reads an AML integer element: ZeroOp, OneOp, BytePrefix n, WordPrefix. */
static int aml_small_int(const u8 **pp, const u8 *end, u8 *out)
{
	const u8 *p = *pp;
	if (p >= end) return 0;
	switch (*p) {
	case 0x00: *out = 0; *pp = p + 1; return 1;
	case 0x01: *out = 1; *pp = p + 1; return 1;
	case 0x0A: if (p + 2 > end) return 0; *out = p[1]; *pp = p + 2; return 1;
	case 0x0B: if (p + 3 > end) return 0; *out = p[1]; *pp = p + 3; return 1;
	default: return 0;
	}
}

static void scan_s5(const struct sdt_header *dsdt)
{
	const u8 *p = (const u8 *)dsdt + sizeof(*dsdt), *end = (const u8 *)dsdt + dsdt->length;
	for (; p + 8 <= end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12) continue;            /* PackageOp */
		/* NameOp (0x08) directly before, or with a root prefix '\'. */
		if (!(p[-1] == 0x08 || (p[-1] == '\\' && p[-2] == 0x08))) continue;
		const u8 *q = p + 5;
		q += 1 + (*q >> 6);                                           /* PkgLength */
		q += 1;                                                       /* NumElements */
		if (aml_small_int(&q, end, &acpi.slp_typ_s5a) && aml_small_int(&q, end, &acpi.slp_typ_s5b)) {
			acpi.have_s5 = 1;
			return;
		}
	}
}

static void parse_fadt(const struct sdt_header *h)
{
	const u8 *f = (const u8 *)h;
	u32 len = h->length;
	acpi.pm1a_cnt = (u16)*(const u32 *)(f + 64);
	acpi.pm1b_cnt = (u16)*(const u32 *)(f + 68);
	/* X_PM1a_CNT_BLK (a GAS) when the legacy field is empty, I/O space only. */
	if (!acpi.pm1a_cnt && len >= 184 && f[172] == 1) acpi.pm1a_cnt = (u16)*(const u64 *)(f + 176);
	/* RESET_REG, if the FADT says it is supported and it is a port. */
	if (len >= 129 && (*(const u32 *)(f + 112) & (1u << 10)) && f[116] == 1) {
		acpi.reset_port = (u16)*(const u64 *)(f + 120);
		acpi.reset_value = f[128];
	}
	u64 dsdt = *(const u32 *)(f + 40);
	if (len >= 148 && *(const u64 *)(f + 140)) dsdt = *(const u64 *)(f + 140);
	const struct sdt_header *d = table_at(dsdt);
	if (d && !memcmp(d->signature, "DSDT", 4)) scan_s5(d);
}

static void parse_mcfg(const struct sdt_header *h)
{
	const u8 *p = (const u8 *)h + sizeof(*h) + 8;
	const u8 *end = (const u8 *)h + h->length;
	for (; p + 16 <= end; p += 16) {
		if (*(const u16 *)(p + 8) != 0) continue; /* PCI segment group 0 only */
		acpi.ecam_base = *(const u64 *)p;
		acpi.ecam_bus_start = p[10];
		acpi.ecam_bus_end = p[11];
		return;
	}
}

void acpi_init(void)
{
	u64 rsdp = boot.rsdp;
	if (!rsdp) {
		/* EBDA first KiB, then the BIOS read-only area. */
		/* The BIOS data area's EBDA segment. The address goes through an
		 * empty asm: gcc takes small constant addresses for null-pointer
		 * arithmetic and warns. */
		u64 bda_ebda = 0x40E;
		__asm__("" : "+r"(bda_ebda));
		u64 ebda = (u64)mmio_read16(bda_ebda) << 4;
		if (ebda >= 0x80000 && ebda < 0xA0000) rsdp = scan_rsdp(ebda, ebda + 1024);
		if (!rsdp) rsdp = scan_rsdp(0xE0000, 0x100000);
	}
	if (!rsdp) {
		put_str(LINE_PREFIX "warning: no ACPI RSDP; PCI through ports 0xCF8/0xCFC, no ACPI power-off\n");
		return;
	}
	const u8 *r = (const u8 *)rsdp;
	u64 root = *(const u32 *)(r + 16);
	int entry_size = 4;
	if (r[15] >= 2 && *(const u64 *)(r + 24)) {
		root = *(const u64 *)(r + 24);
		entry_size = 8;
	}
	const struct sdt_header *rt = table_at(root);
	if (!rt) {
		put_str(LINE_PREFIX "warning: RSDP points to no root table\n");
		return;
	}
	const u8 *e = (const u8 *)rt + sizeof(*rt);
	unsigned n = (rt->length - sizeof(*rt)) / entry_size;
	for (unsigned i = 0; i < n; i++, e += entry_size) {
		u64 a = entry_size == 8 ? *(const u64 *)e : *(const u32 *)e;
		const struct sdt_header *t = table_at(a);
		if (!t) continue;
		if (!memcmp(t->signature, "MCFG", 4)) parse_mcfg(t);
		else if (!memcmp(t->signature, "FACP", 4)) parse_fadt(t);
	}
}

static int current_cpl(void)
{
	u16 cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

/*
 * ACPI S5 through PM1a/b_CNT (SLP_TYP from \_S5_, SLP_EN), else reset (the
 * FADT reset register, 0xCF9, the keyboard controller): run QEMU with
 * -no-reboot and a reset ends it too. Port I/O, so it works at CPL 3.
 */
void power_off(void)
{
	if (acpi.pm1a_cnt && acpi.have_s5) {
		u16 v = inw(acpi.pm1a_cnt) & ~(u16)((7u << 10) | (1u << 13));
		outw(acpi.pm1a_cnt, v | (u16)(acpi.slp_typ_s5a << 10) | (1u << 13));
		if (acpi.pm1b_cnt) {
			v = inw(acpi.pm1b_cnt) & ~(u16)((7u << 10) | (1u << 13));
			outw(acpi.pm1b_cnt, v | (u16)(acpi.slp_typ_s5b << 10) | (1u << 13));
		}
	}
	if (acpi.reset_port) outb(acpi.reset_port, acpi.reset_value);
	outb(0xCF9, 0x02);
	outb(0xCF9, 0x06);
	outb(0x64, 0xFE);
	put_str(LINE_PREFIX "error: power-off and reset both failed; stopping here\n");
	for (;;) {
		if (current_cpl() == 0) __asm__ volatile("cli; hlt");
		else cpu_relax();
	}
}
