using Turnstone.Bench.Bios;
using Turnstone.Engine;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests.Bios;

/// <summary>
/// The recipe's BIOS disk images booted as a user boots them, with no kernel given: our BIOS runs
/// the loader on the disk (GRUB i386-pc from the MBR gap, SYSLINUX from a FAT partition, GRUB from
/// a GPT disk's BIOS boot partition), the loader reads the minimal kernel through INT 13h and starts
/// it with the memory map INT 15h E820 gave it, the shell comes up on hvc0 and `poweroff` ends the
/// run. The kernel's own view is checked from its log (the E820 map it was handed) and, after
/// SYSLINUX's real-mode entry, from /sys/firmware/edd (the disk as INT 13h described it). Then the kind of
/// image users boot: Debian 12 from debootstrap (GRUB, Debian's kernel and the initramfs-tools initrd
/// it generated, systemd) to root's shell on ttyS0, and `systemctl poweroff`.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Speed", "Slow")]
public sealed class BiosImageBootTests(ITestOutputHelper output)
{
    public static TheoryData<string, string, string> Images => new()
    {
        { "grub-mbr", "GRUB_MBR_DISK", "Welcome to GRUB!" },
        { "syslinux-fat", "SYSLINUX_FAT_DISK", "SYSLINUX" },
        { "gpt-cloud", "GPT_CLOUD_DISK", "Welcome to GRUB!" },
    };

    [Theory, OnSoftEngine(nameof(Images)), OnBiosKvm(nameof(Images))]
    public void The_image_boots_through_its_loader_to_a_shell_and_powers_off(EngineChoice engine, string target, string key, string loaderBanner)
    {
        var console = new ScriptedConsole("shell on hvc0", "# ", "poweroff\n");

        var exit = Boot(new DiskConfig(GuestImages.BiosDisk(target, key), ReadOnly: true), engine, console, TimeSpan.FromMinutes(5));

        string text = console.Text;
        Assert.Equal(MachineExitKind.PowerOff, exit.Kind);
        Assert.Contains(loaderBanner, text);
        Assert.Contains("shell on hvc0", text);
        BiosBootExpectations.AssertKernelGotOurMemoryMap(text);
    }

    [Theory, OnSoftEngine, OnBiosKvm]
    public void Syslinux_enters_the_kernel_in_real_mode_and_the_kernel_publishes_our_edd_data_for_drive_80h(EngineChoice engine)
    {
        // Entered in real mode, the kernel's setup code asks the BIOS for the disk's EDD data
        // (INT 13h 41h, 48h, 08h, and 02h for the MBR's signature) and /sys/firmware/edd shows it, the
        // drive tied to its virtio-blk PCI function by the EDD 3.0 device path.
        string image = GuestImages.BiosDisk("syslinux-fat", "SYSLINUX_FAT_DISK");
        var console = new ScriptedConsole("shell on hvc0", "# ", BiosBootExpectations.EddQuery);

        var exit = Boot(new DiskConfig(image, ReadOnly: true), engine, console, TimeSpan.FromMinutes(5));

        Assert.Equal(MachineExitKind.PowerOff, exit.Kind);
        BiosBootExpectations.AssertEddDescribes(image, console.Text);
    }

    [Theory, OnSoftEngine, OnBiosKvm]
    public void Debian_12_from_debootstrap_reaches_a_root_shell_on_ttyS0_and_systemctl_poweroff_ends_the_run(EngineChoice engine)
    {
        // Writable: systemd remounts the root read-write and writes its journal and random seed.
        using var disk = ScratchDisk.Copy(GuestImages.BiosDisk("debian12", "DEBIAN12_DISK"), parent: null);
        // agetty logs root in on ttyS0 (the image's autologin); the arithmetic proves bash ran the line.
        var console = new ScriptedConsole("login: root (automatic login)", "# ", "echo typed-$((6 * 7))\nsystemctl poweroff\n");

        var exit = Boot(new DiskConfig(disk.Path), engine, console, TimeSpan.FromMinutes(10));

        string text = console.Text;
        Assert.Contains("Welcome to GRUB!", text);
        Assert.Contains("Reached target", text);
        Assert.Contains("typed-42", text);
        Assert.Contains("reboot: Power down", text);
        Assert.Equal(MachineExitKind.PowerOff, exit.Kind);
    }

    /// <summary>Boots <paramref name="disk"/> through the BIOS with <paramref name="console"/> as the terminal,
    /// and logs the run (summary, monitor messages, guest console) to the test output.</summary>
    private MachineExit Boot(DiskConfig disk, EngineChoice engine, ScriptedConsole console, TimeSpan timeLimit)
    {
        var log = new StringWriter();
        var machine = LinuxMachine.Prepare(new MachineConfig
        {
            Disks = [disk],
            ConsoleOutput = console.Output,
            ConsoleInput = console.Input,
            Engine = engine,
            Log = log,
        });
        using var timeout = new CancellationTokenSource(timeLimit);
        var exit = machine.Run(timeout.Token);
        output.WriteLine($"{machine.KernelDescription}\n{exit.Reason}\n{machine.Summary}\n--- monitor ---\n{log}\n--- guest console ---\n{console.Text}");
        return exit;
    }
}
