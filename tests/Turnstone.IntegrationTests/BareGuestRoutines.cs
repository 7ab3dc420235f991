using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The tail the hand-assembled test guests share (<see cref="PvhTestGuest"/>, <see cref="LongModeTestGuest"/>):
/// a reset through the i8042 and a routine printing the NUL-terminated string at (E/R)SI on a
/// serial port. The instructions encode the same in 32- and 64-bit code.
/// </summary>
public static class BareGuestRoutines
{
    public static void EmitResetAndPuts(Assembler a, ref Label reset, ref Label puts, ushort port)
    {
        a.Label(ref reset);
        a.mov(al, 0xFE);
        a.@out(0x64, al);
        a.hlt();

        a.Label(ref puts);
        Label done = a.CreateLabel();
        EmitPrintLoop(a, port, done);
        a.Label(ref done);
        a.ret();
    }

    /// <summary>Prints the NUL-terminated string at (E/R)SI on <paramref name="port"/>, then jumps
    /// to <paramref name="done"/>; no stack needed, so usable before one is set up.</summary>
    public static void EmitPrintLoop(Assembler a, ushort port, Label done)
    {
        Label more = a.CreateLabel();
        a.mov(dx, port);
        a.Label(ref more);
        a.lodsb();
        a.test(al, al);
        a.jz(done);
        a.@out(dx, al);
        a.jmp(more);
    }
}
