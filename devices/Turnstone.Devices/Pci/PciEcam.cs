using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Pci;

/// <summary>
/// The PCI Express Enhanced Configuration Access Mechanism: an MMIO window in which offset
/// bus &lt;&lt; 20 | device &lt;&lt; 15 | function &lt;&lt; 12 | register reaches the whole 4 KiB of every
/// function. The machine maps <see cref="WindowSize"/>(buses) bytes and describes them in MCFG.
/// </summary>
public sealed class PciEcam(PciSegment segment) : IBusDevice
{
    public const int BytesPerFunction = 1 << 12;
    public const int BytesPerBus = 1 << 20;

    public PciSegment Segment { get; } = segment ?? throw new ArgumentNullException(nameof(segment));

    public static ulong WindowSize(int busCount) =>
        busCount is >= 1 and <= 256 ? (ulong)busCount * BytesPerBus : throw new ArgumentOutOfRangeException(nameof(busCount));

    public void Read(ulong offset, Span<byte> data)
    {
        if (!TryDecode(offset, data.Length, out var address, out int register))
        {
            data.Fill(0xFF);
            return;
        }
        Segment.ReadConfig(address, register, data);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (TryDecode(offset, data.Length, out var address, out int register))
        {
            Segment.WriteConfig(address, register, data);
        }
    }

    private static bool TryDecode(ulong offset, int length, out PciAddress address, out int register)
    {
        register = (int)(offset & (BytesPerFunction - 1));
        address = default;
        if (offset >= 256ul * BytesPerBus || !PciConfigAccess.IsSupported(register, length))
        {
            return false;
        }
        address = new PciAddress((byte)(offset >> 20), (byte)((offset >> 15) & 0x1F), (byte)((offset >> 12) & 0x7));
        return true;
    }
}
