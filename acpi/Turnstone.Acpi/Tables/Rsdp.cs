namespace Turnstone.Acpi.Tables;

/// <summary>
/// The Root System Description Pointer, revision 2 (ACPI 6.3, 5.2.5.3): 36 bytes, not a table
/// with a standard header. The first 20 bytes (the ACPI 1.0 structure) carry their own checksum,
/// and the extended checksum covers all 36. Only the XSDT is given; RsdtAddress stays 0 because
/// every OS that reads a revision-2 RSDP uses the XSDT (Linux does unless told acpi=rsdt).
/// </summary>
public static class Rsdp
{
    public const int Length = 36, Revision1Length = 20;
    public const int ChecksumOffset = 8, ExtendedChecksumOffset = 32;

    public static byte[] Build(ulong xsdtAddress)
    {
        var rsdp = new TableWriter()
            .Ascii("RSD PTR ", 8)
            .U8(0) // checksum of the first 20 bytes
            .Ascii(SystemDescriptionTable.OemId, 6)
            .U8(2) // revision: ACPI 2.0 and later
            .U32(0) // RsdtAddress: no RSDT
            .U32(Length)
            .U64(xsdtAddress)
            .U8(0) // extended checksum
            .U8(0).U8(0).U8(0)
            .ToArray();
        AcpiChecksum.Seal(rsdp.AsSpan(0, Revision1Length), ChecksumOffset);
        AcpiChecksum.Seal(rsdp, ExtendedChecksumOffset);
        return rsdp;
    }
}
