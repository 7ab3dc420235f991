namespace Turnstone.Firmware.Bios;

/// <summary>
/// A disk as INT 13h sees it: 512-byte sectors over the same backend the virtio-blk device uses
/// (same file, same read-only and locking rules). Addresses are checked by the caller against
/// <see cref="SectorCount"/> before any read or write.
/// </summary>
public interface IBiosDisk
{
    const int SectorSize = 512;

    ulong SectorCount { get; }

    bool IsReadOnly { get; }

    /// <summary>The PCI function behind the drive, or null for a drive with none (then 48h stops at
    /// the EDD 2.0 table, as SeaBIOS does for drives it cannot place on a bus).</summary>
    BiosDiskPciLocation? PciLocation { get; }

    /// <summary>Reads whole sectors from <paramref name="lba"/> into <paramref name="destination"/>
    /// (a multiple of <see cref="SectorSize"/>). Throws <see cref="IOException"/> on a host error.</summary>
    void Read(ulong lba, Span<byte> destination);

    /// <summary>Writes whole sectors. Throws <see cref="IOException"/> on a host error.</summary>
    void Write(ulong lba, ReadOnlySpan<byte> source);
}
