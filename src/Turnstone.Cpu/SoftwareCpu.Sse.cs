using System.Runtime.Intrinsics;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The fast SSE paths (see SseTranslator): sixteen 128-bit XMM registers, 128-bit moves and packed
// integer and logic operations in C#; the rest of SSE runs on the host (SoftwareCpu.HostFloatingPoint).
// A 16-byte access translates both ends before it touches memory, so a fault on the second page
// leaves nothing half written.
public sealed unsafe partial class SoftwareCpu
{
    private readonly Vector128<byte>[] _xmm = new Vector128<byte>[16];

    /// <summary>CR0.EM or a clear CR4.OSFXSR make SSE instructions #UD; CR0.TS makes them #NM.</summary>
    private bool SseUsable()
    {
        if ((_cr0 & Cr0Bits.Emulation) != 0 || (_cr4 & Cr4Bits.OsFxsr) == 0)
        {
            return InvalidOpcode();
        }
        if ((_cr0 & Cr0Bits.TaskSwitched) != 0)
        {
            return RaiseFault(ExceptionVector.DeviceNotAvailable);
        }
        return true;
    }

    /// <summary>Translates both pages of a 16-byte access (raising the fault if any; CR2 is the
    /// first byte on the faulting page, as hardware reports).</summary>
    private bool Probe16(int set, ulong address, bool aligned)
    {
        if (aligned && (address & 15) != 0)
        {
            return GeneralProtection();
        }
        ulong lastPage = (address + 15) & ~0xFFFUL;
        if (!TranslatePage(set, address, out _, out byte* first) || !TranslatePage(set, Math.Max(address, lastPage), out _, out byte* last))
        {
            return false;
        }
        return (first != null && last != null) || NotImplemented("a 16-byte SSE access to MMIO");
    }

    private bool ReadXmmSource(ref DecodedInstruction i, bool aligned, out Vector128<byte> value)
    {
        value = default;
        if ((i.Flags & OperandFlags.Memory1) == 0)
        {
            value = _xmm[i.Reg2];
            return true;
        }
        ulong address = EffectiveAddress(ref i);
        if (!Probe16(_readTlb, address, aligned) || !TryRead(address, 8, out ulong low) || !TryRead(address + 8, 8, out ulong high))
        {
            return false;
        }
        value = Vector128.Create(low, high).AsByte();
        return true;
    }

    private bool SseMove(ref DecodedInstruction i)
    {
        if (!SseUsable())
        {
            return false;
        }
        bool aligned = i.Aux != 0;
        if ((i.Flags & OperandFlags.Memory0) == 0)
        {
            if (!ReadXmmSource(ref i, aligned, out var value))
            {
                return false;
            }
            _xmm[i.Reg] = value;
            return true;
        }
        ulong address = EffectiveAddress(ref i);
        var source = _xmm[i.Reg2].AsUInt64();
        return Probe16(_writeTlb, address, aligned) && TryWrite(address, 8, source.GetElement(0)) && TryWrite(address + 8, 8, source.GetElement(1));
    }

    private bool SsePacked(ref DecodedInstruction i)
    {
        if (!SseUsable() || !ReadXmmSource(ref i, aligned: true, out var source))
        {
            return false;
        }
        var destination = _xmm[i.Reg];
        _xmm[i.Reg] = (SseKind)i.Aux switch
        {
            SseKind.Xor => destination ^ source,
            SseKind.Or => destination | source,
            SseKind.And => destination & source,
            SseKind.AndNot => ~destination & source,
            SseKind.AddBytes => destination + source,
            SseKind.AddWords => (destination.AsUInt16() + source.AsUInt16()).AsByte(),
            SseKind.AddDwords => (destination.AsUInt32() + source.AsUInt32()).AsByte(),
            SseKind.AddQwords => (destination.AsUInt64() + source.AsUInt64()).AsByte(),
            SseKind.SubtractBytes => destination - source,
            SseKind.SubtractWords => (destination.AsUInt16() - source.AsUInt16()).AsByte(),
            SseKind.SubtractDwords => (destination.AsUInt32() - source.AsUInt32()).AsByte(),
            SseKind.SubtractQwords => (destination.AsUInt64() - source.AsUInt64()).AsByte(),
            SseKind.CompareEqualBytes => Vector128.Equals(destination, source),
            SseKind.CompareEqualWords => Vector128.Equals(destination.AsUInt16(), source.AsUInt16()).AsByte(),
            SseKind.CompareEqualDwords => Vector128.Equals(destination.AsUInt32(), source.AsUInt32()).AsByte(),
            _ => destination,
        };
        return true;
    }

    /// <summary>Counts past the lane width clear the lanes (fill them with the sign, for arithmetic
    /// shifts), as the SDM says; .NET's vector shifts would mask the count instead.</summary>
    private bool SseShiftImmediate(ref DecodedInstruction i)
    {
        if (!SseUsable())
        {
            return false;
        }
        int count = (int)(i.Immediate & 0xFF);
        var v = _xmm[i.Reg];
        _xmm[i.Reg] = (SseKind)i.Aux switch
        {
            SseKind.ShiftLeftWords => count > 15 ? default : Vector128.ShiftLeft(v.AsUInt16(), count).AsByte(),
            SseKind.ShiftLeftDwords => count > 31 ? default : Vector128.ShiftLeft(v.AsUInt32(), count).AsByte(),
            SseKind.ShiftLeftQwords => count > 63 ? default : Vector128.ShiftLeft(v.AsUInt64(), count).AsByte(),
            SseKind.ShiftRightWords => count > 15 ? default : Vector128.ShiftRightLogical(v.AsUInt16(), count).AsByte(),
            SseKind.ShiftRightDwords => count > 31 ? default : Vector128.ShiftRightLogical(v.AsUInt32(), count).AsByte(),
            SseKind.ShiftRightQwords => count > 63 ? default : Vector128.ShiftRightLogical(v.AsUInt64(), count).AsByte(),
            SseKind.ShiftRightArithmeticWords => Vector128.ShiftRightArithmetic(v.AsInt16(), Math.Min(count, 15)).AsByte(),
            SseKind.ShiftRightArithmeticDwords => Vector128.ShiftRightArithmetic(v.AsInt32(), Math.Min(count, 31)).AsByte(),
            _ => v,
        };
        return true;
    }
}
