namespace Turnstone.Firmware.Bios.Keyboard;

/// <summary>
/// Scan code/ASCII pairs (scan code in the high byte) as a US 101-key PC keyboard produces them
/// through INT 16h, after SeaBIOS's scan_to_keycode table. Keys of the grey cluster (arrows,
/// Home, End, ...) carry E0h in the low byte; INT 16h 00h/01h turn that into 00h for old callers.
/// </summary>
public static class KeyCodes
{
    public const ushort Escape = 0x011B, Enter = 0x1C0D, Backspace = 0x0E08, Tab = 0x0F09, ShiftTab = 0x0F00;
    public const ushort Up = 0x48E0, Down = 0x50E0, Left = 0x4BE0, Right = 0x4DE0;
    public const ushort Home = 0x47E0, End = 0x4FE0, PageUp = 0x49E0, PageDown = 0x51E0, Insert = 0x52E0, Delete = 0x53E0;

    /// <summary>F1..F12: F1-F10 are scan codes 3Bh-44h, F11/F12 85h/86h, all with ASCII 0.</summary>
    public static ushort Function(int number) => number switch
    {
        >= 1 and <= 10 => (ushort)((0x3A + number) << 8),
        11 => 0x8500,
        12 => 0x8600,
        _ => throw new ArgumentOutOfRangeException(nameof(number)),
    };

    private static readonly ushort[] AsciiKeys = BuildAsciiTable();

    /// <summary>The key a terminal byte stands for: printable characters with their key's scan code
    /// (shifted or not), control bytes as Ctrl+key, DEL and BS as Backspace, CR and LF as Enter (a
    /// raw terminal sends CR, a line-buffered pipe LF). Bytes above 7Fh come with scan code 0, as
    /// Alt+keypad entry gives them.</summary>
    public static ushort FromAscii(byte value) => value < AsciiKeys.Length ? AsciiKeys[value] : value;

    private static ushort[] BuildAsciiTable()
    {
        var table = new ushort[128];
        void Row(byte firstScan, string unshifted, string shifted)
        {
            for (int i = 0; i < unshifted.Length; i++)
            {
                int scan = firstScan + i;
                if (unshifted[i] != ' ')
                {
                    table[unshifted[i]] = (ushort)((scan << 8) | unshifted[i]);
                }
                if (shifted[i] != ' ')
                {
                    table[shifted[i]] = (ushort)((scan << 8) | shifted[i]);
                }
            }
        }
        Row(0x02, "1234567890-=", "!@#$%^&*()_+");
        Row(0x10, "qwertyuiop[]", "QWERTYUIOP{}");
        Row(0x1E, "asdfghjkl;'`", "ASDFGHJKL:\"~");
        Row(0x2B, "\\zxcvbnm,./", "|ZXCVBNM<>?");
        table[' '] = 0x3920;
        // Ctrl+letter: the letter's scan code with ASCII 01h-1Ah.
        for (char letter = 'a'; letter <= 'z'; letter++)
        {
            table[letter - 'a' + 1] = (ushort)(table[letter] & 0xFF00 | (letter - 'a' + 1));
        }
        table[0x00] = 0x0300; // Ctrl+2 (Ctrl+@)
        table[0x1B] = Escape;
        table[0x1C] = 0x2B1C; // Ctrl+backslash
        table[0x1D] = 0x1B1D; // Ctrl+]
        table[0x1E] = 0x071E; // Ctrl+6 (Ctrl+^)
        table[0x1F] = 0x0C1F; // Ctrl+- (Ctrl+_)
        table[0x08] = Backspace;
        table[0x7F] = Backspace;
        table[0x09] = Tab;
        table[0x0D] = Enter;
        table[0x0A] = Enter;
        return table;
    }
}
