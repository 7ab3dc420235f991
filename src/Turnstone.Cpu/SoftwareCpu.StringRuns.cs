using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// REP MOVS and REP STOS going forward (DF clear) in runs: the elements of a run that lie within one
// page whose translation the TLB holds are copied or filled in host memory at once. That is exactly
// what the per-element path writes there: a write translation exists only for RAM whose writes need
// no notice (no decoded code on the page, its dirty bit logged when the translation was made). A TLB
// miss, a page end, an index about to wrap at the address size, MMIO, or a destination inside the
// source run (which REP MOVSB replicates byte by byte, unlike a memmove) takes that path for one
// element. Chunks, the retired count and the registers left after a fault are as RepeatString's.
public sealed unsafe partial class SoftwareCpu
{
    private bool RepeatInRuns(ref DecodedInstruction i, bool move)
    {
        int size = i.Size;
        ulong mask = AddressMask(i.Flags);
        ulong left = StringChunk;
        while (left > 0)
        {
            ulong count = Counter(ref i);
            if (count == 0)
            {
                return true;
            }
            ulong run = Math.Min(Math.Min(count, left), ElementsBeforeWrap(StringIndex(ref i, 7), mask, size));
            byte* target = HostRun(_writeTlb, DestinationAddress(ref i), size, ref run);
            byte* source = null;
            if (move && target != null)
            {
                run = Math.Min(run, ElementsBeforeWrap(StringIndex(ref i, 6), mask, size));
                source = HostRun(_readTlb, SourceAddress(ref i), size, ref run);
                if (source != null && target > source && target < source + run * (ulong)size)
                {
                    source = null;
                }
            }
            if (target == null || (move && source == null))
            {
                if (!(move ? MoveOnce(this, ref i) : StoreOnce(this, ref i)))
                {
                    return false;
                }
                SetCounter(ref i, count - 1);
                left--;
                if (_exitPending || _replayUsed > 0)
                {
                    break;
                }
                continue;
            }
            ulong bytes = run * (ulong)size;
            if (move)
            {
                Buffer.MemoryCopy(source, target, bytes, bytes);
                WriteAddressRegister(i.Flags, 6, R(6) + bytes);
            }
            else
            {
                Fill(target, (int)run, size, ReadRegister(size, 0));
            }
            WriteAddressRegister(i.Flags, 7, R(7) + bytes);
            SetCounter(ref i, count - run);
            left -= run;
        }
        if (Counter(ref i) == 0)
        {
            return true;
        }
        _rip = R(BlockRipRegister) + i.Offset; // more to do: stay on this instruction
        return false;
    }

    /// <summary>The host address of a run of elements at <paramref name="linear"/> when the TLB set
    /// holds its page (else null); shortens <paramref name="run"/> to the whole elements left in the page.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* HostRun(int set, ulong linear, int size, ref ulong run)
    {
        ref TlbEntry entry = ref TlbLookup(set, linear);
        if (entry.Page != (linear & ~0xFFFUL))
        {
            return null;
        }
        ulong offset = linear & 0xFFF;
        run = Math.Min(run, (4096 - offset) / (ulong)size);
        return run == 0 ? null : (byte*)entry.Host + offset;
    }

    /// <summary>How many elements start before an index of this address size wraps.</summary>
    private static ulong ElementsBeforeWrap(ulong index, ulong mask, int size) =>
        mask == ulong.MaxValue ? ulong.MaxValue : (mask - index) / (ulong)size + 1;

    private static void Fill(byte* target, int count, int size, ulong value)
    {
        switch (size)
        {
            case 8: new Span<ulong>(target, count).Fill(value); break;
            case 4: new Span<uint>(target, count).Fill((uint)value); break;
            case 2: new Span<ushort>(target, count).Fill((ushort)value); break;
            default: new Span<byte>(target, count).Fill((byte)value); break;
        }
    }
}
