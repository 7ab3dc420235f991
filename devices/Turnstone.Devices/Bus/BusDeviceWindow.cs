namespace Turnstone.Devices.Bus;

/// <summary>
/// A second range of a device whose ranges are not contiguous (the i8042's 0x60 and 0x64, which
/// leave 0x61 to the PIT's control port): accesses reach <paramref name="device"/> with offsets
/// counted from its first range, <paramref name="offsetOfWindow"/> being where this range starts.
/// </summary>
public sealed class BusDeviceWindow(IBusDevice device, ulong offsetOfWindow) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data) => device.Read(offsetOfWindow + offset, data);

    public void Write(ulong offset, ReadOnlySpan<byte> data) => device.Write(offsetOfWindow + offset, data);
}
