using System.Buffers.Binary;
using System.Text;

namespace Turnstone.Acpi.Tables;

/// <summary>Sequential little-endian writer for table bodies and their fixed-size subtables.</summary>
internal sealed class TableWriter
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public TableWriter U8(byte value)
    {
        _bytes.Add(value);
        return this;
    }

    public TableWriter U16(ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return Raw(bytes);
    }

    public TableWriter U32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Raw(bytes);
    }

    public TableWriter U64(ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return Raw(bytes);
    }

    /// <summary>ASCII text in a fixed-width field, padded with spaces as OEM ids conventionally are.</summary>
    public TableWriter Ascii(string text, int width)
    {
        if (text.Length > width || text.Any(c => c is < ' ' or > '~'))
        {
            throw new ArgumentException($"'{text}' does not fit a {width}-character ASCII field", nameof(text));
        }
        foreach (byte b in Encoding.ASCII.GetBytes(text.PadRight(width)))
        {
            _bytes.Add(b);
        }
        return this;
    }

    public TableWriter Raw(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            _bytes.Add(b);
        }
        return this;
    }

    public byte[] ToArray() => [.. _bytes];
}
