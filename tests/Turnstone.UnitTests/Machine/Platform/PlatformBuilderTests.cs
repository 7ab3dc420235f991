using Turnstone.Acpi.Description;
using Turnstone.Acpi.Tables;
using Turnstone.Devices.Legacy;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Machine;
using Turnstone.Machine.Platform;
using Turnstone.PciRoot;
using Turnstone.UnitTests.Acpi;
using Turnstone.UnitTests.Pci;

namespace Turnstone.UnitTests.Machine.Platform;

public sealed class PlatformBuilderTests
{
    private static AcpiTableSet Tables(PlatformBuilder builder) =>
        AcpiFirmware.Build(builder.Describe(vcpus: 1), E820Map.FromRam(GuestRamLayout.For(64ul << 20)));

    private static PlatformDevice Uart(string name, ushort port, byte? irq) => new()
    {
        Name = name,
        Ports = [new AddressWindow(port, 8)],
        Irq = irq,
        Acpi = new AcpiRole.SystemBusDevice("PNP0501", UniqueId: 1),
    };

    private static AcpiexecTranscript RunAcpiexec(AcpiTableSet tables, string commands)
    {
        using var workspace = new AcpicaWorkspace();
        Iasl.AssertRoundTrips(workspace, "dsdt.aml", tables.Table("DSDT").Span);
        workspace.Write("dsdt.aml", tables.Table("DSDT").Span);
        workspace.Write("ssdt.aml", tables.Table("SSDT").Span);
        return Acpiexec.Run(workspace, commands, "dsdt.aml", "ssdt.aml");
    }

    [Fact]
    public void A_device_added_through_the_builder_is_in_the_DSDT_and_on_the_bus_with_its_IRQ()
    {
        var pc = PcPlatform.Lay(diskCount: 1);

        var com2 = pc.Builder.Add(Uart("COM2", 0x2F8, irq: 3));
        var tables = Tables(pc.Builder);

        RunAcpiexec(tables, "resources \\_SB.COM2; resources \\_SB.COM1; evaluate \\_SB.COM2._UID").Check(transcript =>
        {
            var resources = transcript.CurrentResources("\\_SB.COM2");
            Assert.Equal(["I/O Resource", "IRQ Resource", "EndTag Resource"], resources.Select(r => r.Kind));
            Assert.Equal((0x2F8UL, 0x2F8UL, 8UL), (resources[0].Number("Address Minimum"), resources[0].Number("Address Maximum"), resources[0].Number("Address Length")));
            Assert.Equal("3", resources[1].Fields["Interrupt List"]);
            Assert.Equal([1UL], transcript.Integers("\\_SB.COM2._UID"));
            // COM1 is still there beside it.
            Assert.Equal((0x3F8UL, 8UL), (transcript.CurrentResources("\\_SB.COM1")[0].Number("Address Minimum"), transcript.CurrentResources("\\_SB.COM1")[0].Number("Address Length")));
        });
        var lines = new Dictionary<uint, RecordingInterruptLine>();
        var buses = new PlatformBuses(pc.Builder, gsi => lines[gsi] = new RecordingInterruptLine());
        var device = buses.AttachWithIrq(com2, line => new RecordingBusDevice(line));
        Assert.True(buses.Ports.TryResolve(0x2FD, out var found, out ulong offset));
        Assert.Same(device, found);
        Assert.Equal(5ul, offset);
        Assert.Same(lines[3], device.Line);
    }

    [Fact]
    public void A_device_with_MMIO_and_no_IRQ_is_described_by_its_ranges()
    {
        var pc = PcPlatform.Lay(diskCount: 0);
        pc.Builder.Add(new PlatformDevice
        {
            Name = "MBRS",
            Ports = [new AddressWindow(0x510, 2)],
            Mmio = [new AddressWindow(0xFED0_0000, 0x1000)],
            Acpi = new AcpiRole.SystemBusDevice("PNP0C02", UniqueId: 7),
        });

        RunAcpiexec(Tables(pc.Builder), "resources \\_SB.MBRS; resources \\_SB.COM1").Check(transcript =>
        {
            var resources = transcript.CurrentResources("\\_SB.MBRS");
            Assert.Equal(["I/O Resource", "32-Bit Fixed Memory Range Resource", "EndTag Resource"], resources.Select(r => r.Kind));
            Assert.Equal((0x510UL, 2UL), (resources[0].Number("Address Minimum"), resources[0].Number("Address Length")));
            Assert.Equal((0xFED0_0000UL, 0x1000UL), (resources[1].Number("Address"), resources[1].Number("Address Length")));
            Assert.Equal(["I/O Resource", "IRQ Resource", "EndTag Resource"], transcript.CurrentResources("\\_SB.COM1").Select(r => r.Kind));
        });
    }

