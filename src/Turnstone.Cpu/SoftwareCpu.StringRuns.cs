using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// REP MOVS and REP STOS in runs, going forward (DF clear) or down (DF set): the elements of a run
// that lie within one page whose translation the TLB holds are copied or filled in host memory at
// once. That is exactly what the per-element path writes there: a write translation exists only for
// RAM whose writes need no notice (no decoded code on the page, its dirty bit logged when the
// translation was made). A TLB miss, a page end, an index about to wrap at the address size, MMIO,
// or a destination the elements still to be read lie in (REP MOVSB onto the byte after its source
// going forward, or onto the byte before it going down, replicates byte by byte, unlike a memmove)
// takes that path for one element. Chunks, the retired count and the registers left after a fault
// are as RepeatString's. Going down matters as much as going forward: GRUB's memmove moves an
// overlapping range up with STD; REP MOVS, 55 million elements on the way to Debian 12's kernel,
// a fifth of the vCPU's time before it when they went one at a time.
public sealed unsafe partial class SoftwareCpu
{
    private bool RepeatInRuns(ref DecodedInstruction i, bool move)
    {
        int size = i.Size;
        bool down = (_rflags & RflagsBits.Df) != 0;
        ulong mask = AddressMask(i.Flags);
        ulong left = StringChunk;
        while (left > 0)
        {
            ulong count = Counter(ref i);
            if (count == 0)
            {
                return true;
            }
            ulong run = Math.Min(Math.Min(count, left), ElementsBeforeWrap(StringIndex(ref i, 7), mask, size, down));
            byte* target = HostRun(_writeTlb, DestinationAddress(ref i), size, down, ref run);
            byte* source = null;
            if (move && target != null)
            {
                run = Math.Min(run, ElementsBeforeWrap(StringIndex(ref i, 6), mask, size, down));
                source = HostRun(_readTlb, SourceAddress(ref i), size, down, ref run);
            }
            ulong bytes = run * (ulong)size;
            if (down && target != null && (!move || source != null))
            {
                // A run going down (at least one element here) is moved from its lowest address.
                target -= bytes - (ulong)size;
                source = move ? source - (bytes - (ulong)size) : null;
            }
            if (source != null && (down ? target < source && target + bytes > source : target > source && target < source + bytes))
            {
                source = null;
            }
            if (target == null || (move && source == null))
            {
                if (!(move ? MoveOnce(ref i) : StoreOnce(ref i)))
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
            ulong advance = down ? 0UL - bytes : bytes;
            if (move)
            {
                Buffer.MemoryCopy(source, target, bytes, bytes);
                WriteAddressRegister(i.Flags, 6, R(6) + advance);
            }
            else
            {
                Fill(target, (int)run, size, ReadRegister(size, 0));
            }
            WriteAddressRegister(i.Flags, 7, R(7) + advance);
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

    /// <summary>The host address of the element at <paramref name="linear"/> when the TLB set holds its
    /// page (else null); shortens <paramref name="run"/> to the whole elements left in the page in the
    /// direction of travel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* HostRun(int set, ulong linear, int size, bool down, ref ulong run)
    {
        ref TlbEntry entry = ref TlbLookup(set, linear);
        if (entry.Page != (linear & ~0xFFFUL))
        {
            return null;
        }
        ulong offset = linear & 0xFFF;
        ulong inPage = down
            ? (offset + (ulong)size <= 4096 ? offset / (ulong)size + 1 : 0) // the first element must not cross the page end
            : (4096 - offset) / (ulong)size;
        run = Math.Min(run, inPage);
        return run == 0 ? null : (byte*)entry.Host + offset;
    }

    /// <summary>How many elements start before an index of this address size wraps (going down: below 0).</summary>
    private static ulong ElementsBeforeWrap(ulong index, ulong mask, int size, bool down) =>
        down ? index / (ulong)size + 1
        : mask == ulong.MaxValue ? ulong.MaxValue : (mask - index) / (ulong)size + 1;

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
