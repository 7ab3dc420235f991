using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS with REP/REPE/REPNE. A repeated instruction runs in
// chunks: after a chunk, or after an iteration that exited to the host, RIP stays on it with the
// registers counting what is done, so interrupts, the budget and stop requests are seen between
// chunks, exactly as a fault in the middle leaves them.
public sealed unsafe partial class SoftwareCpu
{
    private const int StringChunk = 4096;

    private bool Repeated(ref DecodedInstruction i) => (i.Flags & (OperandFlags.Rep | OperandFlags.Repne)) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong StringIndex(ref DecodedInstruction i, int register) => R(register) & AddressMask(i.Flags);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AdvanceIndex(ref DecodedInstruction i, int register)
    {
        long step = (_rflags & RflagsBits.Df) != 0 ? -i.Size : i.Size;
        ulong value = R(register) + (ulong)step;
        WriteAddressRegister(i.Flags, register, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong SourceAddress(ref DecodedInstruction i) => StringIndex(ref i, 6) + _segmentBase[i.Segment];

    /// <summary>ES:(E/R)DI; ES's base counts only outside 64-bit mode.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong DestinationAddress(ref DecodedInstruction i) =>
        StringIndex(ref i, 7) + (_executing64BitCode ? 0 : _segmentBase[(int)SegmentName.Es]);

    /// <summary>Runs the iterations of a string instruction; <paramref name="iteration"/> does one and
    /// returns false on a fault or a host read; <paramref name="stop"/> ends REPE/REPNE early.</summary>
    private bool RepeatString(ref DecodedInstruction i, delegate*<SoftwareCpu, ref DecodedInstruction, bool> iteration, bool compares)
    {
        if (!Repeated(ref i))
        {
            return iteration(this, ref i);
        }
        for (int n = 0; n < StringChunk; n++)
        {
            if (Counter(ref i) == 0)
            {
                return true;
            }
            if (!iteration(this, ref i))
            {
                return false;
            }
            SetCounter(ref i, Counter(ref i) - 1);
            if (compares && Counter(ref i) != 0)
            {
                bool zero = ZeroFlag();
                if ((i.Flags & OperandFlags.Repne) != 0 ? zero : !zero)
                {
                    return true;
                }
            }
            if (_exitPending || _replayUsed > 0)
            {
                break;
            }
        }
        if (Counter(ref i) == 0)
        {
            return true;
        }
        // More to do: stay on this instruction (it counts as one retired chunk).
        _rip = R(BlockRipRegister) + i.Offset;
        return false;
    }

    private bool MoveString(ref DecodedInstruction i) =>
        Repeated(ref i) ? RepeatInRuns(ref i, move: true) : MoveOnce(ref i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool MoveOnce(ref DecodedInstruction i)
    {
        if (!TryRead(SourceAddress(ref i), i.Size, out ulong value) || !TryWrite(DestinationAddress(ref i), i.Size, value))
        {
            return false;
        }
        AdvanceIndex(ref i, 6);
        AdvanceIndex(ref i, 7);
        return true;
    }

    private bool StoreString(ref DecodedInstruction i) =>
        Repeated(ref i) ? RepeatInRuns(ref i, move: false) : StoreOnce(ref i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool StoreOnce(ref DecodedInstruction i)
    {
        if (!TryWrite(DestinationAddress(ref i), i.Size, ReadRegister(i.Size, 0)))
        {
            return false;
        }
        AdvanceIndex(ref i, 7);
        return true;
    }

    private bool LoadString(ref DecodedInstruction i) => RepeatString(ref i, &LoadOnce, false);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool LoadOnce(SoftwareCpu cpu, ref DecodedInstruction i)
    {
        if (!cpu.TryRead(cpu.SourceAddress(ref i), i.Size, out ulong value))
        {
            return false;
        }
        cpu.WriteRegister(i.Size, 0, value);
        cpu.AdvanceIndex(ref i, 6);
        return true;
    }

    private bool CompareStrings(ref DecodedInstruction i) => RepeatString(ref i, &CompareOnce, true);

    private static bool CompareOnce(SoftwareCpu cpu, ref DecodedInstruction i)
    {
        if (!cpu.TryRead(cpu.SourceAddress(ref i), i.Size, out ulong source) || !cpu.TryRead(cpu.DestinationAddress(ref i), i.Size, out ulong destination))
        {
            return false;
        }
        cpu.SetLazyFlags(FlagOperation.Sub, i.Size, source, destination, source - destination);
        cpu.AdvanceIndex(ref i, 6);
        cpu.AdvanceIndex(ref i, 7);
        return true;
    }

    private bool ScanString(ref DecodedInstruction i) => RepeatString(ref i, &ScanOnce, true);

    private static bool ScanOnce(SoftwareCpu cpu, ref DecodedInstruction i)
    {
        if (!cpu.TryRead(cpu.DestinationAddress(ref i), i.Size, out ulong value))
        {
            return false;
        }
        ulong accumulator = cpu.ReadRegister(i.Size, 0);
        cpu.SetLazyFlags(FlagOperation.Sub, i.Size, accumulator, value, accumulator - value);
        cpu.AdvanceIndex(ref i, 7);
        return true;
    }

    private bool InputString(ref DecodedInstruction i) =>
        CheckIoPermission((ushort)R(2), i.Size) && RepeatString(ref i, &InputOnce, false);

    private static bool InputOnce(SoftwareCpu cpu, ref DecodedInstruction i)
    {
        if (!cpu.TryHostRead(CpuExitReason.PortRead, (ushort)cpu.R(2), i.Size, out ulong value) ||
            !cpu.TryWrite(cpu.DestinationAddress(ref i), i.Size, value))
        {
            return false;
        }
        cpu.AdvanceIndex(ref i, 7);
        return true;
    }

    private bool OutputString(ref DecodedInstruction i) =>
        CheckIoPermission((ushort)R(2), i.Size) && RepeatString(ref i, &OutputOnce, false);

    private static bool OutputOnce(SoftwareCpu cpu, ref DecodedInstruction i)
    {
        if (!cpu.TryRead(cpu.SourceAddress(ref i), i.Size, out ulong value) ||
            !cpu.HostWrite(CpuExitReason.PortWrite, (ushort)cpu.R(2), i.Size, value))
        {
            return false;
        }
        cpu.AdvanceIndex(ref i, 6);
        return true;
    }
}
