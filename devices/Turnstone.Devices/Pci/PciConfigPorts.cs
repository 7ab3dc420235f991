using System.Buffers.Binary;
using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Pci;

/// <summary>
/// Configuration mechanism #1: a dword address register at 0xCF8 (enable bit 31, bus, device,
/// function, dword register) and a data window at 0xCFC-0xCFF whose byte offset selects the byte
/// within that dword. It reaches only the first 256 bytes of each function; the extended space
/// is ECAM's. Register it over <see cref="BasePort"/>..+<see cref="PortCount"/>.
/// </summary>
public sealed class PciConfigPorts(PciSegment segment) : IBusDevice
{
    public const ushort BasePort = 0xCF8;
    public const int PortCount = 8;

    private const int DataPortOffset = 4;
    private const uint EnableBit = 1u << 31;
    // Bits 30:24 (an AMD extension for extended registers) and 1:0 are reserved and read as zero.
    private const uint AddressRegisterMask = EnableBit | 0x00FF_FFFC;

    private readonly Lock _gate = new();
    private uint _address;

    public PciSegment Segment { get; } = segment ?? throw new ArgumentNullException(nameof(segment));

    public void Read(ulong offset, Span<byte> data)
    {
        lock (_gate)
        {
            if (offset == 0 && data.Length == 4)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(data, _address);
            }
            else if (TryDecodeData(offset, data.Length, out var address, out int register))
            {
                Segment.ReadConfig(address, register, data);
            }
            else
            {
                data.Fill(0xFF);
            }
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            // Only a dword write latches an address: byte writes to 0xCF8-0xCFB belong to other
            // chipset registers (0xCF9 is reset control) and Linux's probe relies on that.
            if (offset == 0 && data.Length == 4)
            {
                _address = BinaryPrimitives.ReadUInt32LittleEndian(data) & AddressRegisterMask;
            }
            else if (TryDecodeData(offset, data.Length, out var address, out int register))
            {
                Segment.WriteConfig(address, register, data);
            }
        }
    }

    private bool TryDecodeData(ulong offset, int length, out PciAddress address, out int register)
    {
        address = default;
        register = 0;
        if (offset is < DataPortOffset or >= PortCount || (_address & EnableBit) == 0)
        {
            return false;
        }
        register = (int)(_address & 0xFC) + (int)(offset - DataPortOffset);
        if (!PciConfigAccess.IsSupported(register, length))
        {
            return false;
        }
        address = new PciAddress((byte)(_address >> 16), (byte)((_address >> 11) & 0x1F), (byte)((_address >> 8) & 0x7));
        return true;
    }
}
