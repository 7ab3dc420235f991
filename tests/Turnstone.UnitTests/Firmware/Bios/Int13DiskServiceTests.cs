using System.Buffers.Binary;
using Turnstone.Firmware.Bios;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios;

/// <summary>INT 13h against fake disks: each function, and every error path a guest can reach
/// (absent drives, bad CHS, counts, packets, buffers outside RAM, the end of the disk, read-only
/// disks, host errors), with the register contracts of the Phoenix EDD spec and SeaBIOS.</summary>
public sealed class Int13DiskServiceTests
{
    private const ushort StackPointer = 0x7000;
    private const ulong StackedFlags = StackPointer + 4;
    private const ushort PacketAt = 0x0500;

    private readonly ArrayGuestMemory _memory = new(2ul << 20);
    private readonly FakeBiosDisk _disk = new(16065 * 3 + 100); // a little over three cylinders
    private readonly FakeBiosDisk _readOnly = new(64, readOnly: true);
    private readonly FakeRealModeRegisters _registers = new() { Ss = 0, Esp = StackPointer };
    private readonly Int13DiskService _service;

    public Int13DiskServiceTests()
    {
        _service = new Int13DiskService([_disk, _readOnly]);
    }

    private bool Carry => (_memory.GetSpan(StackedFlags, 1)[0] & 1) != 0;

    private byte Ah => (byte)(_registers.Eax >> 8);

    private byte LastStatus => _memory.GetSpan(BiosStubLayout.HardDiskStatusAddress, 1)[0];

    private void Call(ushort ax, byte drive = 0x80)
    {
        _registers.Eax = ax;
        _registers.Edx = (_registers.Edx & 0xFF00) | drive;
        _service.Handle(new BiosCall(0x13, _registers, _memory, new UnsupportedServiceLog(null)));
    }

    private void ChsRead(byte count, uint cylinder, byte head, byte sector, ushort es = 0x1000, ushort bx = 0, byte drive = 0x80, bool write = false)
    {
        _registers.Ecx = ((cylinder & 0xFF) << 8) | ((cylinder >> 2) & 0xC0) | sector;
        _registers.Edx = (uint)(head << 8);
        _registers.Es = es;
        _registers.Ebx = bx;
        Call((ushort)(((write ? 0x03 : 0x02) << 8) | count), drive);
    }

