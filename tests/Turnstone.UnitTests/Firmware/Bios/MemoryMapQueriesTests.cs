using Turnstone.Firmware.Bios;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;
using Turnstone.Machine;
using Turnstone.Machine.Platform;

namespace Turnstone.UnitTests.Firmware.Bios;

public sealed class MemoryMapQueriesTests
{
    private const uint Smap = 0x534D_4150;

    private readonly BiosServiceBench _bench = new();

    /// <summary>The map exactly as the Linux boot path builds it: RAM layout, then ACPI tables and ECAM.</summary>
    private static E820Map LinuxBootMap(ulong memoryBytes)
    {
        var map = E820Map.FromRam(GuestRamLayout.For(memoryBytes));
        AcpiFirmware.Build(PcPlatform.Lay(diskCount: 1).Builder.Describe(1), map);
        return map;
    }

    private BiosCall E820(SystemService service, uint index, ushort es = 0x0000, uint di = 0x6000, uint ecx = 20, uint edx = Smap)
    {
        _bench.Registers.Ebx = index;
        _bench.Registers.Ecx = ecx;
        _bench.Registers.Edx = edx;
        _bench.Registers.Es = es;
        _bench.Registers.Edi = di;
        _bench.Registers.Eax = 0xE820;
        var call = new BiosCall(0x15, _bench.Registers, _bench.Memory, _bench.Unsupported);
        service.Handle(call);
        return call;
    }

    [Theory]
    [InlineData(256ul << 20)]
    [InlineData(4ul << 30)]
    public void E820_continuation_walks_the_whole_map_the_linux_boot_path_reports(ulong memoryBytes)
    {
        var map = LinuxBootMap(memoryBytes);
        var service = new SystemService(map, TimeProvider.System);
        var seen = new List<E820Entry>();
        uint index = 0;
        do
        {
            E820(service, index, es: 0x0500, di: 0x0010);
            Assert.False(_bench.Carry);
            Assert.Equal(Smap, _bench.Registers.Eax);
            Assert.Equal(20u, _bench.Registers.Ecx);
            var bytes = _bench.Memory.GetSpan(0x5010, 20);
            seen.Add(new E820Entry(BitConverter.ToUInt64(bytes[0..8]), BitConverter.ToUInt64(bytes[8..16]), (E820Type)BitConverter.ToUInt32(bytes[16..20])));
            index = _bench.Registers.Ebx;
            Assert.True(seen.Count <= map.Entries.Count);
        }
        while (index != 0);

        Assert.Equal(map.Entries, seen);
        Assert.Equal(new E820Entry(0, 0x9FC00, E820Type.Ram), seen[0]); // 0..EBDA usable
        Assert.Contains(seen, e => e.Type == E820Type.Acpi && e.Address == PlatformLayout.AcpiTablesAddress);
        Assert.Contains(seen, e => e.Type == E820Type.Reserved && e.Address == PlatformLayout.EcamBase);
        Assert.Contains(seen, e => e.Type == E820Type.Reserved && e.Address == 0x9FC00);
        Assert.Contains(seen, e => e.Type == E820Type.Ram && e.Address == 0x100000);
    }

    [Fact]
    public void E820_larger_buffers_get_20_byte_entries_and_the_rest_untouched()
    {
        _bench.Memory.GetSpan(0x6000, 24).Fill(0xEE);
        E820(new SystemService(LinuxBootMap(64ul << 20), TimeProvider.System), 0, ecx: 24);
        Assert.False(_bench.Carry);
        Assert.Equal(20u, _bench.Registers.Ecx);
        Assert.Equal(1u, _bench.Memory.ReadUInt32(0x6010));
        Assert.Equal(0xEEEE_EEEEu, _bench.Memory.ReadUInt32(0x6014));
    }

    [Fact]
    public void E820_wrong_signature_is_an_error()
    {
        E820(new SystemService(LinuxBootMap(64ul << 20), TimeProvider.System), 0, edx: 0x12345678);
        Assert.True(_bench.Carry);
        Assert.Equal(0x86, _bench.Ax >> 8);
        Assert.Equal(0ul, _bench.Memory.ReadUInt64(0x6000));
    }

    [Fact]
    public void E820_buffer_shorter_than_20_bytes_is_an_error()
    {
        E820(new SystemService(LinuxBootMap(64ul << 20), TimeProvider.System), 0, ecx: 19);
        Assert.True(_bench.Carry);
        Assert.Equal(0ul, _bench.Memory.ReadUInt64(0x6000));
    }

    [Fact]
    public void E820_index_past_the_end_is_an_error()
    {
        var map = LinuxBootMap(64ul << 20);
        E820(new SystemService(map, TimeProvider.System), (uint)map.Entries.Count);
        Assert.True(_bench.Carry);
        Assert.Equal(0x86, _bench.Ax >> 8);
    }

    [Theory]
    [InlineData(0xFFFF, 0xFFF0u)] // past the real-mode address space
    [InlineData(0x1000, 0x1_0000u)] // DI wider than 16 bits is taken as DI, not EDI: 1000:0000 is fine
    public void E820_buffer_address_is_checked(ushort es, uint di)
    {
        E820(new SystemService(LinuxBootMap(64ul << 20), TimeProvider.System), 0, es: es, di: di);
        Assert.Equal(es == 0xFFFF, _bench.Carry);
    }

    [Fact]
    public void E820_buffer_outside_ram_is_an_error_and_nothing_is_written()
    {
        var bench = new BiosServiceBench(memoryBytes: 1ul << 20); // RAM ends at 1 MiB
        bench.Registers.Ebx = 0;
        bench.Registers.Ecx = 24;
        bench.Registers.Edx = Smap;
        bench.Registers.Es = 0xFFFF;
        bench.Registers.Edi = 0x0000; // 0xFFFF0 + 20 crosses 1 MiB
        bench.Invoke(new SystemService(LinuxBootMap(64ul << 20), TimeProvider.System), 0xE820);
        Assert.True(bench.Carry);
        Assert.Equal(0x86, bench.Ax >> 8);
    }

    [Theory]
    [InlineData(256ul << 20, 15 * 1024, (256 - 16) * 16)]
    [InlineData(4ul << 30, 15 * 1024, (3072 - 16) * 16)] // stops at the 32-bit hole
    [InlineData(12ul << 20, 11 * 1024, 0)]
    public void E801_reports_KiB_below_16M_and_64K_blocks_above(ulong memoryBytes, int below16M, int blocksAbove16M)
    {
        _bench.Registers.Ecx = 0xDEAD_0000;
        _bench.Invoke(new SystemService(LinuxBootMap(memoryBytes), TimeProvider.System), 0xE801);
        Assert.False(_bench.Carry);
        Assert.Equal(below16M, _bench.Ax);
        Assert.Equal((uint)below16M | 0xDEAD_0000, _bench.Registers.Ecx);
        Assert.Equal(blocksAbove16M, (int)(_bench.Registers.Ebx & 0xFFFF));
        Assert.Equal(blocksAbove16M, (int)(_bench.Registers.Edx & 0xFFFF));
    }

    [Theory]
    [InlineData(256ul << 20, 63 * 1024)] // capped at 63 MiB as SeaBIOS
    [InlineData(32ul << 20, 31 * 1024)]
    public void Function_88h_reports_KiB_above_1M(ulong memoryBytes, int kib)
    {
        _bench.Invoke(new SystemService(LinuxBootMap(memoryBytes), TimeProvider.System), 0x8800);
        Assert.False(_bench.Carry);
        Assert.Equal(kib, _bench.Ax);
    }
}
