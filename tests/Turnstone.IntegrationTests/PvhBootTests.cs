using System.Text;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The PVH boot path under KVM: a hand-assembled freestanding PVH guest that checks its entry state
/// (seconds), and the minimal Linux vmlinux forced through its PVH entry to the initramfs's marker (slow).
/// </summary>
[Trait("Category", "Integration")]
public sealed class PvhBootTests(ITestOutputHelper output) : LinuxBootTestBase(output), IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-pvh-");

    public void Dispose() => _directory.Delete(recursive: true);

    [KvmFact]
    public void FreestandingPvhElfIsEnteredWithStartInfoCommandLineAndModule()
    {
        string kernel = Path.Combine(_directory.FullName, "pvh-guest.elf");
        string module = Path.Combine(_directory.FullName, "module.txt");
        File.WriteAllBytes(kernel, PvhTestGuest.BuildElf());
        File.WriteAllBytes(module, "module zero says hello\n\0"u8.ToArray());

        var run = Boot(kernel, module, [], commandLine: "pvh test cmdline", memory: 64ul << 20);

        Assert.Equal(MachineExitKind.Reset, run.Exit.Kind);
        Assert.DoesNotContain(PvhTestGuest.Failed, run.Console);
        foreach (string line in new[] { PvhTestGuest.MagicOk, PvhTestGuest.ProtectedModeOk, PvhTestGuest.RsdpOk, PvhTestGuest.StartInfoReserved,
                     "pvh:cmdline=pvh test cmdline", "pvh:module0=module zero says hello" })
        {
            Assert.Contains(line, run.Console);
        }
    }

    [KvmFact]
    [Trait("Speed", "Slow")]
    public void MinimalVmlinuxBootsToInitramfsThroughPvh()
    {
        var run = Boot(GuestImages.MinimalVmlinux, GuestImages.Initramfs, [], boot: BootProtocol.Pvh);

        AssertReachedInitAndReset(run);
    }
}
