using Turnstone.Engine;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Debian's cloud kernel, the real-world guest, as <c>./build.sh boot</c> runs it: its virtio
/// modules loaded from the recipe's initramfs, the root file system on a virtio disk, the consoles
/// on ttyS0 and hvc0, power-off through ACPI. On hosts that emulate guest kernel code it takes
/// about 20 minutes (see the README). <c>./build.sh test</c> (and CI) runs it after the quick
/// tests; <c>./build.sh test-cloud</c> runs it alone.
/// </summary>
[Trait("Category", "CloudKernel")]
[Trait("Speed", "Slow")]
public sealed class CloudKernelBootTests(ITestOutputHelper output) : LinuxBootTestBase(output), IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("turnstone-cloud-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>images/cloud-kernel.cmdline, which build.cake's boot target uses too.</summary>
    public static string CloudKernelTuning() => string.Join(' ',
        File.ReadAllLines(Path.Combine(GuestImages.RepositoryRoot(), "images", "cloud-kernel.cmdline"))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#')));

    /// <summary>On KVM with the nested-host tuning; on the software engine with its own default
    /// command line (its CPUID is the truth: no skip list).</summary>
    [Theory, OnSoftEngine, OnKvm]
    public void DebianCloudKernelMountsItsRootFromVirtioAndPowersOff(EngineChoice engine)
    {
        string disk = GuestImages.CopyOfRootFileSystem(_directory);
        string tuning = engine == EngineChoice.Soft ? MachineConfig.SoftwareEngineCommandLine : $"console=ttyS0 {CloudKernelTuning()}";

        var run = Boot(GuestImages.CloudKernel, GuestImages.VirtioInitramfs, [new DiskConfig(disk)],
            $"{tuning} console=hvc0 root=/dev/vda rw turnstone.action=write,dmesg", memory: 512ul << 20, engine: engine);

        Assert.Contains("turnstone-guest: root file system reached", run.Console);
        Assert.Contains($"turnstone-guest: wrote {VirtioDiskBootTests.ExpectedChecksum()}", run.Console);
        Assert.Equal(MachineExitKind.PowerOff, run.Exit.Kind);
        VirtioDiskBootTests.AssertCleanAcpiAndMsix(run.Console);
    }
}
