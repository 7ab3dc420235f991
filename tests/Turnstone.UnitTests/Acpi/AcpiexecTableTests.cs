using Turnstone.Acpi.Tables;

namespace Turnstone.UnitTests.Acpi;

/// <summary>
/// The AML run by ACPICA's interpreter (acpiexec from acpica-tools): the DSDT and SSDT load,
/// the objects an OS evaluates return what the sample machine describes, and ACPICA's resource
/// manager decodes _CRS and _PRT to the same windows and routes. With our FADT loaded too,
/// ACPICA's FADT checks (the code Linux runs at boot) must stay silent.
/// </summary>
public sealed class AcpiexecTableTests
{
    private const string Commands =
        "evaluate \\_SB.PCI0._CRS; evaluate \\_S5_; evaluate \\_SB.C000._HID; evaluate \\_SB.C001._UID; " +
        "resources \\_SB.PCI0; resources \\_SB.PCI0.RES0; resources \\_SB.COM1";

    private static AcpiexecTranscript Run(string machine, string commands = Commands)
    {
        var set = AcpiTableSet.Build(AcpiTableSetTests.Machine(machine), SampleMachines.TablesAddress, SampleMachines.RsdpAddress);
        using var workspace = new AcpicaWorkspace();
        workspace.Write("dsdt.aml", set.Table("DSDT").Span);
        workspace.Write("ssdt.aml", set.Table("SSDT").Span);
        return Acpiexec.Run(workspace, commands, "dsdt.aml", "ssdt.aml");
    }

    private static string Describe(DecodedItem item, params string[] fields) =>
        string.Join(" ", new[] { item.Kind }.Concat(fields.Select(f => $"{f}={item.Fields[f]}")));

    [Fact]
    public void The_root_bridge_windows_decode_as_described() => Run("pc").Check(transcript =>
    {
        var resources = transcript.CurrentResources("\\_SB.PCI0");
        string[] range = ["Consumer/Producer", "Address Minimum", "Address Maximum", "Address Length"];
        Assert.Equal(
        [
            "16-Bit WORD Address Space Resource Consumer/Producer=ResourceProducer Address Minimum=0000 Address Maximum=007F Address Length=0080",
            "I/O Resource Address Minimum=0CF8 Address Maximum=0CF8 Address Length=08",
            "16-Bit WORD Address Space Resource Consumer/Producer=ResourceProducer Address Minimum=0000 Address Maximum=0CF7 Address Length=0CF8",
            "16-Bit WORD Address Space Resource Consumer/Producer=ResourceProducer Address Minimum=0D00 Address Maximum=FFFF Address Length=F300",
            "32-Bit DWORD Address Space Resource Consumer/Producer=ResourceProducer Address Minimum=C0000000 Address Maximum=FEBFFFFF Address Length=3EC00000",
            "64-Bit QWORD Address Space Resource Consumer/Producer=ResourceProducer Address Minimum=0000008000000000 Address Maximum=0000008FFFFFFFFF Address Length=0000001000000000",
            "EndTag Resource",
        ], resources.Select(r => r.Kind switch
        {
            "I/O Resource" => Describe(r, "Address Minimum", "Address Maximum", "Address Length"),
            "EndTag Resource" => r.Kind,
            _ => Describe(r, range),
        }));
        Assert.Equal("Bus Number Range", resources[0].Fields["Resource Type"]);
        Assert.Equal(["I/O Range", "I/O Range", "Memory Range", "Memory Range"], resources.Skip(2).Take(4).Select(r => r.Fields["Resource Type"]));
        Assert.All(resources.Skip(4).Take(2), r => Assert.Equal("ReadWrite", r.Fields["Write Protect"]));
    });

    [Fact]
    public void The_unusual_root_bridge_has_its_own_bus_range_and_no_64_bit_window() =>
        Run("unusual", "resources \\_SB.PCI0; resources \\_SB.PCI0.RES0; resources \\_SB.COM1; evaluate \\_S5_; evaluate \\_SB.C0C7._UID").Check(transcript =>
    {
        var resources = transcript.CurrentResources("\\_SB.PCI0");
        Assert.Equal(["16-Bit WORD Address Space Resource", "I/O Resource", "16-Bit WORD Address Space Resource", "32-Bit DWORD Address Space Resource", "EndTag Resource"],
            resources.Select(r => r.Kind));
        Assert.Equal((0x10UL, 0x1FUL), (resources[0].Number("Address Minimum"), resources[0].Number("Address Maximum")));
        Assert.Equal((0x1000UL, 0x1FFFUL), (resources[2].Number("Address Minimum"), resources[2].Number("Address Maximum")));
        Assert.Equal((0x8000_0000UL, 0x8FFF_FFFFUL), (resources[3].Number("Address Minimum"), resources[3].Number("Address Maximum")));

        // ECAM for buses 0x10-0x1F above 4 GiB: 16 MiB at base + 0x10 MiB, as a QWordMemory consumer
        var ecam = Assert.Single(transcript.CurrentResources("\\_SB.PCI0.RES0"), r => r.Kind != "EndTag Resource");
        Assert.Equal("64-Bit QWORD Address Space Resource", ecam.Kind);
        Assert.Equal("ResourceConsumer", ecam.Fields["Consumer/Producer"]);
        Assert.Equal((0x40_0100_0000UL, 0x40_01FF_FFFFUL, 0x100_0000UL), (ecam.Number("Address Minimum"), ecam.Number("Address Maximum"), ecam.Number("Address Length")));

        var com1 = transcript.CurrentResources("\\_SB.COM1");
        Assert.Equal((0x2F8UL, 8UL), (com1[0].Number("Address Minimum"), com1[0].Number("Address Length")));
        Assert.Equal("3", com1[1].Fields["Interrupt List"]);

        Assert.False(transcript.HasSection("\\_SB.PCI0", "Evaluating _PRT"), "no routes should mean no _PRT");
        Assert.Equal([7UL, 7UL, 0UL, 0UL], transcript.Integers("\\_S5_"));
        Assert.Equal([0xC7UL], transcript.Integers("\\_SB.C0C7._UID"));
    });

