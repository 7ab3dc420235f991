namespace Turnstone.IntegrationTests.Bios;

/// <summary>What a BIOS boot of the recipe's images shows, on any engine: the checks the
/// in-process boots (<see cref="BiosImageBootTests"/>) and the boots on KVM nested in QEMU
/// (<see cref="BiosOnNestedKvmTests"/>) share.</summary>
internal static class BiosBootExpectations
{
    /// <summary>The map INT 15h E820 gave the loader, as the kernel received it: conventional
    /// memory up to the EBDA, the BIOS area reserved, the ACPI tables, RAM from 1 MiB (512 MiB
    /// guest), the ECAM reserved; and the RSDP where the kernel found it.</summary>
    public static void AssertKernelGotOurMemoryMap(string text)
    {
        Assert.Contains("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable", text);
        Assert.Contains("BIOS-e820: [mem 0x0000000000100000-0x000000001fffffff] usable", text);
        Assert.Contains("ACPI data", text);
        Assert.Contains("BIOS-e820: [mem 0x00000000e0000000-0x00000000e00fffff] reserved", text);
        Assert.Contains("ACPI: RSDP 0x00000000000E0000", text);
    }

    /// <summary>Typed at the shell: prints what /sys/firmware/edd holds for drive 80h, and the PCI
    /// function of vda as the guest enumerated it, then powers off. host_bus and interface come from
    /// the EDD 3.0 device path; pci_dev is the kernel's link to the PCI device that path names.</summary>
    public const string EddQuery =
        "for f in version sectors mbr_signature host_bus interface; do echo edd-$f=$(cat /sys/firmware/edd/int13_dev80/$f); done\n"
        + "echo edd-pci_dev=$(basename $(readlink -f /sys/firmware/edd/int13_dev80/pci_dev)); echo vda-pci=$(basename $(readlink -f /sys/block/vda/device/..))\n"
        + "poweroff\n";

    /// <summary>What <see cref="EddQuery"/> prints for <paramref name="image"/> after a real-mode
    /// kernel entry: EDD 3.0 (INT 13h 41h), its sectors (48h), its MBR's signature (02h), and the
    /// device path (48h, EDD 3.0) naming vda's virtio-blk function.</summary>
    public static void AssertEddDescribes(string image, string text)
    {
        long sectors = new FileInfo(image).Length / 512;
        byte[] mbr = new byte[512];
        using (var file = File.OpenRead(image))
        {
            file.ReadExactly(mbr);
        }
        uint signature = BitConverter.ToUInt32(mbr, 0x1B8);
        Assert.Contains("edd-version=0x30", text);
        Assert.Contains($"edd-sectors={sectors}", text);
        Assert.Contains($"edd-mbr_signature=0x{signature:x8}", text);
        var slot = System.Text.RegularExpressions.Regex.Match(text, @"vda-pci=0000:([0-9a-f]{2}:[0-9a-f]{2}\.[0-7])");
        Assert.True(slot.Success, "the guest shows vda's PCI function");
        Assert.Contains($"edd-host_bus=PCI {slot.Groups[1].Value} channel: 0", text);
        Assert.Contains("edd-interface=SCSI id: 0 lun: 0", text); // SeaBIOS's interface type for virtio
        Assert.Contains($"edd-pci_dev=0000:{slot.Groups[1].Value}", text);
    }
}
