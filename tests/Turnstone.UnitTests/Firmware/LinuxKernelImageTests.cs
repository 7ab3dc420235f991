using Turnstone.Firmware;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

public sealed class LinuxKernelImageTests
{
    [Fact]
    public void Rejects_an_empty_file()
    {
        var error = Assert.Throws<BootImageException>(() => LinuxKernelImage.Parse([]));
        Assert.Equal("kernel file is empty", error.Message);
    }

    [Fact]
    public void Recognises_a_vmlinux_ELF()
    {
        byte[] file = ElfBuilder.MinimalKernel().Build();

        var image = LinuxKernelImage.Parse(file);

        Assert.Equal(KernelEntryPath.Vmlinux, image.Path);
        Assert.Null(image.Header);
        Assert.NotNull(image.Elf);
        Assert.Equal(2, image.Elf.Segments.Count);
        Assert.Equal(0x100_0000ul, image.Elf.Entry);
        Assert.Equal("vmlinux ELF", image.Description);
    }

    [Fact]
    public void Keeps_a_bzImage_with_a_payload_we_cannot_decompress_compressed()
    {
        var image = LinuxKernelImage.Parse(new BzImageBuilder().Build(), decompressOnHost: true);

        Assert.Equal(KernelEntryPath.CompressedBzImage, image.Path);
        Assert.Equal(PayloadCompression.Xz, image.Compression);
        Assert.Null(image.Elf);
        Assert.Equal("bzImage, protocol 2.15, Xz payload decompressed by the guest", image.Description);
    }

    [Fact]
    public void Decompresses_an_lz4_payload_on_the_host_into_its_ELF_segments()
    {
        byte[] vmlinux = ElfBuilder.MinimalKernel().Build();
        byte[] file = new BzImageBuilder { Payload = Lz4LegacyFrame.Compress(vmlinux) }.Build();

        var image = LinuxKernelImage.Parse(file, decompressOnHost: true);

        Assert.Equal(KernelEntryPath.HostDecompressedVmlinux, image.Path);
        Assert.Equal(PayloadCompression.Lz4Legacy, image.Compression);
        Assert.NotNull(image.Header);
        Assert.NotNull(image.Elf);
        Assert.Equal(vmlinux, image.Elf.File.ToArray());
        Assert.Equal(0x100_0000ul, image.Elf.Entry);
        Assert.Collection(image.Elf.Segments,
            text =>
            {
                Assert.Equal(0xFFFF_FFFF_8100_0000ul, text.VirtualAddress);
                Assert.Equal(0x100_0000ul, text.PhysicalAddress);
                Assert.Equal(0x100ul, text.FileSize);
                Assert.Equal(0x2000ul, text.MemorySize);
            },
            data =>
            {
                Assert.Equal(0x100_2000ul, data.PhysicalAddress);
                Assert.Equal(0x80ul, data.FileSize);
                Assert.Equal(0x1000ul, data.MemorySize);
            });
    }

    [Fact]
    public void Keeps_an_lz4_bzImage_compressed_when_asked_to()
    {
        byte[] file = new BzImageBuilder { Payload = Lz4LegacyFrame.Compress(ElfBuilder.MinimalKernel().Build()) }.Build();

        var image = LinuxKernelImage.Parse(file, decompressOnHost: false);

        Assert.Equal(KernelEntryPath.CompressedBzImage, image.Path);
        Assert.Equal(PayloadCompression.Lz4Legacy, image.Compression);
        Assert.Null(image.Elf);
    }

    [Fact]
    public void Rejects_a_host_decompressed_payload_that_is_not_an_ELF()
    {
        byte[] file = new BzImageBuilder { Payload = Lz4LegacyFrame.Compress(new byte[4096]) }.Build();

        var error = Assert.Throws<BootImageException>(() => LinuxKernelImage.Parse(file, decompressOnHost: true));
        Assert.Contains("decompressed kernel payload", error.Message);
    }

    [Fact]
    public void Rejects_a_file_that_is_neither_ELF_nor_bzImage()
    {
        var error = Assert.Throws<BootImageException>(() => LinuxKernelImage.Parse(new byte[100]));
        Assert.Contains("truncated (100 bytes)", error.Message);
    }
}
