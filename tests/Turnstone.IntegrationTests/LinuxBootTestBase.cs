using System.Text;
using Turnstone.Engine;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>Boots a kernel with the recipe's initramfs and records the console and the run's figures in the test output.</summary>
public abstract class LinuxBootTestBase(ITestOutputHelper output)
{
    protected ITestOutputHelper Output { get; } = output;

    protected (MachineExit Exit, string Console, MachineRunSummary Summary) Boot(
        string kernel, string? commandLine = null, bool decompressOnHost = true, ulong memory = MachineConfig.DefaultMemory,
        EngineChoice engine = EngineChoice.Kvm)
        => Boot(kernel, GuestImages.Initramfs, [], commandLine, decompressOnHost, memory, engine: engine);

    protected (MachineExit Exit, string Console, MachineRunSummary Summary) Boot(
        string kernel, string? initrd, IReadOnlyList<DiskConfig> disks, string? commandLine = null, bool decompressOnHost = true,
        ulong memory = MachineConfig.DefaultMemory, BootProtocol boot = BootProtocol.Auto, EngineChoice engine = EngineChoice.Kvm,
        MemoryStream? console = null)
    {
        console ??= new MemoryStream();
        var config = new MachineConfig
        {
            KernelPath = kernel,
            InitrdPath = initrd,
            Disks = disks,
            CommandLine = commandLine, // null: the engine's default (MachineConfig.DefaultCommandLineFor)
            DecompressOnHost = decompressOnHost,
            MemoryBytes = memory,
            Boot = boot,
            ConsoleOutput = console,
            Engine = engine,
        };
        var machine = LinuxMachine.Prepare(config);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(40));
        var exit = machine.Run(timeout.Token);
        string text = Encoding.UTF8.GetString(console.ToArray());
        Output.WriteLine($"{machine.KernelDescription}\n{exit.Reason}\n{machine.Summary}\n--- guest console ---\n{text}");
        if (exit.Report is not null)
        {
            Output.WriteLine(exit.Report);
        }
        return (exit, text, machine.Summary!);
    }

    protected static void AssertReachedInitAndReset((MachineExit Exit, string Console, MachineRunSummary Summary) run)
    {
        Assert.Contains(GuestImages.InitMarker, run.Console);
        Assert.Equal(MachineExitKind.Reset, run.Exit.Kind);
        Assert.NotNull(run.Summary.BootTime);
        Assert.DoesNotContain("boot timer write", run.Console); // the init reports a failed timer write
    }
}
