namespace Turnstone.Devices.Pci;

/// <summary>What both configuration mechanisms accept from a guest.</summary>
internal static class PciConfigAccess
{
    /// <summary>
    /// A configuration request is 1, 2 or 4 bytes inside one dword (a TLP's byte enables cannot
    /// say more). Anything else is unsupported: reads answer all-ones, writes are dropped.
    /// </summary>
    public static bool IsSupported(int register, int length) =>
        length is 1 or 2 or 4 && (register & 3) + length <= 4;
}
