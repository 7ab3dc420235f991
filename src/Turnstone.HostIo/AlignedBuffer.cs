namespace Turnstone.HostIo;

/// <summary>A pinned (never moving) managed buffer whose usable part starts on an alignment
/// boundary, so O_DIRECT may use it. Pinned arrays live on the pinned object heap: no unsafe code
/// and no native memory to free.</summary>
internal sealed class AlignedBuffer
{
    private readonly byte[] _array;
    private readonly int _start;

    public AlignedBuffer(int size, int alignment)
    {
        _array = GC.AllocateArray<byte>(size + alignment, pinned: true);
        nuint misalignment = DirectIO.AddressOf(_array) % (nuint)alignment;
        _start = misalignment == 0 ? 0 : alignment - (int)misalignment;
        Length = size;
    }

    public int Length { get; }

    public Span<byte> Span => _array.AsSpan(_start, Length);
}
