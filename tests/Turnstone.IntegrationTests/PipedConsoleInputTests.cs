using Turnstone.Engine;
using Turnstone.IntegrationTests.Robustness;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// <c>turnstone run</c> with a pipe as its stdin, as a script drives it (<c>printf '...' | turnstone run ...</c>):
/// what the pipe carries is typed into the guest's console, as on a terminal.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PipedConsoleInputTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-piped-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory, OnSoftEngine, OnKvm]
    public void Commands_piped_into_stdin_reach_the_shell_and_poweroff_ends_the_run(EngineChoice engine)
    {
        string disk = GuestImages.CopyOfRootFileSystem(_directory.FullName);
        using var run = TurnstoneChildProcess.Start("run", "--engine", engine == EngineChoice.Kvm ? "kvm" : "soft",
            "--kernel", GuestImages.MinimalKernel, "--disk", $"{disk},readonly",
            "--cmdline", $"console=ttyS0 console=hvc0 root=/dev/vda ro {VirtioDiskBootTests.Tuning(engine)}");
        Assert.True(run.WaitForOutput("turnstone-guest: shell on hvc0", Limit), $"no shell within {Limit}\n{run.Transcript}");

        // The arithmetic proves a shell ran the line, not just that the terminal echoed it.
        run.TypeOnTerminal("echo piped-$((6 * 7))\npoweroff\n");

        Assert.True(run.WaitForExit(Limit), $"still running {Limit} after poweroff was piped in\n{run.Transcript}");
        output.WriteLine(run.Transcript);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("piped-42", run.Output);
    }
}
