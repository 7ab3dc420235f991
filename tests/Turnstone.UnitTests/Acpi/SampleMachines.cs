using Turnstone.Acpi.Description;
using Turnstone.PciRoot;

namespace Turnstone.UnitTests.Acpi;

/// <summary>
/// Descriptions the table tests build from. Every number is written out here, so a test's
/// expectation ("SCI on IRQ 9", "bus range 0-0x7F") is checked against what we asked for, not
/// against another computation by the code under test.
/// </summary>
internal static class SampleMachines
{
    public const ulong RsdpAddress = 0xE0000;
    public const ulong TablesAddress = 0xE1000;

    /// <summary>A q35-like PC: ECAM below 4 GiB, both MMIO windows, four slots with swizzled INTx.</summary>
    public static MachineDescription Pc(int vcpus = 2) => new()
    {
        VcpuCount = vcpus,
        IoApic = new IoApicDescription(Id: 0, Address: 0xFEC0_0000, GsiBase: 0),
        InterruptSourceOverrides =
        [
            new InterruptSourceOverride(IsaIrq: 0, Gsi: 2),
            new InterruptSourceOverride(IsaIrq: 9, Gsi: 9, MpsIntiPolarity.ActiveHigh, MpsIntiTrigger.Level),
        ],
        Pci = new PciRootDescription
        {
            EcamBase = 0xB000_0000,
            StartBus = 0,
            EndBus = 0x7F,
            ConfigurationPorts = new AddressWindow(0x0CF8, 8),
            IoWindows = [new AddressWindow(0x0000, 0x0CF8), new AddressWindow(0x0D00, 0xF300)],
            Mmio32Window = new AddressWindow(0xC000_0000, 0x3EC0_0000),
            Mmio64Window = new AddressWindow(0x80_0000_0000, 0x10_0000_0000),
            InterruptRoutes =
            [
                new PciInterruptRoute(1, PciInterruptPin.IntA, 16),
                new PciInterruptRoute(1, PciInterruptPin.IntB, 17),
                new PciInterruptRoute(2, PciInterruptPin.IntA, 17),
                new PciInterruptRoute(2, PciInterruptPin.IntD, 20),
                new PciInterruptRoute(31, PciInterruptPin.IntC, 23),
            ],
        },
        SystemBusDevices = [Com1(port: 0x3F8, irq: 4)],
        PowerManagement = new PowerManagementDescription(EventBlockPort: 0x600, ControlBlockPort: 0x604, ResetPort: 0x606, ResetValue: 0x01),
        HasI8042 = true,
        HasCmosRtc = true,
    };

    /// <summary>A 16550 UART named COM1: eight ports and one ISA IRQ.</summary>
    public static SystemBusDeviceDescription Com1(ushort port, byte irq) =>
        new("COM1", "PNP0501", UniqueId: 0) { IoPorts = [new AddressWindow(port, 8)], Irq = irq };

    /// <summary>
    /// The corners: ECAM above 4 GiB starting at bus 0x10 (so the reservation is a QWordMemory),
    /// no 64-bit window, no 8042 and no RTC, a different SCI and sleep type, and many processors.
    /// </summary>
    public static MachineDescription Unusual() => Pc(vcpus: 200) with
    {
        InterruptSourceOverrides = [new InterruptSourceOverride(IsaIrq: 10, Gsi: 10, MpsIntiPolarity.ActiveLow, MpsIntiTrigger.Level)],
        Pci = Pc().Pci with
        {
            EcamBase = 0x40_0000_0000,
            StartBus = 0x10,
            EndBus = 0x1F,
            IoWindows = [new AddressWindow(0x1000, 0x1000)],
            Mmio32Window = new AddressWindow(0x8000_0000, 0x1000_0000),
            Mmio64Window = null,
            InterruptRoutes = [],
        },
        SystemBusDevices = [Com1(port: 0x2F8, irq: 3)],
        PowerManagement = new PowerManagementDescription(EventBlockPort: 0xB000, ControlBlockPort: 0xB004, ResetPort: 0xCF9, ResetValue: 0x06, SciIrq: 10, SoftOffSleepType: 7),
        HasI8042 = false,
        HasCmosRtc = false,
    };
}
