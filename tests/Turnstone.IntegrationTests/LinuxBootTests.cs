using System.Text;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Real Debian-built kernels booted to the initramfs's marker line under KVM. Slow on hosts that
/// emulate guest kernel code (minutes each); each test prints its boot figures.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Speed", "Slow")]
public sealed class LinuxBootTests(ITestOutputHelper output)
{
    private (MachineExit Exit, string Console, MachineRunSummary Summary) Boot(string kernel, string? commandLine = null, bool decompressOnHost = true)
    {
        var console = new MemoryStream();
        var config = new MachineConfig
        {
            KernelPath = kernel,
            InitrdPath = GuestImages.Initramfs,
            CommandLine = commandLine ?? MachineConfig.DefaultCommandLine,
            DecompressOnHost = decompressOnHost,
            ConsoleOutput = console,
        };
        var machine = LinuxMachine.Prepare(config);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(40));
        var exit = machine.Run(timeout.Token);
        string text = Encoding.UTF8.GetString(console.ToArray());
        output.WriteLine($"{machine.KernelDescription}\n{exit.Reason}\n{machine.Summary}\n--- guest console ---\n{text}");
        if (exit.Report is not null)
        {
            output.WriteLine(exit.Report);
        }
        return (exit, text, machine.Summary!);
    }

    private static void AssertReachedInitAndReset((MachineExit Exit, string Console, MachineRunSummary Summary) run)
    {
        Assert.Contains(GuestImages.InitMarker, run.Console);
        Assert.Equal(MachineExitKind.Reset, run.Exit.Kind);
        Assert.NotNull(run.Summary.BootTime);
        Assert.DoesNotContain("boot timer write", run.Console); // the init reports a failed timer write
    }

    [Fact]
    public void MinimalKernelBootsToInitramfsWithHostDecompression()
    {
        var run = Boot(GuestImages.MinimalKernel);
        AssertReachedInitAndReset(run);
        Assert.InRange(run.Summary.MonitorResidentBytes, 1, 512L << 20);
    }

    [Fact]
    public void MinimalKernelBootsThroughItsOwnDecompressor()
    {
        var run = Boot(GuestImages.MinimalKernel, decompressOnHost: false);
        AssertReachedInitAndReset(run);
    }

    [Fact]
    public void DebianCloudKernelBootsToInitramfs()
    {
        var run = Boot(GuestImages.CloudKernel);
        AssertReachedInitAndReset(run);
    }
}
