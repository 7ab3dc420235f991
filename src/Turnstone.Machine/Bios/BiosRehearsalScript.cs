using System.Buffers.Binary;
using Turnstone.Firmware.Bios;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;

namespace Turnstone.Machine.Bios;

/// <summary>
/// The firmware calls of <see cref="BiosRehearsal"/>, by service: each sets the registers as a trap
/// stub's OUT leaves them (CS:IP in the vector's slot, SS:SP at an INT frame) and writes the call port.
/// </summary>
internal sealed class BiosRehearsalScript(BiosFirmwareCallPort port, RehearsalRegisters registers, IGuestMemory memory)
{
    private const ushort StackPointer = 0x7000, PacketOffset = 0x6000, TableOffset = 0x6100, TextOffset = 0x6200, EntryOffset = 0x6300;
    private const ushort BufferSegment = 0x1000;
    private const uint FlatBuffer = 0x2_0000;
    private const uint Smap = MemoryMapQueries.SmapSignature;
    private const uint FirstHardDisk = BiosStubLayout.FirstHardDisk;
    private const uint CarryFlag = 1;

    /// <summary>Firmware calls made from a trap slot, each of which the port must have handled.</summary>
    public long Traps { get; private set; }

    public void Call(byte vector, uint eax, uint ebx = 0, uint ecx = 0, uint edx = 0, ushort ds = 0, ushort es = 0, uint esi = 0, uint edi = 0, uint ebp = 0)
    {
        Traps++;
        registers.Eax = eax;
        registers.Ebx = ebx;
        registers.Ecx = ecx;
        registers.Edx = edx;
        registers.Esi = esi;
        registers.Edi = edi;
        registers.Ebp = ebp;
        registers.Ds = ds;
        registers.Es = es;
        registers.StackSegment = 0;
        registers.Esp = StackPointer;
        registers.CodeSegment = BiosStubLayout.RomSegment;
        registers.InstructionPointer = BiosStubLayout.TrapSlotOffset(vector);
        registers.Eflags = 0x0002;
        // The INT frame the stub's IRET would pop: IP, CS, FLAGS.
        memory.WriteUInt16(StackPointer, 0x1234);
        memory.WriteUInt16(StackPointer + 2, 0);
        memory.WriteUInt16(StackPointer + 4, 0x0202);
        port.Write(0, [0]);
    }

