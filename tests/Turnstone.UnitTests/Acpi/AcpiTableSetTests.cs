using System.Buffers.Binary;
using System.Text;
using Turnstone.Acpi.Description;
using Turnstone.Acpi.Tables;

namespace Turnstone.UnitTests.Acpi;

/// <summary>Layout, headers, checksums and pointers of the table set, read back from the bytes.</summary>
public sealed class AcpiTableSetTests
{
    private static readonly string[] StandardHeaderTables = ["DSDT", "SSDT", "FACP", "APIC", "MCFG", "XSDT"];

    public static TheoryData<string> Machines => ["pc", "unusual"];

    internal static MachineDescription Machine(string name) => name == "pc" ? SampleMachines.Pc() : SampleMachines.Unusual();

    private static AcpiTableSet Build(string machine) =>
        AcpiTableSet.Build(Machine(machine), SampleMachines.TablesAddress, SampleMachines.RsdpAddress);

    private static byte Sum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }
        return sum;
    }

    private static string Ascii(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);

    /// <summary>The signature of whatever table starts at guest-physical <paramref name="address"/> in the blob.</summary>
    private static string SignatureAt(AcpiTableSet set, ulong address)
    {
        Assert.InRange(address, set.TablesAddress, set.TablesAddress + (ulong)set.Tables.Length - 4);
        return Ascii(set.Tables.Span.Slice((int)(address - set.TablesAddress), 4));
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Every_table_sums_to_zero_and_its_length_field_is_its_size(string machine)
    {
        var set = Build(machine);
        foreach (string signature in StandardHeaderTables)
        {
            var table = set.Table(signature).Span;
            Assert.Equal(signature, Ascii(table[..4]));
            Assert.Equal((uint)table.Length, BinaryPrimitives.ReadUInt32LittleEndian(table[4..]));
            Assert.True(Sum(table) == 0, $"{signature} sums to 0x{Sum(table):X2}");
            Assert.Equal("TRNSTN", Ascii(table[10..16]));
            Assert.StartsWith("TRNS", Ascii(table[16..24]));
            Assert.Equal("TRNS", Ascii(table[28..32]));
        }
        var facs = set.Table("FACS").Span;
        Assert.Equal("FACS", Ascii(facs[..4]));
        Assert.Equal(64u, BinaryPrimitives.ReadUInt32LittleEndian(facs[4..]));
        Assert.Equal(64, facs.Length);
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void The_rsdp_has_both_checksums_and_points_at_the_xsdt(string machine)
    {
        var set = Build(machine);
        var rsdp = set.Rsdp.Span;
        Assert.Equal(36, rsdp.Length);
        Assert.Equal("RSD PTR ", Ascii(rsdp[..8]));
        Assert.True(Sum(rsdp[..20]) == 0, "the ACPI 1.0 checksum covers the first 20 bytes");
        Assert.True(Sum(rsdp) == 0, "the extended checksum covers all 36 bytes");
        Assert.Equal("TRNSTN", Ascii(rsdp[9..15]));
        Assert.Equal(2, rsdp[15]);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(rsdp[16..]));
        Assert.Equal(36u, BinaryPrimitives.ReadUInt32LittleEndian(rsdp[20..]));
        Assert.Equal("XSDT", SignatureAt(set, BinaryPrimitives.ReadUInt64LittleEndian(rsdp[24..])));
        Assert.Equal(SampleMachines.RsdpAddress, set.RsdpAddress);
    }

    [Fact]
    public void The_xsdt_lists_every_table_but_the_dsdt_and_facs()
    {
        var set = Build("pc");
        byte[] xsdt = set.Table("XSDT").ToArray();
        Assert.Equal(36 + 4 * 8, xsdt.Length);
        var listed = Enumerable.Range(0, 4).Select(i => SignatureAt(set, BinaryPrimitives.ReadUInt64LittleEndian(xsdt.AsSpan(36 + 8 * i)))).ToArray();
        Assert.Equal(["FACP", "APIC", "MCFG", "SSDT"], listed);
    }

    [Fact]
    public void The_fadt_points_at_the_dsdt_and_facs()
    {
        var set = Build("pc");
        var fadt = set.Table("FACP").Span;
        Assert.Equal(276, fadt.Length);
        Assert.Equal(6, fadt[8]);
        ulong facs = BinaryPrimitives.ReadUInt32LittleEndian(fadt[36..]);
        Assert.Equal("FACS", SignatureAt(set, facs));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(fadt[40..])); // 32-bit DSDT unused
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(fadt[132..])); // only one FACS pointer may be set
        Assert.Equal("DSDT", SignatureAt(set, BinaryPrimitives.ReadUInt64LittleEndian(fadt[140..])));
    }

    [Fact]
    public void A_facs_above_4_gib_goes_in_x_firmware_ctrl()
    {
        const ulong high = 0x1_2345_6000;
        var set = AcpiTableSet.Build(SampleMachines.Pc(), high, SampleMachines.RsdpAddress);
        var fadt = set.Table("FACP").Span;
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(fadt[36..]));
        Assert.Equal(high, BinaryPrimitives.ReadUInt64LittleEndian(fadt[132..])); // the FACS comes first in the blob
        Assert.Equal("DSDT", SignatureAt(set, BinaryPrimitives.ReadUInt64LittleEndian(fadt[140..])));
    }

    [Fact]
    public void Tables_are_placed_back_to_back_and_aligned()
    {
        var set = Build("pc");
        Assert.Equal(["FACS", "DSDT", "SSDT", "FACP", "APIC", "MCFG", "XSDT"], set.Placements.Select(p => p.Signature));
        Assert.Equal(SampleMachines.TablesAddress, set.Placements[0].Address);
        ulong end = set.TablesAddress;
        foreach (var placed in set.Placements)
        {
            Assert.Equal(0UL, placed.Address % 8);
            Assert.InRange(placed.Address - end, 0UL, 7UL);
            end = placed.Address + (ulong)placed.Length;
        }
        Assert.Equal(end - set.TablesAddress, (ulong)set.Tables.Length);
    }

    [Fact]
    public void Addresses_the_tables_cannot_use_are_refused()
    {
        var pc = SampleMachines.Pc();
        Assert.Throws<ArgumentException>(() => AcpiTableSet.Build(pc, 0xE1020, SampleMachines.RsdpAddress)); // FACS needs 64-byte alignment
        Assert.Throws<ArgumentException>(() => AcpiTableSet.Build(pc, SampleMachines.TablesAddress, 0xE0008)); // RSDP needs 16
        Assert.Throws<ArgumentException>(() => AcpiTableSet.Build(pc, SampleMachines.TablesAddress, SampleMachines.TablesAddress + 0x40));
    }

    [Fact]
    public void The_dsdt_does_not_depend_on_the_vcpu_count()
    {
        var one = AcpiTableSet.Build(SampleMachines.Pc(vcpus: 1), SampleMachines.TablesAddress, SampleMachines.RsdpAddress);
        var many = AcpiTableSet.Build(SampleMachines.Pc(vcpus: 64), SampleMachines.TablesAddress, SampleMachines.RsdpAddress);
        Assert.Equal(one.Table("DSDT").ToArray(), many.Table("DSDT").ToArray());
        Assert.NotEqual(one.Table("SSDT").Length, many.Table("SSDT").Length);
    }

    [Fact]
    public void The_madt_has_one_enabled_local_apic_per_vcpu()
    {
        var set = AcpiTableSet.Build(SampleMachines.Pc(vcpus: 3), SampleMachines.TablesAddress, SampleMachines.RsdpAddress);
        var madt = set.Table("APIC").Span;
        Assert.Equal(0xFEE0_0000u, BinaryPrimitives.ReadUInt32LittleEndian(madt[36..]));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(madt[40..])); // PCAT_COMPAT
        var entries = new List<(byte Type, byte[] Body)>();
        for (int at = 44; at < madt.Length; at += madt[at + 1])
        {
            Assert.True(madt[at + 1] >= 2, "a MADT entry shorter than its own header");
            entries.Add((madt[at], madt.Slice(at, madt[at + 1]).ToArray()));
        }
        Assert.Equal([0, 0, 0, 1, 2, 2, 4], entries.Select(e => e.Type));
        for (byte cpu = 0; cpu < 3; cpu++)
        {
            Assert.Equal(new byte[] { 0, 8, cpu, cpu, 1, 0, 0, 0 }, entries[cpu].Body);
        }
        Assert.Equal(new byte[] { 1, 12, 0, 0, 0x00, 0x00, 0xC0, 0xFE, 0, 0, 0, 0 }, entries[3].Body);
        Assert.Equal(new byte[] { 2, 10, 0, 0, 2, 0, 0, 0, 0x00, 0x00 }, entries[4].Body); // IRQ 0 -> GSI 2, conforming
        Assert.Equal(new byte[] { 2, 10, 0, 9, 9, 0, 0, 0, 0x0D, 0x00 }, entries[5].Body); // IRQ 9 -> GSI 9, level (3 << 2), active high (1)
        Assert.Equal(new byte[] { 4, 6, 0xFF, 0, 0, 1 }, entries[6].Body); // LINT1 of every processor is NMI
    }

    [Fact]
    public void The_mcfg_describes_segment_0()
    {
        var mcfg = Build("unusual").Table("MCFG").Span;
        Assert.Equal(60, mcfg.Length);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(mcfg[36..]));
        Assert.Equal(0x40_0000_0000UL, BinaryPrimitives.ReadUInt64LittleEndian(mcfg[44..]));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(mcfg[52..]));
        Assert.Equal(0x10, mcfg[54]);
        Assert.Equal(0x1F, mcfg[55]);
    }
}
