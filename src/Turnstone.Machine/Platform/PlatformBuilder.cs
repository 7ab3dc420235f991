using Turnstone.Acpi.Description;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// The machine's layout, stated once: each fixed-address device with its bus ranges, IRQ and ACPI
/// role (<see cref="PlatformDevice"/>), the PCI root complex, and each PCI function's slot and INTA
/// route. <see cref="Describe"/> derives the ACPI description (DSDT devices, _PRT, FADT flags and
/// fixed hardware, MADT overrides) from these records, and <see cref="PlatformBuses"/> places the
/// device instances by the same records, so the tables and the buses cannot drift apart.
/// Conflicts (overlapping ranges, an IRQ claimed twice, a slot used twice) are refused as they are
/// added, before any VM exists.
/// </summary>
internal sealed class PlatformBuilder
{
    private const ulong PortSpace = 0x1_0000;
    private const byte IsaIrqCount = 16;

    private readonly List<PlatformDevice> _devices = [];
    private readonly List<PciFunctionSlot> _pciFunctions = [];
    private bool _described;

    public PlatformBuilder(PciRootLayout pciRoot, IoApicDescription ioApic)
    {
        ArgumentNullException.ThrowIfNull(pciRoot);
        ArgumentNullException.ThrowIfNull(ioApic);
        PciRoot = pciRoot;
        IoApic = ioApic;
    }

    public PciRootLayout PciRoot { get; }

    /// <summary>KVM's in-kernel I/O APIC: the guest finds it through the MADT, and KVM, not our buses, decodes it.</summary>
    public IoApicDescription IoApic { get; }

    public IReadOnlyList<PlatformDevice> Devices => _devices;

    public IReadOnlyList<PciFunctionSlot> PciFunctions => _pciFunctions;

    public PlatformDevice Add(PlatformDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        ThrowIfDescribed();
        if (string.IsNullOrWhiteSpace(device.Name) || _devices.Any(d => d.Name == device.Name))
        {
            throw Refused(device, "every device needs a name of its own");
        }
        foreach (var ports in device.Ports)
        {
            RequireRange(device, ports, PortSpace, "port range");
            RequireFree(device, ports, _devices.SelectMany(d => d.Ports.Select(r => (d.Name, r)))
                .Append(("the PCI configuration ports", PciRoot.ConfigurationPorts))
                .Append(("the PCI I/O BAR window", PciRoot.IoBarWindow)));
        }
        foreach (var mmio in device.Mmio)
        {
            RequireRange(device, mmio, ulong.MaxValue, "MMIO range");
            RequireFree(device, mmio, _devices.SelectMany(d => d.Mmio.Select(r => (d.Name, r)))
                .Append(("the PCI ECAM window", PciRoot.Ecam))
                .Append(("the PCI MMIO window", PciRoot.Mmio32Window)));
        }
        foreach (byte irq in InterruptsOf(device))
        {
            if (irq >= IsaIrqCount || ClaimedIsaIrqs().Contains(irq) || _pciFunctions.Any(f => f.IntaGsi == irq))
            {
                throw Refused(device, $"IRQ {irq} is not a free ISA IRQ");
            }
        }
        RequireRoleFits(device);
        _devices.Add(device);
        return device;
    }

    /// <summary>Records function 0 of <paramref name="device"/> on bus 0, its INTA routed to <paramref name="intaGsi"/> (null: no interrupt pin).</summary>
    public PciFunctionSlot AddPciFunction(byte device, uint? intaGsi)
    {
        ThrowIfDescribed();
        if (device > 31 || _pciFunctions.Any(f => f.Device == device))
        {
            throw new ArgumentException($"PCI device {device}: slots are 0-31, one function each");
        }
        if (intaGsi is { } gsi && ClaimedIsaIrqs().Contains(gsi))
        {
            throw new ArgumentException($"PCI device {device}: GSI {gsi} belongs to an ISA device");
        }
        var slot = new PciFunctionSlot(device, intaGsi);
        _pciFunctions.Add(slot);
        return slot;
    }

