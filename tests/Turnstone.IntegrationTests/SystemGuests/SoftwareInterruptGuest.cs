using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.IntegrationTests.SystemGuests.SystemGuestLayout;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// INT n through the 64-bit IDT: on an IST stack, interrupt gate versus trap gate with IF set,
/// INT3 as a trap (RIP after it), and from ring 3: a DPL-3 gate switching to the TSS's RSP0, a
/// DPL-0 gate refused with #GP (error code: vector * 8 + 2).
/// </summary>
public static class SoftwareInterruptGuest
{
    public static byte[] Build()
    {
        return SystemGuestImage.BuildLongModeGuest((a, c) =>
        {
            Label general = a.CreateLabel(), onIst = a.CreateLabel(), trapGate = a.CreateLabel(), breakpoint = a.CreateLabel();
            Label fromUser = a.CreateLabel(), end = a.CreateLabel(), user = a.CreateLabel(), afterRefused = a.CreateLabel();
            GuestPrologue.SetGate64(a, 3, breakpoint, trap: true, userCallable: true);
            GuestPrologue.SetGate64(a, 13, general);
            GuestPrologue.SetGate64(a, 0x80, onIst, ist: 1);
            GuestPrologue.SetGate64(a, 0x81, trapGate, trap: true);
            GuestPrologue.SetGate64(a, 0x82, fromUser, userCallable: true);
            GuestPrologue.SetGate64(a, 0x83, end, userCallable: true);
            GuestHandlers.LoadIdt(a);
            a.mov(ax, TssSelector);
            a.ltr(ax);
            c.Print("64: software interrupts\n");

            c.Print("int 0x80 on IST 1\n");
            a.mov(eax, 0x7FFF_FFFF);
            a.add(eax, 1); // known arithmetic flags in the frame's RFLAGS
            a.@int(0x80);
            c.Value("rsp after iretq", rsp);
            c.Print("interrupt gate and trap gate with IF set (the PIC is masked)\n");
            a.sti();
            a.@int(0x80);
            a.@int(0x81);
            a.cli();
            c.Print("int3\n");
            a.int3();

            c.Print("to ring 3\n");
            a.push(UserData);
            a.push((int)UserStackTop);
            a.push(2);
            a.push(UserCode64);
            a.lea(rax, __[user]);
            a.push(rax);
            a.iretq();
            a.Label(ref user);
            a.@int(0x82);
            a.int3();
            GuestHandlers.SetResume(a, afterRefused);
            a.@int(0x80);
            a.Label(ref afterRefused);
            a.@int(0x83);

            a.Label(ref onIst);
            c.Value("int 0x80 rsp", rsp);
            PrintFrame(a, c, "int 0x80");
            a.iretq();
            a.Label(ref trapGate);
            a.pushfq();
            a.pop(rbx);
            c.Value("int 0x81 rflags inside (trap gate)", rbx);
            a.iretq();
            a.Label(ref breakpoint);
            PrintFrame(a, c, "int3");
            a.iretq();
            a.Label(ref fromUser);
            c.Value("int 0x82 rsp", rsp);
            PrintFrame(a, c, "int 0x82");
            a.iretq();
            a.Label(ref end);
            c.Print("back in ring 0 for good\n");
            c.Reset();
            // The error code of INT n refused by a gate's DPL is the vector's IDT selector (vector * 8 + 2,
            // as the SDM and KVM give it); QEMU TCG's 64-bit path pushes vector * 16 + 2. Not compared here.
            GuestHandlers.EmitFault(a, c, ref general, "#GP", errorCode: true, printErrorCode: false);
        });
    }

    /// <summary>The interrupt frame at RSP (no error code): RIP, CS, RFLAGS, RSP, SS.</summary>
    private static void PrintFrame(Assembler a, GuestConsole c, string name)
    {
        string[] fields = ["rip", "cs", "rflags", "rsp", "ss"];
        for (int i = 0; i < fields.Length; i++)
        {
            a.mov(rbx, __qword_ptr[rsp + i * 8]);
            c.Value($"{name} {fields[i]}", rbx);
        }
    }
}
