using System.Diagnostics;
using Turnstone.Devices.Bus;

namespace Turnstone.Devices.Legacy;

/// <summary>
/// Firecracker's boot timer: the guest's init writes <see cref="MagicValue"/> to port 0x440 (through
/// /dev/port) or to the MMIO byte at <see cref="MmioAddress"/> (through /dev/mem, for kernels built
/// without /dev/port such as Debian's), and the monitor records the time since the VM was created,
/// so boot time is measured, not guessed. Reads return the magic value, so a guest can detect it.
/// </summary>
public sealed class BootTimer(Stopwatch sinceVmCreation, Action<TimeSpan>? onFirstSignal = null) : IBusDevice
{
    public const ushort Port = 0x440;
    /// <summary>In the 32-bit MMIO hole, below the I/O APIC (0xFEC00000), in no BAR window.</summary>
    public const ulong MmioAddress = 0xFEB0_0000;
    public const byte MagicValue = 123;

    public TimeSpan? BootTime { get; private set; }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0);
        data[0] = MagicValue;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data[0] != MagicValue || BootTime.HasValue)
        {
            return;
        }
        BootTime = sinceVmCreation.Elapsed;
        onFirstSignal?.Invoke(BootTime.Value);
    }
}
