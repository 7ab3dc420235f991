using Turnstone.Firmware.Bios.Keyboard;

namespace Turnstone.UnitTests.Firmware.Bios.Keyboard;

public sealed class TerminalKeyDecoderTests
{
    private static ushort[] Decode(string typed)
    {
        var console = new FakeBiosConsole();
        console.Type(typed);
        var decoder = new TerminalKeyDecoder();
        var keys = new List<ushort>();
        while (decoder.TryReadKey(console, out ushort key))
        {
            keys.Add(key);
        }
        return [.. keys];
    }

    [Theory]
    [InlineData("\r", 0x1C0D)] // Enter from a raw terminal
    [InlineData("\n", 0x1C0D)] // Enter from a line-buffered pipe
    [InlineData("\x7f", 0x0E08)] // Backspace as terminals send it
    [InlineData("\b", 0x0E08)]
    [InlineData("\t", 0x0F09)]
    [InlineData("a", 0x1E61)]
    [InlineData("A", 0x1E41)]
    [InlineData("z", 0x2C7A)]
    [InlineData("q", 0x1071)]
    [InlineData("1", 0x0231)]
    [InlineData("!", 0x0221)]
    [InlineData("0", 0x0B30)]
    [InlineData(" ", 0x3920)]
    [InlineData("-", 0x0C2D)]
    [InlineData("/", 0x352F)]
    [InlineData("?", 0x353F)]
    [InlineData("~", 0x297E)]
    [InlineData("|", 0x2B7C)]
    [InlineData("\x01", 0x1E01)] // Ctrl-A
    [InlineData("\x18", 0x2D18)] // Ctrl-X (GRUB's boot key)
    [InlineData("\x03", 0x2E03)] // Ctrl-C
    [InlineData("\x1b", 0x011B)] // a lone Esc: nothing follows
    [InlineData("\x1b[A", 0x48E0)]
    [InlineData("\x1b[B", 0x50E0)]
    [InlineData("\x1b[C", 0x4DE0)]
    [InlineData("\x1b[D", 0x4BE0)]
    [InlineData("\x1bOA", 0x48E0)] // application cursor mode
    [InlineData("\x1b[H", 0x47E0)]
    [InlineData("\x1b[F", 0x4FE0)]
    [InlineData("\x1b[1~", 0x47E0)]
    [InlineData("\x1b[4~", 0x4FE0)]
    [InlineData("\x1b[2~", 0x52E0)]
    [InlineData("\x1b[3~", 0x53E0)]
    [InlineData("\x1b[5~", 0x49E0)]
    [InlineData("\x1b[6~", 0x51E0)]
    [InlineData("\x1bOP", 0x3B00)] // F1 (xterm)
    [InlineData("\x1bOS", 0x3E00)] // F4
    [InlineData("\x1b[11~", 0x3B00)] // F1 (rxvt/vt220)
    [InlineData("\x1b[15~", 0x3F00)] // F5
    [InlineData("\x1b[17~", 0x4000)] // F6
    [InlineData("\x1b[21~", 0x4400)] // F10
    [InlineData("\x1b[23~", 0x8500)] // F11
    [InlineData("\x1b[24~", 0x8600)] // F12
    [InlineData("\x1b[[A", 0x3B00)] // F1 (Linux console)
    [InlineData("\x1b[[E", 0x3F00)] // F5 (Linux console)
    [InlineData("\x1b[1;5A", 0x48E0)] // Ctrl-Up: the modifier is dropped
    [InlineData("\x1b[Z", 0x0F00)] // Shift-Tab
    public void Bytes_and_escape_sequences_become_pc_keys(string typed, int key)
    {
        Assert.Equal([(ushort)key], Decode(typed));
    }

    [Fact]
    public void Sequences_and_plain_keys_mix()
    {
        Assert.Equal([0x1E61, 0x50E0, 0x50E0, 0x1C0D], Decode("a\x1b[B\x1b[B\r"));
    }

    [Fact]
    public void Esc_followed_by_an_ordinary_key_is_esc_then_that_key()
    {
        Assert.Equal([0x011B, 0x1E61], Decode("\x1b" + "a"));
        Assert.Equal([0x011B, 0x011B], Decode("\x1b\x1b"));
    }

    [Fact]
    public void An_unfinished_or_unknown_sequence_is_esc_then_its_bytes()
    {
        Assert.Equal([0x011B, 0x1A5B], Decode("\x1b["));
        Assert.Equal([0x011B, 0x1A5B, 0x0231], Decode("\x1b[1"));
        Assert.Equal([0x011B, 0x1A5B, 0x0A39, 0x0A39, 0x297E], Decode("\x1b[99~"));
        Assert.Equal([0x011B, 0x184F, 0x2D78], Decode("\x1bOx"));
    }

    [Fact]
    public void A_sequence_split_across_polls_is_finished_by_whatever_is_pending_then()
    {
        var console = new FakeBiosConsole();
        var decoder = new TerminalKeyDecoder();
        console.Type("\x1b[A\x1b");
        Assert.True(decoder.TryReadKey(console, out ushort first));
        Assert.Equal(0x48E0, first);
        Assert.True(decoder.TryReadKey(console, out ushort second));
        Assert.Equal(0x011B, second); // nothing followed the second ESC: the Esc key
        Assert.False(decoder.TryReadKey(console, out _));
    }

    [Fact]
    public void Bytes_above_7Fh_have_scan_code_zero()
    {
        Assert.Equal([0x00E9], Decode("\u00e9"));
    }

    [Fact]
    public void Function_keys_outside_1_to_12_do_not_exist()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyCodes.Function(13));
    }
}
