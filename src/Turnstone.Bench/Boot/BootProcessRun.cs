namespace Turnstone.Bench.Boot;

/// <summary>
/// One boot as a child process: seconds from its start to the marker on its console (null when the
/// marker never came), the guest's uptime the marker carries, the wall time to its exit, its exit
/// status (null when it was killed at the timeout), what it printed on stdout (the guest's
/// console) and stderr (its log), the marker it waited for, whether the runner stopped it with
/// SIGTERM once the marker came, and the most memory beyond guest RAM it was seen to hold
/// (null when not sampled, see <see cref="BootProcessLaunch.GuestRamBytes"/>).
/// </summary>
public sealed record BootProcessRun(double? ToInitSeconds, double? GuestUptimeSeconds, double WallSeconds, int? ExitCode, string Console, string Log,
    string MarkerText = InitMarker.Text, bool StoppedAtMarker = false, long? PeakBeyondGuestRamBytes = null)
{
    /// <summary>The status a process ends with after SIGTERM when it does not exit 0 (128 + 15),
    /// as <c>turnstone run</c> does after printing its summary.</summary>
    public const int TerminatedStatus = 143;

    /// <summary>Why the run gives no figure, or null when it reached the marker and ended normally
    /// (after a stop at the marker: status 0, as QEMU's, or 143, as ours).</summary>
    public string? Problem(string what, TimeSpan timeout) => (ToInitSeconds, ExitCode) switch
    {
        (_, null) => $"{what} did not finish within {timeout.TotalSeconds:F0} s{Tail()}",
        (null, _) => $"{what} ended with status {ExitCode} without printing '{MarkerText}'{Tail()}",
        (_, 0) => null,
        (_, TerminatedStatus) when StoppedAtMarker => null,
        _ => $"{what} reached '{MarkerText}' but ended with status {ExitCode}{Tail()}",
    };

    /// <summary>The last lines of the log (stderr: where a monitor says what went wrong), or of the
    /// console when the log is empty.</summary>
    private string Tail()
    {
        string[] log = Lines(Log), console = Lines(Console);
        string[] lines = log.Length > 0 ? log : console;
        return lines.Length == 0 ? "" : ": " + string.Join(" | ", lines.TakeLast(3));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
