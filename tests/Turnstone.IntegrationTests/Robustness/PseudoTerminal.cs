using System.Diagnostics;

namespace Turnstone.IntegrationTests.Robustness;

/// <summary>
/// Whether this host can give a child process a pseudo-terminal through script(1), as the terminal
/// tests need. Some sandboxes and containers cannot (no devpts instance where /dev/ptmx points);
/// there those tests are skipped with the reason, which ./build.sh test counts and prints.
/// </summary>
public static class PseudoTerminal
{
    public const string SkipPrefix = "needs a pseudo-terminal:";

    private static readonly Lazy<string?> Probed = new(Probe);

    /// <summary>The reason a terminal test is skipped here, or null when script(1) can run a command on a new pseudo-terminal.</summary>
    public static string? SkipReason => Probed.Value;

    private static string? Probe()
    {
        try
        {
            var start = new ProcessStartInfo("script", ["-qec", "test -t 0 && test -t 1", "/dev/null"])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var errors = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill();
                return $"{SkipPrefix} script(1) did not finish";
            }
            return process.ExitCode == 0 ? null : $"{SkipPrefix} script(1) failed ({process.ExitCode}): {errors.Result.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{SkipPrefix} cannot run script(1): {e.Message}";
        }
    }
}
