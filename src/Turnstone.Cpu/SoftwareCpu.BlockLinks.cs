using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Links between blocks: each block remembers the last two blocks that ran after it (a Jcc's
// two ways, a loop and its exit) with the RIPs they were found for. The run loop tries them before
// the jump cache: the block that just ran is in the data cache, the jump cache's slots and a block
// found through them often are not (finding the next block took about a sixth of the vCPU's time
// in a Linux boot). A link caches exactly what FindBlock would answer, so it is dropped whenever
// the jump cache is: every TLB flush, CR3 write and INVLPG moves to a new link epoch, and
// a block invalidated by a write to its code is never followed. The jump cache has a half per
// privilege (user, supervisor), and links carry the half they were made for: a system call and its
// return leave both halves' links in place (they had dropped every link, twice per system call).
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Links made in an older epoch are ignored.</summary>
    private int _linkEpoch = 1;
    /// <summary>What a link followed now must have been made under: the epoch, and whether the CPU runs at CPL 3.</summary>
    private int _linkKey = 2;

    /// <summary>Drops every link at once (with the jump cache, or when CS changes in 16/32-bit code).</summary>
    private void ForgetBlockLinks()
    {
        _linkEpoch++;
        UpdateLinkKey();
    }

    /// <summary>After the epoch or the privilege changed: links of the other privilege's half are not followed.</summary>
    private void UpdateLinkKey() => _linkKey = _linkEpoch * 2 + (_cpl == 3 ? 1 : 0);

    /// <summary>The block at <paramref name="rip"/> in 64-bit code, through <paramref name="previous"/>'s links when they know it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DecodedBlock? FindBlockAfter(DecodedBlock? previous, ulong rip)
    {
        if (LinkedBlock(previous, rip) is { } linked)
        {
            return linked;
        }
        DecodedBlock? block = FindBlock(rip);
        if (previous is not null && block is not null)
        {
            Link(previous, rip, block);
        }
        return block;
    }

    /// <summary>
    /// The block at CS:EIP in 16/32-bit code, through <paramref name="previous"/>'s links when they
    /// know it. A link there also stands for CS's base, size and limit: loading another CS drops
    /// every link (<see cref="LoadSegmentCache"/>), and EIP was within the limit when the link was made.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DecodedBlock? FindLegacyBlockAfter(DecodedBlock? previous)
    {
        if (LinkedBlock(previous, _rip) is { } linked)
        {
            return linked;
        }
        DecodedBlock? block = FindLegacyBlock();
        if (previous is not null && block is not null)
        {
            Link(previous, _rip, block); // RIP as FindLegacyBlock wrapped it
        }
        return block;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DecodedBlock? LinkedBlock(DecodedBlock? previous, ulong rip)
    {
        if (previous is not null && previous.LinkKey == _linkKey)
        {
            if (previous.LinkRip0 == rip && previous.Link0 is { Valid: true } first)
            {
                return first;
            }
            if (previous.LinkRip1 == rip && previous.Link1 is { Valid: true } second)
            {
                return second;
            }
        }
        return null;
    }

    private void Link(DecodedBlock previous, ulong rip, DecodedBlock block)
    {
        if (previous.LinkKey != _linkKey)
        {
            previous.LinkKey = _linkKey;
            previous.Link0 = block;
            previous.LinkRip0 = rip;
            previous.Link1 = null;
            return;
        }
        // The newest link first; the older one moves to the second slot.
        previous.Link1 = previous.Link0;
        previous.LinkRip1 = previous.LinkRip0;
        previous.Link0 = block;
        previous.LinkRip0 = rip;
    }
}