    /// <summary>A call the service answers with wait-and-retry, trapped again until it is done.</summary>
    public void CallUntilDone(byte vector, uint eax, uint ecx = 0, uint edx = 0)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            Call(vector, eax, ecx: ecx, edx: edx);
            if ((registers.Eflags & CarryFlag) == 0)
            {
                return;
            }
        }
    }

    public void Bootstrap() => Call(0x19, 0);

    public void Video()
    {
        Call(0x10, 0x0003);
        foreach (byte character in "A\r\n\b\a\t"u8)
        {
            Call(0x10, 0x0E00u | character);
        }
        Call(0x10, 0x0300);
        Call(0x10, 0x0200, edx: 0x0101);
        Call(0x10, 0x0100, ecx: 0x0607);
        Call(0x10, 0x0F00);
        Call(0x10, 0x0500);
        Call(0x10, 0x0941, ebx: 0x0007, ecx: 3);
        Call(0x10, 0x0A41, ecx: 3);
        Call(0x10, 0x0957, ebx: 0x001F, ecx: 1);
        Call(0x10, 0x0957, ebx: 0x0070, ecx: 1);
        Call(0x10, 0x0920, ebx: 0x0007, ecx: 2000);
        Call(0x10, 0x0601, ebx: 0x1700, ecx: 0x0000, edx: 0x184F);
        Call(0x10, 0x0701, ebx: 0x0700, ecx: 0x0000, edx: 0x184F);
        Call(0x10, 0x0600, ebx: 0x0700, ecx: 0x0000, edx: 0x184F);
        Call(0x10, 0x0601, ebx: 0x0700, ecx: 0x0505, edx: 0x1010);
        "Hi\r\n"u8.CopyTo(memory.GetSpan(TextOffset, 4));
        Call(0x10, 0x1301, ebx: 0x0007, ecx: 4, edx: 0x0200, ebp: TextOffset);
        Call(0x10, 0x1200, ebx: 0x0010);
        Call(0x10, 0x1A00);
        Call(0x10, 0x4F00);
        Call(0x10, 0x0013);
        Call(0x10, 0xFF00);
    }

    public void Disk()
    {
        Call(0x13, 0x0000, edx: FirstHardDisk);
        Call(0x13, 0x0100, edx: FirstHardDisk);
        Call(0x13, 0x0800, edx: FirstHardDisk);
        Call(0x13, 0x1500, edx: FirstHardDisk);
        Call(0x13, 0x4100, ebx: 0x55AA, edx: FirstHardDisk);
        // Parameter table sizes asked for: EDD 2.0, EDD 3.0 in the Phoenix layout (GRUB's), the T13 one (Linux's setup code).
        foreach (ushort size in (ReadOnlySpan<ushort>)[0x1E, 0x42, 0x4A])
        {
            memory.WriteUInt16(TableOffset, size);
            Call(0x13, 0x4800, edx: FirstHardDisk, esi: TableOffset);
        }
        Packet(count: 2, buffer: (uint)BufferSegment << 16, lba: 0);
        Call(0x13, 0x4200, edx: FirstHardDisk, esi: PacketOffset);
        Call(0x13, 0x4300, edx: FirstHardDisk, esi: PacketOffset);
        Packet(count: 1, buffer: 0xFFFF_FFFF, lba: 1, flat: FlatBuffer);
        Call(0x13, 0x4200, edx: FirstHardDisk, esi: PacketOffset);
        Packet(count: 200, buffer: (uint)BufferSegment << 16, lba: 0);
        Call(0x13, 0x4200, edx: FirstHardDisk, esi: PacketOffset);
        Call(0x13, 0x0201, ebx: 0, ecx: 0x0001, edx: FirstHardDisk, es: BufferSegment);
        Call(0x13, 0x0301, ebx: 0, ecx: 0x0002, edx: FirstHardDisk, es: BufferSegment);
        Call(0x13, 0x4B01, edx: FirstHardDisk);
        Call(0x13, 0x0000, edx: 0x00);
        Call(0x13, 0xFF00, edx: FirstHardDisk);
    }

    private void Packet(ushort count, uint buffer, ulong lba, ulong flat = 0)
    {
        var packet = memory.GetSpan(PacketOffset, 0x18);
        packet.Clear();
        packet[0] = (byte)(flat == 0 ? 0x10 : 0x18);
        BinaryPrimitives.WriteUInt16LittleEndian(packet[2..], count);
        BinaryPrimitives.WriteUInt32LittleEndian(packet[4..], buffer);
        BinaryPrimitives.WriteUInt64LittleEndian(packet[8..], lba);
        BinaryPrimitives.WriteUInt64LittleEndian(packet[0x10..], flat);
    }

    public void System()
    {
        for (uint index = 0, entries = 0; entries < E820Map.MaxEntries; entries++)
        {
            Call(0x15, 0xE820, ebx: index, ecx: MemoryMapQueries.EntrySize, edx: Smap, edi: EntryOffset);
            index = registers.Ebx;
            if (index == 0 || CarrySet())
            {
                break;
            }
        }
        Call(0x15, 0xE801);
        Call(0x15, 0x8800);
        foreach (uint a20 in new uint[] { 0x2400, 0x2401, 0x2402, 0x2403, 0x24FF })
        {
            Call(0x15, a20);
        }
        Call(0x15, 0xC000);
        Call(0x15, 0xC100);
        Call(0x15, 0x4F00);
        Call(0x15, 0x8600);
        CallUntilDone(0x15, 0x8600, ecx: 0, edx: 1);
        Call(0x15, 0x9000);
        Call(0x15, 0xEC00, ebx: 2);
        Call(0x15, 0x5300);
        Call(0x15, 0xC200);
    }

    /// <summary>The stacked FLAGS' CF, which results go to.</summary>
    private bool CarrySet() => (memory.ReadUInt16(StackPointer + 4) & CarryFlag) != 0;

    public void Keyboard(BiosTerminal terminal)
    {
        // Keys as a terminal sends them (a letter, an arrow's escape sequence), through the sink the input pump feeds.
        terminal.Keyboard(_ => 0, () => false)("a\e[A"u8.ToArray());
        Call(0x16, 0x0100);
        Call(0x16, 0x0000);
        Call(0x16, 0x1100);
        Call(0x16, 0x1000);
        Call(0x16, 0x0000);
        Call(0x16, 0x0500, ecx: 0x1E61);
        Call(0x16, 0x1000);
        foreach (uint function in new uint[] { 0x0200, 0x1200, 0x0300, 0x0900, 0x0A00, 0x9200, 0xA200, 0x6F08, 0xFF00 })
        {
            Call(0x16, function);
        }
    }

    public void Clock()
    {
        Call(0x1A, 0x0000);
        Call(0x1A, 0x0100, ecx: 0, edx: 0x10);
        Call(0x1A, 0x0200);
        Call(0x1A, 0x0400);
        Call(0x1A, 0x0300, ecx: 0x1234, edx: 0x5600);
        Call(0x1A, 0x0500, ecx: 0x2026, edx: 0x1206);
        Call(0x1A, 0xB101);
        Call(0x1A, 0xFF00);
    }

    public void Others()
    {
        Call(0x11, 0);
        Call(0x12, 0);
        Call(0x14, 0);
        Call(0x17, 0);
        Call(0x18, 0);
        // A write of the port from outside the trap slots, which the port ignores.
        registers.CodeSegment = 0;
        port.Write(0, [0]);
    }
}
