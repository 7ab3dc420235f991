/*
 * The CPL 0 prologue: TSS, IDT, legacy PIC out of the way, local APIC on,
 * page attributes and extra mappings. entry.S already set up the GDT and
 * the identity map of 0 .. 4 GiB and is in long mode.
 *
 * After enter_user() the kernel side only ever runs for interrupts: the
 * MSI-X stub (count + EOI) and the fault handler, which reports and powers
 * off. The guest never returns to CPL 0 by choice, because on hosts with
 * nested (PVM) KVM every CPL 0 instruction is emulated.
 */
#include "blkdriver.h"

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PWT 0x8ull
#define PTE_PCD 0x10ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000ffffffffff000ull

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)
#define IRQ_VECTOR 0x40
#define SPURIOUS_VECTOR 0xFF

extern u64 boot_pml4[512];
extern u64 boot_pd[4 * 512];
extern u64 gdt_tss[2];
extern char isr_stubs[];
extern char irq_stub_xapic[], irq_stub_x2apic[];
extern char kernel_stack_top[];

volatile u64 irq_count;
u64 lapic_eoi_address;  /* read by irq_stub_xapic */
u8 irq_vector = IRQ_VECTOR;
u32 lapic_id;
static int x2apic;
static u64 unexpected_interrupts;

struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));

struct idt_entry {
	u16 offset_lo, selector;
	u8 ist, type_attr;
	u16 offset_mid;
	u32 offset_hi, reserved;
} __attribute__((packed));

struct int_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error, rip, cs, rflags, rsp, ss;
};

static struct tss64 tss __attribute__((aligned(16)));
static struct idt_entry idt[256] __attribute__((aligned(16)));
static u64 table_pool[8][512] __attribute__((aligned(4096)));
static unsigned table_pool_used;

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static void reload_cr3(void)
{
	u64 cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
}

int is_ram(u64 addr)
{
	for (unsigned i = 0; i < boot.ram_count; i++)
		if (addr >= boot.ram[i].base && addr - boot.ram[i].base < boot.ram[i].size) return 1;
	return 0;
}

static int range_has_ram(u64 base, u64 size)
{
	for (unsigned i = 0; i < boot.ram_count; i++) {
		u64 b = boot.ram[i].base, e = b + boot.ram[i].size;
		if (b < base + size && base < e) return 1;
	}
	return 0;
}

static u64 *next_table(u64 *entry)
{
	if (!(*entry & PTE_P)) {
		if (table_pool_used == ARRAY_SIZE(table_pool)) fatal("out of page-table pages for BAR mappings");
		u64 *t = table_pool[table_pool_used++];
		memset(t, 0, 4096);
		*entry = (u64)t | PTE_P | PTE_W | PTE_U;
	}
	return (u64 *)(*entry & PTE_ADDR);
}

/* Identity-maps [base, base + size) in 2 MiB pages, user-accessible and
 * uncached (device registers). Below 4 GiB entry.S mapped everything
 * already; only the cache attributes change there. */
void map_mmio(u64 base, u64 size)
{
	u64 start = base & ~0x1FFFFFull;
	for (u64 a = start; a < base + size; a += 0x200000) {
		u64 *pdpt = next_table(&boot_pml4[(a >> 39) & 511]);
		u64 *pd = next_table(&pdpt[(a >> 30) & 511]);
		pd[(a >> 21) & 511] = a | PTE_P | PTE_W | PTE_U | PTE_PS | PTE_PCD | PTE_PWT;
	}
	reload_cr3();
}

static void set_idt(unsigned vector, void *handler)
{
	u64 a = (u64)handler;
	idt[vector] = (struct idt_entry){
		.offset_lo = (u16)a, .selector = 0x08, .ist = 0,
		.type_attr = 0x8E, /* present, DPL 0, 64-bit interrupt gate */
		.offset_mid = (u16)(a >> 16), .offset_hi = (u32)(a >> 32),
	};
}

static void lapic_write(u32 reg, u32 v)
{
	if (x2apic) wrmsr(0x800 + (reg >> 4), v);
	else mmio_write32(lapic_eoi_address - 0xB0 + reg, v);
}

static u32 lapic_read(u32 reg)
{
	if (x2apic) return (u32)rdmsr(0x800 + (reg >> 4));
	return mmio_read32(lapic_eoi_address - 0xB0 + reg);
}

