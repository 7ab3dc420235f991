using Turnstone.Acpi.Tables;

namespace Turnstone.UnitTests.Acpi;

/// <summary>
/// Every table as iasl (acpica-tools 20200925) sees it: `iasl -d` must disassemble it without a
/// warning, `iasl -on` must compile the disassembly back to our bytes, and the fields iasl
/// decodes must be the values the sample machine asked for.
/// </summary>
public sealed class IaslTableTests
{
    public static TheoryData<string, string> Tables()
    {
        var data = new TheoryData<string, string>();
        foreach (string machine in new[] { "pc", "unusual" })
        {
            foreach (string signature in new[] { "FACS", "DSDT", "SSDT", "FACP", "APIC", "MCFG", "XSDT" })
            {
                data.Add(machine, signature);
            }
        }
        return data;
    }

    private static AcpiTableSet Build(string machine) =>
        AcpiTableSet.Build(AcpiTableSetTests.Machine(machine), SampleMachines.TablesAddress, SampleMachines.RsdpAddress);

    private static DataTableListing Listing(AcpiTableSet set, string signature)
    {
        using var workspace = new AcpicaWorkspace();
        return DataTableListing.Parse(Iasl.AssertRoundTrips(workspace, signature.ToLowerInvariant() + ".aml", set.Table(signature).Span));
    }

    [Theory]
    [MemberData(nameof(Tables))]
    public void Iasl_disassembles_and_recompiles_the_table_to_the_same_bytes(string machine, string signature)
    {
        using var workspace = new AcpicaWorkspace();
        Iasl.AssertRoundTrips(workspace, signature.ToLowerInvariant() + ".aml", Build(machine).Table(signature).Span);
    }

    [Theory]
    [InlineData("pc")]
    [InlineData("unusual")]
    public void Iasl_compiles_the_rsdp_from_its_fields_to_our_bytes(string machine)
    {
        // iasl cannot disassemble an RSDP file (its signature is not a valid table signature), but its
        // data-table compiler builds one from the fields and computes both checksums itself.
        var set = Build(machine);
        ulong xsdt = set.Placements.Single(p => p.Signature == "XSDT").Address;
        using var workspace = new AcpicaWorkspace();
        workspace.WriteText("rsdp.asl", $"""
            [0008]                          Signature : "RSD PTR "
            [0001]                           Checksum : 00
            [0006]                             Oem ID : "TRNSTN"
            [0001]                           Revision : 02
            [0004]                       RSDT Address : 00000000
            [0004]                             Length : 00000024
            [0008]                       XSDT Address : {xsdt:X16}
            [0001]                  Extended Checksum : 00
            [0003]                           Reserved : 000000
            """);
        byte[] compiled = Iasl.Compile(workspace, "rsdp.asl");
        Assert.Equal(Convert.ToHexString(compiled), Convert.ToHexString(set.Rsdp.Span));
    }

