using System.Buffers.Binary;

namespace Turnstone.GuestMemory;

/// <summary>Typed, bounds-checked accessors shared by every <see cref="IGuestMemory"/>.</summary>
public static class GuestMemoryExtensions
{
    public static Span<byte> GetSpan(this IGuestMemory memory, ulong address, int length) =>
        memory.TryGetSpan(address, length, out var span)
            ? span
            : throw new GuestMemoryAccessException(address, length);

    public static void Write(this IGuestMemory memory, ulong address, ReadOnlySpan<byte> data) =>
        data.CopyTo(memory.GetSpan(address, data.Length));

    public static void Read(this IGuestMemory memory, ulong address, Span<byte> destination) =>
        memory.GetSpan(address, destination.Length).CopyTo(destination);

    public static byte ReadByte(this IGuestMemory memory, ulong address) => memory.GetSpan(address, 1)[0];
    public static ushort ReadUInt16(this IGuestMemory memory, ulong address) => BinaryPrimitives.ReadUInt16LittleEndian(memory.GetSpan(address, 2));
    public static uint ReadUInt32(this IGuestMemory memory, ulong address) => BinaryPrimitives.ReadUInt32LittleEndian(memory.GetSpan(address, 4));
    public static ulong ReadUInt64(this IGuestMemory memory, ulong address) => BinaryPrimitives.ReadUInt64LittleEndian(memory.GetSpan(address, 8));
    public static void WriteByte(this IGuestMemory memory, ulong address, byte value) => memory.GetSpan(address, 1)[0] = value;
    public static void WriteUInt16(this IGuestMemory memory, ulong address, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(memory.GetSpan(address, 2), value);
    public static void WriteUInt32(this IGuestMemory memory, ulong address, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(address, 4), value);
    public static void WriteUInt64(this IGuestMemory memory, ulong address, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(memory.GetSpan(address, 8), value);

    /// <summary>Zero-fills a range that may be larger than one span can hold.</summary>
    public static void Clear(this IGuestMemory memory, ulong address, ulong length)
    {
        while (length > 0)
        {
            int chunk = (int)Math.Min(length, 1 << 30);
            memory.GetSpan(address, chunk).Clear();
            address += (ulong)chunk;
            length -= (ulong)chunk;
        }
    }

    /// <summary>True when [address, address+length) lies inside a single RAM region.</summary>
    /// <remarks>An index loop, not foreach: enumerating the <see cref="IReadOnlyList{T}"/> interface
    /// allocates an enumerator, and device models call this for every descriptor.</remarks>
    public static bool IsRam(this IGuestMemory memory, ulong address, ulong length)
    {
        var regions = memory.Regions;
        for (int i = 0; i < regions.Count; i++)
        {
            if (regions[i].Contains(address, length))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Total bytes of RAM.</summary>
    public static ulong TotalSize(this IGuestMemory memory)
    {
        ulong total = 0;
        foreach (var region in memory.Regions)
        {
            total += region.Size;
        }
        return total;
    }
}

/// <summary>An access outside guest RAM: a guest-supplied address or length that failed validation.</summary>
public sealed class GuestMemoryAccessException(ulong address, long length)
    : Exception($"guest-physical range 0x{address:x}+0x{length:x} is not inside guest RAM")
{
    public ulong Address { get; } = address;
    public long Length { get; } = length;
}
