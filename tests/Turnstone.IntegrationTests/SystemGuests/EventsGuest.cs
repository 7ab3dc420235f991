using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.IntegrationTests.SystemGuests.SystemGuestLayout;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// Exceptions through the 64-bit IDT: #DE (divide by zero and quotient overflow), #UD on an IST
/// stack, #GP with a selector error code and for a non-canonical address, interrupt versus trap
/// gates and RFLAGS.IF, a double fault on IST 1 (a page fault whose gate lies past the IDT limit),
/// and finally a triple fault, which resets the machine. (INT n is in <see cref="SoftwareInterruptGuest"/>:
/// a nested PVM host's KVM cannot run it in guest kernel mode.)
/// </summary>
public static class EventsGuest
{
    public static byte[] Build()
    {
        return SystemGuestImage.BuildLongModeGuest((a, c) =>
        {
            Label divide = a.CreateLabel(), invalid = a.CreateLabel(), general = a.CreateLabel(), doubleFault = a.CreateLabel();
            Label trapGate = a.CreateLabel(), afterTrap = a.CreateLabel(), afterInterruptGate = a.CreateLabel();
            Label afterDivide = a.CreateLabel(), afterOverflow = a.CreateLabel(), afterInvalid = a.CreateLabel(), afterSelector = a.CreateLabel();
            Label afterCanonical = a.CreateLabel(), afterDoubleFault = a.CreateLabel();
            GuestPrologue.SetGate64(a, 0, divide);
            GuestPrologue.SetGate64(a, 6, invalid, ist: 1);
            GuestPrologue.SetGate64(a, 8, doubleFault, ist: 1);
            GuestPrologue.SetGate64(a, 13, general);
            a.mov(ax, TssSelector);
            a.ltr(ax);
            GuestHandlers.LoadIdt(a);
            c.Print("64: events\n");

            c.Print("divide by zero\n");
            GuestHandlers.SetResume(a, afterDivide);
            a.mov(eax, 5);
            a.xor(ecx, ecx);
            a.div(ecx);
            a.Label(ref afterDivide);
            c.Print("quotient overflow\n");
            GuestHandlers.SetResume(a, afterOverflow);
            a.mov(edx, 1);
            a.xor(eax, eax);
            a.mov(ecx, 1);
            a.div(ecx);
            a.Label(ref afterOverflow);
            c.Print("ud2\n");
            GuestHandlers.SetResume(a, afterInvalid);
            a.ud2();
            a.Label(ref afterInvalid);
            c.Print("a selector past the GDT limit\n");
            GuestHandlers.SetResume(a, afterSelector);
            a.mov(ax, 0x1234);
            a.mov(ds, ax);
            a.Label(ref afterSelector);
            c.Print("a non-canonical address\n");
            GuestHandlers.SetResume(a, afterCanonical);
            a.mov(rax, 0x8000_0000_0000_0000);
            a.mov(rbx, __qword_ptr[rax]);
            a.Label(ref afterCanonical);

            c.Print("interrupt gate and trap gate with IF set (the PIC is masked)\n");
            GuestPrologue.SetGate64(a, 0, trapGate, trap: true);
            a.sti();
            GuestHandlers.SetResume(a, afterTrap);
            a.xor(ecx, ecx);
            a.div(ecx);
            a.Label(ref afterTrap);
            GuestHandlers.SetResume(a, afterInterruptGate);
            a.ud2();
            a.Label(ref afterInterruptGate);
            a.cli();

            c.Print("double fault: a page fault whose gate lies past the IDT limit\n");
            a.mov(__word_ptr[IdtPointer64], 14 * 16 - 1);
            GuestHandlers.LoadIdt(a);
            GuestHandlers.SetResume(a, afterDoubleFault);
            a.mov(GuestPrologue.PageTableEntry(TestPages), (int)TestPages);
            a.invlpg(__[TestPages]);
            a.mov(rax, __qword_ptr[TestPages]);
            a.Label(ref afterDoubleFault);
            a.mov(rsp, KernelStackTop);
            c.Print("done\n");
            a.mov(__word_ptr[IdtPointer64], 0); // the next exception cannot be delivered: shutdown
            GuestHandlers.LoadIdt(a);
            a.mov(rax, __qword_ptr[TestPages]); // still not present
            a.hlt();

            GuestHandlers.EmitFault(a, c, ref divide, "#DE", errorCode: false);
            GuestHandlers.EmitFault(a, c, ref invalid, "#UD", errorCode: false, printFlagsAndStack: true);
            GuestHandlers.EmitFault(a, c, ref general, "#GP", errorCode: true);
            a.Label(ref doubleFault);
            a.mov(rbx, __qword_ptr[rsp]);
            c.Value("#DF error", rbx);
            c.Value("#DF rsp", rsp);
            a.mov(__word_ptr[IdtPointer64], 256 * 16 - 1);
            GuestHandlers.LoadIdt(a);
            a.jmp(__qword_ptr[GuestHandlers.ResumeSlot]);
            a.Label(ref trapGate);
            a.pushfq();
            a.pop(rbx);
            c.Value("#DE through a trap gate: rflags inside", rbx);
            a.mov(rbx, __qword_ptr[GuestHandlers.ResumeSlot]);
            a.mov(__qword_ptr[rsp], rbx);
            a.iretq();
        });
    }

}
