namespace Turnstone.Acpi.Tables;

/// <summary>
/// The Firmware ACPI Control Structure (ACPI 6.3, 5.2.10): 64 bytes, 64-byte aligned, no
/// checksum. We have no sleep states to wake from, so the waking vectors stay 0; the table
/// exists because a machine that is not hardware-reduced is expected to have one, and it holds
/// the Global Lock, which Linux's ACPICA dereferences if AML ever acquires _GL.
/// </summary>
public static class Facs
{
    public const int Length = 64, Alignment = 64;

    public static byte[] Build() =>
        new TableWriter()
            .Ascii("FACS", 4)
            .U32(Length)
            .U32(0) // hardware signature: the configuration never changes across a sleep we do not offer
            .U32(0) // firmware waking vector
            .U32(0) // global lock: free
            .U32(0) // flags: no S4BIOS, no 64-bit wake
            .U64(0) // X firmware waking vector
            .U8(2) // version
            .U8(0).U8(0).U8(0)
            .U32(0) // OSPM flags
            .Raw(new byte[24])
            .ToArray();
}