    private void Packet(ushort function, ushort count, ulong lba, ushort segment = 0x1000, ushort offset = 0, byte size = 0x10, ulong? flat = null, byte drive = 0x80)
    {
        var packet = _memory.GetSpan(PacketAt, 0x18);
        packet.Clear();
        packet[0] = size;
        BinaryPrimitives.WriteUInt16LittleEndian(packet[2..], count);
        BinaryPrimitives.WriteUInt16LittleEndian(packet[4..], flat is null ? offset : (ushort)0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(packet[6..], flat is null ? segment : (ushort)0xFFFF);
        BinaryPrimitives.WriteUInt64LittleEndian(packet[8..], lba);
        BinaryPrimitives.WriteUInt64LittleEndian(packet[0x10..], flat ?? 0);
        _registers.Ds = 0;
        _registers.Esi = PacketAt;
        Call((ushort)(function << 8), drive);
    }

    private ushort PacketCount => BinaryPrimitives.ReadUInt16LittleEndian(_memory.GetSpan(PacketAt + 2, 2));

    [Fact]
    public void Reset_succeeds_and_last_status_reports_the_previous_error()
    {
        ChsRead(1, 0, 0, 0); // sector 0 does not exist
        Assert.True(Carry);
        Call(0x0100);
        Assert.Equal(DiskStatus.InvalidParameter, Ah);
        Assert.True(Carry);

        Call(0x0000);
        Assert.False(Carry);
        Assert.Equal(0, Ah);
        Call(0x0100);
        Assert.Equal(0, Ah);
        Assert.False(Carry);
    }

    [Fact]
    public void Chs_read_translates_with_255_heads_and_63_sectors()
    {
        ChsRead(2, cylinder: 1, head: 2, sector: 3);

        Assert.False(Carry);
        Assert.Equal(0x0002u, _registers.Eax & 0xFFFF); // AH = 0, AL = sectors read
        ulong lba = (1 * 255 + 2) * 63 + 2;
        Assert.Equal(_disk.Sector(lba).ToArray(), _memory.GetSpan(0x10000, 512).ToArray());
        Assert.Equal(_disk.Sector(lba + 1).ToArray(), _memory.GetSpan(0x10200, 512).ToArray());
    }

    [Fact]
    public void Chs_write_reaches_the_disk_and_a_read_only_disk_refuses_with_write_protect()
    {
        _memory.GetSpan(0x10000, 512).Fill(0xA5);
        ChsRead(1, 0, 0, 1, write: true);
        Assert.False(Carry);
        Assert.All(_disk.Sector(0).ToArray(), b => Assert.Equal(0xA5, b));

        ChsRead(1, 0, 0, 1, drive: 0x81, write: true);
        Assert.True(Carry);
        Assert.Equal(DiskStatus.WriteProtected, Ah);
        Assert.Equal(DiskStatus.WriteProtected, LastStatus);
        Assert.Equal(0, _readOnly.Accesses);
    }

    [Theory]
    [InlineData(0, 0u, 0, 1)]     // count 0
    [InlineData(129, 0u, 0, 1)]   // count beyond 128
    [InlineData(1, 0u, 0, 0)]     // sector 0
    [InlineData(1, 0u, 0, 64)]    // sector beyond 63
    [InlineData(1, 3u, 0, 1)]     // cylinder 3: beyond the three whole cylinders 08h reports
    [InlineData(1, 1023u, 254, 63)]
    public void Bogus_chs_values_get_an_error_and_touch_nothing(byte count, uint cylinder, byte head, byte sector)
    {
        int before = _disk.Accesses;
        ChsRead(count, cylinder, head, sector);
        Assert.True(Carry);
        Assert.Equal(DiskStatus.InvalidParameter, Ah);
        Assert.Equal(0, (byte)_registers.Eax);
        Assert.Equal(before, _disk.Accesses);
    }

    [Fact]
    public void A_chs_buffer_beyond_the_real_mode_space_is_refused()
    {
        ChsRead(128, 0, 0, 1, es: 0xFFFF, bx: 0xF000);
        Assert.True(Carry);
        Assert.Equal(DiskStatus.BufferOutOfRange, Ah);
    }

    [Fact]
    public void Parameters_report_the_geometry_the_chs_functions_use_and_the_drive_count()
    {
        Call(0x0800);

        Assert.False(Carry);
        Assert.Equal(0, Ah);
        uint maxCylinder = ((_registers.Ecx >> 8) & 0xFF) | ((_registers.Ecx & 0xC0) << 2);
        Assert.Equal(2u, maxCylinder); // three whole cylinders: 0-2
        Assert.Equal(63u, _registers.Ecx & 0x3F);
        Assert.Equal(254u, (_registers.Edx >> 8) & 0xFF);
        Assert.Equal(2u, _registers.Edx & 0xFF);
    }

    [Fact]
    public void Type_reports_a_fixed_disk_and_its_sector_count()
    {
        Call(0x1500);
        Assert.False(Carry);
        Assert.Equal(0x03, Ah);
        Assert.Equal(_disk.SectorCount, ((_registers.Ecx & 0xFFFF) << 16) | (_registers.Edx & 0xFFFF));
    }

    [Fact]
    public void Absent_drives_and_diskettes_get_an_error_for_every_function()
    {
        foreach (byte drive in new byte[] { 0x82, 0xFF, 0x00, 0x01 })
        {
            Call(0x0800, drive);
            Assert.True(Carry);
            Assert.Equal(DiskStatus.InvalidParameter, Ah);
            Packet(0x42, 1, 0, drive: drive);
            Assert.True(Carry);
        }
    }

    [Fact]
    public void Extensions_check_reports_edd_3_with_packet_access()
    {
        _registers.Ebx = 0x55AA;
        Call(0x4100);
        Assert.False(Carry);
        Assert.Equal(0x30, Ah);
        Assert.Equal(0xAA55u, _registers.Ebx & 0xFFFF);
        Assert.Equal(1u, _registers.Ecx & 1);

        _registers.Ebx = 0x1234;
        Call(0x4100);
        Assert.True(Carry);
    }

    [Fact]
    public void Packet_read_moves_the_sectors_at_a_64_bit_lba_and_reports_the_count()
    {
        Packet(0x42, 3, lba: 40, segment: 0x2000, offset: 0x10);

        Assert.False(Carry);
        Assert.Equal(0, Ah);
        Assert.Equal(3, PacketCount);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(_disk.Sector(40 + (ulong)i).ToArray(), _memory.GetSpan(0x20010 + (ulong)i * 512, 512).ToArray());
        }
    }

