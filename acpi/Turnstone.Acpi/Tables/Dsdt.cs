using Turnstone.Acpi.Aml;
using Turnstone.Acpi.Aml.Resources;
using Turnstone.Acpi.Description;
using Turnstone.PciRoot;

namespace Turnstone.Acpi.Tables;

/// <summary>
/// The Differentiated System Description Table: the devices the OS cannot discover by probing.
/// <code>
/// \_SB.PCI0       PCI Express root bridge (PNP0A08, compatible PNP0A03): bus range, I/O and
///                 MMIO windows, the 0xCF8 ports, and a _PRT routing INTx straight to GSIs
/// \_SB.PCI0.RES0  motherboard resources (PNP0C02) reserving the ECAM window: Linux uses the
///                 MCFG only for ECAM that E820 or a motherboard device reserves
/// \_SB.xxxx       each device at fixed resources the machine describes (a PC's COM1, PNP0501)
/// \_SB.PWRB       power button (PNP0C0C); the FADT says there is no fixed-feature button
/// \_S5_           soft-off: the SLP_TYP the PM1a control block acts on
/// </code>
/// Processors are in a separate SSDT, so this table depends only on the platform, not on the
/// vCPU count.
/// </summary>
public static class Dsdt
{
    /// <summary>A _PRT address matches every function of the device: high word the device, low word 0xFFFF.</summary>
    private const uint AllFunctions = 0xFFFF;

    /// <summary>Names the DSDT itself declares in \_SB, so no described device may take them.</summary>
    internal const string PciRootName = "PCI0", PowerButtonName = "PWRB";

    public static byte[] Build(MachineDescription machine) => DefinitionBlock.Create("DSDT", "DSDT", Terms(machine));

    internal static IReadOnlyList<IAmlObject> Terms(MachineDescription machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return
        [
            new AmlScope("\\_SB",
            [
                PciRoot(machine.Pci),
                .. machine.SystemBusDevices.Select(SystemBusDevice),
                new AmlDevice(PowerButtonName, new AmlName("_HID", EisaId.ToAml("PNP0C0C"))),
            ]),
            new AmlName("\\_S5_", new AmlPackage(
                new AmlInteger(machine.PowerManagement.SoftOffSleepType), // PM1a_CNT.SLP_TYP
                new AmlInteger(machine.PowerManagement.SoftOffSleepType), // PM1b_CNT.SLP_TYP (no PM1b block)
                AmlInteger.Zero,
                AmlInteger.Zero)),
        ];
    }

    private static AmlDevice PciRoot(PciRootDescription pci)
    {
        var windows = new List<IResourceDescriptor>
        {
            AddressSpaceDescriptor.WordBusNumber(pci.StartBus, pci.EndBus),
            // Configuration mechanism #1 belongs to the root bridge itself, so no one else is given these ports.
            IoPortDescriptor.Fixed((ushort)pci.ConfigurationPorts.Base, (byte)pci.ConfigurationPorts.Size),
        };
        windows.AddRange(pci.IoWindows.Select(w => AddressSpaceDescriptor.WordIo((ushort)w.Base, (ushort)w.Last)));
        // Neither window is marked prefetchable: Linux never puts a non-prefetchable BAR in a
        // prefetch-only window, and virtio's BARs can be either.
        windows.Add(AddressSpaceDescriptor.DWordMemory((uint)pci.Mmio32Window.Base, (uint)pci.Mmio32Window.Last));
        if (pci.Mmio64Window is { } high)
        {
            windows.Add(AddressSpaceDescriptor.QWordMemory(high.Base, high.Last));
        }

        var terms = new List<IAmlObject>
        {
            new AmlName("_HID", EisaId.ToAml("PNP0A08")),
            new AmlName("_CID", EisaId.ToAml("PNP0A03")),
            new AmlName("_SEG", AmlInteger.Zero),
            new AmlName("_BBN", new AmlInteger(pci.StartBus)),
            new AmlName("_UID", AmlInteger.Zero),
            new AmlName("_CRS", new ResourceTemplate(windows)),
        };
        // No routes, no _PRT: ACPICA's predefined-name check warns about an empty one.
        if (pci.InterruptRoutes.Count > 0)
        {
            terms.Add(new AmlName("_PRT", new AmlPackage(pci.InterruptRoutes.Select(RoutingEntry).ToArray())));
        }
        terms.Add(new AmlDevice("RES0",
            new AmlName("_HID", EisaId.ToAml("PNP0C02")),
            new AmlName("_UID", AmlInteger.Zero),
            new AmlName("_CRS", new ResourceTemplate(EcamReservation(pci.EcamWindow)))));
        return new AmlDevice(PciRootName, terms);
    }

    /// <summary>
    /// { address, pin, source, source index }: a zero source means the index is a GSI, with no link
    /// device. _PRT numbers pins from 0 for INTA, the Interrupt Pin register from 1.
    /// </summary>
    private static AmlPackage RoutingEntry(PciInterruptRoute route) =>
        new(new AmlInteger(((uint)route.Device << 16) | AllFunctions),
            new AmlInteger((ulong)(route.Pin - PciInterruptPin.IntA)),
            AmlInteger.Zero,
            new AmlInteger(route.Gsi));

    private static IResourceDescriptor EcamReservation(AddressWindow ecam) =>
        ecam.Last <= uint.MaxValue
            ? new Memory32FixedDescriptor((uint)ecam.Base, (uint)ecam.Size)
            : AddressSpaceDescriptor.QWordMemory(ecam.Base, ecam.Last, producer: false);

    private static AmlDevice SystemBusDevice(SystemBusDeviceDescription device)
    {
        var resources = new List<IResourceDescriptor>();
        resources.AddRange(device.IoPorts.Select(p => IoPortDescriptor.Fixed((ushort)p.Base, (byte)p.Size)));
        resources.AddRange(device.Memory.Select(m => new Memory32FixedDescriptor((uint)m.Base, (uint)m.Size)));
        if (device.Irq is { } irq)
        {
            resources.Add(IrqDescriptor.NoFlags(irq));
        }
        return new AmlDevice(device.Name,
            new AmlName("_HID", EisaId.ToAml(device.HardwareId)),
            new AmlName("_UID", new AmlInteger(device.UniqueId)),
            new AmlName("_CRS", new ResourceTemplate(resources)));
    }
}
