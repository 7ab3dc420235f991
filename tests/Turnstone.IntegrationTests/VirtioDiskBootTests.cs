using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Turnstone.Engine;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The minimal kernel (virtio-pci, virtio-blk, virtio-console and ext4 built in) with its root
/// file system on a virtio disk: found through ACPI and PCI, written, powered off through ACPI S5,
/// booted again and read back. The image is a copy of the recipe's rootfs, so every run starts
/// from the same bytes.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Speed", "Slow")]
public sealed partial class VirtioDiskBootTests(ITestOutputHelper output) : LinuxBootTestBase(output), IDisposable
{
    /// <summary>The engine's default command line without its console: KVM's carries the PVM-host workarounds.</summary>
    internal static string Tuning(EngineChoice engine) =>
        MachineConfig.DefaultCommandLineFor(engine == EngineChoice.Kvm ? EngineKind.Kvm : EngineKind.Software).Replace("console=ttyS0 ", "");
    private const string CheckFile = "/root/turnstone-check.bin";

    private readonly string _directory = Directory.CreateTempSubdirectory("turnstone-virtio-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>What the guest's init writes: 65536 lines "turnstone-check\n", 1 MiB.</summary>
    internal static string ExpectedChecksum() =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("turnstone-check\n", 65536)))));

    [Theory, OnSoftEngine, OnKvm]
    public void A_file_written_on_the_virtio_root_survives_power_off_and_reads_back_intact(EngineChoice engine)
    {
        string disk = GuestImages.CopyOfRootFileSystem(_directory);
        string expected = ExpectedChecksum();

        var write = Boot(GuestImages.MinimalKernel, initrd: null, [new DiskConfig(disk)],
            $"console=ttyS0 root=/dev/vda rw {Tuning(engine)} turnstone.action=write", engine: engine);

        Assert.Contains("turnstone-guest: root file system reached", write.Console);
        Assert.Contains($"turnstone-guest: wrote {expected}", write.Console);
        Assert.Equal(MachineExitKind.PowerOff, write.Exit.Kind);
        Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(ReadFromImage(disk, CheckFile))));

        // The second boot also puts the consoles on hvc0 and reports ACPI and interrupt state.
        var read = Boot(GuestImages.MinimalKernel, initrd: null, [new DiskConfig(disk)],
            $"console=ttyS0 console=hvc0 root=/dev/vda rw {Tuning(engine)} turnstone.action=read,dmesg", engine: engine);

        Assert.Contains($"turnstone-guest: read {expected}", read.Console);
        Assert.Equal(MachineExitKind.PowerOff, read.Exit.Kind);
        AssertCleanAcpiAndMsix(read.Console);
    }

    [Theory, OnSoftEngine, OnKvm]
    public void A_readonly_disk_is_never_written_even_when_the_guest_asks_for_rw(EngineChoice engine)
    {
        // The device offers VIRTIO_BLK_F_RO, so Linux mounts the root read-only despite "rw" and
        // the init's write fails; the file opened read-only on the host is the last line of defence.
        string disk = GuestImages.CopyOfRootFileSystem(_directory);
        byte[] before = File.ReadAllBytes(disk);

        var run = Boot(GuestImages.MinimalKernel, initrd: null, [new DiskConfig(disk, ReadOnly: true)],
            $"console=ttyS0 root=/dev/vda rw {Tuning(engine)} turnstone.action=write,read", engine: engine);

        Assert.Contains("turnstone-guest: root file system reached", run.Console);
        Assert.Contains($"turnstone-guest: error: cannot write {CheckFile}", run.Console);
        Assert.Contains("turnstone-guest: read missing", run.Console);
        Assert.Equal(MachineExitKind.PowerOff, run.Exit.Kind);
        Assert.Equal(before, File.ReadAllBytes(disk));
    }

    [Theory, OnSoftEngine, OnKvm]
    public void Keystrokes_reach_a_shell_on_hvc0_when_the_command_line_makes_it_the_console(EngineChoice engine)
    {
        string disk = GuestImages.CopyOfRootFileSystem(_directory);
        // The arithmetic proves a shell ran the line, not just that the terminal echoed it; busybox's
        // poweroff only signals init, which must then power the machine off (leaving the shell does too).
        var terminal = new ScriptedConsole("turnstone-guest: shell on hvc0", "# ", "echo typed-$((6 * 7))\npoweroff\n");
        var config = new MachineConfig
        {
            KernelPath = GuestImages.MinimalKernel,
            Disks = [new DiskConfig(disk, ReadOnly: true)],
            CommandLine = $"console=ttyS0 console=hvc0 root=/dev/vda ro {Tuning(engine)}",
            ConsoleOutput = terminal.Output,
            ConsoleInput = terminal.Input,
            Engine = engine,
        };
        var machine = LinuxMachine.Prepare(config);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));

        var exit = machine.Run(timeout.Token);
        Output.WriteLine($"{exit.Reason}\n{machine.Summary}\n--- guest console ---\n{terminal.Text}");

        Assert.Contains("typed-42", terminal.Text);
        Assert.Equal(MachineExitKind.PowerOff, exit.Kind);
    }

    [Theory, OnSoftEngine, OnKvm]
    public void Without_MSI_the_devices_fall_back_to_INTx_on_the_GSIs_the_PRT_names(EngineChoice engine)
    {
        string disk = GuestImages.CopyOfRootFileSystem(_directory);

        // pci=nomsi: Linux enables no MSI-X, so virtio-pci uses INTA and the ISR register.
        var run = Boot(GuestImages.MinimalKernel, initrd: null, [new DiskConfig(disk, ReadOnly: true)],
            $"console=ttyS0 root=/dev/vda ro pci=nomsi {Tuning(engine)} turnstone.action=read,dmesg", engine: engine);

        Assert.Contains("turnstone-guest: read missing", run.Console);
        Assert.Equal(MachineExitKind.PowerOff, run.Exit.Kind);
        Assert.DoesNotMatch(AcpiProblem(), run.Console);
        // Slot 1 (the disk) is GSI 16, slot 2 (the console) GSI 17: level-triggered I/O APIC pins.
        var disk16 = Assert.Single(InterruptRows(run.Console), row => row.StartsWith("16:"));
        Assert.Contains("IO-APIC", disk16);
        Assert.Contains("fasteoi", disk16);
        Assert.Contains("virtio0", disk16);
        Assert.True(long.Parse(disk16.Split(':', 2)[1].Trim().Split(' ')[0]) > 0, $"no disk interrupt delivered: {disk16}");
        Assert.DoesNotContain(InterruptRows(run.Console), row => row.Contains("PCI-MSI"));
    }

    /// <summary>No ACPI complaints in dmesg, and every virtio device on MSI-X vectors that fired.</summary>
    internal static void AssertCleanAcpiAndMsix(string console)
    {
        Assert.Contains("turnstone-guest: dmesg:", console);
        Assert.DoesNotMatch(AcpiProblem(), console);
        // Per-queue interrupt names exist only when the driver got MSI-X vectors (INTx gives one shared "virtioN" row).
        var requests = Assert.Single(InterruptRows(console), row => row.Contains("virtio0-req.0"));
        Assert.Contains("PCI-MSI", requests);
        Assert.True(long.Parse(requests.Split(':', 2)[1].Trim().Split(' ')[0]) > 0, $"no request interrupt delivered: {requests}");
        Assert.Contains(InterruptRows(console), row => row.Contains("virtio1-virtqueues") || row.Contains("virtio1-input") || row.Contains("virtio1-config"));
    }

    private static IEnumerable<string> InterruptRows(string console) =>
        console.Split('\n').Where(line => line.StartsWith("turnstone-interrupts: ", StringComparison.Ordinal))
            .Select(line => line["turnstone-interrupts: ".Length..].TrimEnd('\r')).Distinct();

    [GeneratedRegex(@"ACPI( BIOS)? (Error|Warning|Exception)|_OSC failed|ACPI.*[Ff]ailed", RegexOptions.Multiline)]
    private static partial Regex AcpiProblem();

    /// <summary>Reads a file out of the ext4 image on the host (e2fsprogs' debugfs), independently of the guest.</summary>
    private static byte[] ReadFromImage(string image, string path)
    {
        var start = new ProcessStartInfo("debugfs", ["-R", $"cat {path}", image]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = new MemoryStream();
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(stdout);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"debugfs failed: {errors.Result}");
        return stdout.ToArray();
    }
}
