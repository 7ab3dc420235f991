using Turnstone.Devices.Bus;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>Two consecutive ports of the <see cref="DualPic8259"/> as a bus device (the pair's ports are in three places).</summary>
internal sealed class PicPortWindow(DualPic8259 pic, ushort basePort) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0);
        data[0] = pic.ReadPort((ushort)(basePort + (offset & 1)));
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data) => pic.WritePort((ushort)(basePort + (offset & 1)), data[0]);
}
