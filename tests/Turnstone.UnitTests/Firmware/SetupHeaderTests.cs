using Turnstone.Firmware;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

public sealed class SetupHeaderTests
{
    [Fact]
    public void Parses_the_fields_of_a_valid_bzImage()
    {
        var builder = new BzImageBuilder
        {
            SetupSectors = 7,
            Version = 0x020F,
            LoadFlags = 0x81,
            XLoadFlags = 0x1F,
            KernelAlignment = 0x100_0000,
            InitrdAddressMax = 0x7FFF_FFFF,
            CommandLineSize = 4095,
            PreferredAddress = 0x100_0000,
            InitSize = 0x1234_0000,
        };
        byte[] file = builder.Build();

        var header = SetupHeader.Parse(file);

        Assert.Equal(7, header.SetupSectors);
        Assert.Equal(8 * 512, header.SetupBytes);
        Assert.Equal((uint)(builder.ProtectedModeBytes / 16), header.SysSize);
        Assert.Equal(0x020F, header.Version);
        Assert.Equal(0x81, header.LoadFlags);
        Assert.Equal(0x1F, header.XLoadFlags);
        Assert.Equal(0x10_0000u, header.Code32Start);
        Assert.Equal(0x100_0000u, header.KernelAlignment);
        Assert.True(header.Relocatable);
        Assert.Equal(0x7FFF_FFFFu, header.InitrdAddressMax);
        Assert.Equal(4095u, header.CommandLineSize);
        Assert.Equal((uint)BzImageBuilder.DefaultPayloadOffset, header.PayloadOffset);
        Assert.Equal((uint)builder.Payload.Length, header.PayloadLength);
        Assert.Equal(0x100_0000ul, header.PreferredAddress);
        Assert.Equal(0x1234_0000u, header.InitSize);
        Assert.Equal(0x202 + 0x6A - 0x1F1, header.Length);
    }

    [Fact]
    public void Setup_sectors_zero_means_four()
    {
        var header = SetupHeader.Parse(new BzImageBuilder { SetupSectors = 0 }.Build());

        Assert.Equal(4, header.SetupSectors);
        Assert.Equal(5 * 512, header.SetupBytes);
    }

    [Fact]
    public void Rejects_a_file_too_short_for_a_header()
    {
        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(new BzImageBuilder { TruncateTo = 0x200 }.Build()));
        Assert.Contains("truncated (512 bytes)", error.Message);
    }

    [Fact]
    public void Rejects_a_missing_boot_flag()
    {
        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(new BzImageBuilder { BootFlag = 0x55AA }.Build()));
        Assert.Contains("0xAA55", error.Message);
    }

    [Fact]
    public void Rejects_a_missing_HdrS_magic()
    {
        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(new BzImageBuilder { HeaderMagic = 0x12345678 }.Build()));
        Assert.Contains("'HdrS'", error.Message);
    }

    [Fact]
    public void Rejects_a_protocol_older_than_2_12()
    {
        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(new BzImageBuilder { Version = 0x020B }.Build()));
        Assert.Contains("2.11 is too old", error.Message);
    }

    [Fact]
    public void Accepts_exactly_protocol_2_12()
    {
        Assert.Equal(0x020C, SetupHeader.Parse(new BzImageBuilder { Version = 0x020C }.Build()).Version);
    }

    [Fact]
    public void Rejects_a_zImage_without_LOADED_HIGH()
    {
        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(new BzImageBuilder { LoadFlags = 0x80 }.Build()));
        Assert.Contains("LOADED_HIGH", error.Message);
    }

    [Fact]
    public void Rejects_a_kernel_without_a_64_bit_entry()
    {
        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(new BzImageBuilder { XLoadFlags = 0x02 }.Build()));
        Assert.Contains("XLF_KERNEL_64", error.Message);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0x30_0000u)]
    public void Rejects_a_kernel_alignment_that_is_not_a_power_of_two(uint alignment)
    {
        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(new BzImageBuilder { KernelAlignment = alignment }.Build()));
        Assert.Contains($"kernel_alignment 0x{alignment:x} is not a power of two", error.Message);
    }

    [Fact]
    public void Rejects_a_file_shorter_than_setup_plus_syssize()
    {
        var builder = new BzImageBuilder();
        builder.SysSizeOverride = (uint)(builder.ProtectedModeBytes / 16 + 1);

        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(builder.Build()));

        Assert.Contains($"header says 2560 setup bytes + {builder.ProtectedModeBytes + 16} kernel bytes", error.Message);
    }

    [Fact]
    public void Rejects_a_payload_outside_the_protected_mode_kernel()
    {
        var builder = new BzImageBuilder();
        builder.PayloadLengthOverride = (uint)(builder.ProtectedModeBytes - BzImageBuilder.DefaultPayloadOffset + 1);

        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(builder.Build()));

        Assert.Contains("payload lies outside the protected-mode kernel", error.Message);
    }

    [Fact]
    public void Rejects_init_size_zero()
    {
        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(new BzImageBuilder { InitSize = 0 }.Build()));
        Assert.Contains("init_size is zero", error.Message);
    }

    [Fact]
    public void Rejects_a_header_shorter_than_the_fields_it_must_hold()
    {
        var error = Assert.Throws<BootImageException>(() => SetupHeader.Parse(new BzImageBuilder { JumpDisplacement = 0x30 }.Build()));
        Assert.Contains("setup header length", error.Message);
    }
}
