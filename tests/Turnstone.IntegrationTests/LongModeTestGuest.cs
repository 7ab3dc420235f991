using System.Text;
using Iced.Intel;
using Turnstone.Bench.Engine;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.IntegrationTests;

/// <summary>
/// A freestanding guest entered through the Linux 64-bit boot protocol (a non-Linux ELF booted
/// with <c>--boot linux</c>): it needs no mode switch, so it runs on the software engine before
/// that engine has protected mode. It checks what the 64-bit entry promises (paging and long mode
/// on, RSI at the zero page), prints one word per check that passed and the command line the zero
/// page points to on COM1, writes and reads back a page of RAM, and resets through the i8042.
/// </summary>
public static class LongModeTestGuest
{
    public const uint LoadAddress = 0x10_0000;
    public const string LongModeOk = "long:long-mode-ok", ZeroPageOk = "long:zero-page-ok", MemoryOk = "long:memory-ok", Failed = "long:FAILED";

    private const ushort Com1 = 0x3F8;
    private const uint StringsAddress = LoadAddress + 0x1000, ScratchAddress = LoadAddress + 0x2000, StackTop = LoadAddress + 0x4000;
    private const uint ZeroPageCommandLinePointer = 0x228;
    private const uint Efer = 0xC000_0080;

    public static byte[] BuildElf()
    {
        var strings = new MemoryStream();
        var code = Assemble(text =>
        {
            uint address = StringsAddress + (uint)strings.Length;
            strings.Write([.. Encoding.ASCII.GetBytes(text), 0]);
            return address;
        });
        if (code.Length > (int)(StringsAddress - LoadAddress))
        {
            throw new InvalidOperationException("the test guest's code outgrew its page");
        }
        byte[] image = new byte[(int)(StringsAddress - LoadAddress) + strings.Length];
        code.CopyTo(image, 0);
        strings.ToArray().CopyTo(image, (int)(StringsAddress - LoadAddress));
        return PvhElf.Build(image, LoadAddress, LoadAddress, memorySize: StackTop - LoadAddress);
    }

    private static byte[] Assemble(Func<string, uint> placeString)
    {
        var a = new Assembler(64);
        Label fail = a.CreateLabel(), puts = a.CreateLabel(), reset = a.CreateLabel(), fill = a.CreateLabel(), check = a.CreateLabel();
        void Print(string s)
        {
            a.mov(esi, placeString(s));
            a.call(puts);
        }

        a.mov(r12, rsi); // the zero page
        a.mov(esp, StackTop);
        a.mov(rax, cr0);
        a.bt(eax, 31); // PG
        a.jnc(fail);
        a.mov(ecx, Efer);
        a.rdmsr();
        a.bt(eax, 10); // LMA
        a.jnc(fail);
        Print(LongModeOk + "\n");
        a.mov(eax, __dword_ptr[r12 + (int)ZeroPageCommandLinePointer]);
        a.test(eax, eax);
        a.jz(fail);
        Print(ZeroPageOk + "\n");
        Print("long:cmdline=");
        a.mov(esi, __dword_ptr[r12 + (int)ZeroPageCommandLinePointer]);
        a.call(puts);
        Print("\n");
        // A page of RAM written with its offsets, then checked: loads and stores through the TLB.
        a.mov(edi, ScratchAddress);
        a.xor(ecx, ecx);
        a.Label(ref fill);
        a.mov(__qword_ptr[rdi + rcx * 8], rcx);
        a.inc(ecx);
        a.cmp(ecx, 512);
        a.jb(fill);
        a.xor(ecx, ecx);
        a.Label(ref check);
        a.cmp(__qword_ptr[rdi + rcx * 8], rcx);
        a.jne(fail);
        a.inc(ecx);
        a.cmp(ecx, 512);
        a.jb(check);
        Print(MemoryOk + "\n");
        a.jmp(reset);

        a.Label(ref fail);
        Print(Failed + "\n");
        BareGuestRoutines.EmitResetAndPuts(a, ref reset, ref puts, Com1);

        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), LoadAddress);
        return stream.ToArray();
    }
}
