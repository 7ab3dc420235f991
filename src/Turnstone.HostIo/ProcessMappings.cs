using System.Globalization;

namespace Turnstone.HostIo;

/// <summary>One mapping of a process as /proc/PID/smaps lists it: where it starts, its size, its
/// path (empty for anonymous memory) and how much of it is resident.</summary>
public readonly record struct ProcessMapping(ulong Start, long Size, string Path, long ResidentBytes)
{
    /// <summary>Anonymous memory: no path, or a named anonymous mapping ([anon:NAME]).</summary>
    public bool IsAnonymous => Path.Length == 0 || Path.StartsWith("[anon", StringComparison.Ordinal);
}

/// <summary>Reads a process's mappings from /proc/PID/smaps (the monitor's own, or another's).</summary>
public static class ProcessMappings
{
    /// <summary>The mappings in the text of an smaps file: each header line
    /// ("START-END PERMS OFFSET DEV INODE [PATH]") with the Rss line that follows it.</summary>
    public static IEnumerable<ProcessMapping> Parse(IEnumerable<string> smaps)
    {
        (ulong Start, long Size, string Path)? header = null;
        foreach (string line in smaps)
        {
            if (Header(line) is { } next)
            {
                header = next;
            }
            else if (header is { } mapping && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                yield return new ProcessMapping(mapping.Start, mapping.Size, mapping.Path, Kilobytes(line) * 1024);
                header = null;
            }
        }
    }

    private static (ulong Start, long Size, string Path)? Header(string line)
    {
        int dash = line.IndexOf('-');
        int space = line.IndexOf(' ');
        if (dash <= 0 || dash > 16 || space <= dash
            || !ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start)
            || !ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
        {
            return null;
        }
        string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        return (start, (long)(end - start), fields.Length == 6 ? fields[5].Trim() : "");
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);
}
