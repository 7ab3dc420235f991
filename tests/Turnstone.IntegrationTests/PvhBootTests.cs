using System.Text;
using Turnstone.Engine;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The PVH boot path: a hand-assembled freestanding PVH guest that checks its entry state
/// (seconds), on the software engine and on KVM; a freestanding guest entered through the 64-bit
/// Linux boot protocol, on both; and the minimal Linux vmlinux forced through its PVH entry to the
/// initramfs's marker (seconds on the software engine, slow on KVM).
/// </summary>
[Trait("Category", "Integration")]
public sealed class PvhBootTests(ITestOutputHelper output) : LinuxBootTestBase(output), IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-pvh-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory, OnSoftEngine, OnKvm]
    public void FreestandingPvhElfIsEnteredWithStartInfoCommandLineAndModule(EngineChoice engine)
    {
        string kernel = Path.Combine(_directory.FullName, "pvh-guest.elf");
        string module = Path.Combine(_directory.FullName, "module.txt");
        File.WriteAllBytes(kernel, PvhTestGuest.BuildElf());
        File.WriteAllBytes(module, "module zero says hello\n\0"u8.ToArray());

        var run = Boot(kernel, module, [], commandLine: "pvh test cmdline", memory: 64ul << 20, engine: engine);

        Assert.Equal(MachineExitKind.Reset, run.Exit.Kind);
        Assert.Equal(engine == EngineChoice.Kvm ? EngineKind.Kvm : EngineKind.Software, run.Summary.Engine);
        Assert.DoesNotContain(PvhTestGuest.Failed, run.Console);
        foreach (string line in new[] { PvhTestGuest.MagicOk, PvhTestGuest.ProtectedModeOk, PvhTestGuest.RsdpOk, PvhTestGuest.StartInfoReserved,
                     "pvh:cmdline=pvh test cmdline", "pvh:module0=module zero says hello" })
        {
            Assert.Contains(line, run.Console);
        }
    }

    [Theory, OnSoftEngine, OnKvm]
    public void FreestandingElfIsEnteredInLongModeThroughTheLinuxBootProtocol(EngineChoice engine)
    {
        string kernel = Path.Combine(_directory.FullName, "long-mode-guest.elf");
        File.WriteAllBytes(kernel, LongModeTestGuest.BuildElf());

        var run = Boot(kernel, null, [], commandLine: "long mode test cmdline", memory: 64ul << 20, boot: BootProtocol.Linux, engine: engine);

        Assert.Equal(MachineExitKind.Reset, run.Exit.Kind);
        Assert.Equal(engine == EngineChoice.Kvm ? EngineKind.Kvm : EngineKind.Software, run.Summary.Engine);
        Assert.DoesNotContain(LongModeTestGuest.Failed, run.Console);
        foreach (string line in new[] { LongModeTestGuest.LongModeOk, LongModeTestGuest.ZeroPageOk, "long:cmdline=long mode test cmdline", LongModeTestGuest.MemoryOk })
        {
            Assert.Contains(line, run.Console);
        }
        if (engine == EngineChoice.Soft)
        {
            Assert.True(run.Summary.InstructionsRetired > 512 * 2, $"{run.Summary.InstructionsRetired} instructions retired");
        }
    }

    [Theory, OnSoftEngine, OnKvm]
    [Trait("Speed", "Slow")]
    public void MinimalVmlinuxBootsToInitramfsThroughPvh(EngineChoice engine)
    {
        var run = Boot(GuestImages.MinimalVmlinux, GuestImages.Initramfs, [], boot: BootProtocol.Pvh, engine: engine);

        AssertReachedInitAndReset(run);
    }
}
