using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The fast SSE paths (see SseTranslator): sixteen 128-bit XMM registers, 128-bit moves, packed
// integer and logic operations, and what glibc's string functions use most, in C#; the rest of SSE runs on the host (SoftwareCpu.HostFloatingPoint).
// A 16-byte access translates both ends before it touches memory, so a fault on the second page
// leaves nothing half written.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Pinned: translated blocks reach it through NativeState.XmmBase.</summary>
    private readonly Vector128<byte>[] _xmm = GC.AllocateArray<Vector128<byte>>(16, pinned: true);

    /// <summary>Called whenever CR0 or CR4 changes: whether SSE instructions would fault now, for translated blocks.</summary>
    private void UpdateSseBlocked() =>
        R(Native.NativeState.SseBlocked) = (_cr0 & (Cr0Bits.Emulation | Cr0Bits.TaskSwitched)) != 0 || (_cr4 & Cr4Bits.OsFxsr) == 0 ? 1UL : 0;

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
        if (!TranslateCachedPage(set, address, out byte* first) || !TranslateCachedPage(set, Math.Max(address, lastPage), out byte* last))
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
            SseKind.MinUnsignedBytes => Vector128.Min(destination, source),
            SseKind.MaxUnsignedBytes => Vector128.Max(destination, source),
            SseKind.UnpackLowBytes => Sse2.UnpackLow(destination, source),
            SseKind.UnpackLowWords => Sse2.UnpackLow(destination.AsUInt16(), source.AsUInt16()).AsByte(),
            SseKind.UnpackLowDwords => Sse2.UnpackLow(destination.AsUInt32(), source.AsUInt32()).AsByte(),
            SseKind.UnpackLowQwords => Sse2.UnpackLow(destination.AsUInt64(), source.AsUInt64()).AsByte(),
            SseKind.UnpackHighBytes => Sse2.UnpackHigh(destination, source),
            SseKind.UnpackHighWords => Sse2.UnpackHigh(destination.AsUInt16(), source.AsUInt16()).AsByte(),
            SseKind.UnpackHighDwords => Sse2.UnpackHigh(destination.AsUInt32(), source.AsUInt32()).AsByte(),
            SseKind.UnpackHighQwords => Sse2.UnpackHigh(destination.AsUInt64(), source.AsUInt64()).AsByte(),
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
            // PSLLDQ/PSRLDQ move whole bytes; byte 0 is the least significant.
            SseKind.ShiftLeftBytes => count > 15 ? default : AsVector(AsUInt128(v) << (8 * count)),
            SseKind.ShiftRightBytes => count > 15 ? default : AsVector(AsUInt128(v) >> (8 * count)),
            _ => v,
        };
        return true;
    }

    private static UInt128 AsUInt128(Vector128<byte> v) => Unsafe.As<Vector128<byte>, UInt128>(ref v);

    private static Vector128<byte> AsVector(UInt128 value) => Unsafe.As<UInt128, Vector128<byte>>(ref value);

    /// <summary>PSHUFD xmm, xmm/m128, imm8: each destination dword picks a source dword by two bits of the immediate.</summary>
    private bool SseShuffleDwords(ref DecodedInstruction i)
    {
        if (!SseUsable() || !ReadXmmSource(ref i, aligned: true, out var source))
        {
            return false;
        }
        var dwords = source.AsUInt32();
        int order = (int)i.Immediate;
        _xmm[i.Reg] = Vector128.Create(dwords.GetElement(order & 3), dwords.GetElement(order >> 2 & 3),
            dwords.GetElement(order >> 4 & 3), dwords.GetElement(order >> 6 & 3)).AsByte();
        return true;
    }

    /// <summary>PMOVMSKB r32/r64, xmm: the sixteen byte signs, zero-extended.</summary>
    private bool SseMoveMask(ref DecodedInstruction i)
    {
        if (!SseUsable())
        {
            return false;
        }
        R(i.Reg) = _xmm[i.Reg2].ExtractMostSignificantBits();
        return true;
    }

    /// <summary>MOVD/MOVQ (see <see cref="SseTranslator.ScalarFromXmm"/>): an XMM destination gets
    /// the value zero-extended to 128 bits, a general register the 32-bit value zero-extended.</summary>
    private bool SseMoveScalar(ref DecodedInstruction i)
    {
        if (!SseUsable())
        {
            return false;
        }
        int size = i.Aux;
        ulong mask = size == 8 ? ulong.MaxValue : uint.MaxValue;
        if ((i.Immediate & SseTranslator.ScalarFromXmm) == 0)
        {
            ulong value;
            if ((i.Flags & OperandFlags.Memory1) != 0)
            {
                if (!TryRead(EffectiveAddress(ref i), size, out value))
                {
                    return false;
                }
            }
            else
            {
                bool fromXmm = (i.Immediate & SseTranslator.ScalarOtherXmm) != 0;
                value = (fromXmm ? _xmm[i.Reg2].AsUInt64().GetElement(0) : R(i.Reg2)) & mask;
            }
            _xmm[i.Reg] = Vector128.CreateScalar(value).AsByte();
            return true;
        }
        ulong low = _xmm[i.Reg2].AsUInt64().GetElement(0) & mask;
        if ((i.Flags & OperandFlags.Memory0) != 0)
        {
            return TryWrite(EffectiveAddress(ref i), size, low);
        }
        R(i.Reg) = low;
        return true;
    }

    /// <summary>MOVLPS/MOVLPD/MOVHPS/MOVHPD: loads one 64-bit half (the other stays) or stores it.</summary>
    private bool SseMoveHalf(ref DecodedInstruction i)
    {
        if (!SseUsable())
        {
            return false;
        }
        int half = i.Aux;
        ulong address = EffectiveAddress(ref i);
        if (i.Immediate != 0)
        {
            return TryWrite(address, 8, _xmm[i.Reg2].AsUInt64().GetElement(half));
        }
        if (!TryRead(address, 8, out ulong value))
        {
            return false;
        }
        _xmm[i.Reg] = _xmm[i.Reg].AsUInt64().WithElement(half, value).AsByte();
        return true;
    }
}
