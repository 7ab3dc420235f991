using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.IntegrationTests.SystemGuests.SystemGuestLayout;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// 64-bit exception handlers the guests share. Each prints what the processor gave it (vector,
/// error code, the interrupted CS, RIP and RSP) so a difference in delivery shows as a different
/// line. Faults resume at the address the test stored in <see cref="ResumeSlot"/> before it
/// provoked them (<see cref="SetResume"/>); the page-fault handler repairs the entry and retries.
/// </summary>
public static class GuestHandlers
{
    /// <summary>Where a test stores the RIP its fault handler resumes at.</summary>
    public const uint ResumeSlot = 0x1F_F000;

    public static void SetResume(Assembler a, Label resume)
    {
        a.lea(rax, __[resume]);
        a.mov(__qword_ptr[ResumeSlot], rax);
    }

    /// <summary>Prints the frame and resumes at <see cref="ResumeSlot"/>.</summary>
    public static void EmitFault(Assembler a, GuestConsole c, ref Label handler, string name, bool errorCode, bool printFlagsAndStack = false, bool printErrorCode = true)
    {
        a.Label(ref handler);
        int frame = errorCode ? 8 : 0;
        if (printFlagsAndStack)
        {
            c.Value($"{name} rsp", rsp);
            a.pushfq();
            a.pop(rbx);
            c.Value($"{name} rflags inside", rbx);
        }
        a.push(rbx);
        if (errorCode && printErrorCode)
        {
            a.mov(rbx, __qword_ptr[rsp + 8]);
            c.Value($"{name} error", rbx);
        }
        a.mov(rbx, __qword_ptr[rsp + 8 + frame]);
        c.Value($"{name} rip", rbx);
        a.mov(rbx, __qword_ptr[rsp + 16 + frame]);
        c.Value($"{name} cs", rbx);
        if (printFlagsAndStack)
        {
            a.mov(rbx, __qword_ptr[rsp + 24 + frame]);
            // Hardware sets RF in the RFLAGS image of a fault; QEMU TCG does not model RF. Not compared.
            a.btr(rbx, 16);
            c.Value($"{name} rflags (RF not compared)", rbx);
            a.mov(rbx, __qword_ptr[rsp + 32 + frame]);
            c.Value($"{name} interrupted rsp", rbx);
        }
        a.mov(rbx, __qword_ptr[rsp + 40 + frame]);
        c.Value($"{name} ss", rbx);
        a.mov(rbx, __qword_ptr[ResumeSlot]);
        a.mov(__qword_ptr[rsp + 8 + frame], rbx);
        a.pop(rbx);
        if (errorCode)
        {
            a.add(rsp, 8);
        }
        a.iretq();
    }

    /// <summary>
    /// Prints the error code and CR2, then makes the faulting page (in the 4 KiB-mapped first 2 MiB)
    /// present, writable, user-accessible and executable with no reserved bit, and retries.
    /// </summary>
    public static void EmitPageFault(Assembler a, GuestConsole c, ref Label handler)
    {
        a.Label(ref handler);
        a.push(rax);
        a.push(rbx);
        a.mov(rbx, __qword_ptr[rsp + 16]);
        c.Value("#PF error", rbx);
        a.mov(rax, cr2);
        c.Value("#PF cr2", rax);
        a.shr(rax, 12);
        a.and(eax, 0x1FF);
        a.lea(rbx, __[rax * 8 + PageTable]);
        a.mov(rax, __qword_ptr[rbx]);
        a.or(rax, 7);
        a.btr(rax, 63);
        a.btr(rax, 51);
        a.mov(__qword_ptr[rbx], rax);
        a.mov(rax, cr2);
        a.invlpg(__[rax]);
        a.pop(rbx);
        a.pop(rax);
        a.add(rsp, 8);
        a.iretq();
    }

    public static void LoadIdt(Assembler a) => a.lidt(__[IdtPointer64]);
}
