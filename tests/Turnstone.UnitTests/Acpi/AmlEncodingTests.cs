using Turnstone.Acpi.Aml;

namespace Turnstone.UnitTests.Acpi;

/// <summary>AML encodings checked byte for byte against the ACPI 6.3 grammar (chapter 20), worked by hand.</summary>
public sealed class AmlEncodingTests
{
    [Theory]
    [InlineData(0UL, new byte[] { 0x00 })] // ZeroOp
    [InlineData(1UL, new byte[] { 0x01 })] // OneOp
    [InlineData(2UL, new byte[] { 0x0A, 0x02 })]
    [InlineData(0xFFUL, new byte[] { 0x0A, 0xFF })]
    [InlineData(0x100UL, new byte[] { 0x0B, 0x00, 0x01 })]
    [InlineData(0xFFFFUL, new byte[] { 0x0B, 0xFF, 0xFF })]
    [InlineData(0x10000UL, new byte[] { 0x0C, 0x00, 0x00, 0x01, 0x00 })]
    [InlineData(0xFFFF_FFFFUL, new byte[] { 0x0C, 0xFF, 0xFF, 0xFF, 0xFF })] // not Ones: Ones is 64 bits in a revision-2 table
    [InlineData(0x1_0000_0000UL, new byte[] { 0x0E, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 })]
    [InlineData(0xFFFF_FFFF_FFFF_FFFEUL, new byte[] { 0x0E, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(ulong.MaxValue, new byte[] { 0xFF })] // OnesOp
    public void Integers_take_the_shortest_form(ulong value, byte[] expected) =>
        Assert.Equal(expected, new AmlInteger(value).ToAml());

    [Theory]
    [InlineData("_HID", new byte[] { 0x5F, 0x48, 0x49, 0x44 })]
    [InlineData("_SB", new byte[] { 0x5F, 0x53, 0x42, 0x5F })] // padded with '_'
    [InlineData("A", new byte[] { 0x41, 0x5F, 0x5F, 0x5F })]
    [InlineData("\\", new byte[] { 0x5C, 0x00 })] // the root: RootChar + NullName
    [InlineData("", new byte[] { 0x00 })]
    [InlineData("\\_SB", new byte[] { 0x5C, 0x5F, 0x53, 0x42, 0x5F })]
    [InlineData("\\_SB.PCI0", new byte[] { 0x5C, 0x2E, 0x5F, 0x53, 0x42, 0x5F, 0x50, 0x43, 0x49, 0x30 })] // DualNamePrefix
    [InlineData("\\_SB.PCI0.RES0", new byte[] { 0x5C, 0x2F, 0x03, 0x5F, 0x53, 0x42, 0x5F, 0x50, 0x43, 0x49, 0x30, 0x52, 0x45, 0x53, 0x30 })] // MultiNamePrefix, 3 segments
    [InlineData("^COM1", new byte[] { 0x5E, 0x43, 0x4F, 0x4D, 0x31 })]
    [InlineData("^^PCI0.S08", new byte[] { 0x5E, 0x5E, 0x2E, 0x50, 0x43, 0x49, 0x30, 0x53, 0x30, 0x38, 0x5F })]
    [InlineData("^", new byte[] { 0x5E, 0x00 })]
    public void Name_paths_encode_prefixes_and_segments(string path, byte[] expected) =>
        Assert.Equal(expected, NamePath.Parse(path).ToAml());

    [Theory]
    [InlineData("1ABC")] // digits may not lead
    [InlineData("ABCDE")] // five characters
    [InlineData("pci0")] // lower case
    [InlineData("\\^PCI0")] // rooted and parent-relative at once
    [InlineData("\\_SB..PCI0")] // empty segment
    [InlineData("A-B")]
    public void Malformed_names_are_refused(string path) =>
        Assert.ThrowsAny<ArgumentException>(() => NamePath.Parse(path));

    [Fact]
    public void Padding_is_part_of_the_name() =>
        Assert.Equal(NamePath.Parse("\\_S5"), NamePath.Parse("\\_S5_"));

    [Fact]
    public void Strings_are_null_terminated_ascii() =>
        Assert.Equal(new byte[] { 0x0D, 0x41, 0x43, 0x50, 0x49, 0x30, 0x30, 0x30, 0x37, 0x00 }, new AmlString("ACPI0007").ToAml());

    [Fact]
    public void Strings_outside_ascii_or_with_nul_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new AmlString("caf\u00E9"));
        Assert.Throws<ArgumentException>(() => new AmlString("a\0b"));
    }

