using System.Runtime.InteropServices;
using Turnstone.GuestMemory;

namespace Turnstone.Cpu;

/// <summary>
/// The software engine's view of guest-physical memory: RAM regions backed by host memory, and
/// everything else MMIO (the CPU turns those accesses into exits). It also remembers which guest
/// pages hold decoded code, so that every write the CPU or the host makes to such a page drops
/// the stale decoded blocks (self-modifying code, a device DMA-ing over old code).
/// </summary>
/// <remarks>
/// As an <see cref="IGuestMemory"/> it hands out writable spans, so it must assume each one is
/// written: handing out a span over a code page invalidates that page's decoded code. Pages that
/// never held code (virtqueues, buffers) pay nothing for this.
/// </remarks>
public sealed unsafe class GuestPhysicalMemory : IGuestMemory, IDisposable
{
    public const int PageSize = 4096;

    private readonly RamRegion[] _regions;
    private readonly bool[][] _codePages;
    private readonly ulong[][] _dirtyPages;
    /// <summary>Pages written since the last <see cref="Clear"/> (or allocation): what clearing must zero.</summary>
    private readonly ulong[][] _writtenPages;
    private readonly nint[] _ownedAllocations;
    private bool _disposed;

    /// <summary>Called with the page-aligned guest-physical address of a page whose decoded code
    /// must be forgotten. The CPU subscribes to it.</summary>
    internal Action<ulong>? CodePageWritten;

    /// <summary>Called when dirty pages are forgotten or memory is cleared: the CPU drops its write
    /// translations, so its next write to any page takes the slow path and logs the page again.</summary>
    internal Action? DirtyPagesForgotten;

    /// <summary>Wraps host memory the caller owns and keeps alive for this object's lifetime.</summary>
    public GuestPhysicalMemory(params RamRegion[] regions) : this(regions, [], zeroed: false)
    {
    }

    /// <summary><paramref name="zeroed"/>: the memory is known to be zero (from <see cref="Allocate"/>);
    /// otherwise every page counts as written, so the first <see cref="Clear"/> zeroes all of it.</summary>
    private GuestPhysicalMemory(RamRegion[] regions, nint[] owned, bool zeroed)
    {
        var sorted = regions.OrderBy(r => r.GuestAddress).ToArray();
        for (int i = 0; i < sorted.Length; i++)
        {
            var r = sorted[i];
            if (r.GuestAddress % PageSize != 0 || r.Size % PageSize != 0 || r.Size == 0 || r.Host == 0)
            {
                throw new ArgumentException($"RAM region at 0x{r.GuestAddress:x} must be page-aligned, non-empty and backed", nameof(regions));
            }
            if (i > 0 && r.GuestAddress < sorted[i - 1].End)
            {
                throw new ArgumentException("RAM regions overlap", nameof(regions));
            }
        }
        _regions = sorted;
        _codePages = sorted.Select(r => new bool[r.Size / PageSize]).ToArray();
        _dirtyPages = sorted.Select(r => new ulong[(r.Size / PageSize + 63) / 64]).ToArray();
        _writtenPages = sorted.Select(r => new ulong[(r.Size / PageSize + 63) / 64]).ToArray();
        if (!zeroed)
        {
            for (int region = 0; region < sorted.Length; region++)
            {
                for (ulong page = 0; page < sorted[region].Size / PageSize; page++)
                {
                    _writtenPages[region][page / 64] |= 1UL << (int)(page % 64);
                }
            }
        }
        _ownedAllocations = owned;
        Regions = sorted.Select(r => new GuestMemoryRegion(r.GuestAddress, r.Size)).ToArray();
    }

    /// <summary>Allocates zeroed, page-aligned host memory for each (address, size) range and owns it.</summary>
    public static GuestPhysicalMemory Allocate(params (ulong GuestAddress, ulong Size)[] ranges)
    {
        var regions = new RamRegion[ranges.Length];
        var owned = new nint[ranges.Length];
        for (int i = 0; i < ranges.Length; i++)
        {
            void* block = NativeMemory.AlignedAlloc((nuint)ranges[i].Size, PageSize);
            NativeMemory.Clear(block, (nuint)ranges[i].Size);
            owned[i] = (nint)block;
            regions[i] = new RamRegion(ranges[i].GuestAddress, ranges[i].Size, (nint)block);
        }
        return new GuestPhysicalMemory(regions, owned, zeroed: true);
    }

    public IReadOnlyList<GuestMemoryRegion> Regions { get; }

    public IReadOnlyList<RamRegion> RamRegions => _regions;

    /// <summary>The host address of the page holding <paramref name="address"/>, or 0 when it is not RAM.</summary>
    internal byte* HostPage(ulong address, out int regionIndex, out ulong pageIndex)
    {
        for (int i = 0; i < _regions.Length; i++)
        {
            ref readonly var r = ref _regions[i];
            if (address - r.GuestAddress < r.Size)
            {
                regionIndex = i;
                pageIndex = (address - r.GuestAddress) / PageSize;
                return (byte*)r.Host + (long)(pageIndex * PageSize);
            }
        }
        regionIndex = -1;
        pageIndex = 0;
        return null;
    }

    internal byte* HostPage(ulong address) => HostPage(address, out _, out _);

    internal bool IsCodePage(int regionIndex, ulong pageIndex) => _codePages[regionIndex][pageIndex];

