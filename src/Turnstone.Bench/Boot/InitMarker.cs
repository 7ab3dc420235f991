namespace Turnstone.Bench.Boot;

/// <summary>
/// The console line the test initramfs's /init prints first (images/initramfs/init):
/// <c>turnstone-guest: init reached, uptime 2.42 0.08</c>. Both monitors' runs are timed to it,
/// since QEMU has no boot timer port.
/// </summary>
public static class InitMarker
{
    public const string Text = "turnstone-guest: init reached";

    public static readonly ConsoleMarker Marker = new(Text);

    /// <summary>Whether <paramref name="line"/> is the marker (a kernel message may precede it on the same line).</summary>
    public static bool IsIn(string line) => Marker.IsIn(line);

    /// <summary>The guest's own uptime in seconds when init printed the marker (the first field of
    /// /proc/uptime), or null when <paramref name="line"/> is not the marker or has none.</summary>
    public static double? GuestUptimeSeconds(string line) => Marker.GuestUptimeSeconds(line);
}