    /// <summary>
    /// The machine as ACPI tells it, for <paramref name="vcpus"/> processors. After this the
    /// record is closed: a device added later would be on the buses but not in the tables.
    /// </summary>
    /// <remarks>
    /// The one interrupt source override is the SCI's, level-triggered and active-high, which is
    /// how a PM device drives it. None for IRQ 0: KVM's default GSI routing wires the in-kernel PIT
    /// to I/O APIC pin 0, not pin 2 as QEMU rewires it, so the identity mapping is the truth.
    /// </remarks>
    public MachineDescription Describe(int vcpus)
    {
        var pm = _devices.SingleOrDefault(d => d.Acpi is AcpiRole.PowerManagement)
            ?? throw new InvalidOperationException("the machine has no power-management device; ACPI needs its PM1a blocks");
        var pmRole = (AcpiRole.PowerManagement)pm.Acpi;
        ushort pmBase = (ushort)pm.Ports[0].Base;
        _described = true;
        return new MachineDescription
        {
            VcpuCount = vcpus,
            IoApic = IoApic,
            InterruptSourceOverrides =
            [
                new InterruptSourceOverride(pmRole.SciIrq, pmRole.SciIrq, MpsIntiPolarity.ActiveHigh, MpsIntiTrigger.Level),
            ],
            Pci = new PciRootDescription
            {
                EcamBase = PciRoot.Ecam.Base,
                StartBus = 0,
                EndBus = PciRoot.LastBus,
                ConfigurationPorts = PciRoot.ConfigurationPorts,
                IoWindows = PciRoot.ForwardedIoWindows,
                Mmio32Window = PciRoot.Mmio32Window,
                InterruptRoutes = _pciFunctions
                    .Where(f => f.IntaGsi is not null)
                    .OrderBy(f => f.Device)
                    .Select(f => new PciInterruptRoute(f.Device, PciInterruptPin.IntA, f.IntaGsi!.Value))
                    .ToList(),
            },
            SystemBusDevices = _devices
                .Where(d => d.Acpi is AcpiRole.SystemBusDevice)
                .Select(d => (d, (AcpiRole.SystemBusDevice)d.Acpi))
                .Select(x => new SystemBusDeviceDescription(x.d.Name, x.Item2.HardwareId, x.Item2.UniqueId)
                {
                    IoPorts = x.d.Ports,
                    Memory = x.d.Mmio,
                    Irq = x.d.Irq,
                })
                .ToList(),
            PowerManagement = new PowerManagementDescription(
                (ushort)(pmBase + pmRole.EventBlockOffset), (ushort)(pmBase + pmRole.ControlBlockOffset),
                (ushort)(pmBase + pmRole.ResetRegisterOffset), pmRole.ResetValue, pmRole.SciIrq, pmRole.SoftOffSleepType),
            HasI8042 = _devices.Any(d => d.Acpi is AcpiRole.KeyboardController),
            HasCmosRtc = _devices.Any(d => d.Acpi is AcpiRole.CmosRtc),
        };
    }

    private void ThrowIfDescribed()
    {
        if (_described)
        {
            throw new InvalidOperationException("the ACPI tables are already built from this layout; a device added now would be missing from them");
        }
    }

    /// <summary>The ISA IRQs a device occupies: the one it raises, and the SCI for the PM device.</summary>
    private static IEnumerable<byte> InterruptsOf(PlatformDevice device)
    {
        if (device.Irq is { } irq)
        {
            yield return irq;
        }
        if (device.Acpi is AcpiRole.PowerManagement pm)
        {
            yield return pm.SciIrq;
        }
    }

    private HashSet<uint> ClaimedIsaIrqs() => _devices.SelectMany(InterruptsOf).Select(irq => (uint)irq).ToHashSet();

    /// <summary>Roles the FADT has room for once, and PM registers that lie inside the device's ports.</summary>
    private void RequireRoleFits(PlatformDevice device)
    {
        ArgumentNullException.ThrowIfNull(device.Acpi);
        if (device.Acpi is AcpiRole.KeyboardController or AcpiRole.CmosRtc or AcpiRole.PowerManagement
            && _devices.Any(d => d.Acpi.GetType() == device.Acpi.GetType()))
        {
            throw Refused(device, $"the FADT describes one {device.Acpi.GetType().Name}, and there is one already");
        }
        if (device.Acpi is AcpiRole.NotDescribed { Reason: var reason } && string.IsNullOrWhiteSpace(reason))
        {
            throw Refused(device, "a device left out of ACPI needs the reason");
        }
        if (device.Acpi is AcpiRole.PowerManagement pm)
        {
            if (device.Ports.Count != 1 || device.Mmio.Count != 0)
            {
                throw Refused(device, "the PM registers are one port range");
            }
            ulong size = device.Ports[0].Size;
            if (pm.EventBlockOffset + (ulong)PowerManagementDescription.EventBlockLength > size
                || pm.ControlBlockOffset + (ulong)PowerManagementDescription.ControlBlockLength > size
                || pm.ResetRegisterOffset + 1ul > size)
            {
                throw Refused(device, "the PM1a blocks and the reset register must lie inside its port range");
            }
        }
    }

    private static void RequireRange(PlatformDevice device, AddressWindow range, ulong limit, string what)
    {
        if (range.Size == 0 || range.Last < range.Base || range.Last >= limit)
        {
            throw Refused(device, $"{what} 0x{range.Base:x}+0x{range.Size:x} is empty or leaves its address space");
        }
    }

    private static void RequireFree(PlatformDevice device, AddressWindow range, IEnumerable<(string Owner, AddressWindow Range)> taken)
    {
        foreach (var (owner, other) in taken)
        {
            if (range.Base <= other.Last && other.Base <= range.Last)
            {
                throw Refused(device, $"0x{range.Base:x}+0x{range.Size:x} overlaps {owner} at 0x{other.Base:x}+0x{other.Size:x}");
            }
        }
    }

    private static ArgumentException Refused(PlatformDevice device, string why) => new($"platform device {device.Name}: {why}");
}
