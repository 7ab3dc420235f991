using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.IntegrationTests.SystemGuests.SystemGuestLayout;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// Privilege changes in long mode: SWAPGS, IRETQ to ring 3, SYSCALL and SYSRETQ (RCX, R11, the
/// selectors from STAR, RFLAGS masked by SFMASK), and faults from ring 3 onto the TSS's RSP0 stack:
/// #GP for a port access and for privileged instructions, #PF for a supervisor page (error code
/// with the user bit). Ring 3 asks ring 0 to print through SYSCALL (RAX 1: print RDI; RAX 2: end).
/// </summary>
public static class PrivilegeGuest
{
    public static byte[] Build()
    {
        return SystemGuestImage.BuildLongModeGuest((a, c) =>
        {
            Label general = a.CreateLabel(), pageFault = a.CreateLabel(), systemCall = a.CreateLabel(), user = a.CreateLabel();
            Label afterOut = a.CreateLabel(), afterHlt = a.CreateLabel(), afterCli = a.CreateLabel(), afterCr3 = a.CreateLabel();
            Label end = a.CreateLabel(), print = a.CreateLabel();
            GuestPrologue.SetGate64(a, 13, general);
            GuestPrologue.SetGate64(a, 14, pageFault);
            GuestHandlers.LoadIdt(a);
            a.mov(ax, TssSelector);
            a.ltr(ax);
            c.Print("64: privilege levels\n");

            WriteMsr(a, 0xC000_0101, 0x1111); // GS base
            WriteMsr(a, 0xC000_0102, 0x2222); // kernel GS base
            a.swapgs();
            a.mov(ecx, 0xC000_0101);
            a.rdmsr();
            c.Value("gs base after swapgs", eax);
            a.mov(ecx, 0xC000_0102);
            a.rdmsr();
            c.Value("kernel gs base after swapgs", eax);
            a.swapgs();

            a.mov(ecx, 0xC000_0081); // STAR: SYSCALL CS 0x08, SYSRET base 0x30
            a.xor(eax, eax);
            a.mov(edx, (UserBase << 16) | Code64Selector);
            a.wrmsr();
            a.mov(ecx, 0xC000_0082); // LSTAR
            a.lea(rax, __[systemCall]);
            a.mov(rdx, rax);
            a.shr(rdx, 32);
            a.wrmsr();
            WriteMsr(a, 0xC000_0084, 0x4_7700); // SFMASK: TF, DF, IF, IOPL, NT, AC

            a.mov(GuestPrologue.PageTableEntry(TestPages + 0x6000), (int)(TestPages + 0x6000) | 3); // present, writable, supervisor
            c.Print("iretq to ring 3\n");
            a.push(UserData);
            a.push((int)UserStackTop);
            a.push(0x202 & ~0x200 | 0x400 | 0x40); // DF and ZF set: SFMASK must clear DF in the kernel
            a.push(UserCode64);
            a.lea(rax, __[user]);
            a.push(rax);
            a.iretq();

            // Ring 3 from here on.
            a.Label(ref user);
            a.cld();
            a.mov(di, cs);
            a.movzx(edi, di);
            SystemCall(a, 1);
            a.mov(di, ss);
            a.movzx(edi, di);
            SystemCall(a, 1);
            a.mov(rdi, rsp);
            SystemCall(a, 1);
            GuestHandlers.SetResume(a, afterOut);
            a.mov(dx, Com1);
            a.@out(dx, al);
            a.Label(ref afterOut);
            GuestHandlers.SetResume(a, afterHlt);
            a.hlt();
            a.Label(ref afterHlt);
            GuestHandlers.SetResume(a, afterCli);
            a.cli();
            a.Label(ref afterCli);
            GuestHandlers.SetResume(a, afterCr3);
            a.mov(rax, cr3);
            a.Label(ref afterCr3);
            a.mov(rax, __qword_ptr[TestPages + 0x6000]); // supervisor-only: the #PF handler makes it a user page
            a.mov(edi, 0x600D);
            SystemCall(a, 1);
            SystemCall(a, 2);

            a.Label(ref systemCall); // ring 0, on the user's stack (SYSCALL does not switch stacks)
            a.pushfq(); // before any instruction changes them: RFLAGS as SYSCALL left them
            a.pop(rbx);
            // SYSCALL clears only SFMASK's bits (SDM); QEMU TCG also clears the arithmetic flags it
            // keeps lazily. Those are compared through R11 instead.
            a.and(ebx, ~0x8D5);
            c.Value("rflags in the kernel, arithmetic flags not compared", rbx);
            c.Value("syscall rcx", rcx);
            c.Value("syscall r11", r11);
            a.mov(bx, cs);
            a.movzx(ebx, bx);
            c.Value("kernel cs", rbx);
            a.cmp(eax, 1);
            a.jne(end);
            a.Label(ref print);
            c.Value("user says", rdi);
            a.sysretq();
            a.Label(ref end);
            c.Print("back in ring 0 for good\n");
            c.Reset();

            GuestHandlers.EmitFault(a, c, ref general, "#GP", errorCode: true, printFlagsAndStack: true);
            GuestHandlers.EmitPageFault(a, c, ref pageFault);
        });
    }

    private static void WriteMsr(Assembler a, uint index, uint value)
    {
        a.mov(ecx, index);
        a.mov(eax, value);
        a.xor(edx, edx);
        a.wrmsr();
    }

    private static void SystemCall(Assembler a, int function)
    {
        a.mov(eax, function);
        a.syscall();
    }
}
