using Turnstone.Acpi.Aml;

namespace Turnstone.UnitTests.Acpi;

/// <summary>
/// PkgLength (ACPI 6.3, 20.2.4) at each boundary. The expected bytes are worked by hand: the
/// encoded value is content + PkgLength size; one byte up to 63, then a lead byte with the byte
/// count in bits 7-6 and the low nibble in bits 3-0, followed by the rest little-endian.
/// </summary>
public sealed class PackageLengthTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x01 })]
    [InlineData(62, new byte[] { 0x3F })] // 63: the largest one-byte value
    [InlineData(63, new byte[] { 0x41, 0x04 })] // 65 = 0x041: the PkgLength's own second byte pushes it past 63
    [InlineData(4093, new byte[] { 0x4F, 0xFF })] // 4095 = 0xFFF: the largest two-byte value
    [InlineData(4094, new byte[] { 0x81, 0x00, 0x01 })] // 4097 = 0x1001
    [InlineData(0xFFFFC, new byte[] { 0x8F, 0xFF, 0xFF })] // 0xFFFFF = 1 MiB - 1: the largest three-byte value
    [InlineData(0xFFFFD, new byte[] { 0xC1, 0x00, 0x00, 0x01 })] // 0x100001: 1 MiB + 1 in four bytes
    [InlineData(0x0FFFFFFB, new byte[] { 0xCF, 0xFF, 0xFF, 0xFF })] // 2^28 - 1: the largest PkgLength
    public void Encodes_the_length_including_itself(int contentLength, byte[] expected) =>
        Assert.Equal(expected, PackageLength.Encode(contentLength));

    [Fact]
    public void Content_too_large_for_28_bits_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PackageLength.Encode(0x0FFFFFFC));
        Assert.Throws<ArgumentOutOfRangeException>(() => PackageLength.Encode(-1));
    }

    [Theory]
    [InlineData(60, new byte[] { 0x11, 0x3F, 0x0A, 0x3C })] // BufferOp, PkgLength 63, BytePrefix 60
    [InlineData(61, new byte[] { 0x11, 0x41, 0x04, 0x0A, 0x3D })] // 61 + 2 + 2 = 65
    [InlineData(4090, new byte[] { 0x11, 0x4F, 0xFF, 0x0B, 0xFA, 0x0F })] // WordPrefix size: 4090 + 3 + 2 = 4095
    [InlineData(4091, new byte[] { 0x11, 0x81, 0x00, 0x01, 0x0B, 0xFB, 0x0F })] // 4091 + 3 + 3 = 4097
    [InlineData(0x100000, new byte[] { 0x11, 0xC9, 0x00, 0x00, 0x01, 0x0C, 0x00, 0x00, 0x10, 0x00 })] // 1 MiB + 5 + 4 = 0x100009
    public void A_buffer_carries_the_right_form_in_front_of_its_bytes(int size, byte[] prefix)
    {
        byte[] aml = new AmlBuffer(new byte[size]).ToAml();
        Assert.Equal(prefix, aml[..prefix.Length]);
        Assert.Equal(prefix.Length + size, aml.Length);
    }
}
