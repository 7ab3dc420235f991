using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using static Turnstone.Devices.Pci.PciConfigRegisters;

namespace Turnstone.UnitTests.Pci;

public sealed class PciBarTests
{
    private readonly PciTestRig _rig = new();
    private readonly List<PciBarMappingChange> _changes = [];
    private static readonly PciAddress Endpoint = PciTestRig.EndpointAddress;

    public PciBarTests() => _rig.Endpoint.Config.BarMappingChanged += _changes.Add;

    private uint Bar(int index) => _rig.EcamRead(Endpoint, Bar0 + 4 * index);

    private void SetBar(int index, uint value) => _rig.EcamWrite(Endpoint, Bar0 + 4 * index, value);

    private void SetCommand(PciCommand command) => _rig.EcamWrite(Endpoint, Command, (uint)command, 2);

    [Fact]
    public void A_32_bit_memory_bar_sizes_and_restores()
    {
        SetBar(0, 0xFEB0_0000);
        uint saved = Bar(0);
        SetBar(0, 0xFFFF_FFFF);
        Assert.Equal(0xFFFF_F000u, Bar(0)); // ~(0x1000 - 1), type bits 0: 32-bit, not prefetchable
        SetBar(0, saved);
        Assert.Equal(0xFEB0_0000u, Bar(0));
    }

    [Fact]
    public void A_64_bit_prefetchable_bar_sizes_across_two_registers_and_restores()
    {
        Assert.Equal(0x0000_000Cu, Bar(2)); // 64-bit (10b in bits 2:1), prefetchable (bit 3)
        SetBar(2, 0xFFFF_FFFF);
        SetBar(3, 0xFFFF_FFFF);
        Assert.Equal(0xFFFF_C00Cu, Bar(2));
        Assert.Equal(0xFFFF_FFFFu, Bar(3));

        SetBar(2, 0xC000_0000);
        SetBar(3, 0x0000_0001);
        Assert.Equal(0xC000_000Cu, Bar(2));
        Assert.Equal(0x1u, Bar(3));
        Assert.True(_rig.Endpoint.Config.TryGetBar(2, out var mapping));
        Assert.Equal(0x1_C000_0000ul, mapping.Address);
        Assert.False(_rig.Endpoint.Config.TryGetBar(3, out _)); // the upper half is not a BAR of its own
    }

    [Fact]
    public void An_io_bar_sizes_within_64_KiB_and_restores()
    {
        Assert.Equal(0x1u, Bar(4));
        SetBar(4, 0xFFFF_FFFF);
        Assert.Equal(0x0000_FFE1u, Bar(4)); // 32 bytes, I/O indicator, bit 1 reserved
        SetBar(4, 0xC040);
        Assert.Equal(0xC041u, Bar(4));
    }

