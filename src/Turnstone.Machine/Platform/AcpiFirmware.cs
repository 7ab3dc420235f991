using Turnstone.Acpi.Description;
using Turnstone.Acpi.Tables;
using Turnstone.Devices.Legacy;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// The ACPI part of the firmware: describes the machine the monitor builds, lays the tables out
/// at <see cref="PlatformLayout"/>'s addresses, marks them in the E820 map, and copies them into
/// guest RAM once it exists.
/// </summary>
public static class AcpiFirmware
{
    /// <summary>
    /// The machine as ACPI tells it: <paramref name="vcpus"/> processors, KVM's I/O APIC, the PCI
    /// root complex with an INTA route for every populated slot, COM1, the 8042, the RTC and the
    /// PM registers at 0x600.
    /// </summary>
    /// <remarks>
    /// No override for IRQ 0: KVM's default GSI routing wires the in-kernel PIT to I/O APIC pin 0,
    /// not pin 2 as QEMU rewires it, so the identity mapping is the truth. The SCI override says
    /// level, active high, which is how the PM device would drive it.
    /// </remarks>
    public static MachineDescription Describe(int vcpus, IEnumerable<int> pciSlots) => new()
    {
        VcpuCount = vcpus,
        IoApic = new IoApicDescription(PlatformLayout.IoApicId, PlatformLayout.IoApicAddress, GsiBase: 0),
        InterruptSourceOverrides =
        [
            new InterruptSourceOverride(IsaIrq: 9, Gsi: 9, MpsIntiPolarity.ActiveHigh, MpsIntiTrigger.Level),
        ],
        Pci = new PciRootDescription
        {
            EcamBase = PlatformLayout.EcamBase,
            StartBus = 0,
            EndBus = PlatformLayout.LastPciBus,
            IoWindows = PlatformLayout.PciIoWindows,
            Mmio32Window = new AddressWindow(PlatformLayout.PciMmio32Base, PlatformLayout.PciMmio32Size),
            InterruptRoutes = pciSlots.Order()
                .Select(slot => new PciInterruptRoute((byte)slot, PciInterruptPin.IntA, PlatformLayout.GsiOfSlot(slot)))
                .ToList(),
        },
        Com1 = new SerialPortDescription(Serial16550.Com1Port, (byte)Serial16550.Com1Irq),
        PowerManagement = new PowerManagementDescription(
            AcpiPowerManagement.EventBlock, AcpiPowerManagement.ControlBlock, AcpiPowerManagement.ResetRegister,
            AcpiPowerManagement.ResetValue, SciIrq: 9, SoftOffSleepType: AcpiPowerManagement.SoftOffSleepType),
        HasI8042 = true,
        HasCmosRtc = true,
    };

    /// <summary>
    /// Builds the tables for <paramref name="machine"/> and records them in <paramref name="e820"/>:
    /// the table pages become ACPI data, and the ECAM window is reserved (Linux ignores an MCFG
    /// whose window neither E820 nor a motherboard device reserves).
    /// </summary>
    public static AcpiTableSet Build(MachineDescription machine, E820Map e820)
    {
        var tables = AcpiTableSet.Build(machine, PlatformLayout.AcpiTablesAddress, PlatformLayout.RsdpAddress);
        ulong tablesEnd = tables.TablesAddress + (ulong)tables.Tables.Length;
        if (tablesEnd > PlatformLayout.AcpiTablesLimit)
        {
            throw new InvalidOperationException(
                $"ACPI tables of {tables.Tables.Length} bytes do not fit between 0x{PlatformLayout.AcpiTablesAddress:x} and 0x{PlatformLayout.AcpiTablesLimit:x}");
        }
        ulong pagesEnd = (tablesEnd + 0xFFF) & ~0xFFFul;
        e820.Reclassify(tables.TablesAddress, pagesEnd - tables.TablesAddress, E820Type.Acpi);
        var ecam = machine.Pci.EcamWindow;
        e820.Add(ecam.Base, ecam.Size, E820Type.Reserved);
        return tables;
    }

    public static void WriteTo(AcpiTableSet tables, IGuestMemory memory)
    {
        memory.Write(tables.RsdpAddress, tables.Rsdp.Span);
        memory.Write(tables.TablesAddress, tables.Tables.Span);
    }
}
