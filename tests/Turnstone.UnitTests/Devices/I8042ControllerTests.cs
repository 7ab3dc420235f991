using Turnstone.Devices.Bus;
using Turnstone.Devices.Legacy;

namespace Turnstone.UnitTests.Devices;

public sealed class I8042ControllerTests
{
    private const ulong DataPort = 0, CommandPort = 4;
    private const byte OutputBufferFull = 0x01;

    private sealed class Machine : IMachineControl
    {
        public List<string> Resets { get; } = [];

        public void RequestReset(string source) => Resets.Add(source);

        public void RequestPowerOff(string source) => throw new InvalidOperationException("the i8042 never powers off");
    }

    private readonly Machine _machine = new();
    private readonly I8042Controller _controller;

    public I8042ControllerTests() => _controller = new I8042Controller(_machine);

    private byte Read(ulong port)
    {
        Span<byte> data = stackalloc byte[1];
        _controller.Read(port, data);
        return data[0];
    }

    private void Write(ulong port, byte value) => _controller.Write(port, [value]);

    [Fact]
    public void Command_0xFE_pulses_the_reset_line()
    {
        Write(CommandPort, 0xFE);

        var source = Assert.Single(_machine.Resets);
        Assert.Contains("0xFE", source);
    }

    [Fact]
    public void Writing_the_output_port_with_bit0_clear_resets()
    {
        Write(CommandPort, 0xD1);
        Assert.Empty(_machine.Resets);

        Write(DataPort, 0xFE);

        var source = Assert.Single(_machine.Resets);
        Assert.Contains("output port", source);
    }

    [Fact]
    public void Writing_the_output_port_with_bit0_set_does_not_reset()
    {
        Write(CommandPort, 0xD1);
        Write(DataPort, 0xDF);

        Assert.Empty(_machine.Resets);
    }

    [Fact]
    public void A_data_byte_without_a_pending_command_never_resets()
    {
        Write(DataPort, 0x00);

        Assert.Empty(_machine.Resets);
        Assert.Equal(0xFE, Read(DataPort)); // no keyboard: resend/NAK
    }

    [Fact]
    public void Self_test_answers_0x55_with_the_output_buffer_full()
    {
        Assert.Equal(0, Read(CommandPort) & OutputBufferFull);

        Write(CommandPort, 0xAA);

        Assert.Equal(OutputBufferFull, Read(CommandPort) & OutputBufferFull);
        Assert.Equal(0x55, Read(DataPort));
        Assert.Equal(0, Read(CommandPort) & OutputBufferFull);
    }

    [Theory]
    [InlineData(0xA9)]
    [InlineData(0xAB)]
    public void Interface_tests_pass(byte command)
    {
        Write(CommandPort, command);

        Assert.Equal(0x00, Read(DataPort));
    }

    [Fact]
    public void Command_byte_can_be_read_and_written()
    {
        Write(CommandPort, 0x20);
        Assert.Equal(0x05, Read(DataPort));

        Write(CommandPort, 0x60);
        Write(DataPort, 0x47);
        Write(CommandPort, 0x20);

        Assert.Equal(0x47, Read(DataPort));
        Assert.Empty(_machine.Resets);
    }

    [Fact]
    public void Enable_and_disable_commands_toggle_the_command_byte_bits()
    {
        Write(CommandPort, 0xA7); // disable aux
        Write(CommandPort, 0xAD); // disable keyboard
        Write(CommandPort, 0x20);
        Assert.Equal(0x35, Read(DataPort));

        Write(CommandPort, 0xA8);
        Write(CommandPort, 0xAE);
        Write(CommandPort, 0x20);
        Assert.Equal(0x05, Read(DataPort));
    }

    [Fact]
    public void Status_has_the_system_flag_and_the_command_latch()
    {
        Assert.Equal(0x04, Read(CommandPort));
        Write(CommandPort, 0xAD);
        Assert.Equal(0x0C, Read(CommandPort));
        Write(CommandPort, 0x60);
        Write(DataPort, 0x05);
        Assert.Equal(0x04, Read(CommandPort));
    }
}
