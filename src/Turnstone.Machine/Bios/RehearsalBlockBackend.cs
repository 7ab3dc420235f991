using Turnstone.Devices.Virtio.Block;

namespace Turnstone.Machine.Bios;

/// <summary>The disk of <see cref="BiosRehearsal"/>: a few sectors in an array, sector 0 a boot sector (55h AAh).</summary>
internal sealed class RehearsalBlockBackend : IBlockBackend
{
    private readonly byte[] _bytes = new byte[64 * 512];

    public RehearsalBlockBackend()
    {
        _bytes[510] = 0x55;
        _bytes[511] = 0xAA;
    }

    public ulong Capacity => (ulong)_bytes.Length;

    public bool IsReadOnly => false;

    public void ReadAt(ulong offset, Span<byte> destination) => _bytes.AsSpan(checked((int)offset), destination.Length).CopyTo(destination);

    public void WriteAt(ulong offset, ReadOnlySpan<byte> source) => source.CopyTo(_bytes.AsSpan(checked((int)offset)));

    public void Flush()
    {
    }

    public void Discard(ulong offset, ulong length)
    {
    }

    public void WriteZeroes(ulong offset, ulong length) => _bytes.AsSpan(checked((int)offset), checked((int)length)).Clear();
}
