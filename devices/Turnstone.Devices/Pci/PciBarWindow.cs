using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Pci;

/// <summary>
/// One BAR of a function as a device on the machine's MMIO or port bus: register it over the
/// BAR's enabled mapping and offsets arrive relative to the BAR's base, as the function expects.
/// </summary>
public sealed class PciBarWindow(PciDevice device, int bar) : IBusDevice
{
    public PciDevice Device { get; } = device ?? throw new ArgumentNullException(nameof(device));

    public int Bar { get; } = bar is >= 0 and < PciConfigSpace.BarCount ? bar : throw new ArgumentOutOfRangeException(nameof(bar));

    public void Read(ulong offset, Span<byte> data) => Device.ReadBar(Bar, offset, data);

    public void Write(ulong offset, ReadOnlySpan<byte> data) => Device.WriteBar(Bar, offset, data);
}