    [Fact]
    public void A_24_byte_packet_with_ffff_ffff_uses_the_flat_64_bit_buffer_address()
    {
        Packet(0x42, 1, lba: 7, size: 0x18, flat: 0x18_0000);
        Assert.False(Carry);
        Assert.Equal(_disk.Sector(7).ToArray(), _memory.GetSpan(0x18_0000, 512).ToArray());

        Packet(0x42, 1, lba: 7, size: 0x18, flat: 0x1_0000_0000); // not RAM
        Assert.True(Carry);
        Assert.Equal(DiskStatus.BufferOutOfRange, Ah);
        Assert.Equal(0, PacketCount);
    }

    [Fact]
    public void Packet_write_reaches_the_disk_and_a_read_only_disk_refuses_it()
    {
        _memory.GetSpan(0x10000, 512).Fill(0x3C);
        Packet(0x43, 1, lba: 9);
        Assert.False(Carry);
        Assert.All(_disk.Sector(9).ToArray(), b => Assert.Equal(0x3C, b));

        Packet(0x43, 1, lba: 9, drive: 0x81);
        Assert.True(Carry);
        Assert.Equal(DiskStatus.WriteProtected, Ah);
        Assert.Equal(0, PacketCount);
    }

    [Theory]
    [InlineData(128, 0ul)]                 // oversize count
    [InlineData(1, ulong.MaxValue)]        // an LBA that would overflow
    [InlineData(2, 16065ul * 3 + 99)]      // runs past the last sector
    [InlineData(1, 16065ul * 3 + 100)]     // starts past it
    public void Oversize_packets_and_lbas_past_the_end_get_an_error_not_a_host_access(ushort count, ulong lba)
    {
        int before = _disk.Accesses;
        Packet(0x42, count, lba);
        Assert.True(Carry);
        Assert.Equal(DiskStatus.InvalidParameter, Ah);
        Assert.Equal(0, PacketCount);
        Assert.Equal(before, _disk.Accesses);
    }

    [Fact]
    public void A_packet_smaller_than_16_bytes_or_outside_ram_is_refused()
    {
        Packet(0x42, 1, 0, size: 0x0F);
        Assert.True(Carry);
        _registers.Ds = 0xFFFF;
        _registers.Esi = 0xFFF8;
        Call(0x4200);
        Assert.True(Carry);
    }

    [Fact]
    public void The_last_sector_reads_and_a_host_error_is_a_controller_failure_status()
    {
        Packet(0x42, 1, _disk.SectorCount - 1);
        Assert.False(Carry);

        _disk.Failing = true;
        Packet(0x42, 1, 0);
        Assert.True(Carry);
        Assert.Equal(DiskStatus.ControllerFailure, Ah);
    }

    [Fact]
    public void Extended_parameters_fill_the_edd_table_for_the_size_the_caller_gave()
    {
        var table = _memory.GetSpan(0x3000, 0x42);
        BinaryPrimitives.WriteUInt16LittleEndian(table, 0x42);
        _registers.Ds = 0x300;
        _registers.Esi = 0;
        Call(0x4800);

        Assert.False(Carry);
        Assert.Equal(0x1E, BinaryPrimitives.ReadUInt16LittleEndian(table));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(table[4..]));
        Assert.Equal(255u, BinaryPrimitives.ReadUInt32LittleEndian(table[8..]));
        Assert.Equal(63u, BinaryPrimitives.ReadUInt32LittleEndian(table[0x0C..]));
        Assert.Equal(_disk.SectorCount, BinaryPrimitives.ReadUInt64LittleEndian(table[0x10..]));
        Assert.Equal(512, BinaryPrimitives.ReadUInt16LittleEndian(table[0x18..]));
        Assert.Equal(0xFFFF_FFFFu, BinaryPrimitives.ReadUInt32LittleEndian(table[0x1A..]));

