using System.Buffers.Binary;

namespace Turnstone.Acpi.Aml;

/// <summary>
/// The byte sink AML objects and resource descriptors write themselves into: little-endian
/// integers, and <see cref="WritePackage"/> for every construct that carries a PkgLength.
/// </summary>
public sealed class AmlWriter
{
    private byte[] _buffer = new byte[64];
    private int _length;

    public int Length => _length;

    public void WriteByte(byte value) => Reserve(1)[0] = value;

    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);

    public void Write(IAmlObject aml)
    {
        ArgumentNullException.ThrowIfNull(aml);
        aml.WriteTo(this);
    }

    /// <summary>
    /// Writes <paramref name="opcode"/>, then a PkgLength covering everything
    /// <paramref name="contents"/> writes. The contents go to a scratch writer first because the
    /// PkgLength's own size depends on their length.
    /// </summary>
    public void WritePackage(ReadOnlySpan<byte> opcode, Action<AmlWriter> contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        var body = new AmlWriter();
        contents(body);
        WriteBytes(opcode);
        WriteBytes(PackageLength.Encode(body.Length));
        WriteBytes(body.Written);
    }

    public byte[] ToArray() => Written.ToArray();

    internal ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
