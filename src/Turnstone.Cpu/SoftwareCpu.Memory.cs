using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Linear memory accesses: a direct-mapped software TLB per access kind and privilege in front of
// guest RAM, a page walk on a miss, MMIO exits for guest-physical addresses outside RAM.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Entries per TLB set unless the creator asks for more.</summary>
    public const int DefaultTlbEntries = 256;
    private const int ReadKind = 0;
    private const int WriteKind = 1;
    private const int FetchKind = 2;

    /// <summary>Six sets: (read, write, fetch) x (supervisor, user); a set's offset is (kind * 2 + user) * its size.</summary>
    private readonly TlbEntry[] _tlb;
    /// <summary>Entries per set (a power of two) and that minus one.</summary>
    private readonly int _tlbSetSize, _tlbSetMask;
    private int _readTlb;
    private int _writeTlb;
    private int _fetchTlb;

    private int TlbSet(int kind, bool user) => (kind * 2 + (user ? 1 : 0)) * _tlbSetSize;

    private void SetCpl(int cpl)
    {
        _cpl = cpl;
        UpdateLinkKey(); // links stand for the jump cache of one privilege
        bool user = cpl == 3;
        _readTlb = TlbSet(ReadKind, user);
        _writeTlb = TlbSet(WriteKind, user);
        _fetchTlb = TlbSet(FetchKind, user);
        PointNativeStateAtTlb();
    }

    /// <summary>
    /// False when nothing entered the TLB or the jump cache since the last flush, so the next flush
    /// has nothing to drop: setting CR0, CR3, CR4 and EFER in a row (every component load) then
    /// clears the TLB and renews the jump cache's tags once, not four times. True at first: the arrays start out zeroed, not invalid.
    /// </summary>
    private bool _translationsCached = true;

    private void FlushTlb()
    {
        if (!_translationsCached)
        {
            return;
        }
        _translationsCached = false;
        _largePageCount = 0;
        _largePagesOverflowedGlobal = false;
        foreach (ref TlbEntry entry in _tlb.AsSpan())
        {
            entry.Page = TlbEntry.Invalid;
        }
        StaleAllJumpCacheEntries();
        ForgetBlockLinks();
    }

    /// <summary>Drops every write translation: the dirty log was cleared, and the next write to
    /// each page must log it again.</summary>
    private void FlushWriteTranslations()
    {
        for (int i = TlbSet(WriteKind, false); i < TlbSet(WriteKind, false) + 2 * _tlbSetSize; i++)
        {
            _tlb[i].Page = TlbEntry.Invalid;
        }
    }

    /// <summary>Drops write translations to a page that now holds decoded code, so the next write
    /// takes the slow path and invalidates the code.</summary>
    private void FlushWriteTranslations(ulong physicalPage)
    {
        for (int i = TlbSet(WriteKind, false); i < TlbSet(WriteKind, false) + 2 * _tlbSetSize; i++)
        {
            if (_tlb[i].PhysicalPage == physicalPage)
            {
                _tlb[i].Page = TlbEntry.Invalid;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref TlbEntry TlbLookup(int set, ulong linear) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tlb), set + (int)((linear >> 12) & (ulong)_tlbSetMask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryRead(ulong linear, int size, out ulong value) => TryReadIn(_readTlb, linear, size, out value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryWrite(ulong linear, int size, ulong value) => TryWriteIn(_writeTlb, linear, size, value);

    /// <summary>A supervisor-privilege read (descriptor tables, the TSS), whatever the CPL.</summary>
    private bool TryReadSystem(ulong linear, int size, out ulong value) => TryReadIn(TlbSet(ReadKind, false), linear, size, out value);

    private bool TryWriteSystem(ulong linear, int size, ulong value) => TryWriteIn(TlbSet(WriteKind, false), linear, size, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReadIn(int set, ulong linear, int size, out ulong value)
    {
        ref TlbEntry entry = ref TlbLookup(set, linear);
        ulong offset = linear & 0xFFF;
        if (entry.Page == (linear & ~0xFFFUL) && offset <= (ulong)(4096 - size))
        {
            byte* p = (byte*)entry.Host + offset;
            value = size switch
            {
                8 => Unsafe.ReadUnaligned<ulong>(p),
                4 => Unsafe.ReadUnaligned<uint>(p),
                2 => Unsafe.ReadUnaligned<ushort>(p),
                _ => *p,
            };
            return true;
        }
        return ReadSlow(set, linear, size, out value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryWriteIn(int set, ulong linear, int size, ulong value)
    {
        ref TlbEntry entry = ref TlbLookup(set, linear);
        ulong offset = linear & 0xFFF;
        if (entry.Page == (linear & ~0xFFFUL) && offset <= (ulong)(4096 - size))
        {
            byte* p = (byte*)entry.Host + offset;
            switch (size)
            {
                case 8: Unsafe.WriteUnaligned(p, value); break;
                case 4: Unsafe.WriteUnaligned(p, (uint)value); break;
                case 2: Unsafe.WriteUnaligned(p, (ushort)value); break;
                default: *p = (byte)value; break;
            }
            return true;
        }
        return WriteSlow(set, linear, size, value);
    }

    private static bool IsCanonical(ulong linear) => (long)(linear << 16) >> 16 == (long)linear;

    private int KindOf(int set) => set / (2 * _tlbSetSize);

    private bool UserOf(int set) => (set / _tlbSetSize & 1) != 0;

    /// <summary>Translates one page for the set's access kind and privilege, filling the TLB when
    /// the page is RAM. Returns the host page (null for MMIO) or false with a fault raised.</summary>
    private bool TranslatePage(int set, ulong linear, out ulong physicalPage, out byte* hostPage)
    {
        hostPage = null;
        physicalPage = 0;
        if (!IsCanonical(linear))
        {
            return RaiseFault(ExceptionVector.GeneralProtection, 0);
        }
        int kind = KindOf(set);
        if (!TryWalk(linear, kind, UserOf(set), out ulong physical))
        {
            return false;
        }
        physicalPage = physical & ~0xFFFUL;
        hostPage = _memory.HostPage(physicalPage, out int region, out ulong pageIndex);
        if (hostPage == null)
        {
            return true;
        }
        if (kind == WriteKind)
        {
            // The write translation is made on the first write after a flush: log the page now,
            // and writes through the TLB entry need no check (forgetting dirty pages flushes them).
            _memory.MarkDirty(region, pageIndex);
            if (_memory.IsCodePage(region, pageIndex))
            {
                _memory.InvalidateCodePage(region, pageIndex);
            }
        }
        ref TlbEntry entry = ref TlbLookup(set, linear);
        _translationsCached = true;
        entry.Page = linear & ~0xFFFUL;
        entry.Host = (nint)hostPage;
        entry.PhysicalPage = physicalPage;
        entry.Global = _walkGlobal;
        if (_walkPageShift > 12)
        {
            NoteLargePage(linear, _walkPageShift, _walkGlobal);
        }
        return true;
    }

    /// <summary>
    /// The host page behind <paramref name="linear"/> for the set's access kind, from the TLB when it
    /// holds the page (its permission checks, dirty logging and code-page check were made when it was
    /// filled, as for the fast paths above), else through <see cref="TranslatePage"/>. For the
    /// accesses that translate before they move a byte (16-byte SSE operands, x87/FXSAVE images,
    /// accesses across a page end): they used to walk the page tables every time, and glibc's SSE2
    /// string functions made that 47 million of a Debian 12 boot's 61 million page walks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TranslateCachedPage(int set, ulong linear, out byte* hostPage)
    {
        ref TlbEntry entry = ref TlbLookup(set, linear);
        if (entry.Page == (linear & ~0xFFFUL))
        {
            hostPage = (byte*)entry.Host;
            return true;
        }
        return TranslatePage(set, linear, out _, out hostPage);
    }

    private bool ReadSlow(int set, ulong linear, int size, out ulong value)
    {
        value = 0;
        ulong offset = linear & 0xFFF;
        if (offset + (ulong)size > 4096)
        {
            return ReadAcrossPages(set, linear, size, out value);
        }
        if (!TranslatePage(set, linear, out ulong physicalPage, out byte* host))
        {
            return false;
        }
        if (host == null)
        {
            return TryReadMmio(physicalPage + offset, size, out value);
        }
        return TryReadIn(set, linear, size, out value);
    }

    private bool WriteSlow(int set, ulong linear, int size, ulong value)
    {
        ulong offset = linear & 0xFFF;
        if (offset + (ulong)size > 4096)
        {
            return WriteAcrossPages(set, linear, size, value);
        }
        if (!TranslatePage(set, linear, out ulong physicalPage, out byte* host))
        {
            return false;
        }
        if (host == null)
        {
            return WriteMmio(physicalPage + offset, size, value);
        }
        return TryWriteIn(set, linear, size, value);
    }

    // An access that straddles two pages: both pages are translated (and may fault) before any
    // byte moves, as on hardware.
    private bool ReadAcrossPages(int set, ulong linear, int size, out ulong value)
    {
        value = 0;
        ulong second = (linear & ~0xFFFUL) + 4096;
        if (!TranslateCachedPage(set, linear, out byte* firstHost) || !TranslateCachedPage(set, second, out byte* secondHost))
        {
            return false;
        }
        if (firstHost == null || secondHost == null)
        {
            return NotImplemented("an access that straddles RAM and MMIO (or two MMIO pages)");
        }
        int firstBytes = (int)(second - linear);
        for (int i = 0; i < size; i++)
        {
            byte b = i < firstBytes ? firstHost[(linear & 0xFFF) + (ulong)i] : secondHost[i - firstBytes];
            value |= (ulong)b << (8 * i);
        }
        return true;
    }

    private bool WriteAcrossPages(int set, ulong linear, int size, ulong value)
    {
        ulong second = (linear & ~0xFFFUL) + 4096;
        if (!TranslateCachedPage(set, linear, out byte* firstHost) || !TranslateCachedPage(set, second, out byte* secondHost))
        {
            return false;
        }
        if (firstHost == null || secondHost == null)
        {
            return NotImplemented("an access that straddles RAM and MMIO (or two MMIO pages)");
        }
        int firstBytes = (int)(second - linear);
        for (int i = 0; i < size; i++)
        {
            byte b = (byte)(value >> (8 * i));
            if (i < firstBytes)
            {
                firstHost[(linear & 0xFFF) + (ulong)i] = b;
            }
            else
            {
                secondHost[i - firstBytes] = b;
            }
        }
        return true;
    }
}
