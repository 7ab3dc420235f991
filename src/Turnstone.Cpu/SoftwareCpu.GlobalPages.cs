using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Global pages (CR4.PGE): a MOV to CR3 drops every translation except those of pages whose leaf
// entry has G set, as hardware keeps its global TLB entries. Linux maps its kernel global and
// writes CR3 at context switches (about 18,600 times to init); flushing everything each time made
// the vCPU walk the kernel's page tables and look its blocks up again after each one.
//
// The jump cache keeps the same promise: an entry remembers the address space (a number that each
// CR3 write advances) it was made in, or GlobalAddressSpace when the block's code was fetched
// through a global translation (and lies within one page); a lookup takes an entry only from the
// current address space or a global one, so a block found for a user RIP in one process is never
// found for the same RIP in another. INVLPG and writes to CR0 and CR4 (among them the PGE toggle
// Linux uses for a global flush) still drop everything.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>The address-space tag of jump-cache entries made through global translations.</summary>
    private const int GlobalAddressSpace = 0;

    /// <summary>Whether the last page walk ended in a global leaf entry with CR4.PGE set.</summary>
    private bool _walkGlobal;
    /// <summary>Advanced by every CR3 write; jump-cache entries tagged with an older one are stale.</summary>
    private int _addressSpace = 1;
    private readonly int[] _jumpCacheSpace = new int[2 * JumpCacheSize];

    /// <summary>What a MOV to CR3 drops: every translation but the global ones.</summary>
    private void FlushNonGlobalTranslations()
    {
        if (!_translationsCached)
        {
            return;
        }
        if (_addressSpace == int.MaxValue)
        {
            // Tags would wrap onto ones still in the jump cache: start over from a full flush.
            _addressSpace = 1;
            FlushTlb();
            return;
        }
        _addressSpace++;
        foreach (ref TlbEntry entry in _tlb.AsSpan())
        {
            if (!entry.Global)
            {
                entry.Page = TlbEntry.Invalid;
            }
        }
        ForgetNonGlobalLargePages();
        // Links are not tagged: they are made again from the jump cache, whose global entries stay.
        ForgetBlockLinks();
    }

    /// <summary>The jump-cache tag for a block fetched through a translation (global or not).</summary>
    private int JumpCacheSpace(bool globalTranslation, DecodedBlock block) =>
        globalTranslation && block.SecondPhysicalPage == ulong.MaxValue ? GlobalAddressSpace : _addressSpace;
}
