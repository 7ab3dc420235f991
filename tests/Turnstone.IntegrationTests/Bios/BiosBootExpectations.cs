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

    /// <summary>Typed at the shell: prints what /sys/firmware/edd holds for drive 80h, then powers off.</summary>
    public const string EddQuery = "for f in version sectors mbr_signature; do echo edd-$f=$(cat /sys/firmware/edd/int13_dev80/$f); done\npoweroff\n";

    /// <summary>What <see cref="EddQuery"/> prints for <paramref name="image"/> after a real-mode
    /// kernel entry: EDD 3.0 (INT 13h 41h), its sectors (48h), its MBR's signature (02h).</summary>
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
    }
}
