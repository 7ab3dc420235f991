using Turnstone.Devices.Bus;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// The running machine's port and MMIO buses and its PCI segment, filled from a
/// <see cref="PlatformBuilder"/>'s records: a device instance goes on exactly the ranges its
/// record names and gets the interrupt line of exactly the IRQ its record names, the ranges and
/// IRQ the ACPI tables were built from. <see cref="EnsureEveryDeviceAttached"/> then checks that
/// nothing the tables describe is missing.
/// </summary>
internal sealed class PlatformBuses
{
    private readonly PlatformBuilder _layout;
    private readonly Func<uint, IInterruptLine> _interruptLines;
    private readonly HashSet<PlatformDevice> _attached = new(ReferenceEqualityComparer.Instance);

    /// <param name="layout">The records the ACPI tables came from.</param>
    /// <param name="interruptLines">The line for a GSI: KVM's in-kernel PIC and I/O APIC in a VM, a fake in tests.</param>
    /// <param name="log">Where the PCI segment reports BARs the guest put where they cannot be decoded.</param>
    public PlatformBuses(PlatformBuilder layout, Func<uint, IInterruptLine> interruptLines, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(interruptLines);
        _layout = layout;
        _interruptLines = interruptLines;
        Pci = new PciPlatform(layout.PciRoot, Mmio, Ports, interruptLines, log);
    }

    public DeviceBus Ports { get; } = new();

    public DeviceBus Mmio { get; } = new();

    public PciPlatform Pci { get; }

    /// <summary>Puts <paramref name="device"/>, which raises no interrupt, where <paramref name="record"/> says.</summary>
    public T Attach<T>(PlatformDevice record, T device) where T : IBusDevice
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Irq is { } irq)
        {
            throw new InvalidOperationException($"{record.Name} raises IRQ {irq}, which ACPI names: attach it with AttachWithIrq so it gets that line");
        }
        Register(record, device);
        return device;
    }

    /// <summary>Creates the device with the interrupt line of its record's IRQ, then puts it where the record says.</summary>
    public T AttachWithIrq<T>(PlatformDevice record, Func<IInterruptLine, T> create) where T : IBusDevice
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(create);
        byte irq = record.Irq ?? throw new InvalidOperationException($"{record.Name} has no IRQ in its record");
        // An ISA IRQ arrives on the GSI of the same number: the builder allows no override that moves one.
        var device = create(_interruptLines(irq));
        Register(record, device);
        return device;
    }

    /// <summary>Throws naming every recorded device and PCI function that has no instance: the guest's tables say they are there.</summary>
    public void EnsureEveryDeviceAttached()
    {
        var missing = _layout.Devices.Where(d => !_attached.Contains(d)).Select(d => d.Name)
            .Concat(_layout.PciFunctions.Where(f => !Pci.Segment.TryGetFunction(f.Address, out _)).Select(f => $"PCI {f.Address}"))
            .ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"described in ACPI but not attached: {string.Join(", ", missing)}");
        }
    }

    private void Register(PlatformDevice record, IBusDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!_layout.Devices.Contains(record, ReferenceEqualityComparer.Instance))
        {
            throw new InvalidOperationException($"{record.Name} is not in the machine's layout, so ACPI does not describe it");
        }
        if (!_attached.Add(record))
        {
            throw new InvalidOperationException($"{record.Name} is attached already");
        }
        RegisterWindows(Ports, record.Ports, device);
        RegisterWindows(Mmio, record.Mmio, device);
    }

    /// <summary>The device sees offsets from its first window on the bus, also in later windows.</summary>
    private static void RegisterWindows(DeviceBus bus, IReadOnlyList<AddressWindow> windows, IBusDevice device)
    {
        foreach (var window in windows)
        {
            ulong offset = window.Base - windows[0].Base;
            bus.Register(window.Base, window.Size, offset == 0 ? device : new BusDeviceWindow(device, offset));
        }
    }
}
