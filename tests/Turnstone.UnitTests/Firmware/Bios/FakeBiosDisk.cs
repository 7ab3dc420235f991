using Turnstone.Firmware.Bios;

namespace Turnstone.UnitTests.Firmware.Bios;

/// <summary>A disk in memory; sector n is filled with the byte n (mod 256) unless written.</summary>
internal sealed class FakeBiosDisk : IBiosDisk
{
    private readonly byte[] _bytes;

    public FakeBiosDisk(ulong sectors, bool readOnly = false)
    {
        _bytes = new byte[sectors * IBiosDisk.SectorSize];
        for (ulong s = 0; s < sectors; s++)
        {
            _bytes.AsSpan((int)(s * IBiosDisk.SectorSize), IBiosDisk.SectorSize).Fill((byte)s);
        }
        IsReadOnly = readOnly;
    }

    public ulong SectorCount => (ulong)_bytes.Length / IBiosDisk.SectorSize;

    public bool IsReadOnly { get; }

    public BiosDiskPciLocation? PciLocation { get; init; }

    /// <summary>Make every access throw as a failing host file would.</summary>
    public bool Failing { get; set; }

    public int Accesses { get; private set; }

    public Span<byte> Sector(ulong lba) => _bytes.AsSpan((int)(lba * IBiosDisk.SectorSize), IBiosDisk.SectorSize);

    public void Read(ulong lba, Span<byte> destination)
    {
        Accesses++;
        if (Failing)
        {
            throw new IOException("injected read failure");
        }
        _bytes.AsSpan((int)(lba * IBiosDisk.SectorSize), destination.Length).CopyTo(destination);
    }

    public void Write(ulong lba, ReadOnlySpan<byte> source)
    {
        Accesses++;
        if (Failing)
        {
            throw new IOException("injected write failure");
        }
        source.CopyTo(_bytes.AsSpan((int)(lba * IBiosDisk.SectorSize)));
    }
}
