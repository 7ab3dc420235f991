using System.Buffers.Binary;
using System.Text;

namespace Turnstone.Machine.Terminal;

/// <summary>
/// A compiled terminfo entry (term(5)): the string capabilities the monitor needs, looked up where
/// ncurses and .NET's console look for the entry of $TERM.
/// </summary>
internal static class TerminfoEntry
{
    /// <summary>Index of keypad_local (rmkx) among the string capabilities: leave keypad transmit mode.</summary>
    public const int KeypadLocal = 88;

    /// <summary>Index of keypad_xmit (smkx): enter keypad transmit mode (application cursor keys).</summary>
    public const int KeypadTransmit = 89;

    private const short LegacyMagic = 0x11A, ExtendedNumbersMagic = 0x21E;

    /// <summary>The compiled entry for <paramref name="terminal"/> (a $TERM value), or null when none is installed.</summary>
    public static byte[]? Find(string? terminal)
    {
        if (string.IsNullOrEmpty(terminal) || terminal.Contains('/') || terminal.StartsWith('.'))
        {
            return null;
        }
        string? home = Environment.GetEnvironmentVariable("HOME");
        var directories = new List<string?> { Environment.GetEnvironmentVariable("TERMINFO"), home is null ? null : Path.Combine(home, ".terminfo") };
        directories.AddRange((Environment.GetEnvironmentVariable("TERMINFO_DIRS") ?? "").Split(':'));
        directories.AddRange(["/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo", "/usr/share/misc/terminfo", "/usr/lib/terminfo"]);
        foreach (string? directory in directories)
        {
            if (string.IsNullOrEmpty(directory))
            {
                continue;
            }
            string path = Path.Combine(directory, terminal[..1], terminal);
            try
            {
                if (File.Exists(path))
                {
                    return File.ReadAllBytes(path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return null;
    }

    /// <summary>String capability <paramref name="index"/> of a compiled entry; null when the entry lacks it or is malformed.</summary>
    public static string? ReadString(ReadOnlySpan<byte> entry, int index)
    {
        const int HeaderSize = 12;
        if (entry.Length < HeaderSize)
        {
            return null;
        }
        int numberSize = BinaryPrimitives.ReadInt16LittleEndian(entry) switch
        {
            LegacyMagic => 2,
            ExtendedNumbersMagic => 4,
            _ => 0,
        };
        int namesSize = BinaryPrimitives.ReadInt16LittleEndian(entry[2..]), booleans = BinaryPrimitives.ReadInt16LittleEndian(entry[4..]);
        int numbers = BinaryPrimitives.ReadInt16LittleEndian(entry[6..]), strings = BinaryPrimitives.ReadInt16LittleEndian(entry[8..]);
        int tableSize = BinaryPrimitives.ReadInt16LittleEndian(entry[10..]);
        if (numberSize == 0 || namesSize < 0 || booleans < 0 || numbers < 0 || strings < 0 || tableSize < 0 || index < 0 || index >= strings)
        {
            return null;
        }
        int offsets = HeaderSize + namesSize + booleans;
        offsets += offsets & 1; // the numbers start on an even byte
        offsets += numbers * numberSize;
        int table = offsets + strings * 2;
        if (table + tableSize > entry.Length)
        {
            return null;
        }
        int start = BinaryPrimitives.ReadInt16LittleEndian(entry[(offsets + index * 2)..]);
        if (start < 0 || start >= tableSize)
        {
            return null; // -1: absent, -2: cancelled
        }
        var text = entry.Slice(table + start, tableSize - start);
        int end = text.IndexOf((byte)0);
        return end < 0 ? null : Encoding.Latin1.GetString(text[..end]);
    }
}
