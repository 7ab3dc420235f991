namespace Turnstone.Firmware.Bios;

/// <summary>Packed BCD, as the RTC functions of INT 1Ah pass times and dates.</summary>
public static class Bcd
{
    public static byte Encode(int value) =>
        value is >= 0 and <= 99 ? (byte)(((value / 10) << 4) | (value % 10)) : throw new ArgumentOutOfRangeException(nameof(value));

    /// <summary>The value of <paramref name="bcd"/>, or false when a nibble is above 9.</summary>
    public static bool TryDecode(byte bcd, out int value)
    {
        int high = bcd >> 4, low = bcd & 0x0F;
        value = (high * 10) + low;
        return high <= 9 && low <= 9;
    }
}
