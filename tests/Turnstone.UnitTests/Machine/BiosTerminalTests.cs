using Turnstone.Machine.Bios;

namespace Turnstone.UnitTests.Machine;

/// <summary>Who gets the keys during a BIOS boot: INT 16h until an OS console is up, then the guest, unread keys first.</summary>
public sealed class BiosTerminalTests
{
    private readonly List<byte> _printed = [];
    private readonly List<byte> _guest = [];
    private bool _osConsoleUp;

    private Func<ReadOnlyMemory<byte>, int> Keyboard(BiosTerminal terminal) =>
        terminal.Keyboard(bytes =>
        {
            _guest.AddRange(bytes.ToArray());
            return bytes.Length;
        }, () => _osConsoleUp);

    [Fact]
    public void Keys_wait_for_int_16h_while_the_bios_owns_the_keyboard_and_output_reaches_the_terminal()
    {
        var terminal = new BiosTerminal(text => _printed.AddRange(text.ToArray()));
        var keyboard = Keyboard(terminal);

        Assert.Equal(2, keyboard("ab"u8.ToArray()));
        terminal.Write("ok"u8);

        Assert.True(terminal.HasInput);
        Assert.True(terminal.TryReadByte(out byte first));
        Assert.Equal((byte)'a', first);
        Assert.Empty(_guest);
        Assert.Equal("ok"u8.ToArray(), _printed);
    }

    [Fact]
    public void Once_an_os_console_is_up_keys_go_to_the_guest_starting_with_those_int_16h_never_read()
    {
        var terminal = new BiosTerminal(text => _printed.AddRange(text.ToArray()));
        var keyboard = Keyboard(terminal);
        terminal.NoteFirmwareCall();
        keyboard("xy"u8.ToArray());

        _osConsoleUp = true;
        Assert.Equal(1, keyboard("z"u8.ToArray()));

        Assert.Equal("xyz"u8.ToArray(), _guest);
        Assert.False(terminal.HasInput);
    }

    [Fact]
    public void The_bios_holds_at_most_its_capacity_and_the_pump_waits_for_the_rest()
    {
        var terminal = new BiosTerminal(text => _printed.AddRange(text.ToArray()));
        var keyboard = Keyboard(terminal);

        int taken = keyboard(new byte[BiosTerminal.InputCapacity + 10]);

        Assert.Equal(BiosTerminal.InputCapacity, taken);
        Assert.True(terminal.CallsRecently); // no call yet: POST still owns the keyboard
    }
}
