namespace Turnstone.GuestMemory;

/// <summary>
/// Guest-physical memory as devices, firmware and the engine see it: bounds-checked spans over
/// RAM. Every address that comes from the guest goes through <see cref="TryGetSpan"/> or
/// <see cref="GetSpan"/> before the host touches the bytes.
/// </summary>
public interface IGuestMemory
{
    /// <summary>The RAM regions, sorted by guest-physical address, never overlapping.</summary>
    IReadOnlyList<GuestMemoryRegion> Regions { get; }

    /// <summary>A writable view of [address, address+length), or false when any byte of it is not RAM
    /// or the range crosses from one region into another.</summary>
    bool TryGetSpan(ulong address, int length, out Span<byte> span);
}

/// <summary>One contiguous range of guest RAM.</summary>
public readonly record struct GuestMemoryRegion(ulong GuestAddress, ulong Size)
{
    public ulong End => GuestAddress + Size;

    public bool Contains(ulong address, ulong length) =>
        address >= GuestAddress && length <= Size && address - GuestAddress <= Size - length;
}