    [Fact]
    public void The_ecam_window_is_reserved_as_a_motherboard_resource() => Run("pc").Check(transcript =>
    {
        var reserved = transcript.CurrentResources("\\_SB.PCI0.RES0");
        Assert.Equal(2, reserved.Count);
        Assert.Equal("32-Bit Fixed Memory Range Resource", reserved[0].Kind);
        Assert.Equal(0xB000_0000UL, reserved[0].Number("Address"));
        Assert.Equal(0x0800_0000UL, reserved[0].Number("Address Length")); // 128 buses x 1 MiB
    });

    [Fact]
    public void The_pci_routing_table_sends_each_pin_to_its_gsi() => Run("pc").Check(transcript =>
    {
        var routes = transcript.RoutingTable("\\_SB.PCI0")
            .Select(r => (r.Number("Address"), r.Number("Pin"), r.Fields["Source"], r.Number("Source Index")));
        Assert.Equal(
        [
            (0x0001FFFFUL, 0UL, "[NULL NAMESTRING]", 16UL),
            (0x0001FFFFUL, 1UL, "[NULL NAMESTRING]", 17UL),
            (0x0002FFFFUL, 0UL, "[NULL NAMESTRING]", 17UL),
            (0x0002FFFFUL, 3UL, "[NULL NAMESTRING]", 20UL),
            (0x001FFFFFUL, 2UL, "[NULL NAMESTRING]", 23UL),
        ], routes);
    });

    [Fact]
    public void The_serial_port_claims_its_ports_and_irq() => Run("pc").Check(transcript =>
    {
        var com1 = transcript.CurrentResources("\\_SB.COM1");
        Assert.Equal(["I/O Resource", "IRQ Resource", "EndTag Resource"], com1.Select(r => r.Kind));
        Assert.Equal((0x3F8UL, 0x3F8UL, 8UL), (com1[0].Number("Address Minimum"), com1[0].Number("Address Maximum"), com1[0].Number("Address Length")));
        Assert.Equal("4", com1[1].Fields["Interrupt List"]);
        Assert.Equal("Edge", com1[1].Fields["Triggering"]);
    });

    [Fact]
    public void Soft_off_and_the_processors_evaluate() => Run("pc").Check(transcript =>
    {
        Assert.Equal([5UL, 5UL, 0UL, 0UL], transcript.Integers("\\_S5_"));
        Assert.Equal("ACPI0007", transcript.String("\\_SB.C000._HID"));
        Assert.Equal([1UL], transcript.Integers("\\_SB.C001._UID"));
        Assert.NotEmpty(transcript.Evaluation("\\_SB.PCI0._CRS"));
    });

    [Theory]
    [InlineData("pc")]
    [InlineData("unusual")]
    public void Acpica_accepts_our_fadt_madt_and_mcfg_alongside_the_aml(string machine)
    {
        var set = AcpiTableSet.Build(AcpiTableSetTests.Machine(machine), SampleMachines.TablesAddress, SampleMachines.RsdpAddress);
        using var workspace = new AcpicaWorkspace();
        foreach (string signature in new[] { "FACP", "APIC", "MCFG", "DSDT", "SSDT" })
        {
            workspace.Write(signature.ToLowerInvariant() + ".aml", set.Table(signature).Span);
        }
        Acpiexec.Run(workspace, "evaluate \\_S5_", "facp.aml", "apic.aml", "mcfg.aml", "dsdt.aml", "ssdt.aml").Check(transcript =>
        {
            Assert.Contains(transcript.Result.Lines, l => l.StartsWith("ACPI: FACP", StringComparison.Ordinal) && l.Contains("(v06 TRNSTN TRNSFACP", StringComparison.Ordinal));
            Assert.Equal(4, transcript.Integers("\\_S5_").Count);
        });
    }

    [Fact]
    public void The_judge_notices_an_fadt_acpica_would_warn_about()
    {
        byte[] fadt = AcpiTableSet.Build(SampleMachines.Pc(), SampleMachines.TablesAddress, SampleMachines.RsdpAddress).Table("FACP").ToArray();
        fadt[88] = 2; // PM1_EVT_LEN no longer matches X_PM1a_EVT_BLK's 32 bits
        fadt[9] = 0;
        fadt[9] = (byte)(0 - fadt.Aggregate(0, (sum, b) => sum + b));
        using var workspace = new AcpicaWorkspace();
        workspace.Write("facp.aml", fadt);
        workspace.Write("dsdt.aml", AcpiTableSet.Build(SampleMachines.Pc(), SampleMachines.TablesAddress, SampleMachines.RsdpAddress).Table("DSDT").Span);
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Acpiexec.Run(workspace, "evaluate \\_S5_", "facp.aml", "dsdt.aml"));
        Assert.Contains("length mismatch", failure.Message);
    }
}
