namespace Turnstone.Bench.Boot;

/// <summary>
/// One boot as a child process: seconds from its start to the init marker on its console (null
/// when the marker never came), the guest's uptime the marker carries, the wall time to its exit,
/// its exit status (null when it was killed at the timeout) and what it printed.
/// </summary>
public sealed record BootProcessRun(double? ToInitSeconds, double? GuestUptimeSeconds, double WallSeconds, int? ExitCode, string Console, string Log)
{
    /// <summary>Why the run gives no figure, or null when it reached init and ended normally.</summary>
    public string? Problem(string what, TimeSpan timeout) => (ToInitSeconds, ExitCode) switch
    {
        (_, null) => $"{what} did not finish within {timeout.TotalSeconds:F0} s{Tail()}",
        (null, _) => $"{what} ended with status {ExitCode} without printing '{InitMarker.Text}'{Tail()}",
        (_, not 0) => $"{what} reached init but ended with status {ExitCode}{Tail()}",
        _ => null,
    };

    private string Tail()
    {
        var lines = (Log + "\n" + Console).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "" : ": " + string.Join(" | ", lines.TakeLast(3));
    }
}
