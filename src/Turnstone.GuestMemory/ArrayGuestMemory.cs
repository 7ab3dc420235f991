namespace Turnstone.GuestMemory;

/// <summary>
/// Guest memory held in managed arrays: the in-memory fake that device, firmware and emulator
/// tests run against, with the same bounds checks as the KVM-backed memory.
/// </summary>
public sealed class ArrayGuestMemory : IGuestMemory
{
    private readonly (GuestMemoryRegion Region, byte[] Bytes)[] _regions;

    public ArrayGuestMemory(params GuestMemoryRegion[] regions)
    {
        var sorted = regions.OrderBy(r => r.GuestAddress).ToArray();
        for (int i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].GuestAddress < sorted[i - 1].End)
            {
                throw new ArgumentException("guest memory regions overlap", nameof(regions));
            }
        }
        _regions = sorted.Select(r => (r, new byte[checked((int)r.Size)])).ToArray();
        Regions = sorted;
    }

    public ArrayGuestMemory(ulong size) : this(new GuestMemoryRegion(0, size)) { }

    public IReadOnlyList<GuestMemoryRegion> Regions { get; }

    public bool TryGetSpan(ulong address, int length, out Span<byte> span)
    {
        foreach (var (region, bytes) in _regions)
        {
            if (length >= 0 && region.Contains(address, (ulong)length))
            {
                span = bytes.AsSpan((int)(address - region.GuestAddress), length);
                return true;
            }
        }
        span = default;
        return false;
    }
}
