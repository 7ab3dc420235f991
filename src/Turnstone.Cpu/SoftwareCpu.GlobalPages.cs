using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Global pages (CR4.PGE): a MOV to CR3 drops every translation except those of pages whose leaf
// entry has G set, as hardware keeps its global TLB entries. Linux maps its kernel global and
// writes CR3 at context switches (about 18,600 times to init); flushing everything each time made
// the vCPU walk the kernel's page tables and look its blocks up again after each one.
//
// The jump cache keeps the same promise: an entry remembers the address space (a number that each
// CR3 write advances) it was made in, or the global tag when the block's code was fetched through
// a global translation (and lies within one page); a lookup takes an entry only from the current
// address space or the current global tag, so a block found for a user RIP in one process is never
// found for the same RIP in another. A whole flush (INVLPG, writes to CR0 and CR4, among them the
// PGE toggle Linux uses for a global flush) renews both tags instead of clearing the cache.
//
// A stale entry is not thrown away: the RIP is translated again (as a miss does) and when it still
// leads to the block's own physical address, the entry is taken again without looking the block up
// by address. In a Debian 12 boot (about 5 G instructions to the login prompt) the jump cache
// missed about 55 million times, each costing a dictionary lookup of 100-150 ns: 17 million came
// after whole flushes, 2.5 million after CR3 writes, 37 million from two RIPs sharing a slot, which
// the larger cache Linux machines get (SoftwareMachineBackend) mostly removes.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>The address-space tag of jump-cache entries made through global translations; renewed by every whole flush.</summary>
    private int _globalSpace = 1;

    /// <summary>Whether the last page walk ended in a global leaf entry with CR4.PGE set.</summary>
    private bool _walkGlobal;
    /// <summary>Advanced by every CR3 write and whole flush; jump-cache entries tagged with an older one are stale.</summary>
    private int _addressSpace = 2;
    /// <summary>The last tag handed out.</summary>
    private int _lastSpaceTag = 2;

    /// <summary>What a MOV to CR3 drops: every translation but the global ones.</summary>
    private void FlushNonGlobalTranslations()
    {
        if (!_translationsCached)
        {
            return;
        }
        _addressSpace = NextSpaceTag();
        foreach (ref TlbEntry entry in _tlb.AsSpan())
        {
            if (!entry.Global)
            {
                entry.Page = TlbEntry.Invalid;
            }
        }
        ForgetNonGlobalLargePages();
        ForgetNonGlobalBlockLinks();
    }

    /// <summary>The jump-cache tag for a block fetched through a translation (global or not).</summary>
    private int JumpCacheSpace(bool globalTranslation, DecodedBlock block) =>
        globalTranslation && block.SecondPhysicalPage == ulong.MaxValue ? _globalSpace : _addressSpace;

    /// <summary>After a whole flush: every entry, global ones too, must be translated again before it is taken.</summary>
    private void StaleAllJumpCacheEntries()
    {
        _globalSpace = NextSpaceTag();
        _addressSpace = NextSpaceTag();
        Array.Clear(_codePages); // every entry is translated again before it is taken
    }

    private int NextSpaceTag()
    {
        if (_lastSpaceTag == int.MaxValue)
        {
            // Tags would come round to ones still in the cache: start over from an empty one.
            Array.Clear(_jumpCache);
            _lastSpaceTag = 0;
            _globalSpace = ++_lastSpaceTag;
        }
        return ++_lastSpaceTag;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int JumpCacheSlot(ulong linear) => (_cpl == 3 ? _jumpCacheMask + 1 : 0) + (int)((linear ^ (linear >> 12)) & (ulong)_jumpCacheMask);

    /// <summary>Whether a stale jump-cache entry's block (for this RIP in another address space) is the one at
    /// <paramref name="physical"/>, the fresh translation of the RIP looked for (code-size tag
    /// included): blocks are cached by physical address, so it is the one the lookup by address
    /// would find. Blocks continuing onto a second page go through <see cref="TryCachedBlock"/>, which checks that page too.</summary>
    private static bool IsStillMapped([NotNullWhen(true)] DecodedBlock? block, ulong physical) =>
        block is not null && block.Valid && block.PhysicalStart == physical && block.SecondPhysicalPage == ulong.MaxValue;
}
