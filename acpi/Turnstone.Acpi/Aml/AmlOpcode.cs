namespace Turnstone.Acpi.Aml;

/// <summary>The AML opcodes and name-string prefixes we emit (ACPI 6.3, 20.2).</summary>
internal static class AmlOpcode
{
    public const byte Zero = 0x00, One = 0x01, Ones = 0xFF;
    public const byte Name = 0x08;
    public const byte BytePrefix = 0x0A, WordPrefix = 0x0B, DWordPrefix = 0x0C, StringPrefix = 0x0D, QWordPrefix = 0x0E;
    public const byte Scope = 0x10, Buffer = 0x11, Package = 0x12, VarPackage = 0x13, Method = 0x14;
    public const byte Return = 0xA4;
    public const byte ExtendedPrefix = 0x5B, DeviceSuffix = 0x82;

    public const byte NullName = 0x00, DualNamePrefix = 0x2E, MultiNamePrefix = 0x2F, RootChar = 0x5C, ParentPrefixChar = 0x5E;
}
