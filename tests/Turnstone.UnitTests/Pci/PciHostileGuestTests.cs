using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using static Turnstone.Devices.Pci.PciConfigRegisters;

namespace Turnstone.UnitTests.Pci;

/// <summary>A guest may do anything with these registers; the monitor must answer, never throw.</summary>
public sealed class PciHostileGuestTests
{
    private readonly PciTestRig _rig = new();
    private static readonly PciAddress Endpoint = PciTestRig.EndpointAddress;

    [Theory]
    [InlineData(8)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(0)]
    public void Unsupported_ecam_access_sizes_read_all_ones_and_write_nothing(int size)
    {
        var data = new byte[size];
        _rig.Ecam.Read(PciTestRig.EcamOffset(Endpoint, VendorId), data);
        Assert.All(data, b => Assert.Equal(0xFF, b));

        Array.Fill(data, (byte)0xFF);
        _rig.Ecam.Write(PciTestRig.EcamOffset(Endpoint, Command), data);
        _rig.Ecam.Write(PciTestRig.EcamOffset(Endpoint, InterruptLine), data);
        Assert.Equal(0u, _rig.EcamRead(Endpoint, Command, 2));
        Assert.Equal(0u, _rig.EcamRead(Endpoint, InterruptLine, 1));
    }

    [Fact]
    public void Accesses_crossing_a_dword_are_refused_by_both_mechanisms()
    {
        Assert.Equal(0xFFFFu, _rig.EcamRead(Endpoint, VendorId + 3, 2));
        Assert.Equal(0xFFFF_FFFFu, _rig.EcamRead(Endpoint, VendorId + 2, 4));
        _rig.EcamWrite(Endpoint, InterruptLine - 1, 0xFFFF, 2); // would reach Interrupt Line if accepted
        Assert.Equal(0u, _rig.EcamRead(Endpoint, InterruptLine, 1));

        _rig.SelectPortAddress(Endpoint, Command);
        var word = new byte[2];
        _rig.Ports.Read(7, word); // 0xCFF + 2 bytes runs past the data window
        Assert.Equal([0xFF, 0xFF], word);
        var dword = new byte[4];
        _rig.Ports.Read(2, dword); // straddles the address register and the data port
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], dword);
        _rig.Ports.Write(5, [0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.Equal(0u, _rig.EcamRead(Endpoint, Command, 2));
    }

    [Theory]
    [InlineData(256ul << 20)]
    [InlineData(ulong.MaxValue)]
    [InlineData(ulong.MaxValue - 1)]
    [InlineData(0x8000_0000_0000_0000ul)]
    public void Offsets_beyond_the_ecam_window_read_all_ones(ulong offset)
    {
        var data = new byte[4];
        _rig.Ecam.Read(offset, data);
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], data);
        _rig.Ecam.Write(offset, data);
        _rig.Ports.Read(offset, data);
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], data);
        _rig.Ports.Write(offset, data);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(PciConfigSpace.Size)]
    [InlineData(PciConfigSpace.Size - 1)]
    [InlineData(int.MaxValue)]
    public void Config_space_accesses_outside_4_KiB_read_ones_and_never_throw(int offset)
    {
        var config = _rig.Endpoint.Config;
        var data = new byte[8];
        config.Read(offset, data);
        for (int i = 0; i < data.Length; i++)
        {
            long at = (long)offset + i;
            if (at is < 0 or >= PciConfigSpace.Size)
            {
                Assert.Equal(0xFF, data[i]);
            }
        }
        config.Write(offset, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.Equal(0, config.ReadByte(PciConfigSpace.Size - 1));
        Assert.Equal(0x1AF4, config.ReadUInt16(VendorId));
    }

    [Fact]
    public void Odd_msix_table_accesses_are_absorbed()
    {
        var table = _rig.Endpoint.Msix;
        ulong end = TestEndpoint.TableOffset + (ulong)table.TableLength;
        // Three bytes straddling two entries: one byte of entry 0's vector control, two of entry 1's address.
        Assert.True(table.TryWrite(0, TestEndpoint.TableOffset + 15, [0xFF, 0xFF, 0xFF]));
        Assert.True(table.IsVectorMasked(0));
        Assert.Equal(new MsiMessage(0xFFFC, 0), table.GetMessage(1));
        // Running off the end of the table reads zero for the missing bytes and drops the rest of a write.
        var data = new byte[8];
        Assert.True(table.TryRead(0, end - 4, data));
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 0], data);
        Assert.True(table.TryWrite(0, end - 2, new byte[64]));
        Assert.True(table.TryRead(0, TestEndpoint.PbaOffset + 7, new byte[16]));
        Assert.False(table.TryWrite(0, ulong.MaxValue, [1]));
        Assert.False(table.TryRead(-3, 0, data));
    }

    [Fact]
    public void Random_accesses_everywhere_never_throw_and_leave_identity_intact()
    {
        var random = new Random(0x7C1);
        var mmio = new DeviceBus();
        var ports = new DeviceBus();
        mmio.Register(0xE000_0000, PciEcam.WindowSize(1), _rig.Ecam);
        ports.Register(PciConfigPorts.BasePort, PciConfigPorts.PortCount, _rig.Ports);
        _rig.Endpoint.Config.BarMappingChanged += change =>
        {
            // Whatever the guest writes, a mapping reported as decoding is one the machine can map.
            if (change.Current.Enabled)
            {
                Assert.True(change.Current.Address + change.Current.Size > change.Current.Address);
            }
        };
        _rig.Endpoint.ConnectInterrupt(new RecordingInterruptLine());
        var window = new PciBarWindow(_rig.Endpoint, 0);

        for (int i = 0; i < 50_000; i++)
        {
            var data = new byte[random.Next(0, 10)];
            random.NextBytes(data);
            bool write = random.Next(2) == 0;
            ulong address = random.Next(4) switch
            {
                0 => 0xE000_0000 + (ulong)random.NextInt64(0, 1 << 20),
                1 => (ulong)random.NextInt64(0, 1L << 28),
                2 => PciConfigPorts.BasePort + (ulong)random.Next(0, 8),
                _ => (ulong)random.NextInt64(),
            };
            switch (random.Next(5))
            {
                case 0 when write: mmio.Write(address, data); break;
                case 0: mmio.Read(address, data); break;
                case 1 when write: _rig.Ecam.Write(address, data); break;
                case 1: _rig.Ecam.Read(address, data); break;
                case 2 when write: ports.Write(address & 0xFFFF, data); break;
                case 2: ports.Read(address & 0xFFFF, data); break;
                case 3 when write: window.Write(address & 0xFFF, data); break;
                case 3: window.Read(address & 0xFFF, data); break;
                default:
                    _rig.Endpoint.Msix.TrySignal(random.Next(-2, 8), out _);
                    _rig.Endpoint.Interrupt(random.Next(2) == 0);
                    break;
            }
        }

        Assert.Equal(0x1042_1AF4u, _rig.EcamRead(Endpoint, VendorId));
        Assert.Equal(0x0100_0001u, _rig.EcamRead(Endpoint, Revision));
        Assert.Equal(0x0008_1B36u, _rig.EcamRead(PciHostBridge.Address, VendorId));
        Assert.Equal(3, _rig.Endpoint.Config.Capabilities.Count);
        Assert.Equal(0x1000ul, _rig.Endpoint.Config.BarMappings[0].Size);
    }
}
