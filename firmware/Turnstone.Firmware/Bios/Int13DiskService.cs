using System.Buffers.Binary;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// INT 13h for the hard disks 80h, 81h, ... (one <see cref="IBiosDisk"/> each, in order): reset,
/// last status, CHS read/write with the geometry 08h reports (<see cref="BiosDiskGeometry"/>),
/// drive type, and the EDD 3.0 extensions (41h check, 42h/43h 64-bit LBA packets, 48h parameters
/// with the disk's PCI device path).
/// Every guest value (drive, CHS, count, LBA, buffer pointer, packet size) is checked before use:
/// a bad one gets an error status (CF = 1, AH, and the BDA's last status at 0x474, as SeaBIOS
/// keeps it for hard disks), never a host access. There are no diskettes.
/// </summary>
public sealed class Int13DiskService(IReadOnlyList<IBiosDisk> disks) : IBiosService
{
    /// <summary>The most sectors a 42h/43h packet may move (the Phoenix EDD specification's limit).</summary>
    public const int MaximumPacketSectors = 127;

    /// <summary>The most sectors a 02h/03h call may move (AL; SeaBIOS's limit).</summary>
    public const int MaximumChsSectors = 128;

    private const int ShortPacketSize = 0x10, FlatPacketSize = 0x18;
    private const int Edd1ParameterSize = 0x1A, Edd2ParameterSize = 0x1E, Edd3ParameterSize = 0x42, T13ParameterSize = 0x4A;
    private const ushort DevicePathKey = 0xBEDD;
    private const uint FlatBufferMarker = 0xFFFF_FFFF;

    public IReadOnlyList<byte> Vectors { get; } = [0x13];

    public void Handle(BiosCall call)
    {
        byte function = call.Ah;
        byte drive = (byte)call.Registers.Edx;
        int index = drive - BiosStubLayout.FirstHardDisk;
        if (drive < BiosStubLayout.FirstHardDisk || index >= disks.Count)
        {
            // An absent drive (or a diskette: we have none) answers every function with an error, as SeaBIOS does.
            Finish(call, DiskStatus.InvalidParameter);
            return;
        }
        var disk = disks[index];
        switch (function)
        {
            case 0x00: // reset
            case 0x0D: // alternate reset
            case 0x10: // test unit ready
            case 0x11: // recalibrate
                Finish(call, DiskStatus.Success);
                break;
            case 0x01:
                ReportLastStatus(call);
                break;
            case 0x02:
            case 0x03:
                ChsTransfer(call, disk, write: function == 0x03);
                break;
            case 0x08:
                Parameters(call, disk);
                break;
            case 0x15:
                Finish(call, DiskStatus.Success);
                call.Ah = 0x03; // fixed disk present
                uint sectors = (uint)Math.Min(disk.SectorCount, uint.MaxValue);
                call.Registers.Ecx = (call.Registers.Ecx & 0xFFFF_0000) | (sectors >> 16);
                call.Registers.Edx = (call.Registers.Edx & 0xFFFF_0000) | (sectors & 0xFFFF);
                break;
            case 0x41:
                ExtensionsCheck(call);
                break;
            case 0x42:
            case 0x43:
                PacketTransfer(call, disk, write: function == 0x43);
                break;
            case 0x48:
                ExtendedParameters(call, disk);
                break;
            case 0x4B:
                // El Torito status/terminate: asked by loaders (GRUB) to learn whether they booted
                // from an emulated CD. A hard disk is not one; SeaBIOS answers so, without a complaint.
                Finish(call, DiskStatus.InvalidParameter);
                break;
            default:
                call.Unsupported($"INT 13h AH={function:X2}h");
                StoreStatus(call, DiskStatus.InvalidParameter);
                break;
        }
    }

    private static void ReportLastStatus(BiosCall call)
    {
        byte last = call.TryGetPhysicalSpan(BiosStubLayout.HardDiskStatusAddress, 1, out var status) ? status[0] : DiskStatus.Success;
        call.Ah = last;
        call.Carry = last != DiskStatus.Success;
    }

    private static void ChsTransfer(BiosCall call, IBiosDisk disk, bool write)
    {
        int count = call.Al;
        uint ecx = call.Registers.Ecx;
        uint sector = ecx & 0x3F;
        uint cylinder = ((ecx >> 8) & 0xFF) | ((ecx & 0xC0) << 2);
        uint head = (call.Registers.Edx >> 8) & 0xFF;
        var geometry = BiosDiskGeometry.For(disk.SectorCount);
        if (count is 0 or > MaximumChsSectors || geometry.ToLba(cylinder, head, sector) is not { } lba)
        {
            FailTransfer(call, DiskStatus.InvalidParameter);
            return;
        }
        if (!call.TryGetRealModeSpan(call.Registers.Es, call.Registers.Ebx & 0xFFFF, count * IBiosDisk.SectorSize, out var buffer))
        {
            FailTransfer(call, DiskStatus.BufferOutOfRange);
            return;
        }
        byte status = Transfer(disk, lba, count, buffer, write);
        if (status != DiskStatus.Success)
        {
            FailTransfer(call, status);
            return;
        }
        Finish(call, DiskStatus.Success);
        call.Al = (byte)count;
    }

