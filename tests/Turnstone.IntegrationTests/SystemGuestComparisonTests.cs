using Turnstone.Engine;
using Turnstone.IntegrationTests.SystemGuests;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// System-level guests (mode switches, paging faults and CR2, IDT delivery with IST, IRETQ to
/// ring 3, SYSCALL/SYSRET ...) booted as PVH ELFs by our Linux machine, their COM1 output compared
/// line by line with QEMU TCG running the same guest in the same test run.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SystemGuestComparisonTests(ITestOutputHelper output) : LinuxBootTestBase(output), IDisposable
{
    /// <summary>Each guest, how it ends (a reset through the i8042, or a triple fault), and whether
    /// a nested PVM host's KVM can run it (see <see cref="OnNativeKvmAttribute"/>).</summary>
    private static readonly Dictionary<string, (Func<byte[]> Build, MachineExitKind Exit, bool RunsOnPvm)> Builders = new()
    {
        ["modes"] = (ModeSwitchGuest.Build, MachineExitKind.Reset, true),
        ["real-mode"] = (RealModeGuest.Build, MachineExitKind.Reset, true),
        ["paging"] = (PagingGuest.Build, MachineExitKind.Reset, true),
        ["events"] = (EventsGuest.Build, MachineExitKind.TripleFault, true),
        ["privilege"] = (PrivilegeGuest.Build, MachineExitKind.Reset, false),
        ["software-interrupts"] = (SoftwareInterruptGuest.Build, MachineExitKind.Reset, false),
    };

    public static TheoryData<string> Guests => new(Builders.Keys);

    public static TheoryData<string> GuestsKvmRunsEvenOnPvm => new(Builders.Where(g => g.Value.RunsOnPvm).Select(g => g.Key));

    public static TheoryData<string> GuestsNeedingNativeKvm => new(Builders.Where(g => !g.Value.RunsOnPvm).Select(g => g.Key));

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-system-guest-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory, OnSoftEngine(nameof(Guests)), OnKvm(nameof(GuestsKvmRunsEvenOnPvm)), OnNativeKvm(nameof(GuestsNeedingNativeKvm))]
    public void Guest_prints_what_QEMU_TCG_prints(EngineChoice engine, string guest)
    {
        var (build, expectedExit, _) = Builders[guest];
        string reference = QemuTcgReference.Output(guest, build);
        Output.WriteLine($"--- QEMU TCG ---\n{reference}");
        Assert.EndsWith("done\n", reference); // the guest ran to its end under QEMU: the reference is whole

        string kernel = Path.Combine(_directory.FullName, $"{guest}.elf");
        File.WriteAllBytes(kernel, build());
        var run = Boot(kernel, null, [], commandLine: "", memory: 64ul << 20, engine: engine);

        Assert.Equal(Lines(reference), Lines(run.Console));
        Assert.Equal(expectedExit, run.Exit.Kind);
    }

    private static string[] Lines(string text) => text.Replace("\r", "").Split('\n');
}
