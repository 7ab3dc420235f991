namespace Turnstone.Devices.Bus;

/// <summary>
/// Maps non-overlapping address ranges to devices (one bus for ports, one for MMIO), in the shape
/// of rust-vmm's vm-device Bus. Lookup is a binary search over the sorted ranges. Accesses to
/// unclaimed addresses behave like an empty ISA/PCI bus: reads float high (all ones), writes vanish.
/// </summary>
public sealed class DeviceBus
{
    private readonly List<(ulong Start, ulong Length, IBusDevice Device)> _ranges = [];
    private readonly Lock _gate = new();
    private (ulong Start, ulong Length, IBusDevice Device)[] _snapshot = [];

    public long UnclaimedReads { get; private set; }
    public long UnclaimedWrites { get; private set; }

    public void Register(ulong start, ulong length, IBusDevice device)
    {
        if (length == 0 || start + length < start)
        {
            throw new ArgumentException($"bus range 0x{start:x}+0x{length:x} is empty or wraps");
        }
        lock (_gate)
        {
            foreach (var existing in _ranges)
            {
                if (start < existing.Start + existing.Length && existing.Start < start + length)
                {
                    throw new ArgumentException(
                        $"bus range 0x{start:x}+0x{length:x} overlaps 0x{existing.Start:x}+0x{existing.Length:x} ({existing.Device.GetType().Name})");
                }
            }
            _ranges.Add((start, length, device));
            _ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
            _snapshot = [.. _ranges];
        }
    }

    /// <summary>
    /// Removes the range that starts at <paramref name="start"/> and belongs to
    /// <paramref name="device"/> (a PCI BAR moving or being disabled). False when there is none.
    /// </summary>
    public bool Unregister(ulong start, IBusDevice device)
    {
        lock (_gate)
        {
            int index = _ranges.FindIndex(r => r.Start == start && ReferenceEquals(r.Device, device));
            if (index < 0)
            {
                return false;
            }
            _ranges.RemoveAt(index);
            _snapshot = [.. _ranges];
            return true;
        }
    }

    /// <summary>The device whose range holds <paramref name="address"/>, and the offset into it.</summary>
    public bool TryResolve(ulong address, out IBusDevice device, out ulong offset)
    {
        var ranges = _snapshot;
        int low = 0, high = ranges.Length - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            var (start, length, candidate) = ranges[middle];
            if (address < start)
            {
                high = middle - 1;
            }
            else if (address - start >= length)
            {
                low = middle + 1;
            }
            else
            {
                device = candidate;
                offset = address - start;
                return true;
            }
        }
        device = null!;
        offset = 0;
        return false;
    }

    public void Read(ulong address, Span<byte> data)
    {
        if (TryResolve(address, out var device, out ulong offset))
        {
            device.Read(offset, data);
            return;
        }
        UnclaimedReads++;
        data.Fill(0xFF);
    }

    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        if (TryResolve(address, out var device, out ulong offset))
        {
            device.Write(offset, data);
            return;
        }
        UnclaimedWrites++;
    }
}
