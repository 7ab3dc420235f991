/*
 * The two places the monitor enters a component other than by returning
 * from a hypercall. Both are entered with RSP 16-byte aligned, so a plain
 * `call` gives the callee the alignment the SysV ABI promises it.
 */
#include "turnstone.h"

	.text

	.globl	_start
	.type	_start, @function
_start:
	/* A zero frame pointer ends a backtrace here. */
	xorl	%ebp, %ebp
	call	main
	movl	%eax, %edi
	call	ts_exit
	ud2
	.size	_start, . - _start

/*
 * Timer entry: RDI = ticks delivered so far. The monitor saved every
 * register (general and SSE) and TIMER_RETURN restores them, so nothing is
 * saved here and the handler may clobber what it likes.
 */
	.globl	ts_timer_trampoline
	.type	ts_timer_trampoline, @function
ts_timer_trampoline:
	/* The interrupted code may be anywhere; C code expects DF clear. */
	cld
	movq	ts_timer_handler_fn(%rip), %rax
	testq	%rax, %rax
	jz	1f
	call	*%rax
1:	movl	$TS_HC_TIMER_RETURN, %eax
	outb	%al, $TS_HYPERCALL_PORT
	/* TIMER_RETURN never comes back here; if it did, fault loudly. */
	ud2
	.size	ts_timer_trampoline, . - ts_timer_trampoline

	.section .note.GNU-stack, "", @progbits
