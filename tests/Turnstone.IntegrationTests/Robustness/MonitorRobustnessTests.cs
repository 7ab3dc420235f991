using System.Diagnostics;
using System.Text.RegularExpressions;
using Turnstone.Engine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests.Robustness;

/// <summary>
/// Guests that misbehave (<see cref="RobustnessGuest"/>) run by <c>turnstone run</c> as a child
/// process, as a user runs them: a triple fault ends the run with status 2, a report and the run
/// summary; a guest that spins with interrupts off (or faults forever), programs timers with periods
/// of nothing or of hours, floods the vCPU with interrupts, or floods a console output nobody reads
/// neither hangs the monitor nor keeps the host busy while it halts, and SIGINT (Ctrl-C) stops it
/// with status 130 and the summary. The time limits only catch hangs: they are many times what a
/// loaded two-core machine needs.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class MonitorRobustnessTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Process start, JIT and machine set-up until the guest says it is ready.</summary>
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);

    /// <summary>From SIGINT to the process's end: the vCPU must notice the stop however busy the guest keeps it.</summary>
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-robust-");

    public void Dispose() => _directory.Delete(recursive: true);

    // behaviour, whether interrupts must arrive; every one of these guests then halts (sti; hlt) in a loop
    private static readonly (RobustnessBehaviour Behaviour, bool Interrupts)[] TimerRows =
    [
        (RobustnessBehaviour.ApicPeriodicCountZero, false),
        (RobustnessBehaviour.ApicPeriodicCountOne, true),
        (RobustnessBehaviour.ApicPeriodicHugeCount, false),
        (RobustnessBehaviour.ApicOneShotHugeCount, false),
        (RobustnessBehaviour.TscDeadlineFarFuture, false),
        (RobustnessBehaviour.TscDeadlinePast, true),
        (RobustnessBehaviour.PitRateGeneratorReloadZero, true),
        (RobustnessBehaviour.PitRateGeneratorReloadOne, true),
        (RobustnessBehaviour.PitSquareWaveReloadOne, true),
    ];

    public static TheoryData<RobustnessBehaviour, bool> Timers => Rows(_ => true);

    /// <summary>The timer rows whose guest takes no interrupt: a nested PVM host's KVM cannot run the handler's IRETD in guest kernel mode.</summary>
    public static TheoryData<RobustnessBehaviour, bool> QuietTimers => Rows(row => !row.Interrupts);

    public static TheoryData<RobustnessBehaviour, bool> InterruptingTimers => Rows(row => row.Interrupts);

    private static TheoryData<RobustnessBehaviour, bool> Rows(Func<(RobustnessBehaviour Behaviour, bool Interrupts), bool> which)
    {
        var rows = new TheoryData<RobustnessBehaviour, bool>();
        foreach (var row in TimerRows.Where(which))
        {
            rows.Add(row.Behaviour, row.Interrupts);
        }
        return rows;
    }

    [Theory, OnSoftEngine, OnKvm]
    public void TripleFaultEndsWithStatusTwoAReportAndTheSummary(EngineChoice engine)
    {
        using var run = Start(RobustnessBehaviour.TripleFault, engine);

        Assert.True(run.WaitForExit(StartLimit), $"no exit after a triple fault within {StartLimit}\n{run.Transcript}");
        output.WriteLine(run.Transcript);
        Assert.True(run.ExitCode == 2, $"exit status {run.ExitCode}, expected 2\n{run.Transcript}");
        Assert.Contains(RobustnessGuest.Ready, run.Output);
        Assert.DoesNotContain(RobustnessGuest.Exception, run.Output);
        Assert.Contains("[turnstone] guest triple fault (shutdown)", run.Errors);
        if (engine == EngineChoice.Soft)
        {
            Assert.Contains("vCPU 0 state (software engine", run.Errors);
            Assert.Contains("): triple fault", run.Errors);
            Assert.Matches(@"rip=[0-9a-f]{16}", run.Errors);
            Assert.Contains("idt=0/0", run.Errors);
            Assert.Matches(@"code at [0-9a-f]+: ud2", run.Errors);
        }
        else
        {
            Assert.Contains("vCPU 0 stopped: triple fault", run.Errors);
            Assert.Matches(@"rip [0-9a-f]{16}", run.Errors);
        }
        AssertSummary(run, engine);
    }

    public static TheoryData<RobustnessBehaviour> Spins => new()
    {
        RobustnessBehaviour.SpinWithInterruptsOff, RobustnessBehaviour.TimerDueWithInterruptsOff, RobustnessBehaviour.FaultLoopWithInterruptsOff,
    };

    /// <summary>The spins without an IRETD, which a nested PVM host's KVM cannot run in guest kernel mode.</summary>
    public static TheoryData<RobustnessBehaviour> SpinsWithoutReturns => new()
    {
        RobustnessBehaviour.SpinWithInterruptsOff, RobustnessBehaviour.TimerDueWithInterruptsOff,
    };

    public static TheoryData<RobustnessBehaviour> SpinsWithReturns => new() { RobustnessBehaviour.FaultLoopWithInterruptsOff };

    public static TheoryData<RobustnessBehaviour> Floods => new() { RobustnessBehaviour.InterruptFlood, RobustnessBehaviour.TscDeadlineFlood };

    [Theory, OnSoftEngine(nameof(Spins)), OnKvm(nameof(SpinsWithoutReturns)), OnNativeKvm(nameof(SpinsWithReturns))]
    public void SpinWithInterruptsOffStopsOnSigint(EngineChoice engine, RobustnessBehaviour behaviour)
    {
        using var run = StartAndWaitUntilReady(behaviour, engine);
        Thread.Sleep(1000);

        InterruptAndAssertStopped(run, engine);
        if (engine == EngineChoice.Soft)
        {
            Assert.True(RetiredInstructions(run) > 1_000_000, $"the guest did not spin\n{run.Transcript}");
            Assert.True(InterruptsDelivered(run) == 0, $"an interrupt was delivered with interrupts off\n{run.Transcript}");
        }
    }

    [Theory, OnSoftEngine, OnKvm]
    public void SigtermStopsTheRunCleanlyWithStatus143AndTheSummary(EngineChoice engine)
    {
        using var run = StartAndWaitUntilReady(RobustnessBehaviour.SpinWithInterruptsOff, engine);

        run.Terminate();

        Assert.True(run.WaitForExit(StopLimit), $"still running {StopLimit} after SIGTERM\n{run.Transcript}");
        output.WriteLine(run.Transcript);
        Assert.True(run.ExitCode == 143, $"exit status {run.ExitCode}, expected 143\n{run.Transcript}");
        Assert.Contains("[turnstone] stopped by the user", run.Errors);
        AssertSummary(run, engine);
    }

    [Theory, OnSoftEngine(nameof(Timers)), OnKvm(nameof(QuietTimers)), OnNativeKvm(nameof(InterruptingTimers))]
    public void TimerProgrammingDoesNotHangTheMonitorAndSigintStopsIt(EngineChoice engine, RobustnessBehaviour behaviour, bool interrupts)
    {
        using var run = StartAndWaitUntilReady(behaviour, engine);
        Thread.Sleep(500);

        var cpuBefore = run.CpuTime;
        var window = Stopwatch.StartNew();
        Thread.Sleep(3000);
        double busy = (run.CpuTime - cpuBefore) / window.Elapsed;
        output.WriteLine($"{behaviour}: the monitor used {busy:P0} of a CPU while the guest halted");
        // A halted guest must not keep a host CPU busy, with nothing due or with a timer at its
        // minimum period (measured: 0 and 3-4 %); a poll loop would be near 100 %.
        Assert.True(busy < 0.5, $"{behaviour}: the monitor used {busy:P0} of a CPU while the guest halted\n{run.Transcript}");

        InterruptAndAssertStopped(run, engine);
        long delivered = InterruptsDelivered(run);
        // KVM's in-kernel controllers count nothing the summary could show.
        Assert.True(engine == EngineChoice.Kvm || (interrupts ? delivered > 0 : delivered == 0), $"{behaviour}: {delivered} interrupts delivered\n{run.Transcript}");
        Assert.DoesNotContain(RobustnessGuest.Exception, run.Output);
    }

    [Theory, OnSoftEngine(nameof(Floods)), OnNativeKvm(nameof(Floods))]
    public void InterruptFloodKeepsTheMonitorResponsiveAndBounded(EngineChoice engine, RobustnessBehaviour behaviour)
    {
        using var run = StartAndWaitUntilReady(behaviour, engine);
        Thread.Sleep(1000);
        long residentBefore = run.ResidentBytes;
        Thread.Sleep(4000);
        long residentAfter = run.ResidentBytes;
        output.WriteLine($"resident set {residentBefore >> 20} MiB, 4 s later {residentAfter >> 20} MiB");

        InterruptAndAssertStopped(run, engine);
        Assert.True(residentAfter - residentBefore < 64L << 20,
            $"the monitor's resident set grew from {residentBefore >> 20} MiB to {residentAfter >> 20} MiB in 4 s of interrupt flood\n{run.Transcript}");
        // Thousands of interrupts a second at least, even on a slow host (the periodic timer is held to its minimum period).
        Assert.True(engine == EngineChoice.Kvm || InterruptsDelivered(run) > 1000, $"the flood delivered few interrupts\n{run.Transcript}");
        Assert.DoesNotContain(RobustnessGuest.Exception, run.Output);
    }

    [Theory, OnSoftEngine, OnKvm]
    public void ConsoleFloodIntoAStalledOutputStillStopsOnSigint(EngineChoice engine)
    {
        using var run = Start(RobustnessBehaviour.ConsoleFlood, engine, readOutput: false);
        Assert.True(run.WaitForErrors("MiB RAM", StartLimit), $"the machine did not start within {StartLimit}\n{run.Errors}");
        Thread.Sleep(3000); // the guest fills the stdout pipe nobody reads; the vCPU blocks writing to it

        InterruptAndAssertStopped(run, engine);
        Assert.Contains("[turnstone] the vCPU did not stop", run.Errors);
    }

    [Theory, OnSoftEngine]
    public void ASecondSigintWhileTheStopIsUnderWayEndsTheProcessAtOnce(EngineChoice engine)
    {
        using var run = Start(RobustnessBehaviour.ConsoleFlood, engine, readOutput: false);
        Assert.True(run.WaitForErrors("MiB RAM", StartLimit), $"the machine did not start within {StartLimit}\n{run.Errors}");
        Thread.Sleep(3000); // the vCPU blocks writing to the full stdout pipe: the first stop waits out its grace

        run.Interrupt();
        Thread.Sleep(300);
        run.Interrupt();

        Assert.True(run.WaitForExit(StopLimit), $"still running {StopLimit} after two SIGINTs\n{run.Transcript}");
        output.WriteLine(run.Transcript);
        Assert.True(run.ExitCode == 130, $"exit status {run.ExitCode}, expected 130 (killed by SIGINT)\n{run.Transcript}");
        // Ended by the second SIGINT, before the first stop gave up on the vCPU and printed the summary.
        Assert.DoesNotContain("[turnstone] the vCPU did not stop", run.Errors);
        Assert.DoesNotContain("[turnstone] engine soft; ran", run.Errors);
    }

    private TurnstoneChildProcess Start(RobustnessBehaviour behaviour, EngineChoice engine, bool readOutput = true)
    {
        string kernel = Path.Combine(_directory.FullName, $"{behaviour}.elf");
        File.WriteAllBytes(kernel, RobustnessGuest.BuildElf(behaviour));
        return TurnstoneChildProcess.Start(readOutput, "run", "--engine", EngineName(engine), "--kernel", kernel, "--memory", "64M");
    }

    private TurnstoneChildProcess StartAndWaitUntilReady(RobustnessBehaviour behaviour, EngineChoice engine)
    {
        var run = Start(behaviour, engine);
        if (!run.WaitForOutput(RobustnessGuest.Ready, StartLimit))
        {
            string transcript = run.Transcript;
            run.Dispose();
            Assert.Fail($"{behaviour}: the guest did not get ready within {StartLimit}\n{transcript}");
        }
        return run;
    }

    private void InterruptAndAssertStopped(TurnstoneChildProcess run, EngineChoice engine)
    {
        var clock = Stopwatch.StartNew();
        run.Interrupt();
        Assert.True(run.WaitForExit(StopLimit), $"still running {StopLimit} after SIGINT\n{run.Transcript}");
        output.WriteLine($"stopped {clock.Elapsed.TotalMilliseconds:F0} ms after SIGINT");
        output.WriteLine(run.Transcript);
        Assert.True(run.ExitCode == 130, $"exit status {run.ExitCode}, expected 130\n{run.Transcript}");
        Assert.Contains("[turnstone] stopped by the user", run.Errors);
        AssertSummary(run, engine);
    }

    private static void AssertSummary(TurnstoneChildProcess run, EngineChoice engine) =>
        Assert.Matches($@"\[turnstone\] engine {EngineName(engine)}; ran \d+\.\d\d s; .*monitor RSS beyond guest RAM \d+ MiB", run.Errors);

    private static long RetiredInstructions(TurnstoneChildProcess run) =>
        RetiredPattern().Match(run.Errors) is { Success: true } m ? long.Parse(m.Groups[1].Value) : 0;

    private static long InterruptsDelivered(TurnstoneChildProcess run) =>
        DeliveredPattern().Match(run.Errors) is { Success: true } m ? long.Parse(m.Groups[1].Value) : 0;

    private static string EngineName(EngineChoice engine) => engine == EngineChoice.Kvm ? "kvm" : "soft";

    [GeneratedRegex(@"; (\d+) guest instructions")]
    private static partial Regex RetiredPattern();

    [GeneratedRegex(@"; (\d+) interrupts delivered")]
    private static partial Regex DeliveredPattern();
}
