using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Legacy;

/// <summary>The POST diagnostic port 0x80. Linux also writes it for I/O delays, so it only remembers the last code.</summary>
public sealed class PostCodePort : IBusDevice
{
    public const ushort Port = 0x80;

    public byte LastCode { get; private set; }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0);
        data[0] = LastCode;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data) => LastCode = data[0];
}
