using Turnstone.Devices.Virtio.Block;
using Turnstone.Firmware.Bios;

namespace Turnstone.Machine.Bios;

/// <summary>
/// A BIOS drive over the very backend (open file, read-only flag, lock) of the disk's virtio-blk
/// device, so INT 13h and the guest's driver see one disk. A partial last sector (an image whose
/// size is not a multiple of 512) is not addressable, as virtio-blk's capacity in sectors says.
/// <paramref name="pciLocation"/> is that device's PCI function (null where there is none: the rehearsal);
/// <paramref name="transfers"/>, where given, counts the time and bytes of every read and write.
/// </summary>
internal sealed class BlockBackendBiosDisk(IBlockBackend backend, BiosDiskPciLocation? pciLocation = null, BiosDiskTransfers? transfers = null) : IBiosDisk
{
    public ulong SectorCount => backend.Capacity / IBiosDisk.SectorSize;

    public bool IsReadOnly => backend.IsReadOnly;

    public BiosDiskPciLocation? PciLocation => pciLocation;

    public void Read(ulong lba, Span<byte> destination)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        backend.ReadAt(lba * IBiosDisk.SectorSize, destination);
        transfers?.Count(destination.Length, start);
    }

    public void Write(ulong lba, ReadOnlySpan<byte> source)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        backend.WriteAt(lba * IBiosDisk.SectorSize, source);
        transfers?.Count(source.Length, start);
    }
}
