using System.Buffers.Binary;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;

namespace Turnstone.Hypervisor.Quirks;

/// <summary>Reads handler addresses out of a guest's 64-bit IDT (16-byte gates), through its page tables.</summary>
public static class GuestIdt
{
    public const int PageFault = 14, InvalidOpcode = 6, LegacySystemCall = 0x80;

    public static bool TryReadHandler(GuestVirtualMemory memory, ulong idtBase, ushort idtLimit, int vector, out ulong handler)
    {
        handler = 0;
        if ((ulong)vector * 16 + 15 > idtLimit)
        {
            return false;
        }
        Span<byte> gate = stackalloc byte[16];
        if (!memory.TryRead(idtBase + (ulong)vector * 16, gate, out _))
        {
            return false;
        }
        bool present = (gate[5] & 0x80) != 0;
        if (!present)
        {
            return false;
        }
        handler = BinaryPrimitives.ReadUInt16LittleEndian(gate)
                  | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(gate[6..]) << 16)
                  | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(gate[8..]) << 32);
        return true;
    }
}
