using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// IN and OUT, with the I/O permission check: when CPL > IOPL every port byte touched must be
// clear in the TSS's I/O permission bitmap, else #GP(0).
public sealed unsafe partial class SoftwareCpu
{
    private ushort Port(ref DecodedInstruction i) => (i.Flags & OperandFlags.RegisterCount) != 0 ? (ushort)R(2) : (ushort)i.Immediate;

    private bool CheckIoPermission(ushort port, int size)
    {
        int iopl = (int)((_rflags & RflagsBits.IoplMask) >> RflagsBits.IoplShift);
        if (_cpl <= iopl)
        {
            return true;
        }
        bool available64BitTss = (_tr.Attributes & 0x80) != 0 && (_tr.Type == 9 || _tr.Type == 11);
        if (!available64BitTss || _tr.Limit < 0x67)
        {
            return GeneralProtection();
        }
        if (!TryReadSystem(_tr.Base + 0x66, 2, out ulong bitmapBase))
        {
            return false;
        }
        ulong byteOffset = bitmapBase + (ulong)(port >> 3);
        if (byteOffset + 1 > _tr.Limit)
        {
            return GeneralProtection();
        }
        if (!TryReadSystem(_tr.Base + byteOffset, 2, out ulong bitmap))
        {
            return false;
        }
        ulong wanted = ((1UL << size) - 1) << (port & 7);
        return (bitmap & wanted) == 0 || GeneralProtection();
    }

    private bool Input(ref DecodedInstruction i)
    {
        ushort port = Port(ref i);
        if (!CheckIoPermission(port, i.Size) || !TryHostRead(CpuExitReason.PortRead, port, i.Size, out ulong value))
        {
            return false;
        }
        WriteRegister(i.Size, 0, value);
        return true;
    }

    private bool Output(ref DecodedInstruction i)
    {
        ushort port = Port(ref i);
        return CheckIoPermission(port, i.Size) && HostWrite(CpuExitReason.PortWrite, port, i.Size, ReadRegister(i.Size, 0));
    }
}
