using Turnstone.Firmware.Bios;

namespace Turnstone.UnitTests.Firmware.Bios;

public sealed class BcdTests
{
    [Theory]
    [InlineData(0, 0x00)]
    [InlineData(9, 0x09)]
    [InlineData(10, 0x10)]
    [InlineData(59, 0x59)]
    [InlineData(99, 0x99)]
    public void Values_round_trip(int value, byte bcd)
    {
        Assert.Equal(bcd, Bcd.Encode(value));
        Assert.True(Bcd.TryDecode(bcd, out int decoded));
        Assert.Equal(value, decoded);
    }

    [Theory]
    [InlineData(0x0A)]
    [InlineData(0xA0)]
    [InlineData(0xFF)]
    public void Nibbles_above_9_are_not_bcd(byte bcd) => Assert.False(Bcd.TryDecode(bcd, out _));

    [Fact]
    public void Values_outside_two_digits_cannot_be_encoded() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Bcd.Encode(100));
}
