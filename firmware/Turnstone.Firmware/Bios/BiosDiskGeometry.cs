namespace Turnstone.Firmware.Bios;

/// <summary>
/// The logical CHS geometry INT 13h reports (08h, 48h) and translates 02h/03h addresses with:
/// 255 heads and 63 sectors per track, as BIOSes translate large disks (and partitioning tools
/// expect), and as many cylinders as fit, at most the 1024 CHS can address and at least one.
/// </summary>
public readonly record struct BiosDiskGeometry(uint Cylinders, uint Heads, uint SectorsPerTrack)
{
    public const uint MaximumCylinders = 1024, TranslatedHeads = 255, TranslatedSectorsPerTrack = 63;

    public static BiosDiskGeometry For(ulong sectorCount)
    {
        ulong cylinders = sectorCount / (TranslatedHeads * TranslatedSectorsPerTrack);
        return new BiosDiskGeometry((uint)Math.Clamp(cylinders, 1, MaximumCylinders), TranslatedHeads, TranslatedSectorsPerTrack);
    }

    /// <summary>The LBA of cylinder/head/sector (sectors count from 1), or null when any is out of range.</summary>
    public ulong? ToLba(uint cylinder, uint head, uint sector) =>
        cylinder < Cylinders && head < Heads && sector >= 1 && sector <= SectorsPerTrack
            ? ((ulong)cylinder * Heads + head) * SectorsPerTrack + sector - 1
            : null;
}
