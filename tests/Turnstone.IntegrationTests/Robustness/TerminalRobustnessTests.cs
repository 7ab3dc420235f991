using Turnstone.Engine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests.Robustness;

/// <summary>
/// <c>turnstone run</c> on a terminal (a pseudo-terminal script(1) makes, which is the run's stdin,
/// stdout and stderr, so the monitor reads the keyboard from it): Ctrl-C typed at the terminal stops
/// the run with status 130 and the summary, a triple fault ends it with status 2, and either way the
/// terminal's settings afterwards are the ones it had before (stty -g, read by the shell around the run),
/// its cursor keys included (.NET's console puts an xterm in keypad transmit mode and leaves it there).
/// </summary>
[Trait("Category", "Integration")]
public sealed class TerminalRobustnessTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90), StopLimit = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-terminal-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory, OnSoftEngineOnTerminal]
    public void CtrlCAtTheTerminalStopsTheRunAndLeavesTheTerminalAsItWas(EngineChoice engine)
    {
        using var run = StartOnTerminal(RobustnessBehaviour.SpinWithInterruptsOff, engine);
        Assert.True(run.WaitForOutput(RobustnessGuest.Ready, StartLimit), $"the guest did not get ready within {StartLimit}\n{run.Transcript}");

        run.TypeOnTerminal("\u0003"); // Ctrl-C: the terminal sends SIGINT to its foreground process group
        Assert.True(run.WaitForExit(StopLimit), $"still running {StopLimit} after Ctrl-C\n{run.Transcript}");
        output.WriteLine(run.Transcript);

        Assert.Contains("turnstone-status=130", run.Output);
        Assert.Contains("[turnstone] stopped by the user", run.Output);
        Assert.Contains("[turnstone] engine soft; ran", run.Output);
        AssertTerminalSettingsRestored(run);
    }

    [Theory, OnSoftEngineOnTerminal]
    public void TripleFaultOnATerminalLeavesTheTerminalAsItWas(EngineChoice engine)
    {
        using var run = StartOnTerminal(RobustnessBehaviour.TripleFault, engine);
        Assert.True(run.WaitForExit(StartLimit), $"no exit after a triple fault within {StartLimit}\n{run.Transcript}");
        output.WriteLine(run.Transcript);

        Assert.Contains("turnstone-status=2", run.Output);
        Assert.Contains("[turnstone] guest triple fault (shutdown)", run.Output);
        Assert.Contains("[turnstone] engine soft; ran", run.Output);
        AssertTerminalSettingsRestored(run);
    }

    private TurnstoneChildProcess StartOnTerminal(RobustnessBehaviour behaviour, EngineChoice engine)
    {
        string kernel = Path.Combine(_directory.FullName, $"{behaviour}.elf");
        File.WriteAllBytes(kernel, RobustnessGuest.BuildElf(behaviour));
        string script = Path.Combine(_directory.FullName, "run.sh");
        // The shell survives the Ctrl-C (its trap runs once the run ended) to read the settings again.
        File.WriteAllText(script, $"""
            export TERM=xterm
            trap 'echo shell saw SIGINT' INT
            stty -g > '{Before}'
            '{TurnstoneChildProcess.CliPath}' run --engine {(engine == EngineChoice.Kvm ? "kvm" : "soft")} --kernel '{kernel}' --memory 64M
            echo "turnstone-status=$?"
            stty -g > '{After}'

            """);
        return TurnstoneChildProcess.StartInPseudoTerminal(script);
    }

    private string Before => Path.Combine(_directory.FullName, "stty-before");

    private string After => Path.Combine(_directory.FullName, "stty-after");

    private void AssertTerminalSettingsRestored(TurnstoneChildProcess run)
    {
        Assert.True(File.Exists(After), $"the shell did not read the terminal's settings after the run\n{run.Transcript}");
        string before = File.ReadAllText(Before).Trim(), after = File.ReadAllText(After).Trim();
        Assert.NotEmpty(before);
        Assert.Equal(before, after);
        // .NET's console switches an xterm's cursor keys to application mode; the run must switch them back.
        int entered = run.Output.LastIndexOf(KeypadTransmit, StringComparison.Ordinal);
        Assert.True(entered < 0 || run.Output.IndexOf(KeypadLocal, entered, StringComparison.Ordinal) > entered,
            $"the run left the terminal in keypad transmit mode\n{run.Transcript}");
    }

    private const string KeypadTransmit = "\u001b[?1h\u001b=", KeypadLocal = "\u001b[?1l\u001b>";
}
