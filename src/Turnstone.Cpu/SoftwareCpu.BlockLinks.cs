using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Links between blocks: each block remembers the last two blocks that ran after it (a Jcc's
// two ways, a loop and its exit) with the RIPs they were found for. The run loop tries them before
// the jump cache: the block that just ran is in the data cache, the jump cache's slots and a block
// found through them often are not (finding the next block took about a sixth of the vCPU's time
// in a Linux boot). A link caches exactly what FindBlock would answer, so it is dropped whenever
// the jump cache entry it stands for would be: a whole TLB flush and an INVLPG of a page code ran
// from move every link to a new epoch, a CR3 write only those to blocks fetched through non-global
// translations (links to global ones, the kernel's, carry the global epoch), and a block
// invalidated by a write to its code is never followed. The jump cache has a half per privilege
// (user, supervisor), and links carry the half they were made for: a system call and its return
// leave both halves' links in place (they had dropped every link, twice per system call).
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Links to blocks fetched through non-global translations made in an older epoch are ignored.</summary>
    private int _linkEpoch = 1;
    /// <summary>The same for links to blocks fetched through global translations: a CR3 write keeps it.</summary>
    private int _globalLinkEpoch = 2;
    /// <summary>The last epoch handed out: the two never share a number, nor does an epoch come back (see <see cref="NextLinkEpoch"/>).</summary>
    private int _lastLinkEpoch = 2;
    /// <summary>What a link followed now must have been made under: an epoch, and whether the CPU runs at CPL 3.</summary>
    private int _linkKey = 2, _globalLinkKey = 4;

    /// <summary>Drops every link at once (with the jump cache, or when CS changes in 16/32-bit code).</summary>
    private void ForgetBlockLinks()
    {
        _linkEpoch = NextLinkEpoch();
        _globalLinkEpoch = NextLinkEpoch();
        UpdateLinkKey();
    }

    /// <summary>After a CR3 write: the links to blocks fetched through global translations stay, as their jump-cache entries do.</summary>
    private void ForgetNonGlobalBlockLinks()
    {
        _linkEpoch = NextLinkEpoch();
        UpdateLinkKey();
    }

    private int NextLinkEpoch()
    {
        if (_lastLinkEpoch == int.MaxValue / 2)
        {
            // Keys would come round to ones blocks still carry: unlink every block and start over.
            foreach (var block in _blocks.Values.Concat(_retiredBlocks.Values))
            {
                block.LinkKey = 0;
                block.Link0 = block.Link1 = null;
            }
            _lastLinkEpoch = 0;
        }
        return ++_lastLinkEpoch;
    }

    /// <summary>After an epoch or the privilege changed: links of the other privilege's half are not followed.</summary>
    private void UpdateLinkKey()
    {
        int user = _cpl == 3 ? 1 : 0;
        _linkKey = _linkEpoch * 2 + user;
        _globalLinkKey = _globalLinkEpoch * 2 + user;
    }

    /// <summary>The block at <paramref name="rip"/> in 64-bit code, through <paramref name="previous"/>'s links when they know it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DecodedBlock? FindBlockAfter(DecodedBlock? previous, ulong rip)
    {
        if (LinkedBlock(previous, rip) is { } linked)
        {
            return linked;
        }
        DecodedBlock? block = FindBlock(rip, out bool global);
        if (previous is not null && block is not null)
        {
            Link(previous, rip, block, global ? _globalLinkKey : _linkKey);
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
            Link(previous, _rip, block, _linkKey); // RIP as FindLegacyBlock wrapped it; legacy paging has no global pages
        }
        return block;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DecodedBlock? LinkedBlock(DecodedBlock? previous, ulong rip)
    {
        if (previous is not null && (previous.LinkKey == _linkKey || previous.LinkKey == _globalLinkKey))
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

    /// <summary>Links <paramref name="block"/> under <paramref name="key"/>: a block's two links share one key, so a
    /// link under another key (a global target after a non-global one, or a newer epoch) replaces both.</summary>
    private static void Link(DecodedBlock previous, ulong rip, DecodedBlock block, int key)
    {
        if (previous.LinkKey != key)
        {
            previous.LinkKey = key;
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
