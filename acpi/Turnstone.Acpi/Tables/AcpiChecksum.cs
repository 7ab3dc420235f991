namespace Turnstone.Acpi.Tables;

/// <summary>ACPI checksums: the byte that makes a range sum to 0 modulo 256.</summary>
public static class AcpiChecksum
{
    public static byte Sum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }
        return sum;
    }

    /// <summary>Sets <paramref name="bytes"/>[<paramref name="checksumOffset"/>] so the whole span sums to 0.</summary>
    public static void Seal(Span<byte> bytes, int checksumOffset)
    {
        bytes[checksumOffset] = 0;
        bytes[checksumOffset] = (byte)(0 - Sum(bytes));
    }
}
