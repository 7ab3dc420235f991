using Turnstone.Acpi.Aml;
using Turnstone.Acpi.Tables;
using Turnstone.PciRoot;

namespace Turnstone.Acpi.Description;

public sealed partial record MachineDescription
{
    /// <summary>
    /// Rejects descriptions no table could encode faithfully (ids that do not fit their fields,
    /// windows that wrap or leave their address space), so a mistake in the machine shows up as
    /// an exception at build time rather than as a guest that silently ignores a table.
    /// </summary>
    internal void Validate()
    {
        if (VcpuCount is < 1 or > 255)
        {
            throw Invalid($"VcpuCount {VcpuCount}: the MADT describes 1 to 255 processors with 8-bit APIC ids");
        }
        ArgumentNullException.ThrowIfNull(IoApic);
        ArgumentNullException.ThrowIfNull(Pci);
        ArgumentNullException.ThrowIfNull(SystemBusDevices);
        ArgumentNullException.ThrowIfNull(PowerManagement);
        ArgumentNullException.ThrowIfNull(InterruptSourceOverrides);

        foreach (var group in InterruptSourceOverrides.GroupBy(o => o.IsaIrq))
        {
            if (group.Key > 15 || group.Count() > 1)
            {
                throw Invalid($"interrupt source override for ISA IRQ {group.Key}: IRQs are 0-15, one override each");
            }
        }
        if (PowerManagement.SciIrq > 15 || PowerManagement.SoftOffSleepType > 7)
        {
            throw Invalid("the SCI must be an ISA IRQ and SLP_TYP is a 3-bit field");
        }
        ValidatePci(Pci);
        ValidateSystemBusDevices(SystemBusDevices);
    }

    private static void ValidateSystemBusDevices(IReadOnlyList<SystemBusDeviceDescription> devices)
    {
        var names = new HashSet<NameSeg> { Dsdt.PciRootName, Dsdt.PowerButtonName };
        foreach (var device in devices)
        {
            ArgumentNullException.ThrowIfNull(device);
            NameSeg name;
            try
            {
                name = new NameSeg(device.Name);
                EisaId.Compress(device.HardwareId);
            }
            catch (ArgumentException e)
            {
                throw Invalid($"device {device.Name}: {e.Message}");
            }
            if (!names.Add(name))
            {
                throw Invalid($"device name {name} is used twice in \\_SB (PCI0 and PWRB are the DSDT's own)");
            }
            ArgumentNullException.ThrowIfNull(device.IoPorts);
            ArgumentNullException.ThrowIfNull(device.Memory);
            foreach (var ports in device.IoPorts)
            {
                RequireWithin(ports, ushort.MaxValue, $"{name} I/O range");
                if (ports.Size > byte.MaxValue)
                {
                    throw Invalid($"{name} I/O range of 0x{ports.Size:X} ports: an IO() descriptor holds at most 255");
                }
            }
            foreach (var memory in device.Memory)
            {
                RequireWithin(memory, uint.MaxValue, $"{name} memory range");
            }
            if (device.Irq > 15)
            {
                throw Invalid($"{name} IRQ {device.Irq} is not an ISA IRQ");
            }
        }
    }

    private static void ValidatePci(PciRootDescription pci)
    {
        if (pci.StartBus > pci.EndBus)
        {
            throw Invalid($"PCI bus range {pci.StartBus}-{pci.EndBus} is empty");
        }
        if (pci.EcamBase % PciRootDescription.EcamBytesPerBus != 0 || pci.EcamWindow.Last < pci.EcamWindow.Base)
        {
            throw Invalid($"ECAM base 0x{pci.EcamBase:X} must be 1 MiB aligned and its buses must fit in 64 bits");
        }
        RequireWithin(pci.ConfigurationPorts, ushort.MaxValue, "PCI configuration ports");
        if (pci.ConfigurationPorts.Size > byte.MaxValue)
        {
            throw Invalid($"PCI configuration ports: 0x{pci.ConfigurationPorts.Size:X} ports do not fit an IO() descriptor");
        }
        ArgumentNullException.ThrowIfNull(pci.IoWindows);
        foreach (var window in pci.IoWindows)
        {
            RequireWithin(window, ushort.MaxValue, "PCI I/O window");
            if (window.Base <= pci.ConfigurationPorts.Last && pci.ConfigurationPorts.Base <= window.Last)
            {
                throw Invalid($"PCI I/O window 0x{window.Base:X}-0x{window.Last:X} forwards the configuration ports the root bridge keeps");
            }
        }
        RequireWithin(pci.Mmio32Window, uint.MaxValue, "32-bit PCI MMIO window");
        if (pci.Mmio64Window is { } high)
        {
            RequireWithin(high, ulong.MaxValue, "64-bit PCI MMIO window");
        }
        ArgumentNullException.ThrowIfNull(pci.InterruptRoutes);
        foreach (var route in pci.InterruptRoutes)
        {
            if (route.Device > 31 || route.Pin is < PciInterruptPin.IntA or > PciInterruptPin.IntD)
            {
                throw Invalid($"PCI interrupt route {route}: devices are 0-31, pins INTA-INTD");
            }
        }
        if (pci.InterruptRoutes.DistinctBy(r => (r.Device, r.Pin)).Count() != pci.InterruptRoutes.Count)
        {
            throw Invalid("a PCI device's pin is routed twice");
        }
    }

    private static void RequireWithin(AddressWindow window, ulong limit, string what)
    {
        if (window.Size == 0 || window.Last < window.Base || window.Last > limit)
        {
            throw Invalid($"{what} 0x{window.Base:X} (+0x{window.Size:X}) is empty or leaves its address space");
        }
    }

    private static ArgumentException Invalid(string message) => new($"machine description: {message}");
}
