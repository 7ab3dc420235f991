using System.Buffers.Binary;
using System.Text;
using Iced.Intel;
using Turnstone.Bench.Engine;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.IntegrationTests;

/// <summary>
/// A freestanding PVH guest assembled with Iced: an ELF64 with one PT_LOAD at 1 MiB and the PVH
/// entry note. Its 32-bit entry checks what the PVH protocol promises (EBX at the start_info magic,
/// protected mode without paging, the RSDP, its own start_info reserved in the memory map), prints
/// one word per check that passed, the command line and module 0 (a text file) on COM1, and resets
/// the machine through the i8042.
/// </summary>
public static class PvhTestGuest
{
    public const uint LoadAddress = 0x10_0000;
    public const string MagicOk = "pvh:magic-ok", ProtectedModeOk = "pvh:protected-mode-ok", RsdpOk = "pvh:rsdp-ok",
        StartInfoReserved = "pvh:start-info-reserved", Failed = "pvh:FAILED";

    private const uint StartInfoMagic = 0x336E_C578;
    private const ushort Com1 = 0x3F8;
    // Iced's label operands are RIP-relative, which 32-bit code lacks, so the strings sit at fixed
    // addresses in the page after the code and the stack in the segment's zeroed tail.
    private const uint StringsAddress = LoadAddress + 0x1000, StackTop = LoadAddress + 0x3000;

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
        var a = new Assembler(32);
        Label fail = a.CreateLabel(), puts = a.CreateLabel(), reset = a.CreateLabel();
        Label nextEntry = a.CreateLabel(), reserved = a.CreateLabel(), scan = a.CreateLabel();
        void Print(string s)
        {
            a.mov(esi, placeString(s));
            a.call(puts);
        }

        a.mov(esp, StackTop);
        a.cmp(__dword_ptr[ebx], StartInfoMagic);
        a.jne(fail);
        Print(MagicOk + "\n");
        a.mov(eax, cr0);
        a.and(eax, 0x8000_0001);
        a.cmp(eax, 1); // PE set, PG clear
        a.jne(fail);
        Print(ProtectedModeOk + "\n");
        a.mov(eax, __dword_ptr[ebx + 32]); // rsdp_paddr
        a.cmp(__dword_ptr[eax], BinaryPrimitives.ReadUInt32LittleEndian("RSD "u8));
        a.jne(fail);
        Print(RsdpOk + "\n");
        // Walk the memory map for a reserved (type 2) entry holding start_info.
        a.mov(edi, __dword_ptr[ebx + 40]); // memmap_paddr
        a.mov(ecx, __dword_ptr[ebx + 48]); // memmap_entries
        a.Label(ref scan);
        a.test(ecx, ecx);
        a.jz(fail);
        a.cmp(__dword_ptr[edi + 16], 2);
        a.jne(nextEntry);
        a.cmp(ebx, __dword_ptr[edi]);
        a.jb(nextEntry);
        a.mov(eax, __dword_ptr[edi]);
        a.add(eax, __dword_ptr[edi + 8]);
        a.cmp(ebx, eax);
        a.jb(reserved);
        a.Label(ref nextEntry);
        a.add(edi, 24);
        a.dec(ecx);
        a.jmp(scan);
        a.Label(ref reserved);
        Print(StartInfoReserved + "\n");
        Print("pvh:cmdline=");
        a.mov(esi, __dword_ptr[ebx + 24]);
        a.call(puts);
        Print("\n");
        a.cmp(__dword_ptr[ebx + 12], 1); // nr_modules
        a.jne(fail);
        Print("pvh:module0=");
        a.mov(eax, __dword_ptr[ebx + 16]); // modlist_paddr
        a.mov(esi, __dword_ptr[eax]);      // module 0 paddr; its text ends with a NUL
        a.call(puts);
        a.jmp(reset);

        a.Label(ref fail);
        Print(Failed + "\n");
        BareGuestRoutines.EmitResetAndPuts(a, ref reset, ref puts, Com1);

        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), LoadAddress);
        return stream.ToArray();
    }
}
