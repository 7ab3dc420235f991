namespace Turnstone.Devices.Virtio.Console;

/// <summary>
/// Host input on its way to the guest: a bounded byte ring that host threads append to and the
/// receive queue's worker drains. The worker peeks, copies into guest buffers, and only then
/// discards what actually landed, so bytes are never lost to a delivery that failed halfway.
/// </summary>
/// <remarks>
/// When the ring is full the newest bytes are refused rather than the oldest overwritten: a paste
/// that overflows arrives with a clean cut at its end instead of a hole in its middle, and the caller
/// learns how much was taken and may offer the rest again later.
/// </remarks>
public sealed class VirtioConsoleInputBuffer
{
    private readonly object _gate = new();
    private readonly byte[] _bytes;
    private int _start, _count;

    public VirtioConsoleInputBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _bytes = new byte[capacity];
    }

    public int Capacity => _bytes.Length;

    /// <summary>Bytes waiting for a receive buffer.</summary>
    public int Count
    {
        get { lock (_gate) { return _count; } }
    }

    /// <summary>Appends as much of <paramref name="input"/> as fits; returns how many bytes were taken.</summary>
    public int Append(ReadOnlySpan<byte> input)
    {
        lock (_gate)
        {
            int taken = Math.Min(input.Length, _bytes.Length - _count);
            int end = (_start + _count) % _bytes.Length;
            int firstPart = Math.Min(taken, _bytes.Length - end);
            input[..firstPart].CopyTo(_bytes.AsSpan(end));
            input[firstPart..taken].CopyTo(_bytes);
            _count += taken;
            return taken;
        }
    }

    /// <summary>Copies the oldest bytes into <paramref name="destination"/> without removing them; returns how many.</summary>
    public int Peek(Span<byte> destination)
    {
        lock (_gate)
        {
            int length = Math.Min(destination.Length, _count);
            int firstPart = Math.Min(length, _bytes.Length - _start);
            _bytes.AsSpan(_start, firstPart).CopyTo(destination);
            _bytes.AsSpan(0, length - firstPart).CopyTo(destination[firstPart..]);
            return length;
        }
    }

    /// <summary>Removes the oldest <paramref name="count"/> bytes (at most what is held).</summary>
    public void Discard(int count)
    {
        lock (_gate)
        {
            int removed = Math.Clamp(count, 0, _count);
            _start = (_start + removed) % _bytes.Length;
            _count -= removed;
        }
    }
}
