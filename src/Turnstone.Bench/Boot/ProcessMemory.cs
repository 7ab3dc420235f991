using Turnstone.HostIo;

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
        var mappings = ProcessMappings.Parse(smaps).ToList();
        var guest = mappings.Where(m => m.IsAnonymous && m.Size >= guestRamBytes).OrderBy(m => m.Size).Take(1).ToList();
        return guest.Count == 1 ? mappings.Sum(m => m.ResidentBytes) - guest[0].ResidentBytes : null;
    }
}
