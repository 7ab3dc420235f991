namespace Turnstone.Acpi.Aml;

/// <summary>
/// PkgLength (ACPI 6.3, 20.2.4), the only place it is encoded. The encoded value counts the
/// PkgLength bytes themselves, so the form is chosen from the content length plus its own size:
/// one byte holds up to 63 (six bits), otherwise the lead byte's low nibble and 1-3 following
/// bytes hold 12, 20 or 28 bits, with the count of following bytes in the lead byte's top two bits.
/// </summary>
internal static class PackageLength
{
    public const int Maximum = (1 << 28) - 1;

    /// <summary>PkgLength bytes for a package whose content (everything after the PkgLength) is <paramref name="contentLength"/> bytes.</summary>
    public static byte[] Encode(int contentLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        if (contentLength + 1 <= 0x3F)
        {
            return [(byte)(contentLength + 1)];
        }
        for (int following = 1; following <= 3; following++)
        {
            int total = contentLength + 1 + following;
            if (total < 1 << (4 + 8 * following))
            {
                var encoded = new byte[1 + following];
                encoded[0] = (byte)((following << 6) | (total & 0x0F));
                for (int i = 1; i <= following; i++)
                {
                    encoded[i] = (byte)(total >> (4 + 8 * (i - 1)));
                }
                return encoded;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(contentLength), contentLength,
            $"an AML package holds at most {Maximum} bytes including its PkgLength");
    }
}