    internal void MarkCodePage(int regionIndex, ulong pageIndex) => _codePages[regionIndex][pageIndex] = true;

    /// <summary>Forgets that the page holds code and tells the CPU to drop its decoded blocks.</summary>
    internal void InvalidateCodePage(int regionIndex, ulong pageIndex)
    {
        _codePages[regionIndex][pageIndex] = false;
        CodePageWritten?.Invoke(_regions[regionIndex].GuestAddress + pageIndex * PageSize);
    }

    /// <summary>Logs a write to the page holding <paramref name="address"/> (the CPU's writes through
    /// its TLB are logged when the write translation is made).</summary>
    internal void MarkDirty(int regionIndex, ulong pageIndex)
    {
        ulong bit = 1UL << (int)(pageIndex % 64);
        _dirtyPages[regionIndex][pageIndex / 64] |= bit;
        _writtenPages[regionIndex][pageIndex / 64] |= bit;
    }

    internal void MarkDirty(ulong address)
    {
        if (HostPage(address, out int region, out ulong index) != null)
        {
            MarkDirty(region, index);
        }
    }

    /// <summary>
    /// The pages of the RAM region at <paramref name="regionAddress"/> written by the CPU or by the
    /// host (through spans or <see cref="NotifyWritten"/>) since they were forgotten: one bit per
    /// page into <paramref name="bitmap"/>, replacing its contents. The log keeps them until
    /// <see cref="ForgetDirtyPages"/>.
    /// </summary>
    public void TakeDirtyPages(ulong regionAddress, Span<ulong> bitmap)
    {
        var log = _dirtyPages[RegionIndex(regionAddress)];
        if (bitmap.Length < log.Length)
        {
            throw new ArgumentException($"a bitmap of {bitmap.Length} words cannot hold the {log.Length} words of the region's log", nameof(bitmap));
        }
        log.CopyTo(bitmap);
        bitmap[log.Length..].Clear();
    }

    /// <summary>Forgets the pages set in <paramref name="bitmap"/> for the region at <paramref name="regionAddress"/>:
    /// only later writes log them again.</summary>
    public void ForgetDirtyPages(ulong regionAddress, ReadOnlySpan<ulong> bitmap)
    {
        var log = _dirtyPages[RegionIndex(regionAddress)];
        for (int i = 0; i < log.Length && i < bitmap.Length; i++)
        {
            log[i] &= ~bitmap[i];
        }
        DirtyPagesForgotten?.Invoke();
    }

    /// <summary>
    /// Makes every RAM page read as zero: only the pages written since the last clear (by the CPU
    /// or through spans) are zeroed, a few pages instead of all of RAM when recycling a component's
    /// machine. Decoded code there is dropped, the pages are logged as written, and the CPU's write
    /// translations are dropped so its next write to any page is seen again. Writes through the raw
    /// pointers of <see cref="RamRegions"/> are not seen, and not cleared.
    /// </summary>
    public void Clear()
    {
        for (int region = 0; region < _regions.Length; region++)
        {
            var written = _writtenPages[region];
            for (int word = 0; word < written.Length; word++)
            {
                for (ulong bits = written[word]; bits != 0; bits &= bits - 1)
                {
                    ulong page = (ulong)(word * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits));
                    NativeMemory.Clear((byte*)_regions[region].Host + (long)(page * PageSize), PageSize);
                    _dirtyPages[region][word] |= 1UL << (int)(page % 64);
                    if (_codePages[region][page])
                    {
                        InvalidateCodePage(region, page);
                    }
                }
                written[word] = 0;
            }
        }
        DirtyPagesForgotten?.Invoke();
    }

    private int RegionIndex(ulong regionAddress)
    {
        for (int i = 0; i < _regions.Length; i++)
        {
            if (_regions[i].GuestAddress == regionAddress)
            {
                return i;
            }
        }
        throw new ArgumentException($"no RAM region starts at 0x{regionAddress:x}", nameof(regionAddress));
    }

    /// <summary>Tells the engine the host (a device, the firmware loader) wrote guest RAM in this
    /// range, so decoded code there is dropped and the pages are logged as written. Spans from
    /// <see cref="TryGetSpan"/> do this already.</summary>
    public void NotifyWritten(ulong address, ulong length)
    {
        if (length == 0)
        {
            return;
        }
        ulong first = address & ~(ulong)(PageSize - 1);
        ulong last = (address + length - 1) & ~(ulong)(PageSize - 1);
        for (ulong page = first; ; page += PageSize)
        {
            if (HostPage(page, out int region, out ulong index) != null)
            {
                MarkDirty(region, index);
                if (_codePages[region][index])
                {
                    InvalidateCodePage(region, index);
                }
            }
            if (page >= last)
            {
                break;
            }
        }
    }

    public bool TryGetSpan(ulong address, int length, out Span<byte> span)
    {
        foreach (var r in _regions)
        {
            if (length >= 0 && address >= r.GuestAddress && (ulong)length <= r.Size && address - r.GuestAddress <= r.Size - (ulong)length)
            {
                NotifyWritten(address, (ulong)length);
                span = new Span<byte>((byte*)r.Host + (long)(address - r.GuestAddress), length);
                return true;
            }
        }
        span = default;
        return false;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (nint block in _ownedAllocations)
        {
            NativeMemory.AlignedFree((void*)block);
        }
    }
}
