using Turnstone.Acpi.Aml;
using Turnstone.Acpi.Aml.Resources;

namespace Turnstone.UnitTests.Acpi;

/// <summary>
/// The encoder judged by the ASL compiler: each case is hand-written ASL and the AML tree meant
/// to say the same thing. iasl compiles the ASL without name-path optimisation (-on); the AML after the
/// table header must equal ours byte for byte.
/// </summary>
public sealed class AmlAgainstIaslTests
{
    private static readonly Dictionary<string, (string Asl, IAmlObject[] Aml)> Cases = new()
    {
        ["integers"] = (
            "Name (I000, 0) Name (I001, 1) Name (I002, 0xFF) Name (I003, 0x100) Name (I004, 0xFFFF) Name (I005, 0x10000)" +
            " Name (I006, 0xFFFFFFFF) Name (I007, 0x100000000) Name (I008, 0xFFFFFFFFFFFFFFFF)",
            [
                new AmlName("I000", new AmlInteger(0)), new AmlName("I001", new AmlInteger(1)), new AmlName("I002", new AmlInteger(0xFF)),
                new AmlName("I003", new AmlInteger(0x100)), new AmlName("I004", new AmlInteger(0xFFFF)), new AmlName("I005", new AmlInteger(0x10000)),
                new AmlName("I006", new AmlInteger(0xFFFF_FFFF)), new AmlName("I007", new AmlInteger(0x1_0000_0000)),
                new AmlName("I008", new AmlInteger(ulong.MaxValue)),
            ]),
        ["names"] = (
            "Name (\\_S5, Package () { 5, 5, 0, 0 }) Scope (\\_SB) { Device (PCI0) { Name (_ADR, Zero) Device (RES0) { Name (_ADR, One)" +
            " Name (^^REF0, Package () { ^RES0, \\_SB.PCI0, ^^PCI0.RES0 }) Name (\\_SB.PCI0.RES0.REF1, Package () { \\ }) } } }",
            [
                new AmlName("\\_S5", new AmlPackage(new AmlInteger(5), new AmlInteger(5), AmlInteger.Zero, AmlInteger.Zero)),
                new AmlScope("\\_SB", new AmlDevice("PCI0", new AmlName("_ADR", AmlInteger.Zero), new AmlDevice("RES0", new AmlName("_ADR", AmlInteger.One),
                    new AmlName("^^REF0", new AmlPackage(NamePath.Parse("^RES0"), NamePath.Parse("\\_SB.PCI0"), NamePath.Parse("^^PCI0.RES0"))),
                    new AmlName("\\_SB.PCI0.RES0.REF1", new AmlPackage(NamePath.Parse("\\")))))),
            ]),
        ["strings and eisa ids"] = (
            "Name (_HID, \"ACPI0007\") Name (_CID, EisaId (\"PNP0A03\")) Name (HID2, EisaId (\"QEM0002\")) Name (EMPT, \"\")",
            [
                new AmlName("_HID", new AmlString("ACPI0007")), new AmlName("_CID", EisaId.ToAml("PNP0A03")),
                new AmlName("HID2", EisaId.ToAml("QEM0002")), new AmlName("EMPT", new AmlString("")),
            ]),
        ["methods"] = (
            "Method (MTH0, 0, NotSerialized) { Return (0x0F) }" +
            " Method (MTH1, 7, Serialized) { Return (Package () { One, \"A\", Package () { Zero } }) }",
            [
                new AmlMethod("MTH0", 0, serialized: false, new AmlReturn(new AmlInteger(0x0F))),
                new AmlMethod("MTH1", 7, serialized: true, new AmlReturn(new AmlPackage(AmlInteger.One, new AmlString("A"), new AmlPackage(AmlInteger.Zero)))),
            ]),
        ["resource template"] = (
            """
            Name (RT00, ResourceTemplate () {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0x10, 0x3F, 0, 0x30)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, 0x0D00, 0xFFFF, 0, 0xF300)
                DWordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, NonISAOnlyRanges, 0, 0x1000, 0x1FFF, 0, 0x1000)
                QWordIO (ResourceConsumer, MinFixed, MaxFixed, PosDecode, ISAOnlyRanges, 0, 0x2000, 0x20FF, 0, 0x100)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadOnly, 0, 0xA0000, 0xBFFFF, 0, 0x20000)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, 0xC0000000, 0xFEBFFFFF, 0, 0x3EC00000)
                QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Prefetchable, ReadWrite, 0, 0x8000000000, 0x8FFFFFFFFF, 0, 0x1000000000)
                QWordMemory (ResourceConsumer, PosDecode, MinFixed, MaxFixed, WriteCombining, ReadWrite, 0, 0x4000000000, 0x400FFFFFFF, 0, 0x10000000)
                IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                IO (Decode16, 0x0060, 0x0064, 0x04, 0x01)
                Memory32Fixed (ReadWrite, 0xB0000000, 0x10000000)
                Memory32Fixed (ReadOnly, 0xFED00000, 0x400)
                IRQNoFlags () {4}
                IRQNoFlags () {1, 12}
                IRQ (Level, ActiveLow, Shared) {5, 10, 11}
                IRQ (Edge, ActiveHigh, Exclusive) {8}
                Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {16}
                Interrupt (ResourceConsumer, Edge, ActiveLow, Shared) {17, 0x12345678}
            })
            """,
            [
                new AmlName("RT00", new ResourceTemplate(
                    AddressSpaceDescriptor.WordBusNumber(0x10, 0x3F),
                    AddressSpaceDescriptor.WordIo(0x0D00, 0xFFFF),
                    AddressSpaceDescriptor.DWordIo(0x1000, 0x1FFF, IoRange.NonIsaOnly),
                    AddressSpaceDescriptor.QWordIo(0x2000, 0x20FF, IoRange.IsaOnly, producer: false),
                    AddressSpaceDescriptor.DWordMemory(0xA_0000, 0xB_FFFF, MemoryCaching.Cacheable, writable: false),
                    AddressSpaceDescriptor.DWordMemory(0xC000_0000, 0xFEBF_FFFF),
                    AddressSpaceDescriptor.QWordMemory(0x80_0000_0000, 0x8F_FFFF_FFFF, MemoryCaching.Prefetchable),
                    AddressSpaceDescriptor.QWordMemory(0x40_0000_0000, 0x40_0FFF_FFFF, MemoryCaching.WriteCombining, producer: false),
                    IoPortDescriptor.Fixed(0x3F8, 8),
                    new IoPortDescriptor(0x60, 0x64, 4, 1),
                    new Memory32FixedDescriptor(0xB000_0000, 0x1000_0000),
                    new Memory32FixedDescriptor(0xFED0_0000, 0x400, Writable: false),
                    IrqDescriptor.NoFlags(4),
                    IrqDescriptor.NoFlags(1, 12),
                    IrqDescriptor.WithFlags(InterruptTrigger.Level, InterruptPolarity.ActiveLow, shared: true, 5, 10, 11),
                    IrqDescriptor.WithFlags(InterruptTrigger.Edge, InterruptPolarity.ActiveHigh, shared: false, 8),
                    new ExtendedInterruptDescriptor(InterruptTrigger.Level, InterruptPolarity.ActiveHigh, shared: false, 16),
                    new ExtendedInterruptDescriptor(InterruptTrigger.Edge, InterruptPolarity.ActiveLow, shared: true, 17, 0x1234_5678))),
            ]),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Iasl_compiles_the_same_asl_to_the_same_bytes(string name)
    {
        var (asl, aml) = Cases[name];
        using var workspace = new AcpicaWorkspace();
        byte[] expected = Iasl.CompileTerms(workspace, asl);
        var writer = new AmlWriter();
        foreach (var term in aml)
        {
            writer.Write(term);
        }
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(writer.ToArray()));
    }

    /// <summary>Buffer sizes where the PkgLength grows a byte (60/61, 4090/4091) and where the size prefix does (255/256).</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(60)]
    [InlineData(61)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(4090)]
    [InlineData(4091)]
    public void Package_lengths_agree_with_iasl_at_the_boundaries(int size)
    {
        byte[] contents = Enumerable.Range(0, size).Select(i => (byte)(i * 7 + 1)).ToArray();
        using var workspace = new AcpicaWorkspace();
        string initializer = string.Join(", ", contents.Select(b => $"0x{b:X2}"));
        byte[] expected = Iasl.CompileTerms(workspace, $"Name (BUF0, Buffer ({size}) {{ {initializer} }})");
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(new AmlName("BUF0", new AmlBuffer(contents)).ToAml()));
    }
}
