using Turnstone.Devices.Legacy;

namespace Turnstone.UnitTests.Devices;

public sealed class PostCodePortTests
{
    [Fact]
    public void Remembers_the_last_code_written()
    {
        var port = new PostCodePort();
        byte[] data = [0xAA, 0xAA];

        port.Write(0, [0x12]);
        port.Write(0, [0x34]);
        port.Read(0, data);

        Assert.Equal(0x34, port.LastCode);
        Assert.Equal(new byte[] { 0x34, 0 }, data);
        Assert.Equal(0x80, PostCodePort.Port);
    }

    [Fact]
    public void Starts_at_zero()
    {
        Assert.Equal(0, new PostCodePort().LastCode);
    }
}
