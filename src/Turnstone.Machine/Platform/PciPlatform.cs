using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// PCI segment 0 on the machine's buses: the host bridge at 00:00.0, configuration through ECAM
/// and ports 0xCF8/0xCFC, and each function's BARs placed like firmware would (so the guest
/// finds them assigned) and mapped on the MMIO or port bus wherever the guest moves them while
/// the function decodes them.
/// </summary>
internal sealed class PciPlatform
{
    private readonly DeviceBus _mmio, _ports;
    private readonly TextWriter? _log;
    private readonly PciResourceAllocator _allocator = new(
        new AddressWindow(PlatformLayout.PciMmio32Base, PlatformLayout.PciMmio32Size),
        AddressWindow.None,
        // I/O BARs get the top quarter of the port space; no device here has one yet.
        new AddressWindow(0xC000, 0x4000));

    public PciPlatform(DeviceBus mmio, DeviceBus ports, TextWriter? log)
    {
        _mmio = mmio;
        _ports = ports;
        _log = log;
        Segment.Attach(PciHostBridge.Address, new PciHostBridge());
        mmio.Register(PlatformLayout.EcamWindow.Base, PlatformLayout.EcamWindow.Size, new PciEcam(Segment));
        ports.Register(PciConfigPorts.BasePort, PciConfigPorts.PortCount, new PciConfigPorts(Segment));
    }

    public PciSegment Segment { get; } = new();

    /// <summary>
    /// Puts <paramref name="device"/> at 00:<paramref name="slot"/>.0 with its BARs assigned and its
    /// INTA on <paramref name="intx"/> (the GSI the _PRT names for the slot).
    /// </summary>
    public void Attach(int slot, PciDevice device, IInterruptLine intx)
    {
        var windows = new PciBarWindow?[PciConfigSpace.BarCount];
        foreach (var bar in device.Config.BarMappings)
        {
            windows[bar.Index] = new PciBarWindow(device, bar.Index);
        }
        device.Config.BarMappingChanged += change => Remap(windows[change.Index]!, change);
        _allocator.AssignBars(device.Config);
        Segment.Attach(new PciAddress(PciSegment.RootBus, (byte)slot, 0), device);
        device.ConnectInterrupt(intx);
    }

    /// <summary>Whether the host bridge forwards <paramref name="bar"/>'s range (it lies in a window of its kind).</summary>
    public bool Routes(PciBarMapping bar) => _allocator.Routes(bar);

    /// <summary>
    /// Follows a BAR the guest moved, enabled or disabled. A BAR placed outside the bridge's
    /// windows, or over another device, is not decoded (as on real hardware, the bridge does not
    /// forward it): logged, never fatal, since the address is the guest's choice.
    /// </summary>
    private void Remap(PciBarWindow window, PciBarMappingChange change)
    {
        var bus = change.Current.Kind == PciBarKind.Io ? _ports : _mmio;
        if (change.Previous.Enabled)
        {
            bus.Unregister(change.Previous.Address, window);
        }
        if (!change.Current.Enabled)
        {
            return;
        }
        if (!Routes(change.Current))
        {
            _log?.WriteLine($"[turnstone] PCI: BAR{change.Index} at 0x{change.Current.Address:x} is outside the host bridge's windows; not decoded");
            return;
        }
        try
        {
            bus.Register(change.Current.Address, change.Current.Size, window);
        }
        catch (ArgumentException e)
        {
            _log?.WriteLine($"[turnstone] PCI: BAR{change.Index} not decoded: {e.Message}");
        }
    }
}
