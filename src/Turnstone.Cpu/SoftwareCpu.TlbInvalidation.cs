using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// INVLPG drops one page's translations instead of the whole TLB where it can. The TLB keeps 4 KiB
// pieces of large pages, which one address cannot name, so the large pages (4-level paging) whose
// pieces are cached are noted, up to a few; an INVLPG inside one of them, after more than that, or
// under legacy paging flushes everything as before. Linux's early_memremap maps and unmaps one
// fixmap page after another with INVLPG while the kernel runs from 2 MiB pages: a whole flush each
// time made early boot spend about a quarter of a second refilling the TLB and the jump cache.
public sealed unsafe partial class SoftwareCpu
{
    private const int MaxNotedLargePages = 32;
    /// <summary>Page size of the last walk as a shift: 12, 21, 30, or 64 for "not known" (legacy paging).</summary>
    private const int UnknownPageShift = 64;

    /// <summary>Bits of <see cref="_codePages"/>: linear page numbers sharing their low 15 bits share a bit.</summary>
    private const int CodePageBits = 1 << 15;

    /// <summary>The linear pages blocks were found from since the last whole flush (by page number
    /// modulo <see cref="CodePageBits"/>): what an INVLPG must drop from the jump cache and the links.</summary>
    private readonly ulong[] _codePages = new ulong[CodePageBits / 64];
    private readonly ulong[] _largePageBases = new ulong[MaxNotedLargePages];
    private readonly ulong[] _largePageMasks = new ulong[MaxNotedLargePages];
    /// <summary>Whether a noted large page's pieces came from a global translation (they outlive a CR3 write).</summary>
    private readonly bool[] _largePageGlobal = new bool[MaxNotedLargePages];
    /// <summary>Once too many are noted: whether any of them (known or not) was global.</summary>
    private bool _largePagesOverflowedGlobal;
    /// <summary>Large pages noted since the last flush; above <see cref="MaxNotedLargePages"/>: too many to track.</summary>
    private int _largePageCount;
    private int _walkPageShift = 12;

    /// <summary>After a TLB fill from a page larger than 4 KiB.</summary>
    private void NoteLargePage(ulong linear, int shift, bool global)
    {
        if (_largePageCount > MaxNotedLargePages)
        {
            _largePagesOverflowedGlobal |= global;
            return;
        }
        if (shift >= UnknownPageShift)
        {
            OverflowLargePages(global);
            return;
        }
        ulong mask = ~((1UL << shift) - 1);
        ulong pageBase = linear & mask;
        for (int i = 0; i < _largePageCount; i++)
        {
            if (_largePageBases[i] == pageBase && _largePageMasks[i] == mask)
            {
                _largePageGlobal[i] |= global;
                return;
            }
        }
        if (_largePageCount == MaxNotedLargePages)
        {
            OverflowLargePages(global);
            return;
        }
        _largePageBases[_largePageCount] = pageBase;
        _largePageMasks[_largePageCount] = mask;
        _largePageGlobal[_largePageCount] = global;
        _largePageCount++;
    }

    /// <summary>Too many large pages to track: INVLPG flushes everything until the pieces are gone.</summary>
    private void OverflowLargePages(bool global)
    {
        for (int i = 0; i < _largePageCount; i++)
        {
            global |= _largePageGlobal[i];
        }
        _largePagesOverflowedGlobal = global;
        _largePageCount = MaxNotedLargePages + 1;
    }

    /// <summary>After a CR3 write dropped every non-global translation: only global large pages still have pieces in the TLB.</summary>
    private void ForgetNonGlobalLargePages()
    {
        if (_largePageCount > MaxNotedLargePages)
        {
            if (!_largePagesOverflowedGlobal)
            {
                _largePageCount = 0;
            }
            return;
        }
        int kept = 0;
        for (int i = 0; i < _largePageCount; i++)
        {
            if (_largePageGlobal[i])
            {
                _largePageBases[kept] = _largePageBases[i];
                _largePageMasks[kept] = _largePageMasks[i];
                _largePageGlobal[kept] = true;
                kept++;
            }
        }
        _largePageCount = kept;
    }

    /// <summary>What INVLPG of <paramref name="linear"/> drops.</summary>
    private void InvalidateTranslation(ulong linear)
    {
        bool whole = _largePageCount > MaxNotedLargePages;
        for (int i = 0; i < _largePageCount && !whole; i++)
        {
            whole = (linear & _largePageMasks[i]) == _largePageBases[i];
        }
        if (whole)
        {
            FlushTlb();
            return;
        }
        ulong page = linear & ~0xFFFUL;
        for (int kind = ReadKind; kind <= FetchKind; kind++)
        {
            for (int user = 0; user < 2; user++)
            {
                ref TlbEntry entry = ref TlbLookup(TlbSet(kind, user != 0), linear);
                if (entry.Page == page)
                {
                    entry.Page = TlbEntry.Invalid;
                }
            }
        }
        // Blocks found from RIPs in that page may now be elsewhere in physical memory (global
        // pages too: INVLPG drops a global translation). No block was found from that page since
        // the last whole flush when its bit is clear: then the jump cache and the links hold nothing
        // the INVLPG changes (Linux's INVLPGs are of data pages: 35 of the 11,500 of a Debian 12
        // boot found their bit set).
        if (MayHoldCode(page))
        {
            StaleAllJumpCacheEntries();
            ForgetBlockLinks();
        }
    }

    /// <summary>
    /// Notes the linear pages a block found for <paramref name="linear"/> was fetched from (two
    /// when an instruction crosses into the next page), as the jump cache and the links will hand
    /// it out by them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NoteCodePages(ulong linear, DecodedBlock block)
    {
        NoteCodePage(linear);
        if (block.SecondPhysicalPage != ulong.MaxValue)
        {
            NoteCodePage(linear + 0x1000);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NoteCodePage(ulong linear) => CodePageWord(linear, out ulong mask) |= mask;

    private bool MayHoldCode(ulong page) => (CodePageWord(page, out ulong mask) & mask) != 0;

    /// <summary>The word of <see cref="_codePages"/> holding a linear page's bit (the page number masked), and the bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ulong CodePageWord(ulong linear, out ulong mask)
    {
        ulong bit = (linear >> 12) & (CodePageBits - 1);
        mask = 1UL << (int)bit;
        return ref _codePages[bit >> 6];
    }
}