    [Theory]
    [InlineData("PNP0A08", 0x080AD041u, new byte[] { 0x0C, 0x41, 0xD0, 0x0A, 0x08 })]
    [InlineData("PNP0A03", 0x030AD041u, new byte[] { 0x0C, 0x41, 0xD0, 0x0A, 0x03 })]
    [InlineData("PNP0501", 0x0105D041u, new byte[] { 0x0C, 0x41, 0xD0, 0x05, 0x01 })]
    [InlineData("PNP0C0C", 0x0C0CD041u, new byte[] { 0x0C, 0x41, 0xD0, 0x0C, 0x0C })]
    [InlineData("QEM0002", 0x0200AD44u, new byte[] { 0x0C, 0x44, 0xAD, 0x00, 0x02 })] // Q=10001 E=00101 M=01101: 0|10001|00 101|01101
    public void Eisa_ids_compress_to_a_dword(string id, uint compressed, byte[] aml)
    {
        Assert.Equal(compressed, EisaId.Compress(id));
        Assert.Equal(aml, EisaId.ToAml(id).ToAml());
    }

    [Theory]
    [InlineData("PNP0A0")]
    [InlineData("pnp0a08")]
    [InlineData("PNP0A0G")]
    [InlineData("1NP0A08")]
    public void Malformed_eisa_ids_are_refused(string id) =>
        Assert.Throws<ArgumentException>(() => EisaId.Compress(id));

    [Fact]
    public void A_method_returning_a_constant()
    {
        // Method (_STA, 0, NotSerialized) { Return (0x0F) }
        var method = new AmlMethod("_STA", 0, serialized: false, new AmlReturn(new AmlInteger(0x0F)));
        Assert.Equal(new byte[] { 0x14, 0x09, 0x5F, 0x53, 0x54, 0x41, 0x00, 0xA4, 0x0A, 0x0F }, method.ToAml());
    }

    [Fact]
    public void A_serialized_method_returning_a_package()
    {
        // Method (FOO, 2, Serialized) { Return (Package () { One, "A" }) }: flags = 2 args | 0x08
        var method = new AmlMethod("FOO", 2, serialized: true, new AmlReturn(new AmlPackage(AmlInteger.One, new AmlString("A"))));
        Assert.Equal(new byte[] { 0x14, 0x0E, 0x46, 0x4F, 0x4F, 0x5F, 0x0A, 0xA4, 0x12, 0x06, 0x02, 0x01, 0x0D, 0x41, 0x00 }, method.ToAml());
    }

    [Fact]
    public void Methods_take_at_most_seven_arguments() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlMethod("FOO", 8, serialized: false));

    [Fact]
    public void A_device_with_a_name_inside_a_scope()
    {
        // Scope (\_SB) { Device (PWRB) { Name (_HID, EisaId ("PNP0C0C")) } }
        var scope = new AmlScope("\\_SB", new AmlDevice("PWRB", new AmlName("_HID", EisaId.ToAml("PNP0C0C"))));
        Assert.Equal(new byte[]
        {
            0x10, 0x17, 0x5C, 0x5F, 0x53, 0x42, 0x5F,
            0x5B, 0x82, 0x0F, 0x50, 0x57, 0x52, 0x42,
            0x08, 0x5F, 0x48, 0x49, 0x44, 0x0C, 0x41, 0xD0, 0x0C, 0x0C,
        }, scope.ToAml());
    }

    [Fact]
    public void A_package_of_packages_and_names()
    {
        // Package () { Package () { 0x0001FFFF, Zero, Zero, 0x10 }, \_SB.LNKA }
        var package = new AmlPackage(
            new AmlPackage(new AmlInteger(0x0001FFFF), AmlInteger.Zero, AmlInteger.Zero, new AmlInteger(0x10)),
            NamePath.Parse("\\_SB.LNKA"));
        Assert.Equal(new byte[]
        {
            0x12, 0x18, 0x02,
            0x12, 0x0B, 0x04, 0x0C, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x0A, 0x10,
            0x5C, 0x2E, 0x5F, 0x53, 0x42, 0x5F, 0x4C, 0x4E, 0x4B, 0x41,
        }, package.ToAml());
    }

    [Fact]
    public void More_than_255_elements_make_a_var_package()
    {
        var elements = Enumerable.Repeat<IAmlObject>(AmlInteger.Zero, 256).ToArray();
        byte[] aml = new AmlPackage(elements).ToAml();
        // VarPackageOp, PkgLength (256 zeros + WordPrefix count 3 bytes = 259 content, 261 in two bytes = 0x105), count 0x0100
        Assert.Equal(new byte[] { 0x13, 0x45, 0x10, 0x0B, 0x00, 0x01 }, aml[..6]);
        Assert.Equal(6 + 256, aml.Length);
        Assert.All(aml[6..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_255_element_package_keeps_the_byte_count()
    {
        byte[] aml = new AmlPackage(Enumerable.Repeat<IAmlObject>(AmlInteger.One, 255).ToArray()).ToAml();
        // 255 + 1 count byte = 256 content, 258 total = 0x102
        Assert.Equal(new byte[] { 0x12, 0x42, 0x10, 0xFF }, aml[..4]);
    }

    [Fact]
    public void A_buffer_holds_its_size_then_its_bytes() =>
        Assert.Equal(new byte[] { 0x11, 0x06, 0x0A, 0x03, 0xAA, 0xBB, 0xCC }, new AmlBuffer([0xAA, 0xBB, 0xCC]).ToAml());
}
