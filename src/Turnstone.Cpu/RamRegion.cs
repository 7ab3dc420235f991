namespace Turnstone.Cpu;

/// <summary>
/// Guest RAM at [<see cref="GuestAddress"/>, +<see cref="Size"/>) backed by host memory at
/// <see cref="Host"/>. Both the address and the size are multiples of 4 KiB, so one guest page
/// never straddles two host blocks.
/// </summary>
public readonly record struct RamRegion(ulong GuestAddress, ulong Size, nint Host)
{
    public ulong End => GuestAddress + Size;
}
