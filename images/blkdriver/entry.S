/*
 * PVH entry, the switch to long mode, the interrupt stubs and the drop to
 * CPL 3.
 *
 * A PVH loader (QEMU's -kernel with an ELF, Turnstone's --kernel) looks for
 * the ELF note XEN_ELFNOTE_PHYS32_ENTRY and jumps there in 32-bit protected
 * mode: paging off, flat 4 GiB CS/DS/ES, interrupts off, %ebx = physical
 * address of struct hvm_start_info. Nothing else is promised: no stack, no
 * usable GDT or IDT. So this file sets up the minimum to reach 64-bit C:
 * a GDT (the final one, kernel and user segments, TSS filled in by cpu.c),
 * identity page tables for the first 4 GiB in 2 MiB pages (user-accessible:
 * the workload loop runs at CPL 3 and touches RAM, rings and BARs), PAE,
 * EFER.LME, paging on, far jump.
 *
 * Code here runs at CPL 0, which on hosts with nested (PVM) KVM is
 * instruction-emulated, so it is short and loops are simple.
 */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_U 0x4
#define PTE_PS 0x80
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS (0x18 | 3)
#define USER_CS (0x20 | 3)

	.section .note.Xen, "a"
	.p2align 2
	.long 4                         /* namesz: "Xen\0" */
	.long 4                         /* descsz: a 32-bit physical address */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_start32

	.section .text.entry, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	/* %ebx must survive until C sees it; only rep stosl below needs
	 * %eax, %ecx and %edi. */
	lgdt gdt_descriptor
	mov $KERNEL_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov $boot_stack_top, %esp

	/* The loader need not zero .bss (QEMU does, others may not). */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $2, %ecx
	xor %eax, %eax
	rep stosl
	mov %ebx, pvh_start_info

	/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB
	 * pages: identity map of 0 .. 4 GiB, which holds RAM below the PCI
	 * hole, the ECAM window, the LAPIC and every 32-bit BAR. cpu.c makes
	 * the non-RAM part uncached and maps 64-bit BARs above 4 GiB. */
	mov $boot_pdpt, %eax
	or $(PTE_P | PTE_W | PTE_U), %eax
	mov %eax, boot_pml4
	mov $boot_pd, %eax
	or $(PTE_P | PTE_W | PTE_U), %eax
	mov $boot_pdpt, %edi
	mov $4, %ecx
1:	mov %eax, (%edi)
	add $4096, %eax
	add $8, %edi
	loop 1b
	mov $boot_pd, %edi
	mov $(PTE_P | PTE_W | PTE_U | PTE_PS), %eax
	xor %edx, %edx
	mov $2048, %ecx
2:	mov %eax, (%edi)
	mov %edx, 4(%edi)
	add $0x200000, %eax
	adc $0, %edx
	add $8, %edi
	loop 2b

	mov %cr4, %eax
	or $0x20, %eax                  /* PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xC0000080, %ecx           /* EFER */
	rdmsr
	or $0x100, %eax                 /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax            /* PG, PE */
	and $~0x60000000, %eax          /* caches on: CD, NW clear */
	mov %eax, %cr0
	ljmp $KERNEL_CS, $long_mode

	.code64
long_mode:
	mov $KERNEL_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	lea kernel_stack_top(%rip), %rsp
	mov pvh_start_info(%rip), %edi
	call kmain
3:	hlt
	jmp 3b

/*
 * enter_user(fn): iretq to fn at CPL 3 on the user stack with IOPL 3 (port
 * I/O and cli/sti allowed in user mode: serial, PCI ports, PIT, power off)
 * and IF set (the MSI-X vector is the only source left unmasked).
 */
	.globl enter_user
enter_user:
	mov $USER_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	pushq $USER_DS
	lea user_stack_top(%rip), %rax
	sub $8, %rax                    /* as if called: rsp % 16 == 8 */
	pushq %rax
	pushq $0x3202                   /* IOPL 3, IF, reserved bit 1 */
	pushq $USER_CS
	pushq %rdi
	iretq

/*
 * Interrupt and exception stubs: 256 of them, 16 bytes apart (cpu.c
 * computes isr_stubs + 16 * vector). Each pushes a zero error code where
 * the CPU pushes none, then the vector, so isr_common sees one frame shape.
 */
	.p2align 4
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.p2align 4
	.if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi                  /* struct int_frame * */
	call isr_dispatch
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

/*
 * The device's MSI-X vector gets its own short handler: on hosts where CPL 0
 * is emulated every instruction here costs, so count and EOI, nothing else.
 * The CPL 3 loop waits for irq_count to move and then reaps the used ring.
 */
	.globl irq_stub_xapic
irq_stub_xapic:
	incq irq_count(%rip)
	push %rax
	mov lapic_eoi_address(%rip), %rax
	movl $0, (%rax)
	pop %rax
	iretq

	.globl irq_stub_x2apic
irq_stub_x2apic:
	incq irq_count(%rip)
	push %rax
	push %rcx
	push %rdx
	mov $0x80b, %ecx                /* x2APIC EOI */
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	pop %rdx
	pop %rcx
	pop %rax
	iretq

	.data
	.p2align 3
gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff        /* 0x10 kernel data */
	.quad 0x00cff2000000ffff        /* 0x18 user data, DPL 3 */
	.quad 0x00affa000000ffff        /* 0x20 user code, 64-bit, DPL 3 */
	.globl gdt_tss
gdt_tss:
	.quad 0, 0                      /* 0x28 TSS, filled in by cpu.c */
gdt_end:
	.globl gdt_descriptor
gdt_descriptor:
	.word gdt_end - gdt - 1
	.quad gdt                       /* lgdt in 32-bit mode reads 4 bytes */

	.globl pvh_start_info
pvh_start_info:
	.long 0

	.bss
	.p2align 12
	.globl boot_pml4, boot_pdpt, boot_pd
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd: .skip 4 * 4096
	.p2align 4
	.skip 4096
boot_stack_top:
	.p2align 4
	.skip 16384
	.globl kernel_stack_top
kernel_stack_top:
	.p2align 4
	.skip 65536
user_stack_top:
	.section .note.GNU-stack, "", @progbits