    private static void FailTransfer(BiosCall call, byte status)
    {
        Finish(call, status);
        call.Al = 0;
    }

    /// <summary>Moves <paramref name="count"/> sectors at <paramref name="lba"/>, after checking they lie on the disk.</summary>
    private static byte Transfer(IBiosDisk disk, ulong lba, int count, Span<byte> buffer, bool write)
    {
        if (lba >= disk.SectorCount || (ulong)count > disk.SectorCount - lba)
        {
            return DiskStatus.InvalidParameter;
        }
        if (write && disk.IsReadOnly)
        {
            return DiskStatus.WriteProtected;
        }
        try
        {
            if (write)
            {
                disk.Write(lba, buffer);
            }
            else
            {
                disk.Read(lba, buffer);
            }
            return DiskStatus.Success;
        }
        catch (IOException)
        {
            return DiskStatus.ControllerFailure;
        }
    }

    private void Parameters(BiosCall call, IBiosDisk disk)
    {
        var geometry = BiosDiskGeometry.For(disk.SectorCount);
        uint maxCylinder = geometry.Cylinders - 1;
        Finish(call, DiskStatus.Success);
        call.Al = 0;
        call.Registers.Ecx = (call.Registers.Ecx & 0xFFFF_0000) | ((maxCylinder & 0xFF) << 8) | ((maxCylinder >> 2) & 0xC0) | geometry.SectorsPerTrack;
        call.Registers.Edx = (call.Registers.Edx & 0xFFFF_0000) | ((geometry.Heads - 1) << 8) | (uint)disks.Count;
    }

    private static void ExtensionsCheck(BiosCall call)
    {
        if ((call.Registers.Ebx & 0xFFFF) != 0x55AA)
        {
            Finish(call, DiskStatus.InvalidParameter);
            return;
        }
        call.Registers.Ebx = (call.Registers.Ebx & 0xFFFF_0000) | 0xAA55;
        call.Ah = 0x30; // EDD 3.0
        // Fixed disk access (42h-44h, 47h, 48h) and EDD (48h); no removable-media functions (45h, 46h, 49h).
        call.Registers.Ecx = (call.Registers.Ecx & 0xFFFF_0000) | 0x0005;
        call.Succeed();
    }