    [Fact]
    public void Conflicts_are_refused_as_they_are_added()
    {
        var pc = PcPlatform.Lay(diskCount: 1);
        int before = pc.Builder.Devices.Count;
        void Refused(PlatformDevice device) => Assert.Throws<ArgumentException>(() => pc.Builder.Add(device));
        static PlatformDevice Mmio(ulong address, ulong size) =>
            new() { Name = "MMIO", Mmio = [new AddressWindow(address, size)], Acpi = new AcpiRole.NotDescribed("a test") };

        Refused(Uart("COM1", 0x2F8, 3)); // the name is taken
        Refused(Uart("COM2", 0x3FC, 3)); // overlaps COM1
        Refused(Uart("COM2", 0xCF4, 3)); // overlaps the PCI configuration ports
        Refused(Uart("COM2", 0xC100, 3)); // inside the I/O BAR window
        Refused(Uart("COM2", 0xFFFC, 3)); // leaves the port space
        Refused(Uart("COM2", 0x2F8, 4)); // COM1's IRQ
        Refused(Uart("COM2", 0x2F8, 9)); // the SCI
        Refused(Uart("COM2", 0x2F8, 16)); // not an ISA IRQ
        Refused(Mmio(PlatformLayout.EcamBase + 0x1000, 0x1000));
        Refused(Mmio(0xC000_1000, 0x1000)); // the BAR window
        Refused(Mmio(BootTimer.MmioAddress, 1));
        Refused(new PlatformDevice { Name = "second 8042", Ports = [new AddressWindow(0x160, 5)], Acpi = new AcpiRole.KeyboardController() });
        Refused(new PlatformDevice { Name = "unexplained", Ports = [new AddressWindow(0x160, 1)], Acpi = new AcpiRole.NotDescribed(" ") });
        Assert.Throws<ArgumentException>(() => pc.Builder.AddPciFunction(1, 20)); // the disk's slot
        Assert.Throws<ArgumentException>(() => pc.Builder.AddPciFunction(32, null));
        Assert.Throws<ArgumentException>(() => pc.Builder.AddPciFunction(5, 4)); // COM1's IRQ as a GSI
        Assert.Equal(before, pc.Builder.Devices.Count);
    }

    [Fact]
    public void Power_management_registers_must_lie_in_the_device_and_be_there_at_all()
    {
        var builder = new PlatformBuilder(PcPlatform.Lay(0).Builder.PciRoot, new IoApicDescription(0, PlatformLayout.IoApicAddress, 0));
        Assert.Throws<InvalidOperationException>(() => builder.Describe(vcpus: 1));

        var tooShort = new PlatformDevice
        {
            Name = "PM",
            Ports = [new AddressWindow(0x600, 4)], // the control block is at offset 4
            Acpi = new AcpiRole.PowerManagement(0, 4, 6, ResetValue: 1, SciIrq: 9, SoftOffSleepType: 5),
        };
        Assert.Throws<ArgumentException>(() => builder.Add(tooShort));
        builder.Add(tooShort with { Ports = [new AddressWindow(0x600, 7)] });

        var pm = builder.Describe(vcpus: 1).PowerManagement;
        Assert.Equal(new PowerManagementDescription(0x600, 0x604, 0x606, 1, SciIrq: 9, SoftOffSleepType: 5), pm);
    }

    [Fact]
    public void Nothing_is_added_once_the_tables_are_built_from_the_record()
    {
        var pc = PcPlatform.Lay(diskCount: 0);
        pc.Builder.Describe(vcpus: 1);

        Assert.Throws<InvalidOperationException>(() => pc.Builder.Add(Uart("COM2", 0x2F8, 3)));
        Assert.Throws<InvalidOperationException>(() => pc.Builder.AddPciFunction(5, 20));
    }

    [Fact]
    public void Described_device_names_the_DSDT_cannot_hold_are_refused_when_the_tables_are_built()
    {
        var pc = PcPlatform.Lay(diskCount: 0);
        pc.Builder.Add(Uart("SERIAL2", 0x2F8, 3));

        Assert.ThrowsAny<ArgumentException>(() => Tables(pc.Builder));
    }
}
