namespace Turnstone.Acpi.Tables;

/// <summary>Generic Address Structure address space ids (ACPI 6.3, 5.2.3.2) that we use.</summary>
internal enum AddressSpaceId : byte
{
    SystemMemory = 0,
    SystemIo = 1,
}

/// <summary>GAS access size: 0 undefined (legacy), then byte, word, dword, qword.</summary>
internal enum AccessSize : byte
{
    Undefined = 0,
    Byte = 1,
    Word = 2,
    DWord = 3,
    QWord = 4,
}

/// <summary>The 12-byte Generic Address Structure. <see cref="None"/> (all zero) means "not present".</summary>
internal readonly record struct GenericAddress(AddressSpaceId SpaceId, byte BitWidth, byte BitOffset, AccessSize AccessSize, ulong Address)
{
    public const int Size = 12;

    public static readonly GenericAddress None = default;

    public static GenericAddress IoPort(ushort port, int byteLength, AccessSize accessSize) =>
        new(AddressSpaceId.SystemIo, (byte)(byteLength * 8), 0, accessSize, port);

    internal void WriteTo(TableWriter writer) =>
        writer.U8((byte)SpaceId).U8(BitWidth).U8(BitOffset).U8((byte)AccessSize).U64(Address);
}