    /// <summary>
    /// 42h/43h: the packet at DS:SI is 16 bytes (size, reserved, count, buffer segment:offset, LBA)
    /// or 24 with a flat 64-bit buffer address, used when segment:offset is FFFF:FFFF. The count
    /// field is rewritten with the sectors moved (0 on an error).
    /// </summary>
    private static void PacketTransfer(BiosCall call, IBiosDisk disk, bool write)
    {
        if (!call.TryGetRealModeSpan(call.Registers.Ds, call.Registers.Esi & 0xFFFF, ShortPacketSize, out var packet)
            || packet[0] < ShortPacketSize)
        {
            Finish(call, DiskStatus.InvalidParameter);
            return;
        }
        int size = packet[0];
        int count = BinaryPrimitives.ReadUInt16LittleEndian(packet[2..]);
        uint farBuffer = BinaryPrimitives.ReadUInt32LittleEndian(packet[4..]);
        ulong lba = BinaryPrimitives.ReadUInt64LittleEndian(packet[8..]);
        byte status;
        if (count > MaximumPacketSectors)
        {
            status = DiskStatus.InvalidParameter;
        }
        else if (count == 0)
        {
            status = DiskStatus.Success;
        }
        else
        {
            int length = count * IBiosDisk.SectorSize;
            Span<byte> buffer;
            bool mapped;
            if (farBuffer == FlatBufferMarker && size >= FlatPacketSize
                && call.TryGetRealModeSpan(call.Registers.Ds, call.Registers.Esi & 0xFFFF, FlatPacketSize, out var longPacket))
            {
                mapped = call.TryGetPhysicalSpan(BinaryPrimitives.ReadUInt64LittleEndian(longPacket[0x10..]), length, out buffer);
            }
            else
            {
                mapped = call.TryGetRealModeSpan((ushort)(farBuffer >> 16), farBuffer & 0xFFFF, length, out buffer);
            }
            status = mapped ? Transfer(disk, lba, count, buffer, write) : DiskStatus.BufferOutOfRange;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(packet[2..], (ushort)(status == DiskStatus.Success ? count : 0));
        Finish(call, status);
    }

    /// <summary>
    /// 48h: the parameter table at DS:SI, as much of it as the caller's size word says fits, as
    /// SeaBIOS's fill_generic_edd writes it for a virtio disk: the EDD 1.x part (0x1A bytes:
    /// geometry, sector count, sector size), 2.0 (0x1E: no DPTE, FFFF:FFFF) and 3.0 (the device
    /// path: key BEDDh, host bus "PCI " with the bus/device/function of the disk's virtio-blk
    /// function, interface "SCSI    " as SeaBIOS names virtio, a checksum over the path). A buffer
    /// of exactly 0x4A bytes (Linux's) gets the T13 layout (16-byte device path, path length 44,
    /// interface path with the channel byte), any other of at least 0x42 the Phoenix one (8-byte
    /// device path, length 36, no channel). The size word returns what was filled, as the EDD
    /// specification says (SeaBIOS leaves 0x1E there even after writing the 3.0 part).
    /// </summary>
    private static void ExtendedParameters(BiosCall call, IBiosDisk disk)
    {
        if (!call.TryGetRealModeSpan(call.Registers.Ds, call.Registers.Esi & 0xFFFF, 2, out var header))
        {
            Finish(call, DiskStatus.InvalidParameter);
            return;
        }
        int asked = BinaryPrimitives.ReadUInt16LittleEndian(header);
        int size = asked switch
        {
            < Edd1ParameterSize => 0,
            < Edd2ParameterSize => Edd1ParameterSize,
            < Edd3ParameterSize => Edd2ParameterSize,
            _ when disk.PciLocation is null => Edd2ParameterSize,
            T13ParameterSize => T13ParameterSize,
            _ => Edd3ParameterSize,
        };
        if (size == 0 || !call.TryGetRealModeSpan(call.Registers.Ds, call.Registers.Esi & 0xFFFF, size, out var table))
        {
            Finish(call, DiskStatus.InvalidParameter);
            return;
        }
        var geometry = BiosDiskGeometry.For(disk.SectorCount);
        bool geometryCoversDisk = (ulong)geometry.Cylinders * geometry.Heads * geometry.SectorsPerTrack >= disk.SectorCount;
        BinaryPrimitives.WriteUInt16LittleEndian(table, (ushort)size);
        BinaryPrimitives.WriteUInt16LittleEndian(table[2..], (ushort)(geometryCoversDisk ? 0x0002 : 0)); // CHS information valid
        BinaryPrimitives.WriteUInt32LittleEndian(table[4..], geometry.Cylinders);
        BinaryPrimitives.WriteUInt32LittleEndian(table[8..], geometry.Heads);
        BinaryPrimitives.WriteUInt32LittleEndian(table[0x0C..], geometry.SectorsPerTrack);
        BinaryPrimitives.WriteUInt64LittleEndian(table[0x10..], disk.SectorCount);
        BinaryPrimitives.WriteUInt16LittleEndian(table[0x18..], IBiosDisk.SectorSize);
        if (size >= Edd2ParameterSize)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(table[0x1A..], FlatBufferMarker); // no device parameter table extension
        }
        if (size >= Edd3ParameterSize && disk.PciLocation is { } pci)
        {
            WriteDevicePath(table[Edd2ParameterSize..size], pci);
        }
        Finish(call, DiskStatus.Success);
    }

    /// <summary>The EDD 3.0 device path information (from offset 1Eh): its last byte makes the bytes from 1Eh sum to zero.</summary>
    private static void WriteDevicePath(Span<byte> path, BiosDiskPciLocation pci)
    {
        path.Clear(); // reserved fields, the upper interface path bytes and the (zero) SCSI target/LUN device path
        BinaryPrimitives.WriteUInt16LittleEndian(path, DevicePathKey);
        path[2] = (byte)path.Length; // from the key to the checksum: 36 (Phoenix) or 44 (T13)
        "PCI "u8.CopyTo(path[6..]);
        "SCSI    "u8.CopyTo(path[0x0A..]);
        path[0x12] = pci.Bus;
        path[0x13] = pci.Device;
        path[0x14] = pci.Function;
        // path[0x15]: the channel, 0 (T13 defines it, the Phoenix layout has it reserved); the device path is zero in both.
        byte sum = 0;
        foreach (byte b in path[..^1])
        {
            sum += b;
        }
        path[^1] = (byte)-sum;
    }

    /// <summary>Ends the call with <paramref name="status"/>: AH, CF and the BDA's last status.</summary>
    private static void Finish(BiosCall call, byte status)
    {
        StoreStatus(call, status);
        if (status == DiskStatus.Success)
        {
            call.Ah = 0;
            call.Succeed();
        }
        else
        {
            call.Fail(status);
        }
    }

    private static void StoreStatus(BiosCall call, byte status)
    {
        if (call.TryGetPhysicalSpan(BiosStubLayout.HardDiskStatusAddress, 1, out var last))
        {
            last[0] = status;
        }
    }
}
