using Turnstone.Firmware;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

/// <summary>Which entry an ELF kernel gets: PVH for a non-Linux ELF with the PVH note, Linux's 64-bit entry for a vmlinux, unless forced.</summary>
public sealed class BootProtocolSelectionTests
{
    /// <summary>A vmlinux as a CONFIG_PVH kernel build leaves it: build-salt "Linux" note and an 8-byte PVH entry.</summary>
    private static byte[] LinuxVmlinuxWithPvhNote() => ElfBuilder.MinimalKernel()
        .Notes(("GNU", 3, new byte[20]), ("Linux", 0x100, [0, 0, 0, 0]), ("Xen", 18, [0x40, 0, 0, 0x01, 0, 0, 0, 0]))
        .Build();

    [Fact]
    public void A_non_Linux_ELF_with_the_PVH_note_boots_through_PVH()
    {
        var image = LinuxKernelImage.Parse(ElfBuilder.PvhGuest(0x10_0010).Build());

        Assert.Equal(KernelEntryPath.Pvh, image.Path);
        Assert.Equal(0x10_0010u, image.PvhEntry);
        Assert.Equal("PVH ELF, entry 0x100010", image.Description);
    }

    [Fact]
    public void A_Linux_vmlinux_with_the_PVH_note_keeps_the_64_bit_entry()
    {
        var image = LinuxKernelImage.Parse(LinuxVmlinuxWithPvhNote());

        Assert.Equal(KernelEntryPath.Vmlinux, image.Path);
        Assert.Null(image.PvhEntry);
    }

    [Fact]
    public void An_ELF_without_the_PVH_note_keeps_the_64_bit_entry()
    {
        Assert.Equal(KernelEntryPath.Vmlinux, LinuxKernelImage.Parse(ElfBuilder.MinimalKernel().Build()).Path);
    }

    [Fact]
    public void PVH_can_be_forced_for_a_Linux_vmlinux()
    {
        var image = LinuxKernelImage.Parse(LinuxVmlinuxWithPvhNote(), protocol: BootProtocol.Pvh);

        Assert.Equal(KernelEntryPath.Pvh, image.Path);
        Assert.Equal(0x100_0040u, image.PvhEntry);
        Assert.Equal("vmlinux ELF through its PVH entry at 0x1000040", image.Description);
    }

    [Fact]
    public void The_Linux_entry_can_be_forced_for_a_PVH_ELF()
    {
        Assert.Equal(KernelEntryPath.Vmlinux, LinuxKernelImage.Parse(ElfBuilder.PvhGuest().Build(), protocol: BootProtocol.Linux).Path);
    }

    [Fact]
    public void Forcing_PVH_without_the_note_is_refused()
    {
        var error = Assert.Throws<BootImageException>(() => LinuxKernelImage.Parse(ElfBuilder.MinimalKernel().Build(), protocol: BootProtocol.Pvh));

        Assert.Equal("the ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), so it cannot boot through PVH", error.Message);
    }

    [Fact]
    public void Forcing_PVH_for_a_bzImage_is_refused()
    {
        var error = Assert.Throws<BootImageException>(() => LinuxKernelImage.Parse(new BzImageBuilder().Build(), protocol: BootProtocol.Pvh));

        Assert.StartsWith("booting through PVH needs an ELF kernel with a PVH entry note", error.Message);
    }
}
