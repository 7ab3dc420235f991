using System.Globalization;

namespace Turnstone.Bench.Boot;

/// <summary>
/// A console line a boot is timed to: <see cref="Text"/> anywhere in the line (a kernel message may
/// precede it), optionally followed by <c>, uptime U I</c> (the guest's /proc/uptime, which the
/// Turnstone guests' init scripts print).
/// </summary>
public sealed record ConsoleMarker(string Text)
{
    public bool IsIn(string line) => line.Contains(Text, StringComparison.Ordinal);

    /// <summary>The guest's own uptime in seconds when the line was printed (the first field of
    /// /proc/uptime), or null when <paramref name="line"/> is not the marker or carries none.</summary>
    public double? GuestUptimeSeconds(string line)
    {
        int at = line.IndexOf(Text, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        const string uptimeField = ", uptime ";
        string rest = line[(at + Text.Length)..];
        if (!rest.StartsWith(uptimeField, StringComparison.Ordinal))
        {
            return null;
        }
        string[] fields = rest[uptimeField.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double uptime) ? uptime : null;
    }
}
