using Turnstone.Devices.Bus;
using Turnstone.Devices.Legacy;

namespace Turnstone.UnitTests.Devices;

/// <summary>
/// The POST port as the guest reaches it, through the port bus: a code written to port 0x80 is
/// kept (the last one wins, since Linux also writes the port for I/O delays), reads give it back,
/// and the neighbouring ports are not its business.
/// </summary>
public sealed class PostCodePortTests
{
    private readonly DeviceBus _ports = new();
    private readonly PostCodePort _port = new();

    public PostCodePortTests() => _ports.Register(PostCodePort.Port, 1, _port);

    private byte[] ReadPort(ushort port, int size)
    {
        var data = Enumerable.Repeat((byte)0xAA, size).ToArray();
        _ports.Read(port, data);
        return data;
    }

    [Fact]
    public void A_write_to_port_0x80_is_kept_and_read_back()
    {
        _ports.Write(0x80, [0x12]);

        Assert.Equal(0x12, _port.LastCode);
        Assert.Equal(new byte[] { 0x12 }, ReadPort(0x80, 1));
    }

    [Fact]
    public void Each_write_replaces_the_last_code()
    {
        // Firmware progress codes, then Linux's I/O delay writes (outb %al, $0x80).
        foreach (byte code in new byte[] { 0x10, 0x2B, 0x00, 0xFF, 0x34 })
        {
            _ports.Write(0x80, [code]);
        }

        Assert.Equal(0x34, _port.LastCode);
        Assert.Equal(new byte[] { 0x34 }, ReadPort(0x80, 1));
    }

    [Fact]
    public void A_wider_access_keeps_the_low_byte_and_reads_back_zero_extended()
    {
        _ports.Write(0x80, [0x5A, 0xC3]);

        Assert.Equal(0x5A, _port.LastCode);
        Assert.Equal(new byte[] { 0x5A, 0 }, ReadPort(0x80, 2));
        Assert.Equal(new byte[] { 0x5A, 0, 0, 0 }, ReadPort(0x80, 4));
    }

    [Fact]
    public void Writes_to_the_neighbouring_ports_do_not_reach_it()
    {
        _ports.Write(0x80, [0x42]);
        _ports.Write(0x7F, [0x01]);
        _ports.Write(0x81, [0x02]);

        Assert.Equal(0x42, _port.LastCode);
        Assert.Equal(new byte[] { 0xFF }, ReadPort(0x81, 1)); // nothing there: the bus floats high
    }

    [Fact]
    public void Before_any_write_it_reads_zero()
    {
        Assert.Equal(new byte[] { 0 }, ReadPort(0x80, 1));
    }
}
