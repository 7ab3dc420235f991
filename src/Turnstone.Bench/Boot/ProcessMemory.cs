using System.Globalization;

namespace Turnstone.Bench.Boot;

/// <summary>
/// A monitor's resident memory beyond its guest RAM, read from outside the same way for any
/// process (ours and QEMU), so the two can be put side by side: every mapping's Rss in
/// /proc/PID/smaps, minus the guest RAM's mapping, taken to be the smallest anonymous mapping at
/// least as large as the guest RAM. QEMU keeps guest RAM in one anonymous mapping of exactly its
/// size and its translated code in a larger one (1 GiB on a 64-bit host); ours maps guest RAM the
/// same way, and the .NET runtime's reservations are larger still. Shared libraries and the
/// runtime's files count, as they do in either monitor's RSS.
/// </summary>
public static class ProcessMemory
{
    /// <summary>Bytes resident beyond guest RAM now, or null when the process has gone (or has no
    /// mapping as large as guest RAM yet).</summary>
    public static long? BeyondGuestRam(int processId, long guestRamBytes)
    {
        try
        {
            return BeyondGuestRam(File.ReadLines($"/proc/{processId}/smaps"), guestRamBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // it exited between two samples
        }
    }

    /// <summary>The same, from the text of an smaps file.</summary>
    public static long? BeyondGuestRam(IEnumerable<string> smaps, long guestRamBytes)
    {
        long total = 0;
        long? guestResident = null;
        long guestSize = long.MaxValue;
        long size = 0;
        bool anonymous = false;
        foreach (string line in smaps)
        {
            if (Mapping(line) is { } mapping)
            {
                (size, anonymous) = mapping;
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                long resident = Kilobytes(line) * 1024;
                total += resident;
                if (anonymous && size >= guestRamBytes && size < guestSize)
                {
                    guestSize = size;
                    guestResident = resident;
                }
            }
        }
        return guestResident is { } guest ? total - guest : null;
    }

    /// <summary>A mapping's header line ("START-END PERMS OFFSET DEV INODE [PATH]"): its size and
    /// whether it is anonymous (no path, or a named anonymous one, [anon:NAME]).</summary>
    private static (long Size, bool Anonymous)? Mapping(string line)
    {
        int dash = line.IndexOf('-');
        int space = line.IndexOf(' ');
        if (dash <= 0 || space <= dash
            || !ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start)
            || !ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
        {
            return null;
        }
        string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        string path = fields.Length == 6 ? fields[5].Trim() : "";
        bool anonymous = path.Length == 0 || (path.StartsWith("[anon", StringComparison.Ordinal));
        return ((long)(end - start), anonymous);
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);
}
