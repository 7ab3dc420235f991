using System.Buffers.Binary;
using System.Text;
using Turnstone.Machine.Terminal;

namespace Turnstone.UnitTests.Machine.Terminal;

public sealed class TerminfoEntryTests
{
    /// <summary>A compiled entry in the layout of term(5): header, names, booleans, numbers, string offsets, string table.</summary>
    private static byte[] Entry(short magic, string names, int booleans, int numbers, IReadOnlyList<string?> strings)
    {
        int numberSize = magic == 0x21E ? 4 : 2;
        var table = new MemoryStream();
        var offsets = new List<short>();
        foreach (string? s in strings)
        {
            offsets.Add(s is null ? (short)-1 : (short)table.Length);
            if (s is not null)
            {
                table.Write([.. Encoding.Latin1.GetBytes(s), 0]);
            }
        }
        var entry = new MemoryStream();
        void Short(int value)
        {
            Span<byte> bytes = stackalloc byte[2];
            BinaryPrimitives.WriteInt16LittleEndian(bytes, (short)value);
            entry.Write(bytes);
        }
        Short(magic);
        Short(names.Length + 1);
        Short(booleans);
        Short(numbers);
        Short(strings.Count);
        Short((int)table.Length);
        entry.Write([.. Encoding.ASCII.GetBytes(names), 0]);
        entry.Write(new byte[booleans]);
        if (entry.Length % 2 == 1)
        {
            entry.WriteByte(0);
        }
        entry.Write(new byte[numbers * numberSize]);
        offsets.ForEach(offset => Short(offset));
        table.WriteTo(entry);
        return entry.ToArray();
    }

    private static string?[] KeypadStrings(string? local, string? transmit)
    {
        var strings = new string?[TerminfoEntry.KeypadTransmit + 3];
        strings[0] = "\u0007"; // bell
        strings[TerminfoEntry.KeypadLocal] = local;
        strings[TerminfoEntry.KeypadTransmit] = transmit;
        return strings;
    }

    [Theory]
    [InlineData((short)0x11A, "xterm|test terminal", 38, 15)] // legacy format; names and booleans end on an odd byte (padding)
    [InlineData((short)0x21E, "xterm-direct|32-bit numbers", 40, 16)]
    public void ReadsTheKeypadStringsFromBothFormats(short magic, string names, int booleans, int numbers)
    {
        byte[] entry = Entry(magic, names, booleans, numbers, KeypadStrings("\u001b[?1l\u001b>", "\u001b[?1h\u001b="));

        Assert.Equal("\u001b[?1l\u001b>", TerminfoEntry.ReadString(entry, TerminfoEntry.KeypadLocal));
        Assert.Equal("\u001b[?1h\u001b=", TerminfoEntry.ReadString(entry, TerminfoEntry.KeypadTransmit));
        Assert.Equal("\u0007", TerminfoEntry.ReadString(entry, 0));
    }

    [Fact]
    public void AbsentOrOutOfRangeCapabilitiesAndMalformedEntriesReadAsNull()
    {
        byte[] entry = Entry(0x11A, "linux", 3, 2, KeypadStrings(null, null));

        Assert.Null(TerminfoEntry.ReadString(entry, TerminfoEntry.KeypadLocal));
        Assert.Null(TerminfoEntry.ReadString(entry, TerminfoEntry.KeypadTransmit + 5));
        Assert.Null(TerminfoEntry.ReadString(entry, -1));
        Assert.Null(TerminfoEntry.ReadString(entry.AsSpan(0, 8), 0));
        Assert.Null(TerminfoEntry.ReadString(entry.AsSpan(0, entry.Length - 1), 0)); // the string table cut short
        byte[] wrongMagic = (byte[])entry.Clone();
        wrongMagic[0] = 0x42;
        Assert.Null(TerminfoEntry.ReadString(wrongMagic, 0));
    }

    [Fact]
    public void UnknownOrUnsafeTerminalNamesFindNoEntry()
    {
        Assert.Null(TerminfoEntry.Find(null));
        Assert.Null(TerminfoEntry.Find(""));
        Assert.Null(TerminfoEntry.Find("../../etc/passwd"));
        Assert.Null(TerminfoEntry.Find("no-such-terminal-turnstone"));
        Assert.Null(TerminalKeypadMode.LeaveSequence("no-such-terminal-turnstone"));
    }

    [Fact]
    public void TheInstalledXtermEntryLeavesKeypadTransmitModeAsXtermDoes()
    {
        if (TerminfoEntry.Find("xterm") is not { } entry)
        {
            return; // no terminfo database on this host: .NET's console writes no keypad string either
        }
        Assert.Equal("\u001b[?1h\u001b=", TerminfoEntry.ReadString(entry, TerminfoEntry.KeypadTransmit));
        Assert.Equal("\u001b[?1l\u001b>", TerminalKeypadMode.LeaveSequence("xterm"));
    }
}