        BinaryPrimitives.WriteUInt16LittleEndian(table, 0x10);
        Call(0x4800);
        Assert.True(Carry);
    }

    /// <summary>Drive 80h of a service whose disk sits in PCI function 00:05.0 (SeaBIOS's virtio-blk case).</summary>
    private Span<byte> ParametersOfPciDisk(ushort size, out Int13DiskService service)
    {
        var disk = new FakeBiosDisk(16065 * 3 + 100) { PciLocation = new BiosDiskPciLocation(0, 5, 0) };
        service = new Int13DiskService([disk]);
        var table = _memory.GetSpan(0x3000, 0x60);
        table.Fill(0xCC); // what the caller's buffer held: bytes past the size filled must keep it
        BinaryPrimitives.WriteUInt16LittleEndian(table, size);
        _registers.Ds = 0x300;
        _registers.Esi = 0;
        _registers.Eax = 0x4800;
        _registers.Edx = 0x80;
        service.Handle(new BiosCall(0x13, _registers, _memory, new UnsupportedServiceLog(null)));
        return table;
    }

    private static byte SumOf(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }
        return sum;
    }

    [Fact]
    public void Extended_parameters_of_a_pci_disk_add_the_edd_3_device_path_in_the_phoenix_layout()
    {
        var table = ParametersOfPciDisk(0x42, out _);

        Assert.False(Carry);
        Assert.Equal(0x42, BinaryPrimitives.ReadUInt16LittleEndian(table));
        Assert.Equal(_disk.SectorCount, BinaryPrimitives.ReadUInt64LittleEndian(table[0x10..]));
        Assert.Equal(0xFFFF_FFFFu, BinaryPrimitives.ReadUInt32LittleEndian(table[0x1A..]));
        Assert.Equal(0xBEDD, BinaryPrimitives.ReadUInt16LittleEndian(table[0x1E..]));
        Assert.Equal(36, table[0x20]);                                  // path length, key to checksum
        Assert.Equal(0, table[0x21]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(table[0x22..]));
        Assert.Equal("PCI ", System.Text.Encoding.ASCII.GetString(table.Slice(0x24, 4)));
        Assert.Equal("SCSI    ", System.Text.Encoding.ASCII.GetString(table.Slice(0x28, 8))); // SeaBIOS's name for virtio
        Assert.Equal(0x0005_00ul, BinaryPrimitives.ReadUInt64LittleEndian(table[0x30..])); // bus 0, device 5, function 0, no channel
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(table[0x38..]));          // SCSI target and LUN 0
        Assert.Equal(0, table[0x40]);
        Assert.Equal(0, SumOf(table[0x1E..0x42]));                       // the checksum byte at 41h
        Assert.Equal(0xCC, table[0x42]);                                 // nothing past the table
    }

    [Fact]
    public void Extended_parameters_in_a_0x4a_buffer_get_the_t13_layout_linux_asks_for()
    {
        var table = ParametersOfPciDisk(0x4A, out _);

        Assert.False(Carry);
        Assert.Equal(0x4A, BinaryPrimitives.ReadUInt16LittleEndian(table));
        Assert.Equal(0xBEDD, BinaryPrimitives.ReadUInt16LittleEndian(table[0x1E..]));
        Assert.Equal(44, table[0x20]);
        Assert.Equal("PCI ", System.Text.Encoding.ASCII.GetString(table.Slice(0x24, 4)));
        Assert.Equal(0x0005_00ul, BinaryPrimitives.ReadUInt64LittleEndian(table[0x30..]));
        Assert.True(table[0x38..0x48].IndexOfAnyExcept((byte)0) < 0);  // 16-byte device path, reserved byte
        Assert.Equal(0, SumOf(table[0x1E..0x4A]));                       // the checksum byte at 49h
        Assert.Equal(0xCC, table[0x4A]);
    }

    [Theory]
    [InlineData(0x1A, 0x1A)]
    [InlineData(0x1D, 0x1A)]
    [InlineData(0x1E, 0x1E)]
    [InlineData(0x41, 0x1E)]
    [InlineData(0x42, 0x42)]
    [InlineData(0x49, 0x42)]
    [InlineData(0x4A, 0x4A)]
    [InlineData(0x4B, 0x42)]
    public void Extended_parameters_write_only_what_fits_the_callers_buffer_and_return_that_size(ushort asked, ushort filled)
    {
        var table = ParametersOfPciDisk(asked, out _);

        Assert.False(Carry);
        Assert.Equal(filled, BinaryPrimitives.ReadUInt16LittleEndian(table));
        Assert.Equal(0xCC, table[filled]);
        Assert.NotEqual(0xCC, table[filled - 1]);
    }

    [Fact]
    public void El_torito_status_says_this_is_no_emulated_cd_without_logging_it_as_unsupported()
    {
        var log = new StringWriter();
        _registers.Eax = 0x4B01;
        _registers.Edx = 0x80;
        _service.Handle(new BiosCall(0x13, _registers, _memory, new UnsupportedServiceLog(log)));
        Assert.True(Carry);
        Assert.Equal(DiskStatus.InvalidParameter, Ah);
        Assert.Empty(log.ToString());
    }

    [Fact]
    public void An_unknown_function_is_unsupported_with_invalid_function()
    {
        var log = new StringWriter();
        _registers.Eax = 0x4500;
        _registers.Edx = 0x80;
        _service.Handle(new BiosCall(0x13, _registers, _memory, new UnsupportedServiceLog(log)));
        Assert.True(Carry);
        Assert.Equal(0x01, Ah);
        Assert.Contains("INT 13h AH=45h", log.ToString());
    }
}