    [Fact]
    public void A_bar_above_4_GiB_sizes_in_its_upper_register()
    {
        var config = new PciConfigSpace(new PciIdentity(0x1AF4, 1, default));
        config.DefineBar(0, PciBarKind.Memory64, 8ul << 30);
        config.Write(Bar0, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.Equal(0x0000_0004u, config.ReadUInt32(Bar0));
        Assert.Equal(0xFFFF_FFFEu, config.ReadUInt32(Bar0 + 4));
    }

    [Fact]
    public void Unimplemented_bars_and_the_expansion_rom_stay_zero()
    {
        SetBar(5, 0xFFFF_FFFF);
        Assert.Equal(0u, Bar(5));
        _rig.EcamWrite(Endpoint, ExpansionRom, 0xFFFF_FFFF);
        Assert.Equal(0u, _rig.EcamRead(Endpoint, ExpansionRom));
        foreach (int register in new[] { Bar0, Bar0 + 4, Bar0 + 8 })
        {
            _rig.EcamWrite(PciHostBridge.Address, register, 0xFFFF_FFFF);
            Assert.Equal(0u, _rig.EcamRead(PciHostBridge.Address, register));
        }
    }

    [Fact]
    public void Writes_to_the_size_and_type_bits_are_ignored()
    {
        SetBar(0, 0xFEB0_0FFF);
        Assert.Equal(0xFEB0_0000u, Bar(0));
        SetBar(2, 0x0000_0003);
        Assert.Equal(0x0000_000Cu, Bar(2));
        _rig.EcamWrite(Endpoint, Bar0 + 16, 0x1E, 1); // byte write into the I/O BAR's size bits
        Assert.Equal(0x1u, Bar(4));
    }

    [Fact]
    public void Memory_enable_gates_the_memory_bars_and_io_enable_the_io_bar()
    {
        SetBar(0, 0xFEB0_0000);
        SetBar(2, 0x0000_0000);
        SetBar(3, 0x0000_0008);
        SetBar(4, 0xC000);
        Assert.Empty(_changes);
        Assert.All(_rig.Endpoint.Config.BarMappings, bar => Assert.False(bar.Enabled));

        SetCommand(PciCommand.MemorySpace);
        Assert.Equal([0, 2], _changes.Select(change => change.Index));
        Assert.All(_changes, change => Assert.True(!change.Previous.Enabled && change.Current.Enabled));
        Assert.Equal(new PciBarMapping(0, PciBarKind.Memory32, 0xFEB0_0000, 0x1000, false, true), _changes[0].Current);
        Assert.Equal(new PciBarMapping(2, PciBarKind.Memory64, 0x8_0000_0000, 0x4000, true, true), _changes[1].Current);

        _changes.Clear();
        SetCommand(PciCommand.MemorySpace | PciCommand.IoSpace);
        var io = Assert.Single(_changes);
        Assert.Equal(new PciBarMapping(4, PciBarKind.Io, 0xC000, 0x20, false, true), io.Current);

        _changes.Clear();
        SetCommand(PciCommand.IoSpace | PciCommand.BusMaster);
        Assert.Equal([0, 2], _changes.Select(change => change.Index));
        Assert.All(_changes, change => Assert.True(change.Previous.Enabled && !change.Current.Enabled));

        _changes.Clear();
        SetCommand(PciCommand.IoSpace | PciCommand.BusMaster); // no change, no event
        Assert.Empty(_changes);
        Assert.Equal([false, false, true], _rig.Endpoint.Config.BarMappings.Select(bar => bar.Enabled));
    }

    [Fact]
    public void Moving_a_decoding_bar_reports_where_it_was_and_where_it_is()
    {
        SetBar(0, 0xFEB0_0000);
        SetCommand(PciCommand.MemorySpace);
        _changes.Clear();

        SetBar(0, 0xFEC1_0000);
        var move = Assert.Single(_changes);
        Assert.Equal(0xFEB0_0000ul, move.Previous.Address);
        Assert.True(move.Previous.Enabled);
        Assert.Equal(0xFEC1_0000ul, move.Current.Address);
        Assert.True(move.Current.Enabled);

        _changes.Clear();
        SetBar(0, 0xFEC1_0000); // same place
        Assert.Empty(_changes);
    }

    [Fact]
    public void Sizing_with_decode_off_reports_nothing()
    {
        _rig.Endpoint.Config.SetBarAddress(0, 0xFEB0_0000);
        foreach (int index in new[] { 0, 2, 3, 4 })
        {
            uint saved = Bar(index);
            SetBar(index, 0xFFFF_FFFF);
            _ = Bar(index);
            SetBar(index, saved);
        }
        Assert.Empty(_changes);
        Assert.Equal(0xFEB0_0000u, Bar(0));
    }

    [Fact]
    public void Bars_at_zero_or_wrapping_the_address_space_do_not_decode()
    {
        SetCommand(PciCommand.MemorySpace | PciCommand.IoSpace);
        Assert.Empty(_changes);
        Assert.All(_rig.Endpoint.Config.BarMappings, bar => Assert.False(bar.Enabled));

        // Sizing a 64-bit BAR with decode on passes through 0xffff_c000 (a real place, so it
        // decodes there for a moment) and parks at 0xffff_ffff_ffff_c000, which would wrap.
        SetBar(2, 0xFFFF_FFFF);
        SetBar(3, 0xFFFF_FFFF);
        Assert.True(_rig.Endpoint.Config.TryGetBar(2, out var parked));
        Assert.False(parked.Enabled);
        Assert.Equal(0xFFFF_FFFF_FFFF_C000ul, parked.Address);
        Assert.Equal(
            [(0xFFFF_C000ul, true), (0xFFFF_FFFF_FFFF_C000ul, false)],
            _changes.Select(change => (change.Current.Address, change.Current.Enabled)));
    }

    [Fact]
    public void The_monitor_places_bars_through_the_same_registers()
    {
        var config = _rig.Endpoint.Config;
        config.SetBarAddress(2, 0x10_0000_0000);
        Assert.Equal(0x0000_000Cu, Bar(2));
        Assert.Equal(0x10u, Bar(3));
        Assert.Throws<ArgumentException>(() => config.SetBarAddress(0, 0xFEB0_0800)); // misaligned
        Assert.Throws<ArgumentException>(() => config.SetBarAddress(0, 0x1_0000_0000)); // above 4 GiB
        Assert.Throws<ArgumentException>(() => config.SetBarAddress(4, 0x1_0000)); // beyond 64 KiB
        Assert.Throws<ArgumentOutOfRangeException>(() => config.SetBarAddress(5, 0x1000));
    }

    [Theory]
    [InlineData(0, PciBarKind.Memory32, 0x1000ul)] // taken
    [InlineData(3, PciBarKind.Memory32, 0x1000ul)] // upper half of BAR2
    [InlineData(5, PciBarKind.Memory64, 0x1000ul)] // no room for the upper half
    [InlineData(5, PciBarKind.Memory32, 0x1800ul)] // not a power of two
    [InlineData(5, PciBarKind.Memory32, 8ul)]      // below the 16-byte minimum
    [InlineData(5, PciBarKind.Io, 512ul)]          // I/O BARs end at 256 bytes
    [InlineData(6, PciBarKind.Io, 16ul)]
    public void Impossible_bar_definitions_are_refused(int index, PciBarKind kind, ulong size)
    {
        var error = Record.Exception(() => _rig.Endpoint.Config.DefineBar(index, kind, size));
        Assert.True(error is ArgumentException or InvalidOperationException, error?.ToString() ?? "no exception");
    }

    [Fact]
    public void A_bar_window_on_the_bus_reaches_the_device_at_bar_offsets()
    {
        var mmio = new DeviceBus();
        _rig.Endpoint.Config.SetBarAddress(2, 0x8_0000_0000);
        SetCommand(PciCommand.MemorySpace);
        foreach (var change in _changes.Where(change => change.Current.Enabled))
        {
            mmio.Register(change.Current.Address, change.Current.Size, new PciBarWindow(_rig.Endpoint, change.Index));
        }
        mmio.Write(0x8_0000_0010, [1, 2, 3, 4]);
        var write = Assert.Single(_rig.Endpoint.BarWrites);
        Assert.Equal((2, 0x10ul), (write.Bar, write.Offset));
        Assert.Equal([1, 2, 3, 4], write.Data);
    }
}