void cpu_init(void)
{
	/* TSS: only RSP0 matters, the stack interrupts from CPL 3 land on.
	 * The I/O bitmap offset points past the limit: no bitmap, IOPL 3
	 * alone grants the port access. */
	tss.rsp[0] = (u64)kernel_stack_top;
	tss.iomap_base = sizeof(tss);
	u64 base = (u64)&tss, limit = sizeof(tss) - 1;
	gdt_tss[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
		     (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	gdt_tss[1] = base >> 32;
	__asm__ volatile("ltr %w0" ::"r"(0x28));

	for (unsigned v = 0; v < 256; v++) set_idt(v, isr_stubs + 16 * v);

	/* Legacy PIC: remap to 0x20..0x2F (so a stray IRQ is not taken for an
	 * exception), then mask every line. */
	outb(0x20, 0x11); outb(0xA0, 0x11);
	outb(0x21, 0x20); outb(0xA1, 0x28);
	outb(0x21, 0x04); outb(0xA1, 0x02);
	outb(0x21, 0x01); outb(0xA1, 0x01);
	outb(0x21, 0xFF); outb(0xA1, 0xFF);

	/* Local APIC: the MSI-X message goes to it. Keep whatever mode the
	 * firmware left (xAPIC under SeaBIOS); software-enable it. */
	u64 apic_base = rdmsr(MSR_APIC_BASE);
	if (!(apic_base & APIC_BASE_ENABLE)) wrmsr(MSR_APIC_BASE, apic_base |= APIC_BASE_ENABLE);
	x2apic = (apic_base & APIC_BASE_X2APIC) != 0;
	lapic_eoi_address = (apic_base & 0xFFFFF000ull) + 0xB0;
	if (!x2apic) map_mmio(apic_base & 0xFFFFF000ull, 4096);
	lapic_write(0x80, 0);                         /* TPR: accept all */
	lapic_write(0x320, 1u << 16);                 /* timer LVT masked */
	lapic_write(0xF0, 0x100 | SPURIOUS_VECTOR);   /* SVR: enable */
	lapic_id = x2apic ? lapic_read(0x20) : lapic_read(0x20) >> 24;
	set_idt(IRQ_VECTOR, x2apic ? irq_stub_x2apic : irq_stub_xapic);

	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (u64)idt };
	__asm__ volatile("lidt %0" ::"m"(idtr));

	/* Below 4 GiB, 2 MiB pages without any RAM are device space: uncached. */
	for (u64 j = 1; j < 2048; j++)
		if (!range_has_ram(j << 21, 1ull << 21)) boot_pd[j] |= PTE_PCD | PTE_PWT;
	reload_cr3();
}

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?", "#TS", "#NP", "#SS", "#GP", "#PF", "?",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

u64 io_traps;

/*
 * Port I/O from CPL 3 that faulted. IOPL 3 lets user mode use in/out on
 * hardware, QEMU TCG and ordinary KVM, but under nested PVM KVM guest user
 * mode runs as host user mode and every in/out raises #GP whatever IOPL
 * says. So the #GP handler performs the access itself and steps over the
 * instruction: the same binary works everywhere, and port I/O (serial, PIT,
 * PCI ports, power-off) is never in the timed loop anyway. Decodes exactly
 * the forms gcc emits for blkdriver.h's inb/outb family. 1 if handled.
 */
static int emulate_user_io(struct int_frame *f)
{
	const u8 *ip = (const u8 *)f->rip;
	unsigned len = 0, size = 4;
	if (ip[0] == 0x66) {
		size = 2;
		len = 1;
	}
	u8 op = ip[len++];
	u16 port;
	switch (op) {
	case 0xE4: case 0xE5: case 0xE6: case 0xE7: port = ip[len++]; break;
	case 0xEC: case 0xED: case 0xEE: case 0xEF: port = (u16)f->rdx; break;
	default: return 0;
	}
	if (!(op & 1)) size = 1;
	if (op & 2) { /* out */
		if (size == 1) outb(port, (u8)f->rax);
		else if (size == 2) outw(port, (u16)f->rax);
		else outl(port, (u32)f->rax);
	} else if (size == 1) {
		f->rax = (f->rax & ~0xFFull) | inb(port);
	} else if (size == 2) {
		f->rax = (f->rax & ~0xFFFFull) | inw(port);
	} else {
		f->rax = inl(port); /* a 32-bit result zero-extends */
	}
	f->rip += len;
	io_traps++;
	return 1;
}

void isr_dispatch(struct int_frame *f);
void isr_dispatch(struct int_frame *f)
{
	if (f->vector == 13 && (f->cs & 3) == 3 && f->error == 0 && emulate_user_io(f)) return;
	if (f->vector < 32) {
		u64 cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		put_str(LINE_PREFIX "error: exception vector=");
		put_dec(f->vector);
		put_str(" (");
		put_str(exception_names[f->vector] ? exception_names[f->vector] : "?");
		put_str(") rip=");
		put_hex(f->rip);
		put_str(" error=");
		put_hex(f->error);
		put_str(" cr2=");
		put_hex(cr2);
		put_str(" cpl=");
		put_dec(f->cs & 3);
		put_str(" rsp=");
		put_hex(f->rsp);
		put_char('\n');
		power_off();
	}
	if (f->vector == SPURIOUS_VECTOR) return; /* no EOI for spurious */
	if (unexpected_interrupts++ == 0) {
		put_str(LINE_PREFIX "warning: unexpected interrupt vector=");
		put_dec(f->vector);
		put_char('\n');
	}
	lapic_write(0xB0, 0);
}
