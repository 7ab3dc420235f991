using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// PCI segment 0 on the machine's buses, placed by its <see cref="PciRootLayout"/>: configuration
/// through ECAM and the 0xCF8/0xCFC ports, each function in its recorded slot with INTA on its
/// recorded GSI (what the _PRT says), and its BARs placed like firmware would (so the guest
/// finds them assigned) and mapped on the MMIO or port bus wherever the guest moves them while
/// the function decodes them.
/// </summary>
internal sealed class PciPlatform
{
    private readonly DeviceBus _mmio, _ports;
    private readonly Func<uint, IInterruptLine> _interruptLines;
    private readonly TextWriter? _log;
    private readonly PciResourceAllocator _allocator;

    public PciPlatform(PciRootLayout root, DeviceBus mmio, DeviceBus ports, Func<uint, IInterruptLine> interruptLines, TextWriter? log)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.ConfigurationPorts.Size != PciConfigPorts.PortCount)
        {
            throw new ArgumentException($"configuration mechanism #1 is {PciConfigPorts.PortCount} ports, not {root.ConfigurationPorts.Size}", nameof(root));
        }
        _mmio = mmio;
        _ports = ports;
        _interruptLines = interruptLines;
        _log = log;
        _allocator = new PciResourceAllocator(
            new AddressWindow(root.Mmio32Window.Base, root.Mmio32Window.Size),
            AddressWindow.None,
            new AddressWindow(root.IoBarWindow.Base, root.IoBarWindow.Size));
        mmio.Register(root.Ecam.Base, root.Ecam.Size, new PciEcam(Segment));
        ports.Register(root.ConfigurationPorts.Base, root.ConfigurationPorts.Size, new PciConfigPorts(Segment));
    }

    public PciSegment Segment { get; } = new();

    /// <summary>
    /// Puts <paramref name="device"/> in <paramref name="slot"/> with its BARs assigned and its INTA
    /// on the slot's recorded GSI. A function whose pin is not what the record routes (INTA, or
    /// none) is refused: the _PRT would send its interrupt somewhere else.
    /// </summary>
    public void Attach(PciFunctionSlot slot, PciDevice device)
    {
        ArgumentNullException.ThrowIfNull(slot);
        ArgumentNullException.ThrowIfNull(device);
        var expectedPin = slot.IntaGsi is null ? PciInterruptPin.None : PciInterruptPin.IntA;
        if (device.Config.InterruptPin != expectedPin)
        {
            throw new InvalidOperationException($"PCI {slot.Address}: the function's pin is {device.Config.InterruptPin}, but the slot routes {expectedPin}");
        }
        var windows = new PciBarWindow?[PciConfigSpace.BarCount];
        foreach (var bar in device.Config.BarMappings)
        {
            windows[bar.Index] = new PciBarWindow(device, bar.Index);
        }
        device.Config.BarMappingChanged += change => Remap(windows[change.Index]!, change);
        _allocator.AssignBars(device.Config);
        Segment.Attach(slot.Address, device);
        if (slot.IntaGsi is { } gsi)
        {
            device.ConnectInterrupt(_interruptLines(gsi));
        }
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
