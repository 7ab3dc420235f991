namespace Turnstone.Acpi.Aml.Resources;

/// <summary>
/// The Word/DWord/QWord Address Space Descriptors (ACPI 6.3, 6.4.3.5): resource type, general
/// flags, type-specific flags, then granularity, minimum, maximum, translation offset and length
/// in the descriptor's width. A root bridge's windows are producers (general flags bit 0 clear,
/// which Linux turns into IORESOURCE_WINDOW); a consumer sets bit 0. Minimum and maximum are
/// always fixed here (bits 2 and 3), so the length is Maximum - Minimum + 1: iasl checks exactly
/// that. No resource source is emitted.
/// </summary>
public sealed record AddressSpaceDescriptor : IResourceDescriptor
{
    public AddressSpaceDescriptor(AddressWidth width, AddressSpaceType type, bool producer, byte typeSpecificFlags, ulong minimum, ulong maximum)
    {
        if (!Enum.IsDefined(width))
        {
            throw new ArgumentOutOfRangeException(nameof(width));
        }
        ulong limit = width == AddressWidth.QWord ? ulong.MaxValue : (1UL << (8 * (int)width)) - 1;
        if (minimum > maximum || maximum > limit)
        {
            throw new ArgumentOutOfRangeException(nameof(maximum),
                $"range 0x{minimum:X}-0x{maximum:X} is empty or does not fit a {width} address space descriptor");
        }
        ulong length = maximum - minimum + 1; // wraps to 0 for the whole 64-bit space
        if (length == 0 || length > limit)
        {
            throw new ArgumentOutOfRangeException(nameof(maximum),
                $"range 0x{minimum:X}-0x{maximum:X}: its length does not fit the {width} descriptor's length field");
        }
        Width = width;
        Type = type;
        Producer = producer;
        TypeSpecificFlags = typeSpecificFlags;
        Minimum = minimum;
        Maximum = maximum;
    }

    public AddressWidth Width { get; }

    public AddressSpaceType Type { get; }

    public bool Producer { get; }

    public byte TypeSpecificFlags { get; }

    public ulong Minimum { get; }

    public ulong Maximum { get; }

    public ulong Length => Maximum - Minimum + 1;

    public static AddressSpaceDescriptor WordBusNumber(ushort minimum, ushort maximum, bool producer = true) =>
        new(AddressWidth.Word, AddressSpaceType.BusNumber, producer, 0, minimum, maximum);

    public static AddressSpaceDescriptor WordIo(ushort minimum, ushort maximum, IoRange range = IoRange.EntireRange, bool producer = true) =>
        Io(AddressWidth.Word, minimum, maximum, range, producer);

    public static AddressSpaceDescriptor DWordIo(uint minimum, uint maximum, IoRange range = IoRange.EntireRange, bool producer = true) =>
        Io(AddressWidth.DWord, minimum, maximum, range, producer);

    public static AddressSpaceDescriptor QWordIo(ulong minimum, ulong maximum, IoRange range = IoRange.EntireRange, bool producer = true) =>
        Io(AddressWidth.QWord, minimum, maximum, range, producer);

    public static AddressSpaceDescriptor DWordMemory(uint minimum, uint maximum, MemoryCaching caching = MemoryCaching.NonCacheable, bool writable = true, bool producer = true) =>
        Memory(AddressWidth.DWord, minimum, maximum, caching, writable, producer);

    public static AddressSpaceDescriptor QWordMemory(ulong minimum, ulong maximum, MemoryCaching caching = MemoryCaching.NonCacheable, bool writable = true, bool producer = true) =>
        Memory(AddressWidth.QWord, minimum, maximum, caching, writable, producer);

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int size = (int)Width;
        writer.WriteByte(Width switch { AddressWidth.Word => 0x88, AddressWidth.DWord => 0x87, _ => 0x8A });
        writer.WriteUInt16((ushort)(3 + 5 * size));
        writer.WriteByte((byte)Type);
        const int minimumFixed = 0x04, maximumFixed = 0x08;
        writer.WriteByte((byte)(minimumFixed | maximumFixed | (Producer ? 0 : 0x01)));
        writer.WriteByte(TypeSpecificFlags);
        foreach (ulong field in (ReadOnlySpan<ulong>)[0 /* granularity */, Minimum, Maximum, 0 /* translation */, Length])
        {
            WriteField(writer, field, size);
        }
    }

    private static AddressSpaceDescriptor Io(AddressWidth width, ulong minimum, ulong maximum, IoRange range, bool producer) =>
        new(width, AddressSpaceType.Io, producer, (byte)range, minimum, maximum);

    private static AddressSpaceDescriptor Memory(AddressWidth width, ulong minimum, ulong maximum, MemoryCaching caching, bool writable, bool producer) =>
        new(width, AddressSpaceType.Memory, producer, (byte)((writable ? 1 : 0) | ((int)caching << 1)), minimum, maximum);

    private static void WriteField(AmlWriter writer, ulong value, int size)
    {
        switch (size)
        {
            case 2:
                writer.WriteUInt16((ushort)value);
                break;
            case 4:
                writer.WriteUInt32((uint)value);
                break;
            default:
                writer.WriteUInt64(value);
                break;
        }
    }
}
