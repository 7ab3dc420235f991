using System.Diagnostics;

namespace Turnstone.Machine.Bios;

/// <summary>
/// The host time the BIOS's disk services spent moving sectors between the image files and guest
/// memory, and how many bytes: part of the firmware's share, reported apart from it because it
/// grows with what the loader asks for (Debian's GRUB reads its kernel and initrd, 30 MB, through
/// INT 13h: 8-13 ms of copying on this host), not with what the firmware does per call.
/// Counted on the vCPU's thread; read after it stopped.
/// </summary>
internal sealed class BiosDiskTransfers
{
    private long _ticks;

    public long Bytes { get; private set; }

    public TimeSpan Time => Stopwatch.GetElapsedTime(0, _ticks);

    /// <summary>Counts a transfer of <paramref name="bytes"/> bytes that began at <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void Count(int bytes, long startTimestamp)
    {
        _ticks += Stopwatch.GetTimestamp() - startTimestamp;
        Bytes += bytes;
    }
}
