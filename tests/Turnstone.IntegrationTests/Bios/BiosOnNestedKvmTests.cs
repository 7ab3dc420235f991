using Turnstone.IntegrationTests.NestedKvm;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests.Bios;

/// <summary>
/// The BIOS boots on a real KVM where the host has none that can run them: KVM nested in QEMU's
/// software CPU (<see cref="KvmHostVm"/>), our command line inside with <c>--engine kvm</c>. The
/// same guests and checks as <see cref="BiosBootTests"/> and <see cref="BiosImageBootTests"/>,
/// whose KVM rows run on a host whose own KVM runs real-mode code.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Speed", "Slow")]
public sealed class BiosOnNestedKvmTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan SmallBootLimit = TimeSpan.FromMinutes(5);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-bios-kvm-");

    public void Dispose() => _directory.Delete(recursive: true);

    [KvmInQemuFact]
    public void A_boot_sector_reads_its_disk_through_int_13h_sees_the_timer_tick_and_powers_off()
    {
        var (status, text) = Boot(WriteDisk(BootSectorGuest.Image()), ScriptedConsole.RecordOnly(), SmallBootLimit);

        KvmHostVm.AssertExitStatus(0, status, text);
        Assert.Contains($"{BootSectorGuest.Greeting}\ndl=80h ok\nedd ok\n{BootSectorGuest.SecondSectorText}\nticks ok\n", text);
        Assert.Contains("engine kvm", text);
    }

    [KvmInQemuFact]
    public void A_disk_without_a_boot_signature_stops_the_machine_with_no_bootable_disk()
    {
        var (status, text) = Boot(WriteDisk(BootSectorGuest.Image(bootSignature: false)), ScriptedConsole.RecordOnly(), SmallBootLimit);

        KvmHostVm.AssertExitStatus(1, status, text);
        Assert.Contains("no bootable disk", text);
    }

    [KvmInQemuTheory, MemberData(nameof(BiosImageBootTests.Images), MemberType = typeof(BiosImageBootTests))]
    public void The_image_boots_through_its_loader_to_a_shell_and_powers_off(string target, string key, string loaderBanner)
    {
        var console = new ScriptedConsole("shell on hvc0", "# ", "poweroff\n");

        var (status, text) = Boot(GuestImages.BiosDisk(target, key), console, SmallBootLimit, readOnly: true);

        KvmHostVm.AssertExitStatus(0, status, text);
        Assert.Contains(loaderBanner, text);
        Assert.Contains("shell on hvc0", text);
        Assert.Contains("guest powered off", text);
        BiosBootExpectations.AssertKernelGotOurMemoryMap(text);
    }

    [KvmInQemuFact]
    public void Syslinux_enters_the_kernel_in_real_mode_and_the_kernel_publishes_our_edd_data_for_drive_80h()
    {
        string image = GuestImages.BiosDisk("syslinux-fat", "SYSLINUX_FAT_DISK");
        var console = new ScriptedConsole("shell on hvc0", "# ", BiosBootExpectations.EddQuery);

        var (status, text) = Boot(image, console, SmallBootLimit, readOnly: true);

        KvmHostVm.AssertExitStatus(0, status, text);
        BiosBootExpectations.AssertEddDescribes(image, text);
    }

    [KvmInQemuFact]
    public void Debian_12_from_debootstrap_reaches_a_root_shell_on_ttyS0_and_systemctl_poweroff_ends_the_run()
    {
        var console = new ScriptedConsole("login: root (automatic login)", "# ", "echo typed-$((6 * 7))\nsystemctl poweroff\n");

        // Writable (a copy inside the VM): systemd remounts the root read-write.
        var (status, text) = Boot(GuestImages.BiosDisk("debian12", "DEBIAN12_DISK"), console, TimeSpan.FromMinutes(15));

        KvmHostVm.AssertExitStatus(0, status, text);
        Assert.Contains("Welcome to GRUB!", text);
        Assert.Contains("Reached target", text);
        Assert.Contains("typed-42", text);
        Assert.Contains("reboot: Power down", text);
    }

    private string WriteDisk(byte[] image)
    {
        string disk = Path.Combine(_directory.FullName, "disk.img");
        File.WriteAllBytes(disk, image);
        return disk;
    }

    /// <summary>Boots <paramref name="disk"/> through our BIOS on the nested KVM (as /guest/disk.img);
    /// the serial output with carriage returns dropped, so guest lines compare as written.</summary>
    private (int? Status, string Text) Boot(string disk, ScriptedConsole console, TimeSpan timeLimit, bool readOnly = false)
    {
        string[] arguments = ["run", "--disk", readOnly ? "/guest/disk.img,readonly" : "/guest/disk.img", "--engine", "kvm"];
        var (status, text) = KvmHostVm.Run(arguments, new Dictionary<string, string> { ["disk.img"] = disk }, console, timeLimit, output);
        return (status, text.Replace("\r", "", StringComparison.Ordinal));
    }
}
