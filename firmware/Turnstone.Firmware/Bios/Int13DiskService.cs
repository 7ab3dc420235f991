using System.Buffers.Binary;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// INT 13h for the hard disks 80h, 81h, ... (one <see cref="IBiosDisk"/> each, in order): reset,
/// last status, CHS read/write with the geometry 08h reports (<see cref="BiosDiskGeometry"/>),
/// drive type, and the EDD 3.0 extensions (41h check, 42h/43h 64-bit LBA packets, 48h parameters).
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
    private const int Edd1ParameterSize = 0x1A, Edd2ParameterSize = 0x1E;
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

    /// <summary>48h: the EDD 2.0 parameter table (0x1E bytes: geometry, sector count, sector size,
    /// no DPTE) or the 1.x one (0x1A) when the caller's buffer says it holds only that.</summary>
    private static void ExtendedParameters(BiosCall call, IBiosDisk disk)
    {
        if (!call.TryGetRealModeSpan(call.Registers.Ds, call.Registers.Esi & 0xFFFF, 2, out var header))
        {
            Finish(call, DiskStatus.InvalidParameter);
            return;
        }
        int asked = BinaryPrimitives.ReadUInt16LittleEndian(header);
        if (asked < Edd1ParameterSize)
        {
            Finish(call, DiskStatus.InvalidParameter);
            return;
        }
        int size = asked >= Edd2ParameterSize ? Edd2ParameterSize : Edd1ParameterSize;
        if (!call.TryGetRealModeSpan(call.Registers.Ds, call.Registers.Esi & 0xFFFF, size, out var table))
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
        Finish(call, DiskStatus.Success);
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