    [Theory]
    [InlineData("pc", 0x0009, 0x0600, 0x0604, 0x0606, 0x01, true, true)]
    [InlineData("unusual", 0x000A, 0xB000, 0xB004, 0x0CF9, 0x06, false, false)]
    public void Iasl_reads_the_fadt_we_meant(string machine, int sci, int eventBlock, int controlBlock, int resetPort, int resetValue, bool i8042, bool rtc)
    {
        var set = Build(machine);
        var fadt = Listing(set, "FACP");
        Assert.Equal("06", fadt.Named("Revision").Value);
        Assert.Equal("03", fadt.Named("FADT Minor Revision").Value);
        Assert.Equal((ulong)sci, fadt.Named("SCI Interrupt").Number);
        Assert.Equal(0UL, fadt.Named("SMI Command Port").Number);
        Assert.Equal((ulong)eventBlock, fadt.Named("PM1A Event Block Address").Number);
        Assert.Equal((ulong)controlBlock, fadt.Named("PM1A Control Block Address").Number);
        Assert.Equal(4UL, fadt.Named("PM1 Event Block Length").Number);
        Assert.Equal(2UL, fadt.Named("PM1 Control Block Length").Number);
        Assert.Equal(0UL, fadt.Named("PM Timer Block Length").Number);
        Assert.Equal(0UL, fadt.Named("GPE0 Block Length").Number);

        var bootFlags = fadt.Named("Boot Flags (decoded below)").Flags;
        Assert.Equal(i8042 ? "1" : "0", bootFlags["8042 Present on ports 60/64 (V2)"]);
        Assert.Equal(rtc ? "0" : "1", bootFlags["CMOS RTC Not Present (V5)"]);
        Assert.Equal("0", bootFlags["MSI Not Supported (V4)"]);
        Assert.Equal("1", bootFlags["VGA Not Present (V4)"]);
        Assert.Equal("1", bootFlags["Legacy Devices Supported (V2)"]);

        var flags = fadt.Named("Flags (decoded below)").Flags;
        Assert.Equal("0", flags["Hardware Reduced (V5)"]);
        Assert.Equal("1", flags["Reset Register Supported (V2)"]);
        Assert.Equal("1", flags["Control Method Power Button (V1)"]);
        Assert.Equal("1", flags["WBINVD instruction is operational (V1)"]);

        Assert.Equal(0x01UL, fadt.At(116).Number); // RESET_REG: SystemIO
        Assert.Equal(8UL, fadt.At(117).Number); // 8 bits wide
        Assert.Equal((ulong)resetPort, fadt.At(120).Number);
        Assert.Equal((ulong)resetValue, fadt.Named("Value to cause reset").Number);
        Assert.Equal(0x01UL, fadt.At(148).Number); // X_PM1a_EVT_BLK: SystemIO
        Assert.Equal(32UL, fadt.At(149).Number);
        Assert.Equal((ulong)eventBlock, fadt.At(152).Number);
        Assert.Equal(0x01UL, fadt.At(172).Number); // X_PM1a_CNT_BLK
        Assert.Equal(16UL, fadt.At(173).Number);
        Assert.Equal((ulong)controlBlock, fadt.At(176).Number);
        Assert.Equal(0UL, fadt.At(208).Number); // X_PM_TMR_BLK: absent
        Assert.Equal(0UL, fadt.At(212).Number);

        Assert.Equal(set.Placements.Single(p => p.Signature == "FACS").Address, fadt.At(36).Number);
        Assert.Equal(set.Placements.Single(p => p.Signature == "DSDT").Address, fadt.At(140).Number);
    }

    [Theory]
    [InlineData("pc", 2)]
    [InlineData("unusual", 200)]
    public void Iasl_reads_a_local_apic_per_vcpu_and_the_io_apic(string machine, int vcpus)
    {
        var madt = Listing(Build(machine), "APIC");
        Assert.Equal(0xFEE0_0000UL, madt.Named("Local Apic Address").Number);
        Assert.Equal("1", madt.Fields.Single(f => f.Name == "Flags (decoded below)" && f.Offset == 40).Flags["PC-AT Compatibility"]);
        var subtables = madt.Subtables();
        var processors = subtables.Where(s => s[0].Value.Contains("[Processor Local APIC]", StringComparison.Ordinal)).ToArray();
        Assert.Equal(vcpus, processors.Length);
        for (int cpu = 0; cpu < vcpus; cpu++)
        {
            Assert.Equal((ulong)cpu, processors[cpu].Single(f => f.Name == "Processor ID").Number);
            Assert.Equal((ulong)cpu, processors[cpu].Single(f => f.Name == "Local Apic ID").Number);
            Assert.Equal("1", processors[cpu].Single(f => f.Name == "Flags (decoded below)").Flags["Processor Enabled"]);
        }
        var ioApic = subtables.Single(s => s[0].Value.Contains("[I/O APIC]", StringComparison.Ordinal));
        Assert.Equal(0UL, ioApic.Single(f => f.Name == "I/O Apic ID").Number);
        Assert.Equal(0xFEC0_0000UL, ioApic.Single(f => f.Name == "Address").Number);
        Assert.Equal(0UL, ioApic.Single(f => f.Name == "Interrupt").Number);
        Assert.Single(subtables, s => s[0].Value.Contains("[Local APIC NMI]", StringComparison.Ordinal));
    }

