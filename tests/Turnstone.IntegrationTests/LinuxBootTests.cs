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
    private (MachineExit Exit, string Console, MachineRunSummary Summary) Boot(
        string kernel, string? commandLine = null, bool decompressOnHost = true, ulong memory = MachineConfig.DefaultMemory)
    {
        var console = new MemoryStream();
        var config = new MachineConfig
        {
            KernelPath = kernel,
            InitrdPath = GuestImages.Initramfs,
            CommandLine = commandLine ?? MachineConfig.DefaultCommandLine,
            DecompressOnHost = decompressOnHost,
            MemoryBytes = memory,
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
    }

    [Fact]
    public void MinimalKernelBootsThroughItsOwnDecompressor()
    {
        var run = Boot(GuestImages.MinimalKernel, decompressOnHost: false);
        AssertReachedInitAndReset(run);
    }

    [Fact]
    public void MinimalVmlinuxElfBootsToInitramfs()
    {
        var run = Boot(GuestImages.MinimalVmlinux);
        AssertReachedInitAndReset(run);
    }

    /// <summary>
    /// Debian's cloud kernel spends most of its boot, on hosts that emulate guest kernel code, in
    /// work a test VM does not need; these options skip it (see README, "Nested hosts").
    /// </summary>
    public const string CloudKernelCommandLine = MachineConfig.DefaultCommandLine +
        " cryptomgr.notests=1 mitigations=off init_on_alloc=0 initcall_blacklist=ftrace_check_for_weak_functions";

    [Fact]
    public void DebianCloudKernelBootsToInitramfs()
    {
        var run = Boot(GuestImages.CloudKernel, CloudKernelCommandLine, memory: 256ul << 20);
        AssertReachedInitAndReset(run);
    }
}
