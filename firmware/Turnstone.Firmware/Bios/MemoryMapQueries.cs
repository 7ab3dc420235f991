using Turnstone.Firmware.LinuxBoot;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// INT 15h's memory-size functions (E820h, E801h, 88h), answered from the same <see cref="E820Map"/>
/// the Linux boot path hands over, so a kernel booted by a loader sees what a directly booted one
/// sees: RAM below the EBDA, the EBDA..1 MiB legacy area reserved (ACPI tables inside it as ACPI
/// data), RAM from 1 MiB up to the 32-bit hole, the ECAM window reserved, RAM above 4 GiB.
/// </summary>
public sealed class MemoryMapQueries(E820Map map)
{
    /// <summary>'SMAP', the signature E820 callers pass in EDX and get back in EAX.</summary>
    public const uint SmapSignature = 0x534D_4150;

    /// <summary>The entry size we return: the ACPI 1.0 layout (base, length, type), as SeaBIOS does.</summary>
    public const int EntrySize = 20;

    private const byte InvalidStatus = 0x86;
    private const ulong OneMiB = 0x10_0000, SixteenMiB = 0x100_0000;

    /// <summary>
    /// E820h: entry EBX into ES:DI, EBX = next index or 0 after the last, EAX = 'SMAP', ECX = 20.
    /// A wrong signature, ECX &lt; 20, an index past the end or a buffer outside RAM: CF = 1, AH = 86h.
    /// </summary>
    public void QueryE820(BiosCall call)
    {
        var registers = call.Registers;
        var entries = map.Entries;
        if (registers.Edx != SmapSignature || registers.Ecx < EntrySize || registers.Ebx >= (uint)entries.Count
            || !call.TryGetRealModeSpan(registers.Es, (ushort)registers.Edi, EntrySize, out var buffer))
        {
            call.Fail(InvalidStatus);
            return;
        }
        var entry = entries[(int)registers.Ebx];
        BitConverter.TryWriteBytes(buffer[0..8], entry.Address);
        BitConverter.TryWriteBytes(buffer[8..16], entry.Size);
        BitConverter.TryWriteBytes(buffer[16..20], (uint)entry.Type);
        registers.Ebx = registers.Ebx + 1 == (uint)entries.Count ? 0 : registers.Ebx + 1;
        registers.Eax = SmapSignature;
        registers.Ecx = EntrySize;
        call.Succeed();
    }

    /// <summary>
    /// E801h: AX = CX = KiB between 1 and 16 MiB, BX = DX = 64 KiB blocks from 16 MiB up to the
    /// end of the RAM that runs on from 1 MiB (below the 32-bit hole), as SeaBIOS computes them.
    /// </summary>
    public void QueryE801(BiosCall call)
    {
        ulong end = ExtendedMemoryEnd;
        ushort below16M, above16M;
        if (end > SixteenMiB)
        {
            below16M = 15 * 1024;
            above16M = (ushort)Math.Min((end - SixteenMiB) >> 16, 0xFFFF);
        }
        else
        {
            below16M = (ushort)((end - OneMiB) >> 10);
            above16M = 0;
        }
        var registers = call.Registers;
        registers.Eax = (registers.Eax & 0xFFFF_0000) | below16M;
        registers.Ecx = (registers.Ecx & 0xFFFF_0000) | below16M;
        registers.Ebx = (registers.Ebx & 0xFFFF_0000) | above16M;
        registers.Edx = (registers.Edx & 0xFFFF_0000) | above16M;
        call.Succeed();
    }

    /// <summary>88h: KiB above 1 MiB in AX, capped at 63 MiB as SeaBIOS (and most real machines) do.</summary>
    public void QueryExtendedMemory(BiosCall call)
    {
        ulong end = ExtendedMemoryEnd;
        call.Ax = end > 64 * OneMiB ? (ushort)(63 * 1024) : (ushort)((end - OneMiB) >> 10);
        call.Succeed();
    }

    /// <summary>
    /// Where the RAM that starts at 1 MiB ends (adjacent RAM entries merged), never past 4 GiB:
    /// the figure the legacy size functions describe. 1 MiB when there is no RAM there.
    /// </summary>
    public ulong ExtendedMemoryEnd
    {
        get
        {
            ulong end = OneMiB;
            foreach (var entry in map.Entries)
            {
                if (entry.Type == E820Type.Ram && entry.Address <= end && entry.End > end)
                {
                    end = entry.End;
                }
            }
            return Math.Min(end, 1ul << 32);
        }
    }
}
