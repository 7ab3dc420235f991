using Turnstone.Acpi.Description;
using Turnstone.Acpi.Tables;
using Turnstone.PciRoot;

namespace Turnstone.UnitTests.Acpi;

public sealed class MachineDescriptionTests
{
    private static void Refused(MachineDescription machine) =>
        Assert.ThrowsAny<ArgumentException>(() => AcpiTableSet.Build(machine, SampleMachines.TablesAddress, SampleMachines.RsdpAddress));

    public static TheoryData<string, int> Samples => new() { { "pc", 2 }, { "unusual", 200 }, { "pc", 255 } };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Samples_are_accepted_and_build_every_table_with_a_local_apic_per_vcpu(string sample, int vcpus)
    {
        var machine = sample == "pc" ? SampleMachines.Pc(vcpus) : SampleMachines.Unusual();

        var tables = AcpiTableSet.Build(machine, SampleMachines.TablesAddress, SampleMachines.RsdpAddress);

        Assert.Equal(["FACS", "DSDT", "SSDT", "FACP", "APIC", "MCFG", "XSDT"], tables.Placements.Select(p => p.Signature));
        // Every table but the FACS carries a checksum: its bytes sum to 0 modulo 256.
        Assert.All(tables.Placements.Where(p => p.Signature != "FACS"),
            p => Assert.Equal(0, Sum(tables.Table(p.Signature).Span) & 0xFF));
        Assert.Equal(Enumerable.Range(0, vcpus), LocalApicIds(tables.Table("APIC").Span));
    }

    private static int Sum(ReadOnlySpan<byte> bytes)
    {
        int sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }
        return sum;
    }

    /// <summary>The APIC ids of the MADT's Processor Local APIC entries (type 0), after the 36-byte header,
    /// the local APIC address and the flags.</summary>
    private static List<int> LocalApicIds(ReadOnlySpan<byte> madt)
    {
        var ids = new List<int>();
        for (int offset = 44; offset < madt.Length; offset += madt[offset + 1])
        {
            if (madt[offset] == 0)
            {
                ids.Add(madt[offset + 3]);
            }
        }
        return ids;
    }

    [Fact]
    public void Vcpu_counts_the_madt_cannot_hold_are_refused()
    {
        Refused(SampleMachines.Pc(vcpus: 0));
        Refused(SampleMachines.Pc(vcpus: 256));
    }

    [Fact]
    public void Pci_descriptions_that_do_not_fit_are_refused()
    {
        var pc = SampleMachines.Pc();
        Refused(pc with { Pci = pc.Pci with { StartBus = 8, EndBus = 7 } });
        Refused(pc with { Pci = pc.Pci with { EcamBase = 0xB008_0000 } }); // not 1 MiB aligned
        Refused(pc with { Pci = pc.Pci with { IoWindows = [new AddressWindow(0xF000, 0x2000)] } }); // past port 0xFFFF
        Refused(pc with { Pci = pc.Pci with { Mmio32Window = new AddressWindow(0xF000_0000, 0x2000_0000) } }); // past 4 GiB
        Refused(pc with { Pci = pc.Pci with { Mmio64Window = new AddressWindow(0x80_0000_0000, 0) } });
        Refused(pc with { Pci = pc.Pci with { ConfigurationPorts = new AddressWindow(0x0CF4, 8) } }); // inside the forwarded 0-0xCF7
        Refused(pc with { Pci = pc.Pci with { ConfigurationPorts = new AddressWindow(0x0D00, 0x100), IoWindows = [] } }); // longer than IO() can say
        Refused(pc with { Pci = pc.Pci with { InterruptRoutes = [new PciInterruptRoute(32, PciInterruptPin.IntA, 16)] } });
        Refused(pc with { Pci = pc.Pci with { InterruptRoutes = [new PciInterruptRoute(3, PciInterruptPin.None, 16)] } });
        Refused(pc with { Pci = pc.Pci with { InterruptRoutes = [new PciInterruptRoute(3, (PciInterruptPin)5, 16)] } });
        Refused(pc with { Pci = pc.Pci with { InterruptRoutes = [new PciInterruptRoute(3, PciInterruptPin.IntA, 16), new PciInterruptRoute(3, PciInterruptPin.IntA, 17)] } });
    }

    [Fact]
    public void Interrupt_descriptions_that_do_not_fit_are_refused()
    {
        var pc = SampleMachines.Pc();
        Refused(pc with { InterruptSourceOverrides = [new InterruptSourceOverride(16, 16)] });
        Refused(pc with { InterruptSourceOverrides = [new InterruptSourceOverride(9, 9), new InterruptSourceOverride(9, 20)] });
        Refused(pc with { SystemBusDevices = [SampleMachines.Com1(0x3F8, 16)] });
        Refused(pc with { PowerManagement = pc.PowerManagement with { SciIrq = 20 } });
        Refused(pc with { PowerManagement = pc.PowerManagement with { SoftOffSleepType = 8 } });
    }

    [Fact]
    public void System_bus_devices_the_dsdt_cannot_name_or_encode_are_refused()
    {
        var pc = SampleMachines.Pc();
        var com1 = SampleMachines.Com1(0x3F8, 4);
        Refused(pc with { SystemBusDevices = [com1, com1 with { UniqueId = 1 }] }); // one name twice
        Refused(pc with { SystemBusDevices = [com1 with { Name = "PCI0" }] }); // the root bridge's
        Refused(pc with { SystemBusDevices = [com1 with { Name = "PWRB" }] }); // the power button's
        Refused(pc with { SystemBusDevices = [com1 with { Name = "1COM" }] });
        Refused(pc with { SystemBusDevices = [com1 with { Name = "SERIAL" }] });
        Refused(pc with { SystemBusDevices = [com1 with { HardwareId = "PNP501" }] });
        Refused(pc with { SystemBusDevices = [com1 with { IoPorts = [new AddressWindow(0x3F8, 0x100)] }] });
        Refused(pc with { SystemBusDevices = [com1 with { IoPorts = [new AddressWindow(0xFFFC, 8)] }] });
        Refused(pc with { SystemBusDevices = [com1 with { Memory = [new AddressWindow(0xFFFF_F000, 0x2000)] }] });
        AcpiTableSet.Build(pc with { SystemBusDevices = [com1, com1 with { Name = "COM2", UniqueId = 1 }] }, SampleMachines.TablesAddress, SampleMachines.RsdpAddress);
    }

    [Fact]
    public void Override_flags_pack_polarity_and_trigger_as_mps_inti_flags()
    {
        Assert.Equal(0x000D, new InterruptSourceOverride(9, 9, MpsIntiPolarity.ActiveHigh, MpsIntiTrigger.Level).Flags);
        Assert.Equal(0x000F, new InterruptSourceOverride(9, 9, MpsIntiPolarity.ActiveLow, MpsIntiTrigger.Level).Flags);
        Assert.Equal(0x0007, new InterruptSourceOverride(9, 9, MpsIntiPolarity.ActiveLow, MpsIntiTrigger.Edge).Flags);
        Assert.Equal(0x0000, new InterruptSourceOverride(0, 2).Flags);
    }
}
