using Turnstone.Devices.Bus;

namespace Turnstone.UnitTests.Machine.Platform;

/// <summary>A bus device that only remembers the interrupt line it was given, for tests of where the platform puts devices.</summary>
internal sealed class RecordingBusDevice(IInterruptLine? line = null) : IBusDevice
{
    public IInterruptLine? Line { get; } = line;

    public void Read(ulong offset, Span<byte> data) => data.Clear();

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
    }
}
