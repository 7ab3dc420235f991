using Turnstone.HostIo;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// Guest RAM backed by anonymous MAP_NORESERVE mappings: pages cost host memory only once the guest
/// touches them (the lazily populated EPT of the seed). This is the one fenced place where guest
/// memory becomes a span; every access is checked against the mapped regions.
/// </summary>
public sealed unsafe class MappedGuestMemory : IHostMappedGuestMemory, IDisposable
{
    private readonly List<(GuestMemoryRegion Region, nint Host)> _mappings = [];
    // Built when the regions change, never per call: device models ask for the regions once per
    // descriptor (IsRam), so a fresh array here would be garbage on every request.
    private GuestMemoryRegion[] _regions = [];
    private bool _disposed;

    public IReadOnlyList<GuestMemoryRegion> Regions => _regions;

    internal IEnumerable<(GuestMemoryRegion Region, nint Host)> Mappings => _mappings;

    /// <summary>2 MiB: the size of a transparent huge page on x86-64.</summary>
    public const ulong HugePageSize = 2 << 20;

    /// <summary>Maps a new region of RAM at a guest-physical address.</summary>
    /// <param name="hugePages">
    /// Back the region with transparent huge pages where the host allows them (MADV_HUGEPAGE, as
    /// QEMU does for guest RAM). The mapping is placed at a 2 MiB-aligned host address so that host
    /// and guest-physical addresses agree modulo 2 MiB and KVM can map whole huge pages. Pays off
    /// for a large, long-lived guest: fewer TLB misses, and a host kernel pinning a guest buffer for
    /// direct I/O handles one huge page instead of 512 small ones (about 4x the sequential O_DIRECT
    /// throughput here). Left off for small VMs that are created often or track dirty pages, where
    /// faulting and zeroing 2 MiB at a time would cost more than it saves.
    /// </param>
    public void AddRegion(ulong guestAddress, ulong size, bool hugePages = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (size == 0 || size % 4096 != 0 || guestAddress % 4096 != 0)
        {
            throw new ArgumentException($"guest RAM region 0x{guestAddress:x}+0x{size:x} must be non-empty and page aligned");
        }
        var region = new GuestMemoryRegion(guestAddress, size);
        if (_mappings.Any(m => region.GuestAddress < m.Region.End && m.Region.GuestAddress < region.End))
        {
            throw new ArgumentException($"guest RAM region 0x{guestAddress:x}+0x{size:x} overlaps another");
        }
        nint host = hugePages ? MapForHugePages(guestAddress, size) : Map(size);
        _mappings.Add((region, host));
        _mappings.Sort((a, b) => a.Region.GuestAddress.CompareTo(b.Region.GuestAddress));
        _regions = _mappings.Select(m => m.Region).ToArray();
    }

    public bool TryGetSpan(ulong address, int length, out Span<byte> span)
    {
        if (!_disposed && length >= 0)
        {
            foreach (var (region, host) in _mappings)
            {
                if (region.Contains(address, (ulong)length))
                {
                    span = new Span<byte>((byte*)host + (address - region.GuestAddress), length);
                    return true;
                }
            }
        }
        span = default;
        return false;
    }

    /// <summary>
    /// The host virtual address of guest RAM [<paramref name="guestAddress"/>,
    /// <paramref name="guestAddress"/> + <paramref name="length"/>) when the whole range lies in one
    /// mapped region, for handing guest buffers to the kernel (io_uring reads and writes them
    /// directly, with no copy through a span). False otherwise, and after <see cref="Dispose"/>.
    /// The address stays valid only until this memory is disposed: callers must finish their I/O
    /// on it first, or the kernel would write into whatever is mapped there next.
    /// </summary>
    public bool TryGetHostAddress(ulong guestAddress, ulong length, out nuint hostAddress)
    {
        if (!_disposed)
        {
            foreach (var (region, host) in _mappings)
            {
                if (region.Contains(guestAddress, length))
                {
                    hostAddress = (nuint)host + (nuint)(guestAddress - region.GuestAddress);
                    return true;
                }
            }
        }
        hostAddress = 0;
        return false;
    }

    private static nint Map(ulong size)
    {
        nint host = Libc.Mmap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        if (host == Libc.MAP_FAILED)
        {
            throw KvmException.FromErrno($"mmap of {size >> 20} MiB guest RAM");
        }
        return host;
    }

    /// <summary>
    /// Maps 2 MiB more than asked, keeps the part whose host address is congruent to
    /// <paramref name="guestAddress"/> modulo 2 MiB, returns the rest, and asks for huge pages.
    /// A host without transparent huge pages (or with them "never") refuses the advice; the region
    /// then simply has small pages.
    /// </summary>
    private static nint MapForHugePages(ulong guestAddress, ulong size)
    {
        nint raw = Map(size + HugePageSize);
        ulong wanted = guestAddress % HugePageSize;
        ulong lead = (wanted - (ulong)raw % HugePageSize) % HugePageSize;
        nint host = raw + (nint)lead;
        if (lead > 0)
        {
            Libc.Munmap(raw, (nuint)lead);
        }
        ulong tail = HugePageSize - lead;
        if (tail > 0)
        {
            Libc.Munmap(host + (nint)size, (nuint)tail);
        }
        _ = Libc.Madvise(host, (nuint)size, Libc.MADV_HUGEPAGE);
        return host;
    }

    /// <summary>
    /// Gives every page back to the host (MADV_DONTNEED): the guest then reads zeros everywhere,
    /// as in a freshly mapped region. KVM drops its mappings of the pages through its MMU notifier.
    /// </summary>
    public void Discard()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var (region, host) in _mappings)
        {
            if (Libc.Madvise(host, (nuint)region.Size, Libc.MADV_DONTNEED) != 0)
            {
                throw KvmException.FromErrno("madvise(MADV_DONTNEED) of guest RAM");
            }
        }
    }

    /// <summary>
    /// Resident memory of this process that is not guest RAM (the monitor's own footprint), from
    /// /proc/self/smaps: every mapping's Rss, minus the mappings that back guest RAM.
    /// </summary>
    public long MonitorResidentBytes()
    {
        var guestStarts = _mappings.Select(m => (ulong)m.Host).ToHashSet();
        return ProcessMappings.Parse(File.ReadLines("/proc/self/smaps"))
            .Where(mapping => !guestStarts.Contains(mapping.Start))
            .Sum(mapping => mapping.ResidentBytes);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var (region, host) in _mappings)
        {
            Libc.Munmap(host, (nuint)region.Size);
        }
        _mappings.Clear();
        _regions = [];
    }
}
