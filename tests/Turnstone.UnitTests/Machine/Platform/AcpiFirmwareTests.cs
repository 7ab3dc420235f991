using Turnstone.Acpi.Description;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;
using Turnstone.Machine;
using Turnstone.Machine.Platform;
using Turnstone.PciRoot;

namespace Turnstone.UnitTests.Machine.Platform;

public sealed class AcpiFirmwareTests
{
    [Fact]
    public void Every_virtio_slot_gets_an_INTA_route_to_its_own_GSI_from_16()
    {
        var machine = PcPlatform.Lay(diskCount: 2).Builder.Describe(vcpus: 1);

        Assert.Equal(
            [
                new PciInterruptRoute(1, PciInterruptPin.IntA, 16),
                new PciInterruptRoute(2, PciInterruptPin.IntA, 17),
                new PciInterruptRoute(3, PciInterruptPin.IntA, 18),
            ],
            machine.Pci.InterruptRoutes);
    }

    [Fact]
    public void The_description_names_the_ports_and_addresses_the_machine_uses()
    {
        var machine = PcPlatform.Lay(diskCount: 0).Builder.Describe(vcpus: 1);

        var com1 = Assert.Single(machine.SystemBusDevices);
        Assert.Equal(("COM1", "PNP0501"), (com1.Name, com1.HardwareId));
        Assert.Equal([new AddressWindow(0x3F8, 8)], com1.IoPorts);
        Assert.Equal((byte)4, com1.Irq);
        Assert.Equal(new AddressWindow(0xCF8, 8), machine.Pci.ConfigurationPorts);
        Assert.Equal([new AddressWindow(0x0000, 0x0CF8), new AddressWindow(0x0D00, 0xF300)], machine.Pci.IoWindows);
        Assert.True(machine.HasI8042 && machine.HasCmosRtc);
        Assert.Equal(new PowerManagementDescription(0x600, 0x604, 0x606, 0x01, SciIrq: 9, SoftOffSleepType: 5), machine.PowerManagement);
        Assert.Equal(0xFEC0_0000u, machine.IoApic.Address);
        Assert.Equal(new AddressWindow(0xE000_0000, 0x10_0000), machine.Pci.EcamWindow);
        Assert.Equal(new AddressWindow(0xC000_0000, 0x2000_0000), machine.Pci.Mmio32Window);
        // KVM's default routing puts the PIT on pin 0, so no IRQ 0 -> GSI 2 override may appear.
        Assert.DoesNotContain(machine.InterruptSourceOverrides, o => o.IsaIrq == 0);
    }

    [Fact]
    public void Build_marks_the_table_pages_as_ACPI_and_reserves_the_ECAM_window()
    {
        var e820 = E820Map.FromRam(GuestRamLayout.For(512ul << 20));

        var tables = AcpiFirmware.Build(PcPlatform.Lay(diskCount: 1).Builder.Describe(1), e820);

        Assert.Equal(0xE0000ul, tables.RsdpAddress);
        ulong tablesEnd = tables.TablesAddress + (ulong)tables.Tables.Length;
        var acpi = Assert.Single(e820.Entries, e => e.Type == E820Type.Acpi);
        Assert.Equal(0xE1000ul, acpi.Address);
        Assert.True(acpi.End >= tablesEnd && acpi.End - tablesEnd < 0x1000, $"ACPI entry ends at 0x{acpi.End:x}, tables at 0x{tablesEnd:x}");
        Assert.Contains(new E820Entry(0xE000_0000, 0x10_0000, E820Type.Reserved), e820.Entries);
        // The RSDP page stays reserved, and the rest of the legacy area too.
        Assert.Contains(e820.Entries, e => e.Type == E820Type.Reserved && e.Address <= 0xE0000 && e.End >= 0xE0024);
        Assert.False(e820.IsUsableRam(0xE0000, 0x24));
    }

    [Fact]
    public void WriteTo_puts_the_root_pointer_where_a_legacy_scan_finds_it()
    {
        var e820 = E820Map.FromRam(GuestRamLayout.For(64ul << 20));
        var tables = AcpiFirmware.Build(PcPlatform.Lay(diskCount: 0).Builder.Describe(1), e820);
        var memory = new ArrayGuestMemory(1ul << 20);

        AcpiFirmware.WriteTo(tables, memory);

        Assert.Equal("RSD PTR "u8.ToArray(), memory.GetSpan(0xE0000, 8).ToArray());
        ulong xsdt = BitConverter.ToUInt64(memory.GetSpan(0xE0000 + 24, 8));
        Assert.Equal("XSDT"u8.ToArray(), memory.GetSpan(xsdt, 4).ToArray());
    }
}
