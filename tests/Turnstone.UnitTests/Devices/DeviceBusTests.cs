using Turnstone.Devices.Bus;

namespace Turnstone.UnitTests.Devices;

public sealed class DeviceBusTests
{
    private sealed class RecordingDevice(byte answer) : IBusDevice
    {
        public List<(string Kind, ulong Offset, byte[] Data)> Accesses { get; } = [];

        public void Read(ulong offset, Span<byte> data)
        {
            data.Fill(answer);
            Accesses.Add(("read", offset, data.ToArray()));
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data) => Accesses.Add(("write", offset, data.ToArray()));
    }

    [Fact]
    public void Unregister_frees_only_the_named_devices_range_for_a_new_owner()
    {
        var bus = new DeviceBus();
        var bar = new RecordingDevice(1);
        var other = new RecordingDevice(2);
        bus.Register(0xC000_0000, 0x4000, bar);

        Assert.False(bus.Unregister(0xC000_0000, other));
        Assert.False(bus.Unregister(0xC000_1000, bar));
        Assert.True(bus.TryResolve(0xC000_0010, out _, out _));

        Assert.True(bus.Unregister(0xC000_0000, bar));
        Assert.False(bus.TryResolve(0xC000_0010, out _, out _));
        bus.Register(0xC000_0000, 0x1000, other);
        Assert.True(bus.TryResolve(0xC000_0010, out var device, out _));
        Assert.Same(other, device);
    }

    [Fact]
    public void Resolves_an_address_to_its_device_and_offset()
    {
        var bus = new DeviceBus();
        var uart = new RecordingDevice(1);
        var rtc = new RecordingDevice(2);
        bus.Register(0x3F8, 8, uart);
        bus.Register(0x70, 2, rtc);

        Assert.True(bus.TryResolve(0x3FD, out var device, out ulong offset));
        Assert.Same(uart, device);
        Assert.Equal(5ul, offset);
        Assert.True(bus.TryResolve(0x70, out device, out offset));
        Assert.Same(rtc, device);
        Assert.Equal(0ul, offset);
        Assert.False(bus.TryResolve(0x3F7, out _, out _));
        Assert.False(bus.TryResolve(0x400, out _, out _));
        Assert.False(bus.TryResolve(0x72, out _, out _));
    }

    [Fact]
    public void Resolves_among_many_ranges()
    {
        var bus = new DeviceBus();
        var devices = Enumerable.Range(0, 50).Select(i => new RecordingDevice((byte)i)).ToArray();
        foreach (int i in Enumerable.Range(0, 50).Reverse())
        {
            bus.Register((ulong)i * 0x100, 0x10, devices[i]);
        }

        for (int i = 0; i < 50; i++)
        {
            Assert.True(bus.TryResolve((ulong)i * 0x100 + 0xF, out var device, out ulong offset));
            Assert.Same(devices[i], device);
            Assert.Equal(0xFul, offset);
            Assert.False(bus.TryResolve((ulong)i * 0x100 + 0x10, out _, out _));
        }
    }

    [Fact]
    public void Routes_reads_and_writes_with_the_offset()
    {
        var bus = new DeviceBus();
        var device = new RecordingDevice(0x42);
        bus.Register(0xCF8, 8, device);
        Span<byte> data = stackalloc byte[4];

        bus.Write(0xCFC, [1, 2, 3, 4]);
        bus.Read(0xCFE, data[..2]);

        Assert.Equal(("write", 4ul), (device.Accesses[0].Kind, device.Accesses[0].Offset));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, device.Accesses[0].Data);
        Assert.Equal(("read", 6ul), (device.Accesses[1].Kind, device.Accesses[1].Offset));
        Assert.Equal(new byte[] { 0x42, 0x42 }, data[..2].ToArray());
    }

    [Theory]
    [InlineData(0x3F8ul, 8ul)]
    [InlineData(0x3F0ul, 9ul)]
    [InlineData(0x3FFul, 1ul)]
    [InlineData(0x3FAul, 1ul)]
    [InlineData(0x300ul, 0x200ul)]
    public void Overlapping_registration_is_rejected(ulong start, ulong length)
    {
        var bus = new DeviceBus();
        bus.Register(0x3F8, 8, new RecordingDevice(0));

        var error = Assert.Throws<ArgumentException>(() => bus.Register(start, length, new RecordingDevice(1)));

        Assert.Contains("overlaps 0x3f8+0x8 (RecordingDevice)", error.Message);
    }

    [Fact]
    public void Adjacent_ranges_are_allowed()
    {
        var bus = new DeviceBus();
        bus.Register(0x3F8, 8, new RecordingDevice(0));
        bus.Register(0x3F0, 8, new RecordingDevice(1));
        bus.Register(0x400, 8, new RecordingDevice(2));

        Assert.True(bus.TryResolve(0x3F7, out _, out ulong offset));
        Assert.Equal(7ul, offset);
    }

    [Theory]
    [InlineData(0x100ul, 0ul)]
    [InlineData(0xFFFF_FFFF_FFFF_FFF0ul, 0x20ul)]
    public void Empty_or_wrapping_ranges_are_rejected(ulong start, ulong length)
    {
        Assert.Throws<ArgumentException>(() => new DeviceBus().Register(start, length, new RecordingDevice(0)));
    }

    [Fact]
    public void Unclaimed_reads_float_high_and_are_counted()
    {
        var bus = new DeviceBus();
        bus.Register(0x60, 1, new RecordingDevice(0));
        byte[] data = [0, 0, 0, 0];

        bus.Read(0x61, data);
        bus.Read(0x80, data.AsSpan(0, 1));

        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, data);
        Assert.Equal(2, bus.UnclaimedReads);
        Assert.Equal(0, bus.UnclaimedWrites);
    }

    [Fact]
    public void Unclaimed_writes_vanish_and_are_counted()
    {
        var bus = new DeviceBus();
        var device = new RecordingDevice(0);
        bus.Register(0x60, 1, device);

        bus.Write(0x61, [1]);

        Assert.Empty(device.Accesses);
        Assert.Equal(1, bus.UnclaimedWrites);
        Assert.Equal(0, bus.UnclaimedReads);
    }
}
