using Turnstone.Firmware.Bios;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios;

public sealed class BiosDataAreaTests
{
    private readonly ArrayGuestMemory _memory = new(1ul << 20);

    [Fact]
    public void Bda_is_filled_as_seabios_leaves_it()
    {
        _memory.GetSpan(0x400, 0x100).Fill(0xCC);
        BiosDataArea.Write(_memory, serialPortCount: 1, hardDiskCount: 2);

        Assert.Equal(0x3F8, _memory.ReadUInt16(0x400));
        Assert.Equal(0, _memory.ReadUInt16(0x402)); // no COM2
        Assert.Equal(0x9FC0, _memory.ReadUInt16(0x40E));
        Assert.Equal(0x0222, _memory.ReadUInt16(0x410)); // one serial port, 80x25 colour, x87, no floppy
        Assert.Equal(639, _memory.ReadUInt16(0x413));
        Assert.Equal(0x1E, _memory.ReadUInt16(0x41A));
        Assert.Equal(0x1E, _memory.ReadUInt16(0x41C));
        Assert.Equal(0x1E, _memory.ReadUInt16(0x480));
        Assert.Equal(0x3E, _memory.ReadUInt16(0x482));
        Assert.Equal(3, _memory.ReadByte(0x449));
        Assert.Equal(80, _memory.ReadUInt16(0x44A));
        Assert.Equal(0x1000, _memory.ReadUInt16(0x44C));
        Assert.Equal(0, _memory.ReadUInt16(0x450)); // cursor at the top left
        Assert.Equal(0x0607, _memory.ReadUInt16(0x460));
        Assert.Equal(0, _memory.ReadByte(0x462));
        Assert.Equal(0x3D4, _memory.ReadUInt16(0x463));
        Assert.Equal(2, _memory.ReadByte(0x475));
        Assert.Equal(24, _memory.ReadByte(0x484));
        Assert.Equal(16, _memory.ReadUInt16(0x485));
        Assert.Equal(0u, _memory.ReadUInt32(0x46C)); // the clock seeds the ticks, not the BDA writer
    }

    [Fact]
    public void Ebda_starts_with_its_size_in_KiB_and_sits_where_the_E820_reserved_area_begins()
    {
        _memory.GetSpan(0x9FC00, 0x400).Fill(0xCC);
        BiosDataArea.Write(_memory, 1, 1);

        Assert.Equal(1, _memory.ReadUInt16(0x9FC00));
        Assert.All(_memory.GetSpan(0x9FC02, 0x3FE).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(E820Map.ExtendedBiosDataArea, BiosMemoryLayout.ExtendedBiosDataArea);
        Assert.Equal(640 - BiosMemoryLayout.ExtendedBiosDataAreaKiB, BiosMemoryLayout.BaseMemoryKiB);
    }

    [Fact]
    public void Bda_and_ebda_stay_clear_of_the_acpi_rsdp_and_the_bios_segment()
    {
        _memory.GetSpan(0xE0000, 0x20000).Fill(0xAB);
        BiosDataArea.Write(_memory, 4, 0);
        Assert.All(_memory.GetSpan(0xE0000, 0x20000).ToArray(), b => Assert.Equal(0xAB, b));
        Assert.Equal(0x2E8, _memory.ReadUInt16(0x406));
        Assert.Equal(4 << 9, _memory.ReadUInt16(0x410) & 0x0E00);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5)]
    public void Impossible_serial_port_counts_are_refused(int count)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BiosDataArea.Write(_memory, count, 0));
    }

    [Fact]
    public void Int11h_and_int12h_read_the_bda_so_guest_edits_show()
    {
        var bench = new BiosServiceBench();
        bench.Invoke(new EquipmentService(), 0x1100);
        Assert.Equal(0x0222, bench.Ax);
        bench.Invoke(new BaseMemoryService(), 0x1200);
        Assert.Equal(639, bench.Ax);

        bench.Memory.WriteUInt16(0x413, 600);
        bench.Invoke(new BaseMemoryService(), 0x1200);
        Assert.Equal(600, bench.Ax);
    }

    [Fact]
    public void System_configuration_table_is_seabios_s_at_F000_E6F5()
    {
        SystemConfigurationTable.Write(_memory);
        Assert.Equal(0xFE6F5ul, BiosMemoryLayout.SystemConfigurationTable);
        Assert.Equal(
            new byte[] { 8, 0, 0xFC, 0x00, 0x01, 0x64, 0x40, 0, 0, 0 },
            _memory.GetSpan(0xFE6F5, SystemConfigurationTable.Length).ToArray());
    }
}
