using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// Guest RAM backed by anonymous MAP_NORESERVE mappings: pages cost host memory only once the guest
/// touches them (the lazily populated EPT of the seed). This is the one fenced place where guest
/// memory becomes a span; every access is checked against the mapped regions.
/// </summary>
public sealed unsafe class MappedGuestMemory : IGuestMemory, IDisposable
{
    private readonly List<(GuestMemoryRegion Region, nint Host)> _mappings = [];
    private bool _disposed;

    public IReadOnlyList<GuestMemoryRegion> Regions => _mappings.Select(m => m.Region).ToArray();

    internal IEnumerable<(GuestMemoryRegion Region, nint Host)> Mappings => _mappings;

    /// <summary>Maps a new region of RAM at a guest-physical address.</summary>
    public void AddRegion(ulong guestAddress, ulong size)
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
        nint host = Libc.Mmap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        if (host == Libc.MAP_FAILED)
        {
            throw KvmException.FromErrno($"mmap of {size >> 20} MiB guest RAM");
        }
        _mappings.Add((region, host));
        _mappings.Sort((a, b) => a.Region.GuestAddress.CompareTo(b.Region.GuestAddress));
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
        long total = 0;
        bool countingGuest = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            if (dash > 0 && dash <= 16 && ulong.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out ulong start))
            {
                countingGuest = guestStarts.Contains(start);
            }
            else if (!countingGuest && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                total += long.Parse(line.AsSpan(4).Trim().ToString().Split(' ')[0]) * 1024;
            }
        }
        return total;
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
    }
}
