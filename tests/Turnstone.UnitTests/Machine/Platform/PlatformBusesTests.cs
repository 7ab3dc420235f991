using Turnstone.Devices.Pci;
using Turnstone.Machine.Platform;
using Turnstone.UnitTests.Pci;

namespace Turnstone.UnitTests.Machine.Platform;

public sealed class PlatformBusesTests
{
    private readonly PcPlatform _pc = PcPlatform.Lay(diskCount: 1);
    private readonly Dictionary<uint, RecordingInterruptLine> _lines = [];
    private readonly PlatformBuses _buses;

    public PlatformBusesTests() => _buses = new PlatformBuses(_pc.Builder, gsi => _lines[gsi] = new RecordingInterruptLine());

    [Fact]
    public void A_device_goes_on_every_range_of_its_record_on_both_buses()
    {
        var timer = _buses.Attach(_pc.BootTimer, new RecordingBusDevice());

        Assert.True(_buses.Ports.TryResolve(0x440, out var onPorts, out _));
        Assert.True(_buses.Mmio.TryResolve(0xFEB0_0000, out var onMmio, out _));
        Assert.Same(timer, onPorts);
        Assert.Same(timer, onMmio);
        Assert.False(_buses.Ports.TryResolve(0x441, out _, out _));
    }

    [Fact]
    public void A_device_gets_the_line_of_the_IRQ_its_record_names()
    {
        var uart = _buses.AttachWithIrq(_pc.Com1, line => new RecordingBusDevice(line));

        Assert.Same(_lines[4], uart.Line);
        Assert.Equal([4u], _lines.Keys);
        Assert.True(_buses.Ports.TryResolve(0x3FF, out var found, out ulong offset));
        Assert.Same(uart, found);
        Assert.Equal(7ul, offset);
    }

    [Fact]
    public void Attaching_other_than_the_record_says_is_refused()
    {
        // COM1 raises an IRQ that ACPI names, so it cannot go on the bus without its line...
        Assert.Throws<InvalidOperationException>(() => _buses.Attach(_pc.Com1, new RecordingBusDevice()));
        // ...and a device with no IRQ in its record gets none.
        Assert.Throws<InvalidOperationException>(() => _buses.AttachWithIrq(_pc.BootTimer, line => new RecordingBusDevice(line)));
        // An equal copy is not the record the tables were built from.
        Assert.Throws<InvalidOperationException>(() => _buses.Attach(_pc.PostCodePort with { }, new RecordingBusDevice()));
        _buses.Attach(_pc.PostCodePort, new RecordingBusDevice());
        Assert.Throws<InvalidOperationException>(() => _buses.Attach(_pc.PostCodePort, new RecordingBusDevice()));
    }

    [Fact]
    public void A_missing_device_or_PCI_function_is_named()
    {
        _buses.AttachWithIrq(_pc.Com1, line => new RecordingBusDevice(line));
        _buses.Pci.Attach(_pc.HostBridge, new PciHostBridge());

        var error = Assert.Throws<InvalidOperationException>(_buses.EnsureEveryDeviceAttached);

        Assert.Contains("i8042", error.Message);
        Assert.Contains("boot timer", error.Message);
        Assert.Contains("PCI 00:01.0", error.Message);
        Assert.Contains("PCI 00:02.0", error.Message);
        Assert.DoesNotContain("COM1", error.Message);
        Assert.DoesNotContain("00:00.0", error.Message);
    }

    [Fact]
    public void A_PCI_function_whose_pin_the_slot_does_not_route_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => _buses.Pci.Attach(_pc.HostBridge, new TestEndpoint(new RecordingMsiSink())));
        Assert.Throws<InvalidOperationException>(() => _buses.Pci.Attach(_pc.Disks[0], new PciHostBridge()));
        Assert.Empty(_lines);
    }
}