    [Fact]
    public void Iasl_reads_the_interrupt_source_overrides()
    {
        static string[] Overrides(string machine) =>
            Listing(Build(machine), "APIC").Subtables()
                .Where(s => s[0].Value.Contains("[Interrupt Source Override]", StringComparison.Ordinal))
                .Select(s =>
                {
                    var flags = s.Single(f => f.Name == "Flags (decoded below)").Flags;
                    return $"IRQ {s.Single(f => f.Name == "Source").Number} -> GSI {s.Single(f => f.Name == "Interrupt").Number}, polarity {flags["Polarity"]}, trigger {flags["Trigger Mode"]}";
                })
                .ToArray();

        Assert.Equal(["IRQ 0 -> GSI 2, polarity 0, trigger 0", "IRQ 9 -> GSI 9, polarity 1, trigger 3"], Overrides("pc"));
        Assert.Equal(["IRQ 10 -> GSI 10, polarity 3, trigger 3"], Overrides("unusual"));
    }

    [Theory]
    [InlineData("pc", 0xB000_0000UL, 0x00, 0x7F)]
    [InlineData("unusual", 0x40_0000_0000UL, 0x10, 0x1F)]
    public void Iasl_reads_the_ecam_allocation(string machine, ulong ecamBase, int startBus, int endBus)
    {
        var mcfg = Listing(Build(machine), "MCFG");
        Assert.Equal(ecamBase, mcfg.Named("Base Address").Number);
        Assert.Equal(0UL, mcfg.Named("Segment Group Number").Number);
        Assert.Equal((ulong)startBus, mcfg.Named("Start Bus Number").Number);
        Assert.Equal((ulong)endBus, mcfg.Named("End Bus Number").Number);
    }

    [Fact]
    public void Iasl_reads_the_xsdt_entries_as_the_placed_tables()
    {
        var set = Build("pc");
        var xsdt = Listing(set, "XSDT");
        var entries = xsdt.Fields.Where(f => f.Name.StartsWith("ACPI Table Address", StringComparison.Ordinal)).Select(f => f.Number);
        var expected = new[] { "FACP", "APIC", "MCFG", "SSDT" }.Select(s => set.Placements.Single(p => p.Signature == s).Address);
        Assert.Equal(expected, entries);
    }

    [Fact]
    public void Iasl_disassembles_the_dsdt_to_the_devices_we_declared()
    {
        using var workspace = new AcpicaWorkspace();
        string dsl = Iasl.Disassemble(workspace, "dsdt.aml", Build("pc").Table("DSDT").Span);
        Assert.Contains("DefinitionBlock (\"\", \"DSDT\", 2, \"TRNSTN\", \"TRNSDSDT\", 0x00000001)", dsl);
        foreach (string expected in new[]
        {
            "Device (PCI0)", "Name (_HID, EisaId (\"PNP0A08\") /* PCI Express Bus */)", "Name (_CID, EisaId (\"PNP0A03\") /* PCI Bus */)",
            "Name (_SEG, Zero)", "Name (_BBN, Zero)", "Name (_UID, Zero)", "Name (_PRT, Package (0x05)",
            "Device (RES0)", "Name (_HID, EisaId (\"PNP0C02\") /* PNP Motherboard Resources */)",
            "Device (COM1)", "Name (_HID, EisaId (\"PNP0501\") /* 16550A-compatible COM Serial Port */)",
            "Device (PWRB)", "Name (_HID, EisaId (\"PNP0C0C\") /* Power Button Device */)",
            "Name (\\_S5, Package (0x04)",
        })
        {
            Assert.Contains(expected, dsl);
        }
    }

    [Fact]
    public void The_judge_notices_a_bad_checksum()
    {
        byte[] madt = Build("pc").Table("APIC").ToArray();
        madt[9]++;
        using var workspace = new AcpicaWorkspace();
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Iasl.Disassemble(workspace, "apic.aml", madt));
        Assert.Contains("Incorrect checksum", failure.Message);
    }

    [Fact]
    public void The_judge_notices_a_truncated_subtable()
    {
        byte[] madt = Build("pc").Table("APIC").ToArray();
        madt[44 + 1] = 7; // the first Processor Local APIC claims 7 bytes instead of 8
        madt[9] = 0;
        madt[9] = (byte)(0 - madt.Aggregate(0, (sum, b) => sum + b));
        using var workspace = new AcpicaWorkspace();
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Iasl.AssertRoundTrips(workspace, "apic.aml", madt));
    }
}
