namespace Turnstone.Acpi.Aml;

/// <summary>
/// ASL's EISAID(): a seven-character PNP id ("PNP0A08") compressed to 32 bits. The three letters
/// take five bits each (letter - 0x40) in the first two bytes, the four hex digits fill the last
/// two, and the result is stored as a little-endian DWord, so "PNP0A08" becomes bytes 41 D0 0A 08.
/// </summary>
public static class EisaId
{
    public static uint Compress(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length != 7 || !id[..3].All(c => c is >= 'A' and <= 'Z') || !id[3..].All(char.IsAsciiHexDigitUpper))
        {
            throw new ArgumentException($"'{id}' is not an EISA id: three letters A-Z, then four upper-case hex digits", nameof(id));
        }
        int l1 = id[0] - 0x40, l2 = id[1] - 0x40, l3 = id[2] - 0x40;
        uint product = Convert.ToUInt32(id[3..], 16);
        byte b0 = (byte)((l1 << 2) | (l2 >> 3));
        byte b1 = (byte)(((l2 & 0x07) << 5) | l3);
        byte b2 = (byte)(product >> 8), b3 = (byte)product;
        return (uint)(b0 | (b1 << 8) | (b2 << 16) | (b3 << 24));
    }

    /// <summary>The compressed id as an AML integer (a DWord, since the first byte is never 0).</summary>
    public static AmlInteger ToAml(string id) => new(Compress(id));
}
