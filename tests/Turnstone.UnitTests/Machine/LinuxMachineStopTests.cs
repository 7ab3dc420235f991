using System.Diagnostics;
using Turnstone.Bench.Engine;
using Turnstone.Engine;
using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

/// <summary>
/// Stopping a running machine (what Ctrl-C does) on the software engine, which needs no /dev/kvm:
/// the run ends with the stop's reason and a summary, also when guest output nobody takes holds a
/// thread in the host: the vCPU's (it is left behind after <see cref="LinuxMachine.VcpuStopGrace"/>)
/// or the console's last flush (left behind after the same grace).
/// </summary>
public sealed class LinuxMachineStopTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-stop-");

    public void Dispose() => _directory.Delete(recursive: true);

    /// <summary>A PVH guest writing 'x' to COM1 forever: mov dx, 0x3F8; mov al, 'x'; out dx, al; jmp back to the out.</summary>
    private string ConsoleFloodKernel()
    {
        byte[] code = [0x66, 0xBA, 0xF8, 0x03, 0xB0, (byte)'x', 0xEE, 0xEB, 0xFD];
        string path = Path.Combine(_directory.FullName, "flood.elf");
        File.WriteAllBytes(path, PvhElf.Build(code, 0x10_0000, 0x10_0000));
        return path;
    }

    private LinuxMachine Prepare(Stream output, TextWriter log) => LinuxMachine.Prepare(new MachineConfig
    {
        KernelPath = ConsoleFloodKernel(),
        MemoryBytes = MachineConfig.MinimumMemory,
        Engine = EngineChoice.Soft,
        ConsoleOutput = output,
        Log = log,
    });

    [Fact]
    public void A_stop_ends_a_guest_that_keeps_the_console_busy()
    {
        var output = new MemoryStream();
        var log = new StringWriter();
        var machine = Prepare(output, log);
        using var cancel = new CancellationTokenSource();

        var run = RunInBackground(machine, cancel.Token);
        Assert.True(SpinWait.SpinUntil(() => output.Length > 1000, Limit), "the guest wrote nothing"); // a racy read of a growing length is enough
        cancel.Cancel();

        Assert.True(run.Thread.Join(Limit), $"the run did not end after the stop\n{log}");
        Assert.Equal(MachineExitKind.Interrupted, run.Exit()?.Kind);
        Assert.NotNull(machine.Summary);
        Assert.DoesNotContain("did not stop", log.ToString());
    }

    [Fact]
    public void A_stop_ends_the_run_even_when_the_console_output_is_stalled()
    {
        var output = new StalledConsoleOutput();
        var log = new StringWriter();
        var machine = Prepare(output, TextWriter.Synchronized(log));
        using var cancel = new CancellationTokenSource();
        try
        {
            var run = RunInBackground(machine, cancel.Token);
            Assert.True(output.WriteEntered.Wait(Limit), "the guest never wrote");
            var clock = Stopwatch.StartNew();
            cancel.Cancel();

            Assert.True(run.Thread.Join(LinuxMachine.VcpuStopGrace + Limit), $"the run did not end after the stop\n{log}");
            Assert.True(clock.Elapsed >= LinuxMachine.VcpuStopGrace * 0.9, $"gave up on the vCPU after {clock.Elapsed}, before its grace");
            Assert.Equal(MachineExitKind.Interrupted, run.Exit()?.Kind);
            Assert.Equal("stopped by the user", run.Exit()?.Reason);
            Assert.NotNull(machine.Summary);
            // Which thread the stalled write holds depends on timing: the vCPU's own write once the
            // batch is full, or the batch's timer (the vCPU then ends and the last flush is left).
            Assert.True(log.ToString().Contains("[turnstone] the vCPU did not stop within") ||
                        log.ToString().Contains("[turnstone] the guest's console output was not taken within"), log.ToString());
        }
        finally
        {
            output.Release(); // the left-behind vCPU thread sees the stop and ends
        }
    }

    /// <summary>The run on its own thread, as the command line's main thread runs it; Exit is its result once the thread ended.</summary>
    private static (Thread Thread, Func<MachineExit?> Exit) RunInBackground(LinuxMachine machine, CancellationToken cancel)
    {
        MachineExit? exit = null;
        var thread = new Thread(() => exit = machine.Run(cancel)) { IsBackground = true, Name = "machine run" };
        thread.Start();
        return (thread, () => exit);
    }
}
